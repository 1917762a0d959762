package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
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

// cumCatchUpDays bounds how many days of stale running totals one commit rebuilds (about two
// incremental windows' worth of rows), so no commit holds the writer for a whole history.
const cumCatchUpDays = 62

// updateCum brings an account's running totals at one level up to date after a window
// since..until of insights_daily was replaced (inside the same transaction).
//
// A window at the end of the stored days (the scheduled pass, a back-fill's newest chunk) is
// recomputed from since on. A window with stored days after it (a back-fill's older chunks,
// which come newest first) changes every later total; rewriting them all would make a
// back-fill quadratic and hold the writer for seconds per chunk, so only the window's own totals
// are rewritten and the later ones are marked stale (insights_cum_stale). Stale totals are
// never read (the dashboard sums the daily rows for those views) and are rebuilt oldest first,
// at most cumCatchUpDays per commit, by the commits at the end of the stored days.
func updateCum(ctx context.Context, tx *sql.Tx, accountID, level, since, until string) error {
	var stale string
	err := tx.QueryRowContext(ctx, `SELECT from_date FROM insights_cum_stale WHERE account_id = ? AND level = ?`,
		accountID, level).Scan(&stale)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: running totals: %w", err)
	}
	var later int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM insights_daily
		WHERE account_id = ? AND level = ? AND date > ? LIMIT 1)`, accountID, level, until).Scan(&later); err != nil {
		return fmt.Errorf("store: running totals: %w", err)
	}
	setStale := func(from string) error {
		if from == "" {
			_, err := tx.ExecContext(ctx, `DELETE FROM insights_cum_stale WHERE account_id = ? AND level = ?`, accountID, level)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO insights_cum_stale (account_id, level, from_date) VALUES (?, ?, ?)
			ON CONFLICT (account_id, level) DO UPDATE SET from_date = excluded.from_date`, accountID, level, from)
		return err
	}
	switch {
	case stale != "" && stale <= since:
		// The window is inside the stale range: the catch-up below reaches it.
	case later > 0:
		if err := refreshCum(ctx, tx, accountID, level, since, until); err != nil {
			return err
		}
		if next := dayAfter(until); stale == "" || next < stale {
			stale = next
			if err := setStale(stale); err != nil {
				return fmt.Errorf("store: running totals: %w", err)
			}
		}
		return nil
	default:
		if err := refreshCum(ctx, tx, accountID, level, since, ""); err != nil {
			return err
		}
		if stale != "" {
			// Stale totals were all after since: rewritten now.
			return setStale("")
		}
		return nil
	}
	// Catch up: rebuild the oldest stale days; their base (the totals before them) is sound.
	t, err := time.Parse(DateLayout, stale)
	if err != nil {
		return fmt.Errorf("store: running totals: stale from %q: %w", stale, err)
	}
	end := t.AddDate(0, 0, cumCatchUpDays-1).Format(DateLayout)
	var more int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM insights_daily
		WHERE account_id = ? AND level = ? AND date > ? LIMIT 1)`, accountID, level, end).Scan(&more); err != nil {
		return fmt.Errorf("store: running totals: %w", err)
	}
	if more == 0 {
		if err := refreshCum(ctx, tx, accountID, level, stale, ""); err != nil {
			return err
		}
		return setStale("")
	}
	if err := refreshCum(ctx, tx, accountID, level, stale, end); err != nil {
		return err
	}
	return setStale(dayAfter(end))
}

// refreshCum recomputes the running totals of an account's rows at one level from date since
// to until (to the last stored day when until is empty), from the totals before since.
// Totals of objects gone from a restated day go with the day.
func refreshCum(ctx context.Context, tx *sql.Tx, accountID, level, since, until string) error {
	del := `DELETE FROM insights_cum WHERE account_id = ? AND level = ? AND date >= ?`
	period := ` AND d.date >= ?`
	args := []any{accountID, level, since}
	if until != "" {
		del += ` AND date <= ?`
		period += ` AND d.date <= ?`
		args = append(args, until)
	}
	if _, err := tx.ExecContext(ctx, del, args...); err != nil {
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
		WHERE d.account_id = ? AND d.level = ?`+period+`
		WINDOW w AS (PARTITION BY d.object_id ORDER BY d.date ROWS UNBOUNDED PRECEDING)`,
		append([]any{since}, args...)...)
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

