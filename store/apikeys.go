package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/leadlens/leadlens/secret"
)

// APIKeyKind is the readable prefix of API keys ("llk_…").
const APIKeyKind = "llk"

// apiKeyTouchEvery bounds how often a key's last use is written: often enough for "last used",
// rarely enough that a busy bot does not add a write per request.
const apiKeyTouchEvery = time.Minute

// APIKey is a client's key for the event API. The key itself is never stored: only its hash,
// and a short prefix to tell keys apart in lists.
type APIKey struct {
	ID         int64
	ClientID   int64
	Name       string
	Prefix     string // e.g. "llk_AbC123"
	CreatedBy  string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used
	RevokedAt  time.Time // zero while valid
}

// Revoked reports whether the key was revoked.
func (k APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

const apiKeyCols = `id, client_id, name, prefix, created_by, created_at, last_used_at, revoked_at`

func scanAPIKey(row rowScanner) (APIKey, error) {
	var k APIKey
	var created string
	var used, revoked sql.NullString
	if err := row.Scan(&k.ID, &k.ClientID, &k.Name, &k.Prefix, &k.CreatedBy, &created, &used, &revoked); err != nil {
		return APIKey{}, err
	}
	k.CreatedAt, _ = ParseTime(created)
	k.LastUsedAt = nullTime(used)
	k.RevokedAt = nullTime(revoked)
	return k, nil
}

// CreateAPIKey makes a new random key for a client and returns it with its record. The key is
// returned only here, once: the database keeps its SHA-256.
func (db *DB) CreateAPIKey(ctx context.Context, clientID int64, name, createdBy string) (string, APIKey, error) {
	name = strings.TrimSpace(name)
	if len(name) > 100 {
		return "", APIKey{}, invalid("name", "the key's name is longer than 100 characters")
	}
	token, prefix, err := secret.NewToken(APIKeyKind)
	if err != nil {
		return "", APIKey{}, err
	}
	var id int64
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := clientExists(ctx, tx, clientID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO api_keys (client_id, name, prefix, key_hash, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, clientID, name, prefix, secret.Hash(token), createdBy, FormatTime(db.now()))
		if err != nil {
			return fmt.Errorf("store: create API key: %w", err)
		}
		id, err = res.LastInsertId()
		if err != nil {
			return fmt.Errorf("store: create API key: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", APIKey{}, err
	}
	k, err := scanAPIKey(db.w.QueryRowContext(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE id = ?`, id))
	if err != nil {
		return "", APIKey{}, fmt.Errorf("store: read new API key: %w", err)
	}
	return token, k, nil
}

// AuthenticateAPIKey returns the valid key a token is, or ErrNotFound for an unknown or revoked
// one (the two are not told apart, so a caller learns nothing about other keys).
func (db *DB) AuthenticateAPIKey(ctx context.Context, token string) (APIKey, error) {
	if token == "" || len(token) > 200 {
		return APIKey{}, ErrNotFound
	}
	h := secret.Hash(token)
	var stored string
	row := db.r.QueryRowContext(ctx, `SELECT key_hash, `+apiKeyCols+` FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL`, h)
	var k APIKey
	var created string
	var used, revoked sql.NullString
	err := row.Scan(&stored, &k.ID, &k.ClientID, &k.Name, &k.Prefix, &k.CreatedBy, &created, &used, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return APIKey{}, ErrNotFound
	}
	if err != nil {
		return APIKey{}, fmt.Errorf("store: authenticate API key: %w", err)
	}
	// The index lookup already matched; the constant-time compare keeps that true should the
	// lookup ever become a prefix search.
	if !secret.Equal(stored, h) {
		return APIKey{}, ErrNotFound
	}
	k.CreatedAt, _ = ParseTime(created)
	k.LastUsedAt = nullTime(used)
	return k, nil
}

// APIKeys lists a client's keys, newest first, revoked ones included.
func (db *DB) APIKeys(ctx context.Context, clientID int64) ([]APIKey, error) {
	return queryAll(ctx, db.r, "store: API keys", scanAPIKey, `SELECT `+apiKeyCols+` FROM api_keys WHERE client_id = ? ORDER BY id DESC`, clientID)
}

// RevokeAPIKey revokes one of a client's keys at once; ErrNotFound when the client has no such
// valid key.
func (db *DB) RevokeAPIKey(ctx context.Context, clientID, id int64) error {
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ? AND client_id = ? AND revoked_at IS NULL`,
			FormatTime(db.now()), id, clientID)
		if err != nil {
			return fmt.Errorf("store: revoke API key: %w", err)
		}
		return mustAffect(res)
	})
}

// touchAPIKey stamps a key's last use unless it was stamped within the last minute; the
// condition makes the common case a read of one row and no page write.
func touchAPIKey(ctx context.Context, tx *sql.Tx, id int64, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ?
		WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
		FormatTime(now), id, FormatTime(now.Add(-apiKeyTouchEvery)))
	if err != nil {
		return fmt.Errorf("store: stamp API key use: %w", err)
	}
	return nil
}
