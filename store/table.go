package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
)

// objectKey identifies a table row: the ids of its level, deeper ones empty.
type objectKey struct{ account, campaign, adset string }

// table is one table of a view being read: its scope, and the attributed side read from the
// running totals, with whether it adds up to the period's totals.
type table struct {
	s       factScope
	rows    []ObjectRow
	covered bool
}

// startTable reads the attributed side of a table from the object-driven sums
// (insightsByObject) and checks it against the period's totals (Meta's numbers only). They can
// differ when an object Meta reported is missing from the objects tables, or Meta's levels do
// not add up; finishTable then answers from the row-driven reference query instead: slower,
// never wrong. When the totals were read from derived days (s.ctxDays), a difference answers
// errRecheck, and the view is read again without them.
func startTable(ctx context.Context, tx *sql.Tx, s factScope, accounts map[string]AdAccount, want Totals) (table, error) {
	rows, err := fastRows(ctx, tx, s, accounts)
	if err != nil {
		return table{}, err
	}
	t := table{s: s, rows: rows, covered: covers(rows, want)}
	if !t.covered && s.ctxDays {
		// The totals came from derived days too: which side is wrong is not known here.
		return table{}, errRecheck
	}
	return t, nil
}

// finishTable adds the logged side (per object at the table's level, the unattributed leads
// under the empty key; see loggedByObject) and orders the rows.
func finishTable(ctx context.Context, tx *sql.Tx, t table, logged map[objectKey]int64, accounts map[string]AdAccount) ([]ObjectRow, error) {
	if !t.covered {
		iq, ia := insightsRows(t.s)
		return referenceRows(ctx, tx, t.s, iq, ia)
	}
	rest := make(map[objectKey]int64, len(logged))
	for k, n := range logged {
		rest[k] = n
	}
	rows := t.rows
	for i := range rows {
		k := objectKey{rows[i].AccountID, rows[i].CampaignID, rows[i].AdSetID}
		rows[i].LoggedLeads = rest[k]
		delete(rest, k)
	}
	// What is left are objects with logged leads but no delivery in the period, and the
	// unattributed leads.
	if len(rest) > 0 {
		more, err := loggedOnlyRows(ctx, tx, t.s, rest, accounts)
		if err != nil {
			return nil, err
		}
		rows = append(rows, more...)
	}
	sortRows(rows)
	return rows, nil
}

// fastRows reads insightsByObject (insightsByObjectDaily while the running totals it needs are
// stale) into rows.
func fastRows(ctx context.Context, tx *sql.Tx, s factScope, accounts map[string]AdAccount) ([]ObjectRow, error) {
	q, args := insightsByObject(s)
	if stale, err := cumStale(ctx, tx, s); err != nil {
		return nil, err
	} else if stale {
		q, args = insightsByObjectDaily(s)
	}
	rs, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: dashboard rows: %w", err)
	}
	defer rs.Close()
	var out []ObjectRow
	for rs.Next() {
		r := ObjectRow{Level: s.level}
		if err := rs.Scan(&r.AccountID, &r.CampaignID, &r.AdSetID, &r.Name, &r.Status, &r.IsCTX, &r.CampaignName,
			&r.SpendMicros, &r.Impressions, &r.Clicks, &r.AttributedLeads, &r.Conversations); err != nil {
			return nil, fmt.Errorf("store: dashboard rows: %w", err)
		}
		fill(&r, s, accounts)
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("store: dashboard rows: %w", err)
	}
	if s.level == "adset" && len(out) > 0 {
		names, err := campaignNames(ctx, tx, s.clientID)
		if err != nil {
			return nil, err
		}
		for i := range out {
			out[i].CampaignName = names[out[i].CampaignID]
		}
	}
	return out, nil
}

// campaignNames maps the client's campaign ids to their names.
func campaignNames(ctx context.Context, tx *sql.Tx, clientID int64) (map[string]string, error) {
	rs, err := tx.QueryContext(ctx, `SELECT id, name FROM campaigns WHERE account_id IN `+clientAccounts, clientID)
	if err != nil {
		return nil, fmt.Errorf("store: campaign names: %w", err)
	}
	defer rs.Close()
	out := map[string]string{}
	for rs.Next() {
		var id, name string
		if err := rs.Scan(&id, &name); err != nil {
			return nil, fmt.Errorf("store: campaign names: %w", err)
		}
		out[id] = name
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("store: campaign names: %w", err)
	}
	return out, nil
}