// cumStale reports whether any running totals a table over s would read are stale: s's level
// (campaigns for CTX accounts) of the client's accounts, from a date up to s.until.
func cumStale(ctx context.Context, tx *sql.Tx, s factScope) (bool, error) {
	level := s.level
	if level == "account" && (s.ctxOnly || s.campaignID != "") {
		level = "campaign"
	}
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM insights_cum_stale
		WHERE account_id IN `+clientAccounts+` AND level = ? AND from_date <= ?`, s.clientID, level, s.until).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: running totals: %w", err)
	}
	return n > 0, nil
}

// insightsByObjectDaily is insightsByObject summing the daily rows (one index entry per object
// per day) instead of reading running totals: for views whose totals are being rebuilt.
func insightsByObjectDaily(s factScope) (string, []any) {
	cols := `SUM(i.spend_micros), SUM(i.impressions), SUM(i.clicks), SUM(i.` + s.leadCol + `), SUM(i.conversations_started)`
	period := ` AND i.date BETWEEN ? AND ?`
	if s.level == "adset" {
		// Ad sets in (account, id) order, the campaign filter checked per ad set: a loop over
		// campaigns, then their ad sets, would make SQLite sort the groups again.
		q := `SELECT o.account_id, o.campaign_id, o.id, o.name, o.effective_status, o.is_ctx, '', ` + cols + `
			FROM adsets o CROSS JOIN insights_daily i
			WHERE o.account_id IN ` + clientAccounts
		args := []any{s.clientID}
		switch {
		case s.campaignID != "":
			q += ` AND o.campaign_id = ?`
			args = append(args, s.campaignID)
		case s.ctxOnly:
			q += ` AND o.campaign_id IN (SELECT id FROM campaigns WHERE is_ctx = 1)`
		}
		return q + ` AND i.object_id = o.id AND i.level = 'adset'` + period + `
			GROUP BY o.account_id, o.id`, append(args, s.since, s.until)
	}
	campaigns := ` c.account_id IN ` + clientAccounts
	args := []any{s.clientID}
	switch {
	case s.campaignID != "":
		campaigns += ` AND c.id = ?`
		args = append(args, s.campaignID)
	case s.ctxOnly:
		campaigns += ` AND c.is_ctx = 1`
	}
	switch {
	case s.level == "campaign":
		return `SELECT c.account_id, c.id, '', c.name, c.effective_status, c.is_ctx, c.name, ` + cols + `
			FROM campaigns c CROSS JOIN insights_daily i
			WHERE` + campaigns + ` AND i.object_id = c.id AND i.level = 'campaign'` + period + `
			GROUP BY c.account_id, c.id`, append(args, s.since, s.until)
	case s.ctxOnly || s.campaignID != "":
		// An account's CTX numbers are the sums of its CTX campaigns' rows.
		return `SELECT c.account_id, '', '', '', '', 1, '', ` + cols + `
			FROM campaigns c CROSS JOIN insights_daily i
			WHERE` + campaigns + ` AND i.object_id = c.id AND i.level = 'campaign'` + period + `
			GROUP BY c.account_id`, append(args, s.since, s.until)
	}
	return `SELECT o.id, '', '', '', '', 0, '', ` + cols + `
		FROM ad_accounts o CROSS JOIN insights_daily i
		WHERE o.client_id = ? AND i.account_id = o.id AND i.level = 'account'` + period + `
		GROUP BY o.id`, []any{s.clientID, s.since, s.until}
}
