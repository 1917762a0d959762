package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

const accountCols = `id, client_id, name, currency, timezone_name, token_enc IS NOT NULL, last_success_at, last_error, last_error_at, created_at`

func scanAccount(row rowScanner) (AdAccount, error) {
	var a AdAccount
	var success, errAt sql.NullString
	var created string
	if err := row.Scan(&a.ID, &a.ClientID, &a.Name, &a.Currency, &a.TimezoneName, &a.HasToken, &success, &a.LastError, &errAt, &created); err != nil {
		return AdAccount{}, err
	}
	a.LastSuccessAt = nullTime(success)
	a.LastErrorAt = nullTime(errAt)
	a.CreatedAt, _ = ParseTime(created)
	return a, nil
}

// AddAdAccounts attaches ad accounts (with or without "act_") to a client. An account that
// belongs to another client is refused.
func (db *DB) AddAdAccounts(ctx context.Context, clientID int64, ids []string) error {
	norm, err := normalizeAll(ids, NormalizeAccountID)
	if err != nil {
		return err
	}
	if len(norm) == 0 {
		return invalid("ad_account", "give at least one ad account id")
	}
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := clientExists(ctx, tx, clientID); err != nil {
			return err
		}
		return addAccounts(ctx, tx, clientID, norm, FormatTime(db.now()))
	})
}

// RemoveAdAccount detaches an ad account and deletes what was collected for it.
func (db *DB) RemoveAdAccount(ctx context.Context, clientID int64, id string) error {
	norm, err := NormalizeAccountID(id)
	if err != nil {
		return err
	}
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM ad_accounts WHERE id = ? AND client_id = ?`, norm, clientID)
		if err != nil {
			return fmt.Errorf("store: remove ad account: %w", err)
		}
		return mustAffect(res)
	})
}

func clientExists(ctx context.Context, tx *sql.Tx, id int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM clients WHERE id = ?`, id).Scan(&n); err != nil {
		return fmt.Errorf("store: client: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// AdAccounts lists a client's ad accounts (clientID 0: every account of every active client).
func (db *DB) AdAccounts(ctx context.Context, clientID int64) ([]AdAccount, error) {
	if clientID == 0 {
		return queryAll(ctx, db.r, "store: ad accounts", scanAccount, `SELECT `+accountCols+` FROM ad_accounts
			WHERE client_id IN (SELECT id FROM clients WHERE archived_at IS NULL) ORDER BY client_id, id`)
	}
	return queryAll(ctx, db.r, "store: ad accounts", scanAccount, `SELECT `+accountCols+` FROM ad_accounts WHERE client_id = ? ORDER BY id`, clientID)
}

// AdAccount returns one ad account (id with or without "act_").
func (db *DB) AdAccount(ctx context.Context, id string) (AdAccount, error) {
	norm, err := NormalizeAccountID(id)
	if err != nil {
		return AdAccount{}, err
	}
	a, err := scanAccount(db.r.QueryRowContext(ctx, `SELECT `+accountCols+` FROM ad_accounts WHERE id = ?`, norm))
	if errors.Is(err, sql.ErrNoRows) {
		return AdAccount{}, ErrNotFound
	}
	if err != nil {
		return AdAccount{}, fmt.Errorf("store: ad account: %w", err)
	}
	return a, nil
}

// UpdateAdAccountMeta records the account fields Meta reported.
func (db *DB) UpdateAdAccountMeta(ctx context.Context, id, name, currency, timezone string) error {
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		var oldTZ string
		var clientID int64
		err := tx.QueryRowContext(ctx, `SELECT timezone_name, client_id FROM ad_accounts WHERE id = ?`, id).Scan(&oldTZ, &clientID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: update ad account: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE ad_accounts SET name = ?, currency = ?, timezone_name = ? WHERE id = ?`, name, currency, timezone, id); err != nil {
			return fmt.Errorf("store: update ad account: %w", err)
		}
		// A client without a timezone of its own counts days in its first account's: when Meta
		// first tells us (or changes) that timezone, events already logged move to the right day.
		if oldTZ != timezone {
			if _, err := rebucket(ctx, tx, clientID); err != nil {
				return err
			}
		}
		return nil
	})
}

// RecordAccountOutcome stamps an account's last success, or its last error (empty errText
// with a zero time clears nothing; a success clears the error).
func (db *DB) RecordAccountOutcome(ctx context.Context, id string, at time.Time, errText string) error {
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		if errText == "" {
			_, err = tx.ExecContext(ctx, `UPDATE ad_accounts SET last_success_at = ?, last_error = '', last_error_at = NULL WHERE id = ?`, FormatTime(at), id)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE ad_accounts SET last_error = ?, last_error_at = ? WHERE id = ?`, errText, FormatTime(at), id)
		}
		if err != nil {
			return fmt.Errorf("store: record account outcome: %w", err)
		}
		return nil
	})
}

