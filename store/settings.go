package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Setting keys used across the product.
const (
	// SettingMetaToken is the installation's Meta access token, sealed.
	SettingMetaToken = "meta_token"
)

// Setting returns a stored setting or ErrNotFound.
func (db *DB) Setting(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := db.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: setting %s: %w", key, err)
	}
	return v, nil
}

// SetSetting stores a setting; a nil value deletes it.
func (db *DB) SetSetting(ctx context.Context, key string, value []byte) error {
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		if value == nil {
			_, err = tx.ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, key)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, value, FormatTime(db.now()))
		}
		if err != nil {
			return fmt.Errorf("store: set setting %s: %w", key, err)
		}
		return nil
	})
}
