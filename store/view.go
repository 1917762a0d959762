package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// A view is read in two read transactions at once, one per source: Meta's numbers (insights,
// objects, names) in one, the logged events in the other. Each source's numbers come from one
// snapshot, so what must agree does: the attributed tiles, charts and table column are read
// together and checked against each other, and the logged tiles, chart line and table column
// are read together and add up (the unattributed row is the total minus the attributed). The
// two sources are independent data; reading them a moment apart is the same as the request
// arriving a moment earlier for one of them. On two cores this takes the logged side (a third
// to a half of a large view's reading) off the critical path.

// Dashboard reads one view of a client.
func (db *DB) Dashboard(ctx context.Context, q DashboardQuery) (Dashboard, error) {
	var out Dashboard
	col, err := leadColumn(q.LeadActionType)
	if err != nil {
		return out, err
	}
	if err := ValidateLevel(q.Level); err != nil {
		return out, err
	}
	if q.CampaignID != "" && q.Level != "adset" {
		return out, invalid("level", "a campaign's page lists its ad sets (level adset), not %q", q.Level)
	}
	if err := validRange(q.Since, q.Until); err != nil {
		return out, err
	}
	compare := q.CompareSince != "" || q.CompareUntil != ""
	if compare {
		if err := validRange(q.CompareSince, q.CompareUntil); err != nil {
			return out, err
		}
	}
	topN := q.TopN
	if topN <= 0 {
		topN = 10
	}
	base := factScope{clientID: q.ClientID, level: q.Level, ctxOnly: q.CTXOnly && q.CampaignID == "",
		campaignID: q.CampaignID, since: q.Since, until: q.Until, leadCol: col}
	base.ctxDays = base.ctxOnly
	p := planView(q, base)

	// The logged side's transaction is begun first: the goroutine then never waits for a
	// connection while this one holds one and waits for it.
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ltx, err := db.r.BeginTx(lctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return out, fmt.Errorf("store: begin read: %w", err)
	}
	logged := make(chan loggedResult, 1)
	go func() {
		defer ltx.Rollback() //nolint:errcheck // read-only: nothing to lose
		var r loggedResult
		r.side, r.err = readLogged(lctx, ltx, p)
		logged <- r
	}()
	var got *loggedResult
	wait := func() (loggedSide, error) {
		if got == nil {
			r := <-logged
			got = &r
		}
		return got.side, got.err
	}
	err = db.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = readView(ctx, tx, q, p, topN, wait)
		if errors.Is(err, errRecheck) {
			// The derived CTX days and the table disagree: read the days from the rows.
			p.noCTXDays()
			out, err = readView(ctx, tx, q, p, topN, wait)
		}
		return err
	})
	if got == nil {
		cancel()
		<-logged
	}
	return out, err
}

// viewPlan is what a view reads: the days (one span, or two periods when the comparison is not
// adjacent) and the tables (the view's level, and the campaigns for the top-campaigns chart when
// the table does not give them).
type viewPlan struct {
	spans  []factScope
	tables []factScope
	// accountsOfCampaigns: the table is CTX accounts, the sums of the campaign table (tables[0]).
	accountsOfCampaigns bool
}

func planView(q DashboardQuery, base factScope) viewPlan {
	var p viewPlan
	span := base
	compare := q.CompareSince != "" || q.CompareUntil != ""
	// One read of the days covers the comparison period too when it is adjacent (the usual
	// "previous period"); otherwise each period is read on its own.
	if compare && dayAfter(q.CompareUntil) == q.Since {
		span.since = q.CompareSince
	}
	p.spans = append(p.spans, span)
	if compare && span.since != q.CompareSince {
		cs := base
		cs.since, cs.until = q.CompareSince, q.CompareUntil
		p.spans = append(p.spans, cs)
	}
	campaigns := base
	campaigns.level = "campaign"
	switch {
	case q.Level == "account" && base.ctxOnly:
		// CTX accounts are the sums of their CTX campaigns: read the campaigns once, for the
		// chart of the top ones and, added up, for the table.
		p.tables, p.accountsOfCampaigns = []factScope{campaigns}, true
	case q.Level == "account":
		p.tables = []factScope{base, campaigns}
	default:
		p.tables = []factScope{base}
	}
	return p
}

