package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Action type names with a column of their own in insights_daily.
const (
	ActionLeadGrouped          = "onsite_conversion.lead_grouped"
	ActionLead                 = "lead"
	ActionPixelLead            = "offsite_conversion.fb_pixel_lead"
	ActionConversationsStarted = "onsite_conversion.messaging_conversation_started_7d"
	ActionFirstReply           = "onsite_conversion.messaging_first_reply"
	ActionMessagingConnection  = "onsite_conversion.total_messaging_connection"
	ActionLinkClick            = "link_click"
)

// InsightRow is one object's numbers for one day at one level, as Meta answered them.
type InsightRow struct {
	Level       string // account, campaign, adset
	Date        string // YYYY-MM-DD in the account's timezone
	ObjectID    string // the account, campaign or ad set id
	CampaignID  string // "" at account level
	AdSetID     string // "" above ad-set level
	SpendMicros int64
	Impressions int64
	Clicks      int64
	// Actions holds every action type Meta sent with its value; absent means zero.
	Actions map[string]int64
}

// WindowLoad stages one account's rows for a window (every level of it) and swaps them in
// atomically on Commit. Until Commit nothing readers see changes; Abort (or a crash) leaves the
// stored window as it was.
type WindowLoad struct {
	db        *DB
	id        int64
	accountID string
	since     string
	until     string
	rows      int64
}

// BeginWindow starts staging rows of accountID for the dates since..until (inclusive).
func (db *DB) BeginWindow(ctx context.Context, accountID, since, until string) (*WindowLoad, error) {
	s, err := time.Parse(DateLayout, since)
	if err != nil {
		return nil, invalid("since", "%q is not a date (YYYY-MM-DD)", since)
	}
	u, err := time.Parse(DateLayout, until)
	if err != nil {
		return nil, invalid("until", "%q is not a date (YYYY-MM-DD)", until)
	}
	if u.Before(s) {
		return nil, invalid("until", "%s is before since %s", until, since)
	}
	l := &WindowLoad{db: db, accountID: accountID, since: since, until: until}
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO insights_loads (account_id, since, until, started_at) VALUES (?, ?, ?, ?)`,
			accountID, since, until, FormatTime(db.now()))
		if err != nil {
			return fmt.Errorf("store: begin window: %w", err)
		}
		l.id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// ID identifies the load (for logs).
func (l *WindowLoad) ID() int64 { return l.id }

// Rows is how many rows were staged so far.
func (l *WindowLoad) Rows() int64 { return l.rows }

// Add stages rows in one short transaction. A row repeated (a retried page) replaces its twin.
func (l *WindowLoad) Add(ctx context.Context, rows []InsightRow) error {
	if len(rows) == 0 {
		return nil
	}
	for i := range rows {
		r := &rows[i]
		if err := ValidateLevel(r.Level); err != nil {
			return err
		}
		if r.Date < l.since || r.Date > l.until {
			return fmt.Errorf("store: row for %s %s on %s is outside the window %s..%s", r.Level, r.ObjectID, r.Date, l.since, l.until)
		}
	}
	err := l.db.writeTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO insights_staging (load_id, level, date, object_id, campaign_id, adset_id,
			spend_micros, impressions, clicks, leads_grouped, leads_all, leads_pixel, conversations_started, first_replies,
			messaging_connections, link_clicks, actions)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (load_id, level, date, object_id) DO UPDATE SET
			campaign_id = excluded.campaign_id, adset_id = excluded.adset_id, spend_micros = excluded.spend_micros,
			impressions = excluded.impressions, clicks = excluded.clicks, leads_grouped = excluded.leads_grouped,
			leads_all = excluded.leads_all, leads_pixel = excluded.leads_pixel,
			conversations_started = excluded.conversations_started, first_replies = excluded.first_replies,
			messaging_connections = excluded.messaging_connections, link_clicks = excluded.link_clicks, actions = excluded.actions`)
		if err != nil {
			return fmt.Errorf("store: stage rows: %w", err)
		}
		defer stmt.Close()
		for _, r := range rows {
			acts, err := encodeActions(r.Actions)
			if err != nil {
				return err
			}
			a := r.Actions
			if _, err := stmt.ExecContext(ctx, l.id, r.Level, r.Date, r.ObjectID, r.CampaignID, r.AdSetID,
				r.SpendMicros, r.Impressions, r.Clicks, a[ActionLeadGrouped], a[ActionLead], a[ActionPixelLead],
				a[ActionConversationsStarted], a[ActionFirstReply], a[ActionMessagingConnection], a[ActionLinkClick], acts); err != nil {
				return fmt.Errorf("store: stage rows: %w", err)
			}
		}
		return nil
	})
	if err == nil {
		l.rows += int64(len(rows))
	}
	return err
}

