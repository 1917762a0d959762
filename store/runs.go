package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Run triggers, as SPEC spells them.
const (
	TriggerSchedule = "schedule"
	TriggerManual   = "manual"
	TriggerBackfill = "backfill"
	TriggerCLI      = "cli"
)

// Run statuses. A run account uses RunPending, RunRunning, RunSucceeded, RunFailed and
// RunCancelled; a run uses every status but RunPending.
const (
	RunPending   = "pending"
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunPartial   = "partial"
	RunFailed    = "failed"
	RunCancelled = "cancelled"
)

// InterruptedRunError is the error text of a run found 'running' when the process starts: the
// process that ran it is gone.
const InterruptedRunError = "interrupted: the process stopped during the run"

// Run is one collector pass as recorded.
type Run struct {
	ID        int64
	Trigger   string
	StartedBy string
	// ClientID is the client the run was limited to (0: not limited to one client).
	ClientID int64
	// AccountIDs are the ad accounts the run was limited to (empty: every account in scope).
	AccountIDs     []string
	Since, Until   string // an explicit window, "" for planned windows
	Status         string
	APIVersion     string
	GraphCalls     int64
	RowsWritten    int64
	ThrottleWaitMS int64
	Error          string
	StartedAt      time.Time
	FinishedAt     time.Time    // zero while running
	Accounts       []RunAccount // filled by RunByID only
}

// Duration is how long the run took (so far, while it runs).
func (r Run) Duration(now time.Time) time.Duration {
	if r.FinishedAt.IsZero() {
		return now.Sub(r.StartedAt)
	}
	return r.FinishedAt.Sub(r.StartedAt)
}

// RunAccount is one ad account's part of a run.
type RunAccount struct {
	RunID          int64
	AccountID      string
	Status         string
	Step           string // what it was doing last, e.g. "insights adset 2026-10-01..2026-10-28"
	Since, Until   string // the widest window planned for the account
	GraphCalls     int64
	RowsWritten    int64
	ThrottleWaitMS int64
	Error          string // what went wrong, as Meta said it
	ErrorCode      int    // Meta's error code, 0 when none
	Advice         string // what a person should do about Error
	StartedAt      time.Time
	FinishedAt     time.Time
}

// NewRun is what CreateRun records.
type NewRun struct {
	Trigger    string
	StartedBy  string
	ClientID   int64
	AccountIDs []string // the scope asked for; "" entries are ignored
	Since      string
	Until      string
	APIVersion string
	// Pending are the accounts the run will read; each gets a 'pending' run_accounts row.
	Pending []string
}

// RunTotals are a finished run's figures.
type RunTotals struct {
	Status         string
	GraphCalls     int64
	RowsWritten    int64
	ThrottleWaitMS int64
	Error          string
}

func validTrigger(t string) error {
	switch t {
	case TriggerSchedule, TriggerManual, TriggerBackfill, TriggerCLI:
		return nil
	}
	return invalid("trigger", "%q is not a run trigger: use schedule, manual, backfill or cli", t)
}

// CreateRun records a run as running, with a pending row per account, in one transaction.
func (db *DB) CreateRun(ctx context.Context, nr NewRun) (Run, error) {
	if err := validTrigger(nr.Trigger); err != nil {
		return Run{}, err
	}
	r := Run{Trigger: nr.Trigger, StartedBy: nr.StartedBy, ClientID: nr.ClientID, Since: nr.Since, Until: nr.Until,
		Status: RunRunning, APIVersion: nr.APIVersion, StartedAt: db.now().UTC().Truncate(time.Millisecond)}
	for _, a := range nr.AccountIDs {
		if a = strings.TrimSpace(a); a != "" {
			r.AccountIDs = append(r.AccountIDs, a)
		}
	}
	var client any
	if nr.ClientID != 0 {
		client = nr.ClientID
	}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO collector_runs (trigger, started_by, scope_client_id, scope_account_id,
			since, until, status, api_version, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Trigger, r.StartedBy, client, strings.Join(r.AccountIDs, ","), r.Since, r.Until, r.Status, r.APIVersion,
			FormatTime(r.StartedAt))
		if err != nil {
			return fmt.Errorf("store: create run: %w", err)
		}
		if r.ID, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("store: create run: %w", err)
		}
		st, err := tx.PrepareContext(ctx, `INSERT INTO run_accounts (run_id, account_id, status) VALUES (?, ?, ?)
			ON CONFLICT (run_id, account_id) DO NOTHING`)
		if err != nil {
			return fmt.Errorf("store: create run: %w", err)
		}
		defer st.Close()
		for _, a := range nr.Pending {
			if _, err := st.ExecContext(ctx, r.ID, a, RunPending); err != nil {
				return fmt.Errorf("store: create run: account %s: %w", a, err)
			}
		}
		return nil
	})
	if err != nil {
		return Run{}, err
	}
	return r, nil
}

