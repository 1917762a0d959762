package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Client is a tenant: an agency's customer with its ad accounts, pages, keys and links.
type Client struct {
	ID             int64
	Slug           string
	Name           string
	Timezone       string // as configured; "" means the first ad account's
	LeadActionType string
	BrandName      string
	HasLogo        bool
	ArchivedAt     time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Archived reports whether the client was archived.
func (c Client) Archived() bool { return !c.ArchivedAt.IsZero() }

// AdAccount is a Meta ad account attached to a client.
type AdAccount struct {
	ID            string // numeric, no "act_"
	ClientID      int64
	Name          string
	Currency      string
	TimezoneName  string
	HasToken      bool // a per-account token override is stored
	LastSuccessAt time.Time
	LastError     string
	LastErrorAt   time.Time
	CreatedAt     time.Time
}

// ActID is the id as the Graph API path wants it.
func (a AdAccount) ActID() string { return "act_" + a.ID }

// Page is a Facebook page whose bot logs events for a client.
type Page struct {
	ID        string
	ClientID  int64
	Name      string
	CreatedAt time.Time
}

// NewClient is what CreateClient needs.
type NewClient struct {
	Name           string
	Slug           string // derived from Name when empty
	Timezone       string
	LeadActionType string // default DefaultLeadActionType
	AdAccounts     []string
	Pages          []string
}

// ClientUpdate holds the editable fields of a client.
type ClientUpdate struct {
	Name           string
	Slug           string
	Timezone       string
	LeadActionType string
	BrandName      string
}

func (u *ClientUpdate) validate() error {
	u.Name = strings.TrimSpace(u.Name)
	u.Slug = strings.TrimSpace(u.Slug)
	u.Timezone = strings.TrimSpace(u.Timezone)
	u.BrandName = strings.TrimSpace(u.BrandName)
	if u.Name == "" {
		return invalid("name", "a client needs a name")
	}
	if len(u.Name) > 200 {
		return invalid("name", "the name is longer than 200 characters")
	}
	if u.Slug == "" {
		u.Slug = Slugify(u.Name)
	}
	if err := ValidateSlug(u.Slug); err != nil {
		return err
	}
	if err := ValidateTimezone(u.Timezone); err != nil {
		return err
	}
	if u.LeadActionType == "" {
		u.LeadActionType = DefaultLeadActionType
	}
	return ValidateLeadActionType(u.LeadActionType)
}

const clientCols = `id, slug, name, timezone, lead_action_type, brand_name, logo IS NOT NULL, archived_at, created_at, updated_at`

func scanClient(row rowScanner) (Client, error) {
	var c Client
	var archived sql.NullString
	var created, updated string
	if err := row.Scan(&c.ID, &c.Slug, &c.Name, &c.Timezone, &c.LeadActionType, &c.BrandName, &c.HasLogo,
		&archived, &created, &updated); err != nil {
		return Client{}, err
	}
	c.ArchivedAt = nullTime(archived)
	c.CreatedAt, _ = ParseTime(created)
	c.UpdatedAt, _ = ParseTime(updated)
	return c, nil
}

// CreateClient adds a client with its ad accounts and pages, all or nothing.
func (db *DB) CreateClient(ctx context.Context, nc NewClient) (Client, error) {
	u := ClientUpdate{Name: nc.Name, Slug: nc.Slug, Timezone: nc.Timezone, LeadActionType: nc.LeadActionType}
	if err := u.validate(); err != nil {
		return Client{}, err
	}
	accounts, err := normalizeAll(nc.AdAccounts, NormalizeAccountID)
	if err != nil {
		return Client{}, err
	}
	pages, err := normalizeAll(nc.Pages, NormalizePageID)
	if err != nil {
		return Client{}, err
	}
	var id int64
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		now := FormatTime(db.now())
		if err := slugFree(ctx, tx, u.Slug, 0); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO clients (slug, name, timezone, lead_action_type, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`, u.Slug, u.Name, u.Timezone, u.LeadActionType, now, now)
		if err != nil {
			return fmt.Errorf("store: create client: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("store: create client: %w", err)
		}
		if err := addAccounts(ctx, tx, id, accounts, now); err != nil {
			return err
		}
		return addPages(ctx, tx, id, pages, now)
	})
	if err != nil {
		return Client{}, err
	}
	return db.ClientByID(ctx, id)
}

func normalizeAll(in []string, norm func(string) (string, error)) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		for _, part := range strings.Split(s, ",") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			id, err := norm(part)
			if err != nil {
				return nil, err
			}
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out, nil
}

func slugFree(ctx context.Context, tx *sql.Tx, slug string, self int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM clients WHERE slug = ? AND id <> ?`, slug, self).Scan(&n); err != nil {
		return fmt.Errorf("store: check slug: %w", err)
	}
	if n > 0 {
		return invalid("slug", "a client with the slug %q already exists; choose another", slug)
	}
	return nil
}

func addAccounts(ctx context.Context, tx *sql.Tx, clientID int64, ids []string, now string) error {
	for _, id := range ids {
		var owner sql.NullInt64
		var ownerSlug sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT a.client_id, c.slug FROM ad_accounts a JOIN clients c ON c.id = a.client_id WHERE a.id = ?`, id).Scan(&owner, &ownerSlug)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("store: check ad account: %w", err)
		case owner.Int64 == clientID:
			continue
		default:
			return invalid("ad_account", "act_%s already belongs to client %q; an ad account belongs to one client", id, ownerSlug.String)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ad_accounts (id, client_id, created_at) VALUES (?, ?, ?)`, id, clientID, now); err != nil {
			return fmt.Errorf("store: add ad account: %w", err)
		}
	}
	return nil
}