// fill sets what a row takes from its account and level.
func fill(r *ObjectRow, s factScope, accounts map[string]AdAccount) {
	a := accounts[r.AccountID]
	r.AccountName, r.Currency = a.Name, a.Currency
	switch s.level {
	case "account":
		r.ID, r.Name, r.IsCTX = r.AccountID, a.Name, (s.ctxOnly || s.campaignID != "") && r.AccountID != ""
	case "campaign":
		r.ID = r.CampaignID
	case "adset":
		r.ID = r.AdSetID
	}
}

// covers reports whether the table's attributed side adds up to the totals.
func covers(rows []ObjectRow, want Totals) bool {
	var leads, convs, impr, clicks int64
	spend := map[string]int64{}
	for _, r := range rows {
		leads += r.AttributedLeads
		convs += r.Conversations
		impr += r.Impressions
		clicks += r.Clicks
		spend[r.Currency] += r.SpendMicros
	}
	if leads != want.AttributedLeads || convs != want.Conversations || impr != want.Impressions || clicks != want.Clicks {
		return false
	}
	for _, c := range want.Spend {
		if spend[c.Currency] != c.SpendMicros {
			return false
		}
		delete(spend, c.Currency)
	}
	for _, v := range spend {
		if v != 0 {
			return false
		}
	}
	return true
}

// loggedOnlyRows builds the rows of objects that have logged leads but no delivery, naming them
// from the objects tables, plus the unattributed row.
func loggedOnlyRows(ctx context.Context, tx *sql.Tx, s factScope, logged map[objectKey]int64, accounts map[string]AdAccount) ([]ObjectRow, error) {
	type meta struct {
		name, status, campaignName string
		ctx                        bool
	}
	names := map[string]meta{}
	var ids []any
	for k := range logged {
		switch {
		case s.level == "campaign" && k.campaign != "":
			ids = append(ids, k.campaign)
		case s.level == "adset" && k.adset != "":
			ids = append(ids, k.adset)
		}
	}
	if len(ids) > 0 {
		ph := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
		q := `SELECT c.id, c.name, c.effective_status, c.is_ctx, c.name FROM campaigns c WHERE c.id IN (` + ph + `)`
		if s.level == "adset" {
			q = `SELECT o.id, o.name, o.effective_status, o.is_ctx, COALESCE(c.name, '') FROM adsets o
				LEFT JOIN campaigns c ON c.id = o.campaign_id WHERE o.id IN (` + ph + `)`
		}
		rs, err := tx.QueryContext(ctx, q, ids...)
		if err != nil {
			return nil, fmt.Errorf("store: dashboard names: %w", err)
		}
		defer rs.Close()
		for rs.Next() {
			var id string
			var m meta
			if err := rs.Scan(&id, &m.name, &m.status, &m.ctx, &m.campaignName); err != nil {
				return nil, fmt.Errorf("store: dashboard names: %w", err)
			}
			names[id] = m
		}
		if err := rs.Err(); err != nil {
			return nil, fmt.Errorf("store: dashboard names: %w", err)
		}
	}
	var out []ObjectRow
	for k, n := range logged {
		if n == 0 {
			continue
		}
		r := ObjectRow{Level: s.level, AccountID: k.account, CampaignID: k.campaign, AdSetID: k.adset, LoggedLeads: n}
		fill(&r, s, accounts)
		if m, ok := names[r.ID]; ok && r.ID != "" && s.level != "account" {
			r.Name, r.Status, r.IsCTX, r.CampaignName = m.name, m.status, m.ctx, m.campaignName
		}
		out = append(out, r)
	}
	return out, nil
}

// sortRows orders rows by attributed leads (most first), then ids; the unattributed row last.
func sortRows(rows []ObjectRow) {
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if (a.ID == "") != (b.ID == "") {
			return b.ID == ""
		}
		if a.AttributedLeads != b.AttributedLeads {
			return a.AttributedLeads > b.AttributedLeads
		}
		if a.AccountID != b.AccountID {
			return a.AccountID < b.AccountID
		}
		if a.CampaignID != b.CampaignID {
			return a.CampaignID < b.CampaignID
		}
		return a.AdSetID < b.AdSetID
	})
}

