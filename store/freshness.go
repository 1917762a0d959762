package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// AccountStatus is an ad account with what the dashboard says about its freshness.
type AccountStatus struct {
	AdAccount
	// EverRead is true once any day of the account was read from Meta.
	EverRead bool
}

// Failing reports whether the account's last sync failed after its last success.
func (a AccountStatus) Failing() bool {
	return a.LastError != "" && (a.LastSuccessAt.IsZero() || !a.LastErrorAt.Before(a.LastSuccessAt))
}

// RunningRun is a collector run in progress that covers a client.
type RunningRun struct {
	ID        int64
	Trigger   string
	StartedAt time.Time
}

// ClientStatus is a client's accounts and collection state.
type ClientStatus struct {
	Accounts []AccountStatus
	Running  *RunningRun // nil when no run covering the client is in progress
}

// LastSuccess is the latest successful sync of any of the client's accounts (zero if none).
func (s ClientStatus) LastSuccess() time.Time {
	var t time.Time
	for _, a := range s.Accounts {
		if a.LastSuccessAt.After(t) {
			t = a.LastSuccessAt
		}
	}
	return t
}

// EverRead reports whether any day of any of the client's accounts was read.
func (s ClientStatus) EverRead() bool {
	for _, a := range s.Accounts {
		if a.EverRead {
			return true
		}
	}
	return false
}

// ClientStatus reads a client's accounts, whether each was ever read, and the collector run in
// progress that covers the client, if any.
func (db *DB) ClientStatus(ctx context.Context, clientID int64) (ClientStatus, error) {
	var s ClientStatus
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		s, err = clientStatus(ctx, tx, clientID)
		return err
	})
	return s, err
}

func clientStatus(ctx context.Context, tx *sql.Tx, clientID int64) (ClientStatus, error) {
	var s ClientStatus
	rows, err := tx.QueryContext(ctx, `SELECT `+accountCols+`,
			EXISTS (SELECT 1 FROM insight_days d WHERE d.account_id = ad_accounts.id)
		FROM ad_accounts WHERE client_id = ? ORDER BY id`, clientID)
	if err != nil {
		return s, fmt.Errorf("store: client status: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var everRead bool
		a, err := scanAccount(extraScan{rows, []any{&everRead}})
		if err != nil {
			return s, fmt.Errorf("store: client status: %w", err)
		}
		s.Accounts = append(s.Accounts, AccountStatus{AdAccount: a, EverRead: everRead})
	}
	if err := rows.Err(); err != nil {
		return s, fmt.Errorf("store: client status: %w", err)
	}
	// A run covers the client when it runs for everyone, for this client, or reads one of its
	// accounts (its run_accounts rows, or its scope: a comma-separated list of account ids).
	var r RunningRun
	var started string
	err = tx.QueryRowContext(ctx, `SELECT r.id, r.trigger, r.started_at FROM collector_runs r
		WHERE r.status = 'running' AND (
			(r.scope_client_id IS NULL AND r.scope_account_id = '')
			OR r.scope_client_id = ?
			OR EXISTS (SELECT 1 FROM run_accounts ra JOIN ad_accounts a ON a.id = ra.account_id
				WHERE ra.run_id = r.id AND a.client_id = ?)
			OR EXISTS (SELECT 1 FROM ad_accounts a WHERE a.client_id = ?
				AND ',' || r.scope_account_id || ',' LIKE '%,' || a.id || ',%'))
		ORDER BY r.started_at DESC, r.id DESC LIMIT 1`, clientID, clientID, clientID).Scan(&r.ID, &r.Trigger, &started)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return s, fmt.Errorf("store: client status: running run: %w", err)
	default:
		r.StartedAt, _ = ParseTime(started)
		s.Running = &r
	}
	return s, nil
}

// extraScan lets a scan helper read a row that has more columns after the ones it knows.
type extraScan struct {
	rows  *sql.Rows
	extra []any
}

func (e extraScan) Scan(dest ...any) error { return e.rows.Scan(append(dest, e.extra...)...) }