func addPages(ctx context.Context, tx *sql.Tx, clientID int64, ids []string, now string) error {
	for _, id := range ids {
		var owner int64
		var ownerSlug string
		err := tx.QueryRowContext(ctx, `SELECT p.client_id, c.slug FROM pages p JOIN clients c ON c.id = p.client_id WHERE p.id = ?`, id).Scan(&owner, &ownerSlug)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("store: check page: %w", err)
		case owner == clientID:
			continue
		default:
			return invalid("page", "page %s already belongs to client %q; a page belongs to one client", id, ownerSlug)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO pages (id, client_id, created_at) VALUES (?, ?, ?)`, id, clientID, now); err != nil {
			return fmt.Errorf("store: add page: %w", err)
		}
	}
	return nil
}

// UpdateClient changes a client's editable fields.
func (db *DB) UpdateClient(ctx context.Context, id int64, u ClientUpdate) (Client, error) {
	if err := u.validate(); err != nil {
		return Client{}, err
	}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := slugFree(ctx, tx, u.Slug, id); err != nil {
			return err
		}
		var oldTZ string
		err := tx.QueryRowContext(ctx, `SELECT timezone FROM clients WHERE id = ?`, id).Scan(&oldTZ)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: update client: %w", err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE clients SET name = ?, slug = ?, timezone = ?, lead_action_type = ?, brand_name = ?, updated_at = ?
			WHERE id = ?`, u.Name, u.Slug, u.Timezone, u.LeadActionType, u.BrandName, FormatTime(db.now()), id)
		if err != nil {
			return fmt.Errorf("store: update client: %w", err)
		}
		if err := mustAffect(res); err != nil {
			return err
		}
		// Event days are dates in the client's timezone: a new timezone moves them.
		if oldTZ != u.Timezone {
			if _, err := rebucket(ctx, tx, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Client{}, err
	}
	return db.ClientByID(ctx, id)
}

// SetClientArchived archives or restores a client. Archived clients keep their data but are
// left out of lists and collection.
func (db *DB) SetClientArchived(ctx context.Context, id int64, archived bool) error {
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		var at any
		if archived {
			at = FormatTime(db.now())
		}
		res, err := tx.ExecContext(ctx, `UPDATE clients SET archived_at = ?, updated_at = ? WHERE id = ?`, at, FormatTime(db.now()), id)
		if err != nil {
			return fmt.Errorf("store: archive client: %w", err)
		}
		return mustAffect(res)
	})
}

// MaxLogoBytes bounds a client's logo.
const MaxLogoBytes = 256 << 10

// SetClientLogo stores (or, with nil data, removes) a client's logo for its shared view.
func (db *DB) SetClientLogo(ctx context.Context, id int64, data []byte, contentType string) error {
	if len(data) > MaxLogoBytes {
		return invalid("logo", "the logo is %d KiB; the limit is %d KiB", len(data)>>10, MaxLogoBytes>>10)
	}
	switch contentType {
	case "image/png", "image/jpeg", "image/gif", "image/webp", "":
	default:
		return invalid("logo", "a logo must be PNG, JPEG, GIF or WebP, not %s", contentType)
	}
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		var blob any
		if data != nil {
			blob = data
		}
		res, err := tx.ExecContext(ctx, `UPDATE clients SET logo = ?, logo_type = ?, updated_at = ? WHERE id = ?`, blob, contentType, FormatTime(db.now()), id)
		if err != nil {
			return fmt.Errorf("store: set logo: %w", err)
		}
		return mustAffect(res)
	})
}

// ClientLogo returns a client's logo and its content type.
func (db *DB) ClientLogo(ctx context.Context, id int64) ([]byte, string, error) {
	var data []byte
	var typ string
	err := db.r.QueryRowContext(ctx, `SELECT logo, logo_type FROM clients WHERE id = ? AND logo IS NOT NULL`, id).Scan(&data, &typ)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", ErrNotFound
	}
	if err != nil {
		return nil, "", fmt.Errorf("store: logo: %w", err)
	}
	return data, typ, nil
}

// ClientByID returns one client.
func (db *DB) ClientByID(ctx context.Context, id int64) (Client, error) {
	return db.oneClient(ctx, `SELECT `+clientCols+` FROM clients WHERE id = ?`, id)
}

// ClientBySlug returns one client by its URL slug.
func (db *DB) ClientBySlug(ctx context.Context, slug string) (Client, error) {
	return db.oneClient(ctx, `SELECT `+clientCols+` FROM clients WHERE slug = ?`, slug)
}

func (db *DB) oneClient(ctx context.Context, q string, arg any) (Client, error) {
	c, err := scanClient(db.r.QueryRowContext(ctx, q, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return Client{}, ErrNotFound
	}
	if err != nil {
		return Client{}, fmt.Errorf("store: client: %w", err)
	}
	return c, nil
}

// Clients lists clients by name; archived ones only when asked.
func (db *DB) Clients(ctx context.Context, includeArchived bool) ([]Client, error) {
	q := `SELECT ` + clientCols + ` FROM clients`
	if !includeArchived {
		q += ` WHERE archived_at IS NULL`
	}
	return queryAll(ctx, db.r, "store: clients", scanClient, q+` ORDER BY name, id`)
}

func mustAffect(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: rows affected: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
