package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Logged leads are read from the counts the lead_events triggers keep (migration 00006), and
// checked against the events: a view's counted total must equal the events counted in the same
// read transaction, or the events themselves answer.

// loggedDays reads a view's logged leads per day.
func loggedDays(ctx context.Context, tx *sql.Tx, s factScope) (map[string]int64, error) {
	q, args := loggedCountsByDay(s)
	days, err := countsByDay(ctx, tx, q, args)
	if err != nil {
		return nil, err
	}
	var sum, want int64
	for _, n := range days {
		sum += n
	}
	tq, ta := loggedTotal(s)
	if err := tx.QueryRowContext(ctx, tq, ta...).Scan(&want); err != nil {
		return nil, fmt.Errorf("store: dashboard logged total: %w", err)
	}
	if sum == want {
		return days, nil
	}
	q, args = loggedByDay(s)
	return countsByDay(ctx, tx, q, args)
}

func countsByDay(ctx context.Context, tx *sql.Tx, q string, args []any) (map[string]int64, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: dashboard logged days: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var date string
		var n int64
		if err := rows.Scan(&date, &n); err != nil {
			return nil, fmt.Errorf("store: dashboard logged days: %w", err)
		}
		out[date] += n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: dashboard logged days: %w", err)
	}
	return out, nil
}

// loggedByObject counts a view's logged leads per object at its level; the empty key holds the
// unattributed ones: total (the view's logged leads over the period, from loggedDays) minus the
// attributed counts. Should the counts ever exceed the total, the events answer instead.
func loggedByObject(ctx context.Context, tx *sql.Tx, s factScope, total int64) (map[objectKey]int64, error) {
	q, args := loggedCountsByObject(s)
	out, err := loggedObjects(ctx, tx, q, args)
	if err != nil {
		return nil, err
	}
	var attributed int64
	for _, n := range out {
		attributed += n
	}
	switch {
	case attributed > total:
		s.byDate = false
		lq, la := loggedFact(s)
		return loggedObjects(ctx, tx, `SELECT account_id, campaign_id, adset_id, SUM(logged) FROM (`+lq+`) l
			GROUP BY account_id, campaign_id, adset_id`, la)
	case attributed < total:
		out[objectKey{}] += total - attributed
	}
	return out, nil
}

func loggedObjects(ctx context.Context, tx *sql.Tx, q string, args []any) (map[objectKey]int64, error) {
	rs, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: dashboard logged rows: %w", err)
	}
	defer rs.Close()
	out := map[objectKey]int64{}
	for rs.Next() {
		var k objectKey
		var n int64
		if err := rs.Scan(&k.account, &k.campaign, &k.adset, &n); err != nil {
			return nil, fmt.Errorf("store: dashboard logged rows: %w", err)
		}
		out[k] += n
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("store: dashboard logged rows: %w", err)
	}
	return out, nil
}