// encodeActions writes the action map as a JSON object with sorted keys (stable bytes).
func encodeActions(m map[string]int64) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return "", fmt.Errorf("store: encode actions: %w", err)
		}
		b.Write(kb)
		fmt.Fprintf(&b, ":%d", m[k])
	}
	b.WriteByte('}')
	return b.String(), nil
}

// CommitResult says what a window swap changed.
type CommitResult struct {
	RowsWritten int64 // rows now stored for the window
	RowsRemoved int64 // rows the window held before
	Days        int   // days × levels recorded as read
}

// Commit replaces, in one transaction, every stored row of the account for the given levels and
// the window's dates with the staged rows, brings the running totals (insights_cum) of those
// levels up to date from the window's first date on and the CTX days (insights_ctx_days) of the
// window's dates, and records each (level, date) as read at now.
func (l *WindowLoad) Commit(ctx context.Context, levels []string, runID int64) (CommitResult, error) {
	var res CommitResult
	for _, lv := range levels {
		if err := ValidateLevel(lv); err != nil {
			return res, err
		}
	}
	if len(levels) == 0 {
		return res, errors.New("store: commit window: no levels")
	}
	dates, err := datesBetween(l.since, l.until)
	if err != nil {
		return res, err
	}
	now := FormatTime(l.db.now())
	ph := strings.TrimSuffix(strings.Repeat("?,", len(levels)), ",")
	err = l.db.writeTx(ctx, func(tx *sql.Tx) error {
		args := []any{l.accountID}
		for _, lv := range levels {
			args = append(args, lv)
		}
		args = append(args, l.since, l.until)
		del, err := tx.ExecContext(ctx, `DELETE FROM insights_daily WHERE account_id = ? AND level IN (`+ph+`) AND date BETWEEN ? AND ?`, args...)
		if err != nil {
			return fmt.Errorf("store: commit window: %w", err)
		}
		res.RowsRemoved, _ = del.RowsAffected()
		insArgs := []any{l.accountID, now, l.id}
		for _, lv := range levels {
			insArgs = append(insArgs, lv)
		}
		ins, err := tx.ExecContext(ctx, `INSERT INTO insights_daily (account_id, level, date, object_id, campaign_id, adset_id,
			spend_micros, impressions, clicks, leads_grouped, leads_all, leads_pixel, conversations_started, first_replies,
			messaging_connections, link_clicks, actions, fetched_at)
			SELECT ?, level, date, object_id, campaign_id, adset_id, spend_micros, impressions, clicks, leads_grouped, leads_all,
			leads_pixel, conversations_started, first_replies, messaging_connections, link_clicks, actions, ?
			FROM insights_staging WHERE load_id = ? AND level IN (`+ph+`)`, insArgs...)
		if err != nil {
			return fmt.Errorf("store: commit window: %w", err)
		}
		res.RowsWritten, _ = ins.RowsAffected()
		for _, lv := range levels {
			if err := updateCum(ctx, tx, l.accountID, lv, l.since, l.until); err != nil {
				return err
			}
			if lv == "campaign" {
				if err := refreshCTXDays(ctx, tx, l.accountID, l.since, l.until); err != nil {
					return err
				}
			}
		}
		day, err := tx.PrepareContext(ctx, `INSERT INTO insight_days (account_id, level, date, fetched_at, run_id) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (account_id, level, date) DO UPDATE SET fetched_at = excluded.fetched_at, run_id = excluded.run_id`)
		if err != nil {
			return fmt.Errorf("store: commit window: %w", err)
		}
		defer day.Close()
		var run any
		if runID != 0 {
			run = runID
		}
		for _, lv := range levels {
			for _, d := range dates {
				if _, err := day.ExecContext(ctx, l.accountID, lv, d, now, run); err != nil {
					return fmt.Errorf("store: commit window: %w", err)
				}
				res.Days++
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM insights_staging WHERE load_id = ?`, l.id); err != nil {
			return fmt.Errorf("store: commit window: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM insights_loads WHERE id = ?`, l.id); err != nil {
			return fmt.Errorf("store: commit window: %w", err)
		}
		return nil
	})
	return res, err
}

// Abort drops the staged rows; the stored window is untouched. It uses a fresh context so a
// cancelled pass still cleans up.
func (l *WindowLoad) Abort() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return l.db.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM insights_staging WHERE load_id = ?`, l.id); err != nil {
			return fmt.Errorf("store: abort window: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM insights_loads WHERE id = ?`, l.id); err != nil {
			return fmt.Errorf("store: abort window: %w", err)
		}
		return nil
	})
}

