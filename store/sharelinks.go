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

// ShareLinkKind is the readable prefix of share-link tokens ("lls_…").
const ShareLinkKind = "lls"

// The date-range modes of a share link.
const (
	RangeOpen    = "open"    // any period, like the dashboard
	RangeFixed   = "fixed"   // always exactly RangeSince … RangeUntil
	RangeBounded = "bounded" // any period inside RangeSince … RangeUntil
)

// MaxShareRangeDays bounds a link's date range as the dashboard bounds a custom range: Meta
// keeps 37 months of insights.
const MaxShareRangeDays = 37 * 31

// maxShareTokenLen bounds what a lookup hashes: a real token is 47 characters, so anything much
// longer is not one and is refused before any work.
const maxShareTokenLen = 200

// ShareLink is a read-only link to one client's dashboard. The token itself is never stored:
// only its SHA-256, and a short prefix to tell links apart in lists.
type ShareLink struct {
	ID       int64
	ClientID int64
	Label    string
	Prefix   string // e.g. "lls_AbC123"
	// PasswordHash is the argon2id hash of the link's password; "" when it has none.
	PasswordHash string
	ExpiresAt    time.Time // zero: never expires
	RangeMode    string    // RangeOpen, RangeFixed or RangeBounded
	// RangeSince and RangeUntil are dates (YYYY-MM-DD, in the client's timezone) of fixed and
	// bounded links; "" for open ones.
	RangeSince, RangeUntil string
	AllowEmbed             bool
	ViewCount              int64
	LastViewedAt           time.Time // zero: never viewed
	CreatedBy              string
	CreatedAt              time.Time
	RevokedAt              time.Time // zero while not revoked
}

// Revoked reports whether an admin revoked the link.
func (l ShareLink) Revoked() bool { return !l.RevokedAt.IsZero() }

// Expired reports whether the link's expiry has passed at now.
func (l ShareLink) Expired(now time.Time) bool {
	return !l.ExpiresAt.IsZero() && !now.Before(l.ExpiresAt)
}

// HasPassword reports whether opening the link needs a password.
func (l ShareLink) HasPassword() bool { return l.PasswordHash != "" }

// NewShareLink is what CreateShareLink needs.
type NewShareLink struct {
	ClientID  int64
	Label     string
	ExpiresAt time.Time // zero: never
	// Password, when not empty, must be given to open the link. It is hashed (argon2id) here, so
	// no caller can store it in clear.
	Password               string
	RangeMode              string // "" means RangeOpen
	RangeSince, RangeUntil string // YYYY-MM-DD; required for fixed and bounded, refused for open
	AllowEmbed             bool
	CreatedBy              string
}