// referenceRows is the table computed the plain way: the row-driven insights and the logged
// leads in one UNION ALL, grouped by the ids in SQL, each object named through LEFT JOINs. It
// sees every row Meta sent, whether or not the object is in the objects tables.
func referenceRows(ctx context.Context, tx *sql.Tx, s factScope, insights string, args []any) ([]ObjectRow, error) {
	s.byDate = false
	lq, la := loggedFact(s)
	args = append(append([]any{}, args...), la...)
	rows, err := tx.QueryContext(ctx, `SELECT g.account_id, g.campaign_id, g.adset_id, g.spend, g.impressions, g.clicks,
			g.leads, g.convs, g.logged, COALESCE(a.name, ''), COALESCE(a.currency, ''),
			COALESCE(c.name, ''), COALESCE(c.effective_status, ''), COALESCE(c.is_ctx, 0),
			COALESCE(s.name, ''), COALESCE(s.effective_status, ''), COALESCE(s.is_ctx, 0)
		FROM (SELECT account_id, campaign_id, adset_id, `+sums+`
			FROM (`+insights+`
				UNION ALL
				`+lq+`) u
			GROUP BY account_id, campaign_id, adset_id) g
		LEFT JOIN ad_accounts a ON a.id = g.account_id
		LEFT JOIN campaigns c ON c.id = g.campaign_id
		LEFT JOIN adsets s ON s.id = g.adset_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: dashboard rows: %w", err)
	}
	defer rows.Close()
	var out []ObjectRow
	for rows.Next() {
		r := ObjectRow{Level: s.level}
		var cStatus, sName, sStatus string
		var cCTX, sCTX bool
		if err := rows.Scan(&r.AccountID, &r.CampaignID, &r.AdSetID, &r.SpendMicros, &r.Impressions, &r.Clicks,
			&r.AttributedLeads, &r.Conversations, &r.LoggedLeads, &r.AccountName, &r.Currency,
			&r.CampaignName, &cStatus, &cCTX, &sName, &sStatus, &sCTX); err != nil {
			return nil, fmt.Errorf("store: dashboard rows: %w", err)
		}
		switch s.level {
		case "account":
			r.ID, r.Name, r.IsCTX = r.AccountID, r.AccountName, (s.ctxOnly || s.campaignID != "") && r.AccountID != ""
		case "campaign":
			r.ID, r.Name, r.Status, r.IsCTX = r.CampaignID, r.CampaignName, cStatus, cCTX
		case "adset":
			r.ID, r.Name, r.Status, r.IsCTX = r.AdSetID, sName, sStatus, sCTX
		}
		if r.ID == "" && r.LoggedLeads == 0 && r.AttributedLeads == 0 && r.SpendMicros == 0 {
			continue
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: dashboard rows: %w", err)
	}
	sortRows(out)
	return out, nil
}

// rollUp adds ad-set rows up to their campaigns (the top-campaigns chart of the ad-set view,
// without reading the rows a second time).
func rollUp(rows []ObjectRow) []ObjectRow {
	at := map[string]int{}
	var out []ObjectRow
	for _, r := range rows {
		if r.ID == "" {
			continue
		}
		i, ok := at[r.CampaignID]
		if !ok {
			i = len(out)
			at[r.CampaignID] = i
			out = append(out, ObjectRow{Level: "campaign", ID: r.CampaignID, AccountID: r.AccountID, CampaignID: r.CampaignID,
				Name: r.CampaignName, CampaignName: r.CampaignName, AccountName: r.AccountName, Currency: r.Currency})
		}
		c := &out[i]
		c.SpendMicros += r.SpendMicros
		c.Impressions += r.Impressions
		c.Clicks += r.Clicks
		c.AttributedLeads += r.AttributedLeads
		c.Conversations += r.Conversations
		c.LoggedLeads += r.LoggedLeads
	}
	sortRows(out)
	return out
}

// accountsOf adds CTX campaign rows up to their accounts (the account table of a CTX-only
// view); the unattributed row stays as it is, last.
func accountsOf(campaigns []ObjectRow) []ObjectRow {
	at := map[string]int{}
	var out []ObjectRow
	var rest []ObjectRow
	for _, r := range campaigns {
		if r.ID == "" {
			rest = append(rest, ObjectRow{Level: "account", LoggedLeads: r.LoggedLeads})
			continue
		}
		i, ok := at[r.AccountID]
		if !ok {
			i = len(out)
			at[r.AccountID] = i
			out = append(out, ObjectRow{Level: "account", ID: r.AccountID, AccountID: r.AccountID, Name: r.AccountName,
				AccountName: r.AccountName, Currency: r.Currency, IsCTX: true})
		}
		a := &out[i]
		a.SpendMicros += r.SpendMicros
		a.Impressions += r.Impressions
		a.Clicks += r.Clicks
		a.AttributedLeads += r.AttributedLeads
		a.Conversations += r.Conversations
		a.LoggedLeads += r.LoggedLeads
	}
	sortRows(out)
	return append(out, rest...)
}

// top keeps the n objects with the most attributed leads (rows are already in that order); the
// unattributed row is not an object and is left out.
func top(rows []ObjectRow, n int) []ObjectRow {
	out := make([]ObjectRow, 0, n)
	for _, r := range rows {
		if len(out) == n {
			break
		}
		if r.ID != "" {
			out = append(out, r)
		}
	}
	return out
}