// CleanStaleLoads removes staging left by a process that died mid-pass (at start-up, before
// any pass runs).
func (db *DB) CleanStaleLoads(ctx context.Context) (int64, error) {
	var n int64
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM insights_staging`)
		if err != nil {
			return fmt.Errorf("store: clean staging: %w", err)
		}
		n, _ = res.RowsAffected()
		_, err = tx.ExecContext(ctx, `DELETE FROM insights_loads`)
		return err
	})
	return n, err
}

func datesBetween(since, until string) ([]string, error) {
	s, err := time.Parse(DateLayout, since)
	if err != nil {
		return nil, invalid("since", "%q is not a date (YYYY-MM-DD)", since)
	}
	u, err := time.Parse(DateLayout, until)
	if err != nil {
		return nil, invalid("until", "%q is not a date (YYYY-MM-DD)", until)
	}
	var out []string
	for d := s; !d.After(u); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(DateLayout))
	}
	return out, nil
}

// InsightRows returns the stored rows of an account and level in a date range, ordered by date
// and object id (tests and the CSV export compare them with ground truth).
func (db *DB) InsightRows(ctx context.Context, accountID, level, since, until string) ([]InsightRow, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT level, date, object_id, campaign_id, adset_id, spend_micros, impressions, clicks, actions
		FROM insights_daily WHERE account_id = ? AND level = ? AND date BETWEEN ? AND ? ORDER BY date, object_id`,
		accountID, level, since, until)
	if err != nil {
		return nil, fmt.Errorf("store: insight rows: %w", err)
	}
	defer rows.Close()
	var out []InsightRow
	for rows.Next() {
		var r InsightRow
		var acts string
		if err := rows.Scan(&r.Level, &r.Date, &r.ObjectID, &r.CampaignID, &r.AdSetID, &r.SpendMicros, &r.Impressions, &r.Clicks, &acts); err != nil {
			return nil, fmt.Errorf("store: insight rows: %w", err)
		}
		if err := json.Unmarshal([]byte(acts), &r.Actions); err != nil {
			return nil, fmt.Errorf("store: insight rows: actions of %s %s: %w", r.ObjectID, r.Date, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: insight rows: %w", err)
	}
	return out, nil
}

// DayRead is when one (account, level, date) was last read from Meta.
type DayRead struct {
	Level     string
	Date      string
	FetchedAt time.Time
}

// DaysRead lists which days of an account were read, for planning back-fills and marking
// provisional days.
func (db *DB) DaysRead(ctx context.Context, accountID string) ([]DayRead, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT level, date, fetched_at FROM insight_days WHERE account_id = ? ORDER BY date, level`, accountID)
	if err != nil {
		return nil, fmt.Errorf("store: days read: %w", err)
	}
	defer rows.Close()
	var out []DayRead
	for rows.Next() {
		var d DayRead
		var at string
		if err := rows.Scan(&d.Level, &d.Date, &at); err != nil {
			return nil, fmt.Errorf("store: days read: %w", err)
		}
		d.FetchedAt, _ = ParseTime(at)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: days read: %w", err)
	}
	return out, nil
}

// HasDaysRead reports whether any day of the account was ever read (false: back-fill it).
func (db *DB) HasDaysRead(ctx context.Context, accountID string) (bool, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM insight_days WHERE account_id = ? LIMIT 1)`, accountID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: days read: %w", err)
	}
	return n > 0, nil
}
