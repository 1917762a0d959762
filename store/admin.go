package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SettingMetaTokenMask is the shape of the stored installation token ("EAAB…(212 chars)"),
// kept beside it so the admin page can say which token is stored without decrypting it.
const SettingMetaTokenMask = "meta_token_mask"

// MetaTokenInfo says whether an installation Meta token is stored, never the token.
type MetaTokenInfo struct {
	Stored  bool
	Mask    string
	SavedAt time.Time
}

// SetMetaToken stores the sealed installation token and its mask in one transaction, so the
// mask always describes the stored token; nil sealed removes both.
func (db *DB) SetMetaToken(ctx context.Context, sealed []byte, mask string) error {
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		if sealed == nil {
			if _, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE key IN (?, ?)`, SettingMetaToken, SettingMetaTokenMask); err != nil {
				return fmt.Errorf("store: remove Meta token: %w", err)
			}
			return nil
		}
		now := FormatTime(db.now())
		for _, kv := range []struct {
			key   string
			value []byte
		}{{SettingMetaToken, sealed}, {SettingMetaTokenMask, []byte(mask)}} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, kv.key, kv.value, now); err != nil {
				return fmt.Errorf("store: set Meta token: %w", err)
			}
		}
		return nil
	})
}

// MetaToken reports whether an installation token is stored, its mask and when it was saved.
func (db *DB) MetaToken(ctx context.Context) (MetaTokenInfo, error) {
	var info MetaTokenInfo
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		var saved string
		err := tx.QueryRowContext(ctx, `SELECT updated_at FROM settings WHERE key = ?`, SettingMetaToken).Scan(&saved)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("store: Meta token: %w", err)
		}
		info.Stored = true
		info.SavedAt, _ = ParseTime(saved)
		var mask []byte
		err = tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, SettingMetaTokenMask).Scan(&mask)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: Meta token: %w", err)
		}
		info.Mask = string(mask)
		return nil
	})
	return info, err
}

// CountAccountTokens counts ad accounts with their own token.
func (db *DB) CountAccountTokens(ctx context.Context) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM ad_accounts WHERE token_enc IS NOT NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count account tokens: %w", err)
	}
	return n, nil
}

// CountPages counts each client's pages, by client id.
func (db *DB) CountPages(ctx context.Context) (map[int64]int, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT client_id, count(*) FROM pages GROUP BY client_id`)
	if err != nil {
		return nil, fmt.Errorf("store: count pages: %w", err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("store: count pages: %w", err)
		}
		out[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: count pages: %w", err)
	}
	return out, nil
}

// AllAdAccounts lists every ad account, archived clients' included, by client and id (the
// admin console's client list; AdAccounts(0) leaves archived clients out, as collection does).
func (db *DB) AllAdAccounts(ctx context.Context) ([]AdAccount, error) {
	return queryAll(ctx, db.r, "store: ad accounts", scanAccount, `SELECT `+accountCols+` FROM ad_accounts ORDER BY client_id, id`)
}
