package store

import (
	"context"
	"database/sql"
	"fmt"
)

// insights_cum holds, for every insights_daily row, the sums of its object's rows up to and
// including its date (migration 00005). A period's sum per object is then the running total at
// the object's last row in the period minus the one at its last row before the period: two
// index lookups per object however long the period, where summing the daily rows reads one
// index entry per object per day.

// cumNumbers are the insights columns kept as running totals: every number a dashboard sums
// (leadColumn's columns included).
var cumNumbers = []string{"spend_micros", "impressions", "clicks", "conversations_started",
	"leads_grouped", "leads_all", "leads_pixel", "first_replies", "messaging_connections"}

// refreshCum recomputes the running totals of an account's rows at one level from date since
// on, after insights_daily changed there (inside the same transaction). Totals before since do
// not depend on those rows and stay; every later one is rewritten, whether its day was in the
// window or after it (a back-fill chunk older than stored days), and totals of objects gone
// from a restated day go with the day.
func refreshCum(ctx context.Context, tx *sql.Tx, accountID, level, since string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM insights_cum WHERE account_id = ? AND level = ? AND date >= ?`,
		accountID, level, since); err != nil {
		return fmt.Errorf("store: running totals: %w", err)
	}
	cols, sums := "", ""
	for _, c := range cumNumbers {
		cols += ", " + c
		sums += ", COALESCE(b." + c + ", 0) + SUM(d." + c + ") OVER w"
	}
	// b is the object's last running total before since: its base. A window function keeps the
	// statement standard SQL.
	_, err := tx.ExecContext(ctx, `INSERT INTO insights_cum (object_id, level, account_id, date`+cols+`)
		SELECT d.object_id, d.level, d.account_id, d.date`+sums+`
		FROM insights_daily d
		LEFT JOIN insights_cum b ON b.object_id = d.object_id AND b.level = d.level AND b.account_id = d.account_id
			AND b.date = (SELECT max(m.date) FROM insights_cum m
				WHERE m.object_id = d.object_id AND m.level = d.level AND m.account_id = d.account_id AND m.date < ?)
		WHERE d.account_id = ? AND d.level = ? AND d.date >= ?
		WINDOW w AS (PARTITION BY d.object_id ORDER BY d.date ROWS UNBOUNDED PRECEDING)`,
		since, accountID, level, since)
	if err != nil {
		return fmt.Errorf("store: running totals: %w", err)
	}
	return nil
}

// cumObject is the FROM fragment that reads one object's sums over a period from the running
// totals: e is its last total up to the period's end (cumWhere), b its last total before the
// period (none: zero). id and account are the driving table's columns naming the object; the
// fragment takes one parameter, the period's first date.
func cumObject(id, account, level string) string {
	return ` CROSS JOIN insights_cum e LEFT JOIN insights_cum b ON b.object_id = ` + id + ` AND b.level = '` + level + `'
			AND b.account_id = ` + account + `
			AND b.date = (SELECT max(m.date) FROM insights_cum m WHERE m.object_id = ` + id + ` AND m.level = '` + level + `'
				AND m.account_id = ` + account + ` AND m.date < ?)`
}

// cumWhere ties e to the driving object: its last total up to the period's end, kept only when
// that row is in the period (an object without rows in the period has no table row). It takes
// two parameters: the period's last date, then its first.
func cumWhere(id, account, level string) string {
	return ` AND e.object_id = ` + id + ` AND e.level = '` + level + `' AND e.account_id = ` + account + `
		AND e.date = (SELECT max(m.date) FROM insights_cum m WHERE m.object_id = ` + id + ` AND m.level = '` + level + `'
			AND m.account_id = ` + account + ` AND m.date <= ?)
		AND e.date >= ?`
}

// cumSums is the period's sums of the table's columns (spend, impressions, clicks, leads,
// conversations), each e.col − b.col; summed again when rows are grouped.
func cumSums(leadCol string, grouped bool) string {
	out := ""
	for i, c := range []string{"spend_micros", "impressions", "clicks", leadCol, "conversations_started"} {
		d := `e.` + c + ` - COALESCE(b.` + c + `, 0)`
		if grouped {
			d = `SUM(` + d + `)`
		}
		if i > 0 {
			out += ", "
		}
		out += d
	}
	return out
}
