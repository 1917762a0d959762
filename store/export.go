package store

import (
	"context"
	"database/sql"
	"fmt"
)

// ExportQuery selects the rows of a CSV export: one client, one level, a date range, every
// campaign or only CTX ones.
type ExportQuery struct {
	ClientID       int64
	LeadActionType string // the client's lead definition
	Level          string // account, campaign or adset
	CTXOnly        bool
	Since, Until   string
}

// ExportRow is one object's day at the export's level. An unattributed row (logged leads that
// cannot be attributed at the level) has empty ids.
type ExportRow struct {
	Date         string // YYYY-MM-DD: the account's date for insights, the client's for logged leads
	AccountID    string
	CampaignID   string
	CampaignName string
	AdSetID      string
	AdSetName    string
	// CTX is the campaign's flag on campaign rows, the ad set's own destination on ad-set rows,
	// and for account rows whether the row counts only CTX campaigns.
	CTX             bool
	Currency        string
	SpendMicros     int64
	Impressions     int64
	Clicks          int64
	AttributedLeads int64
	Conversations   int64
	LoggedLeads     int64
}

// ExportRows streams the rows of an export to fn, ordered by date, then account, campaign and
// ad set id, in one read transaction. It reads the rows the reference way (every row Meta sent,
// known object or not), so its sums are the ground truth the dashboard's are checked against.
func (db *DB) ExportRows(ctx context.Context, q ExportQuery, fn func(ExportRow) error) error {
	col, err := leadColumn(q.LeadActionType)
	if err != nil {
		return err
	}
	if err := ValidateLevel(q.Level); err != nil {
		return err
	}
	if err := validRange(q.Since, q.Until); err != nil {
		return err
	}
	s := factScope{clientID: q.ClientID, level: q.Level, ctxOnly: q.CTXOnly, since: q.Since, until: q.Until, leadCol: col, byDate: true}
	iq, ia := insightsRows(s)
	lq, la := loggedFact(s)
	ctxCol := "COALESCE(c.is_ctx, 0)"
	switch q.Level {
	case "account":
		ctxCol = "0"
		if q.CTXOnly {
			ctxCol = "CASE WHEN g.account_id <> '' THEN 1 ELSE 0 END"
		}
	case "adset":
		ctxCol = "COALESCE(s.is_ctx, 0)"
	}
	query := `SELECT g.date, g.account_id, g.campaign_id, COALESCE(c.name, ''), g.adset_id, COALESCE(s.name, ''),
			` + ctxCol + `, COALESCE(a.currency, ''), g.spend, g.impressions, g.clicks, g.leads, g.convs, g.logged
		FROM (SELECT date, account_id, campaign_id, adset_id, ` + sums + `
			FROM (` + iq + `
				UNION ALL
				` + lq + `) u
			GROUP BY date, account_id, campaign_id, adset_id) g
		LEFT JOIN ad_accounts a ON a.id = g.account_id
		LEFT JOIN campaigns c ON c.id = g.campaign_id
		LEFT JOIN adsets s ON s.id = g.adset_id
		ORDER BY g.date, g.account_id, g.campaign_id, g.adset_id`
	return db.readTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, query, append(ia, la...)...)
		if err != nil {
			return fmt.Errorf("store: export: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var r ExportRow
			if err := rows.Scan(&r.Date, &r.AccountID, &r.CampaignID, &r.CampaignName, &r.AdSetID, &r.AdSetName, &r.CTX,
				&r.Currency, &r.SpendMicros, &r.Impressions, &r.Clicks, &r.AttributedLeads, &r.Conversations, &r.LoggedLeads); err != nil {
				return fmt.Errorf("store: export: %w", err)
			}
			if err := fn(r); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: export: %w", err)
		}
		return nil
	})
}