// validate checks a new link at now, naming the field at fault.
func (n *NewShareLink) validate(now time.Time) error {
	n.Label = strings.TrimSpace(n.Label)
	if len(n.Label) > 100 {
		return invalid("label", "the label is longer than 100 characters")
	}
	if !n.ExpiresAt.IsZero() && !n.ExpiresAt.After(now) {
		return invalid("expires_at", "the expiry %s is in the past; choose a later date or none", n.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if n.RangeMode == "" {
		n.RangeMode = RangeOpen
	}
	switch n.RangeMode {
	case RangeOpen:
		if n.RangeSince != "" || n.RangeUntil != "" {
			field := "range_since"
			if n.RangeSince == "" {
				field = "range_until"
			}
			return invalid(field, "dates are only kept for a fixed or bounded range, not an open one")
		}
		return nil
	case RangeFixed, RangeBounded:
	default:
		return invalid("range_mode", "%q is not open, fixed or bounded", n.RangeMode)
	}
	if n.RangeSince == "" {
		return invalid("range_since", "a %s range needs a first day", n.RangeMode)
	}
	if n.RangeUntil == "" {
		return invalid("range_until", "a %s range needs a last day", n.RangeMode)
	}
	since, err := time.Parse(DateLayout, n.RangeSince)
	if err != nil {
		return invalid("range_since", "%q is not a date (YYYY-MM-DD)", n.RangeSince)
	}
	until, err := time.Parse(DateLayout, n.RangeUntil)
	if err != nil {
		return invalid("range_until", "%q is not a date (YYYY-MM-DD)", n.RangeUntil)
	}
	if until.Before(since) {
		return invalid("range_until", "the last day %s is before the first day %s", n.RangeUntil, n.RangeSince)
	}
	if days := int(until.Sub(since).Hours()/24) + 1; days > MaxShareRangeDays {
		return invalid("range_since", "the range is %d days; the longest is %d (Meta keeps 37 months)", days, MaxShareRangeDays)
	}
	return nil
}

const shareLinkCols = `id, client_id, label, prefix, password_hash, expires_at, range_mode, range_since, range_until,
	allow_embed, view_count, last_viewed_at, created_by, created_at, revoked_at`

func scanShareLink(row rowScanner) (ShareLink, error) {
	var l ShareLink
	var created string
	var expires, viewed, revoked sql.NullString
	if err := row.Scan(&l.ID, &l.ClientID, &l.Label, &l.Prefix, &l.PasswordHash, &expires, &l.RangeMode, &l.RangeSince,
		&l.RangeUntil, &l.AllowEmbed, &l.ViewCount, &viewed, &l.CreatedBy, &created, &revoked); err != nil {
		return ShareLink{}, err
	}
	l.CreatedAt, _ = ParseTime(created)
	l.ExpiresAt = nullTime(expires)
	l.LastViewedAt = nullTime(viewed)
	l.RevokedAt = nullTime(revoked)
	return l, nil
}

// CreateShareLink makes a new random link to a client's dashboard and returns its token with
// its record. The token is returned only here, once: the database keeps its SHA-256.
func (db *DB) CreateShareLink(ctx context.Context, n NewShareLink) (string, ShareLink, error) {
	if err := n.validate(db.now()); err != nil {
		return "", ShareLink{}, err
	}
	var pwHash string
	if n.Password != "" {
		var err error
		if pwHash, err = secret.HashPassword(n.Password); err != nil {
			// HashPassword's refusals (too short, too long) are the person's to fix.
			return "", ShareLink{}, invalid("password", "%s", strings.TrimPrefix(err.Error(), "secret: "))
		}
	}
	token, prefix, err := secret.NewToken(ShareLinkKind)
	if err != nil {
		return "", ShareLink{}, err
	}
	var id int64
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := clientExists(ctx, tx, n.ClientID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO share_links (client_id, label, prefix, token_hash, password_hash, expires_at,
			range_mode, range_since, range_until, allow_embed, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			n.ClientID, n.Label, prefix, secret.Hash(token), pwHash, timeOrNull(n.ExpiresAt), n.RangeMode, n.RangeSince,
			n.RangeUntil, n.AllowEmbed, n.CreatedBy, FormatTime(db.now()))
		if err != nil {
			return fmt.Errorf("store: create share link: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("store: create share link: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", ShareLink{}, err
	}
	l, err := scanShareLink(db.w.QueryRowContext(ctx, `SELECT `+shareLinkCols+` FROM share_links WHERE id = ?`, id))
	if err != nil {
		return "", ShareLink{}, fmt.Errorf("store: read new share link: %w", err)
	}
	return token, l, nil
}

// ShareLinkByToken returns the link a token is — revoked and expired ones included, so the
// caller can say which it is — or ErrNotFound.
func (db *DB) ShareLinkByToken(ctx context.Context, token string) (ShareLink, error) {
	if !strings.HasPrefix(token, ShareLinkKind+"_") || len(token) > maxShareTokenLen {
		return ShareLink{}, ErrNotFound
	}
	h := secret.Hash(token)
	var stored string
	row := db.r.QueryRowContext(ctx, `SELECT token_hash, `+shareLinkCols+` FROM share_links WHERE token_hash = ?`, h)
	l, err := scanShareLink(scanFirst{row: row, first: &stored})
	if errors.Is(err, sql.ErrNoRows) {
		return ShareLink{}, ErrNotFound
	}
	if err != nil {
		return ShareLink{}, fmt.Errorf("store: share link: %w", err)
	}
	// The index lookup already matched; the constant-time compare keeps that true should the
	// lookup ever become a prefix search.
	if !secret.Equal(stored, h) {
		return ShareLink{}, ErrNotFound
	}
	return l, nil
}

// scanFirst reads one extra leading column into first before the columns a scanner expects.
type scanFirst struct {
	row   *sql.Row
	first any
}

func (s scanFirst) Scan(dest ...any) error { return s.row.Scan(append([]any{s.first}, dest...)...) }

// ShareLinks lists a client's links, newest first, revoked and expired ones included.
func (db *DB) ShareLinks(ctx context.Context, clientID int64) ([]ShareLink, error) {
	return queryAll(ctx, db.r, "store: share links", scanShareLink, `SELECT `+shareLinkCols+` FROM share_links WHERE client_id = ? ORDER BY id DESC`, clientID)
}

// RevokeShareLink revokes one of a client's links at once; ErrNotFound when the client has no
// such link, or it is already revoked. A link of another client is not found, whatever its id.
func (db *DB) RevokeShareLink(ctx context.Context, clientID, id int64) error {
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE share_links SET revoked_at = ? WHERE id = ? AND client_id = ? AND revoked_at IS NULL`,
			FormatTime(db.now()), id, clientID)
		if err != nil {
			return fmt.Errorf("store: revoke share link: %w", err)
		}
		return mustAffect(res)
	})
}

// RecordShareView counts one view of a link and stamps its time: one small write, made once per
// page a person opens (not per asset, CSV or in-page update).
func (db *DB) RecordShareView(ctx context.Context, id int64) error {
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE share_links SET view_count = view_count + 1, last_viewed_at = ? WHERE id = ?`,
			FormatTime(db.now()), id)
		if err != nil {
			return fmt.Errorf("store: record share view: %w", err)
		}
		return mustAffect(res)
	})
}
