package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Sessions are keyed by the SHA-256 of the cookie's token (hashing is the caller's job), so a
// copy of the database does not hand out live sessions.

// FindSession returns an unexpired session's data.
func (db *DB) FindSession(ctx context.Context, tokenHash string) ([]byte, bool, error) {
	var data []byte
	err := db.r.QueryRowContext(ctx, `SELECT data FROM sessions WHERE token_hash = ? AND expires_at > ?`,
		tokenHash, FormatTime(db.now())).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: find session: %w", err)
	}
	return data, true, nil
}

// CommitSession stores (or replaces) a session.
func (db *DB) CommitSession(ctx context.Context, tokenHash string, data []byte, expiry time.Time) error {
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, data, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (token_hash) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`,
			tokenHash, data, FormatTime(expiry))
		if err != nil {
			return fmt.Errorf("store: commit session: %w", err)
		}
		return nil
	})
}

// DeleteSession removes a session (logout, token rotation).
func (db *DB) DeleteSession(ctx context.Context, tokenHash string) error {
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash); err != nil {
			return fmt.Errorf("store: delete session: %w", err)
		}
		return nil
	})
}

// DeleteExpiredSessions removes sessions past their expiry.
func (db *DB) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	var n int64
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, FormatTime(db.now()))
		if err != nil {
			return fmt.Errorf("store: expire sessions: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}