// UpdateRunAccount writes an account's progress in a run (inserting its row when missing).
// The collector calls it at step boundaries, not per row.
func (db *DB) UpdateRunAccount(ctx context.Context, ra RunAccount) error {
	switch ra.Status {
	case RunPending, RunRunning, RunSucceeded, RunFailed, RunCancelled:
	default:
		return invalid("status", "%q is not a run account status", ra.Status)
	}
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO run_accounts (run_id, account_id, status, step, since, until, graph_calls,
			rows_written, throttle_wait_ms, error, error_code, advice, started_at, finished_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (run_id, account_id) DO UPDATE SET status = excluded.status, step = excluded.step,
			since = excluded.since, until = excluded.until, graph_calls = excluded.graph_calls,
			rows_written = excluded.rows_written, throttle_wait_ms = excluded.throttle_wait_ms, error = excluded.error,
			error_code = excluded.error_code, advice = excluded.advice, started_at = excluded.started_at,
			finished_at = excluded.finished_at`,
			ra.RunID, ra.AccountID, ra.Status, ra.Step, ra.Since, ra.Until, ra.GraphCalls, ra.RowsWritten,
			ra.ThrottleWaitMS, ra.Error, ra.ErrorCode, ra.Advice, timeOrNull(ra.StartedAt), timeOrNull(ra.FinishedAt))
		if err != nil {
			return fmt.Errorf("store: update run account: %w", err)
		}
		return nil
	})
}

// FinishRun records a run's outcome and end time. Accounts still pending or running are
// marked with the run's status when it was cancelled, else as failed (they never finished).
func (db *DB) FinishRun(ctx context.Context, id int64, t RunTotals) error {
	switch t.Status {
	case RunSucceeded, RunPartial, RunFailed, RunCancelled:
	default:
		return invalid("status", "%q is not a finished run status", t.Status)
	}
	now := FormatTime(db.now())
	left := RunFailed
	if t.Status == RunCancelled {
		left = RunCancelled
	}
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE collector_runs SET status = ?, graph_calls = ?, rows_written = ?,
			throttle_wait_ms = ?, error = ?, finished_at = ? WHERE id = ?`,
			t.Status, t.GraphCalls, t.RowsWritten, t.ThrottleWaitMS, t.Error, now, id)
		if err != nil {
			return fmt.Errorf("store: finish run: %w", err)
		}
		if err := mustAffect(res); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE run_accounts SET status = ?, finished_at = ?
			WHERE run_id = ? AND status IN ('pending', 'running')`, left, now, id); err != nil {
			return fmt.Errorf("store: finish run: %w", err)
		}
		return nil
	})
}

// MarkInterruptedRuns turns runs left 'running' by a process that is gone into 'cancelled'
// runs with InterruptedRunError. Call it at start-up, before any pass runs.
func (db *DB) MarkInterruptedRuns(ctx context.Context) (int64, error) {
	now := FormatTime(db.now())
	var n int64
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE run_accounts SET status = 'cancelled', finished_at = ?
			WHERE status IN ('pending', 'running')
			AND run_id IN (SELECT id FROM collector_runs WHERE status = 'running')`, now); err != nil {
			return fmt.Errorf("store: mark interrupted runs: %w", err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE collector_runs SET status = 'cancelled', error = ?, finished_at = ?
			WHERE status = 'running'`, InterruptedRunError, now)
		if err != nil {
			return fmt.Errorf("store: mark interrupted runs: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}

// RunFilter narrows Runs. Zero fields do not filter; Limit 0 means 50.
type RunFilter struct {
	Status  string
	Trigger string
	// ClientID keeps runs that read at least one of the client's accounts, or were limited to it.
	ClientID int64
	Limit    int
	Offset   int
}

const runCols = `id, trigger, started_by, scope_client_id, scope_account_id, since, until, status, api_version,
	graph_calls, rows_written, throttle_wait_ms, error, started_at, finished_at`

func scanRun(row rowScanner) (Run, error) {
	var r Run
	var client sql.NullInt64
	var accounts, started string
	var finished sql.NullString
	if err := row.Scan(&r.ID, &r.Trigger, &r.StartedBy, &client, &accounts, &r.Since, &r.Until, &r.Status, &r.APIVersion,
		&r.GraphCalls, &r.RowsWritten, &r.ThrottleWaitMS, &r.Error, &started, &finished); err != nil {
		return Run{}, err
	}
	r.ClientID = client.Int64
	if accounts != "" {
		r.AccountIDs = strings.Split(accounts, ",")
	}
	r.StartedAt, _ = ParseTime(started)
	r.FinishedAt = nullTime(finished)
	return r, nil
}

// Runs lists runs, newest first.
func (db *DB) Runs(ctx context.Context, f RunFilter) ([]Run, error) {
	var where []string
	var args []any
	if f.Status != "" {
		where = append(where, "status = ?")
		args = append(args, f.Status)
	}
	if f.Trigger != "" {
		where = append(where, "trigger = ?")
		args = append(args, f.Trigger)
	}
	if f.ClientID != 0 {
		where = append(where, `(scope_client_id = ? OR EXISTS (SELECT 1 FROM run_accounts ra
			JOIN ad_accounts a ON a.id = ra.account_id WHERE ra.run_id = collector_runs.id AND a.client_id = ?))`)
		args = append(args, f.ClientID, f.ClientID)
	}
	q := `SELECT ` + runCols + ` FROM collector_runs`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	q += ` ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?`
	args = append(args, limit, max(f.Offset, 0))
	return queryAll(ctx, db.r, "store: runs", scanRun, q, args...)
}

// RunByID returns one run with its accounts (in account id order), or ErrNotFound.
func (db *DB) RunByID(ctx context.Context, id int64) (Run, error) {
	var r Run
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		r, err = scanRun(tx.QueryRowContext(ctx, `SELECT `+runCols+` FROM collector_runs WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: run: %w", err)
		}
		rows, err := tx.QueryContext(ctx, `SELECT run_id, account_id, status, step, since, until, graph_calls, rows_written,
			throttle_wait_ms, error, error_code, advice, started_at, finished_at
			FROM run_accounts WHERE run_id = ? ORDER BY account_id`, id)
		if err != nil {
			return fmt.Errorf("store: run accounts: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var a RunAccount
			var started, finished sql.NullString
			if err := rows.Scan(&a.RunID, &a.AccountID, &a.Status, &a.Step, &a.Since, &a.Until, &a.GraphCalls, &a.RowsWritten,
				&a.ThrottleWaitMS, &a.Error, &a.ErrorCode, &a.Advice, &started, &finished); err != nil {
				return fmt.Errorf("store: run accounts: %w", err)
			}
			a.StartedAt, a.FinishedAt = nullTime(started), nullTime(finished)
			r.Accounts = append(r.Accounts, a)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: run accounts: %w", err)
		}
		return nil
	})
	if err != nil {
		return Run{}, err
	}
	return r, nil
}