// SetAdAccountToken stores a sealed per-account token override (nil removes it).
func (db *DB) SetAdAccountToken(ctx context.Context, id string, sealed []byte) error {
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		var v any
		if sealed != nil {
			v = sealed
		}
		res, err := tx.ExecContext(ctx, `UPDATE ad_accounts SET token_enc = ? WHERE id = ?`, v, id)
		if err != nil {
			return fmt.Errorf("store: set account token: %w", err)
		}
		return mustAffect(res)
	})
}

// AdAccountToken returns the sealed per-account token, or ErrNotFound when there is none.
func (db *DB) AdAccountToken(ctx context.Context, id string) ([]byte, error) {
	var b []byte
	err := db.r.QueryRowContext(ctx, `SELECT token_enc FROM ad_accounts WHERE id = ? AND token_enc IS NOT NULL`, id).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: account token: %w", err)
	}
	return b, nil
}

// AddPages attaches Facebook pages to a client.
func (db *DB) AddPages(ctx context.Context, clientID int64, ids []string) error {
	norm, err := normalizeAll(ids, NormalizePageID)
	if err != nil {
		return err
	}
	if len(norm) == 0 {
		return invalid("page", "give at least one page id")
	}
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := clientExists(ctx, tx, clientID); err != nil {
			return err
		}
		return addPages(ctx, tx, clientID, norm, FormatTime(db.now()))
	})
}

// RemovePage detaches a page from a client; its logged events stay.
func (db *DB) RemovePage(ctx context.Context, clientID int64, id string) error {
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM pages WHERE id = ? AND client_id = ?`, id, clientID)
		if err != nil {
			return fmt.Errorf("store: remove page: %w", err)
		}
		return mustAffect(res)
	})
}

// Pages lists a client's pages.
func (db *DB) Pages(ctx context.Context, clientID int64) ([]Page, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, client_id, name, created_at FROM pages WHERE client_id = ? ORDER BY id`, clientID)
	if err != nil {
		return nil, fmt.Errorf("store: pages: %w", err)
	}
	defer rows.Close()
	var out []Page
	for rows.Next() {
		var p Page
		var created string
		if err := rows.Scan(&p.ID, &p.ClientID, &p.Name, &created); err != nil {
			return nil, fmt.Errorf("store: pages: %w", err)
		}
		p.CreatedAt, _ = ParseTime(created)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: pages: %w", err)
	}
	return out, nil
}

// ClientTimezone is the timezone a client's days are counted in: its own setting, else its
// first ad account's as Meta reported it, else UTC.
func (db *DB) ClientTimezone(ctx context.Context, c Client) (*time.Location, error) {
	name := c.Timezone
	if name == "" {
		err := db.r.QueryRowContext(ctx, `SELECT timezone_name FROM ad_accounts WHERE client_id = ? AND timezone_name <> '' ORDER BY created_at, id LIMIT 1`, c.ID).Scan(&name)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("store: client timezone: %w", err)
		}
	}
	if name == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("store: client timezone %q: %w", name, err)
	}
	return loc, nil
}