func (p *viewPlan) noCTXDays() {
	for i := range p.spans {
		p.spans[i].ctxDays = false
	}
	for i := range p.tables {
		p.tables[i].ctxDays = false
	}
}

// loggedSide is a view's logged leads: per day over its spans, and per object of each table.
type loggedSide struct {
	days    map[string]int64
	objects []map[objectKey]int64 // one per viewPlan.tables
}

type loggedResult struct {
	side loggedSide
	err  error
}

// readLogged reads the logged side of a view in the caller's read transaction.
func readLogged(ctx context.Context, tx *sql.Tx, p viewPlan) (loggedSide, error) {
	out := loggedSide{days: map[string]int64{}}
	for _, s := range p.spans {
		days, err := loggedDays(ctx, tx, s)
		if err != nil {
			return out, err
		}
		for d, n := range days {
			out.days[d] += n
		}
	}
	for _, t := range p.tables {
		var total int64
		for d, n := range out.days {
			if d >= t.since && d <= t.until {
				total += n
			}
		}
		objects, err := loggedByObject(ctx, tx, t, total)
		if err != nil {
			return out, err
		}
		out.objects = append(out.objects, objects)
	}
	return out, nil
}

// readView reads Meta's side of a view in the caller's read transaction, then joins the logged
// side that wait answers.
func readView(ctx context.Context, tx *sql.Tx, q DashboardQuery, p viewPlan, topN int, wait func() (loggedSide, error)) (Dashboard, error) {
	var out Dashboard
	var err error
	if out.Status, err = clientStatus(ctx, tx, q.ClientID); err != nil {
		return out, err
	}
	accounts := map[string]AdAccount{}
	for _, a := range out.Status.Accounts {
		accounts[a.ID] = a.AdAccount
	}
	days := map[string]*dayAgg{}
	for _, s := range p.spans {
		more, err := insightsDays(ctx, tx, s)
		if err != nil {
			return out, err
		}
		for d, v := range more {
			days[d] = v
		}
	}
	// Meta's totals, for checking the tables; the logged ones are added below.
	want := sumDays(days, q.Since, q.Until)
	tables := make([]table, len(p.tables))
	for i, s := range p.tables {
		if tables[i], err = startTable(ctx, tx, s, accounts, want); err != nil {
			return out, err
		}
	}
	logged, err := wait()
	if err != nil {
		return out, err
	}
	addLogged(days, logged.days)
	out.Totals = sumDays(days, q.Since, q.Until)
	if q.CompareSince != "" || q.CompareUntil != "" {
		t := sumDays(days, q.CompareSince, q.CompareUntil)
		out.Compare = &t
	}
	for _, c := range out.Totals.Spend {
		out.Currencies = append(out.Currencies, c.Currency)
	}
	if out.Days, err = denseDays(days, q.Since, q.Until, out.Currencies); err != nil {
		return out, err
	}
	rows := make([][]ObjectRow, len(tables))
	for i, t := range tables {
		if rows[i], err = finishTable(ctx, tx, t, logged.objects[i], accounts); err != nil {
			return out, err
		}
	}
	switch {
	case p.accountsOfCampaigns:
		out.Rows, out.Top = accountsOf(rows[0]), top(rows[0], topN)
	case len(rows) == 2:
		out.Rows, out.Top = rows[0], top(rows[1], topN)
	case q.Level == "adset" && q.CampaignID == "":
		out.Rows, out.Top = rows[0], top(rollUp(rows[0]), topN)
	default:
		out.Rows, out.Top = rows[0], top(rows[0], topN)
	}
	return out, nil
}
