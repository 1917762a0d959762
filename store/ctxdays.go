package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// insights_ctx_days holds each account's CTX campaigns added up per date (migration 00007): the
// days of a CTX-only view without reading every CTX campaign's row of every date.

// errRecheck says a view read from derived tables did not add up: it is read again from the
// daily rows.
var errRecheck = errors.New("store: derived totals disagree; reading the daily rows")

// refreshCTXDays recomputes an account's CTX days in since..until, or every date when since is
// empty, inside the caller's transaction.
func refreshCTXDays(ctx context.Context, tx *sql.Tx, accountID, since, until string) error {
	del := `DELETE FROM insights_ctx_days WHERE account_id = ?`
	period := ``
	args := []any{accountID}
	if since != "" {
		del += ` AND date BETWEEN ? AND ?`
		period = ` AND i.date BETWEEN ? AND ?`
		args = append(args, since, until)
	}
	if _, err := tx.ExecContext(ctx, del, args...); err != nil {
		return fmt.Errorf("store: CTX days: %w", err)
	}
	cols, sums := "", ""
	for i, c := range cumNumbers {
		if i > 0 {
			cols += ", "
			sums += ", "
		}
		cols += c
		sums += "SUM(i." + c + ")"
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO insights_ctx_days (account_id, date, `+cols+`)
		SELECT c.account_id, i.date, `+sums+`
		FROM campaigns c CROSS JOIN insights_daily i
		WHERE c.account_id = ? AND c.is_ctx = 1 AND i.object_id = c.id AND i.level = 'campaign'`+period+`
		GROUP BY c.account_id, i.date`, args...)
	if err != nil {
		return fmt.Errorf("store: CTX days: %w", err)
	}
	return nil
}

// ctxDaysByDay is insightsByDay's CTX-only query over insights_ctx_days.
func ctxDaysByDay(s factScope) (string, []any) {
	return `SELECT d.date AS date, a.currency AS currency, SUM(d.spend_micros) AS spend, SUM(d.impressions) AS impressions,
		SUM(d.clicks) AS clicks, SUM(d.` + s.leadCol + `) AS leads, SUM(d.conversations_started) AS convs
		FROM ad_accounts a CROSS JOIN insights_ctx_days d
		WHERE a.client_id = ? AND d.account_id = a.id AND d.date BETWEEN ? AND ?
		GROUP BY d.date, a.currency`, []any{s.clientID, s.since, s.until}
}
