package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Forwarding modes: where a client's logged events go besides the local log.
const (
	ForwardOff    = "off"    // not forwarded (the default)
	ForwardCAPI   = "capi"   // Conversions API for Business Messaging (POST /<dataset_id>/events)
	ForwardLegacy = "legacy" // Messaging Events API (POST /<app_id>/page_activities), v20.0 and older
)

// Outbox statuses of a forwarded event.
const (
	OutboxPending = "pending" // waiting to be sent, or to be retried at NextAttemptAt
	OutboxSent    = "sent"    // Meta accepted it
	OutboxFailed  = "failed"  // Meta rejected it; LastError and Response say why
	OutboxSkipped = "skipped" // never sent, on purpose; LastError says why
)

// OutboxStatuses lists every outbox status in display order.
var OutboxStatuses = []string{OutboxPending, OutboxSent, OutboxFailed, OutboxSkipped}

// ForwardingConfig is a client's forwarding settings. The token itself is never part of it:
// ForwardingToken returns the sealed bytes to the one component that sends.
type ForwardingConfig struct {
	ClientID  int64
	Mode      string // off, capi or legacy
	DatasetID string // Conversions API dataset (capi)
	AppID     string // the app whose page_activities edge is used (legacy)
	HasToken  bool
	// StoppedAt is set when the forwarder stopped this client (Meta refused the token, …);
	// saving the settings again clears it.
	StoppedAt     time.Time
	StoppedReason string
	UpdatedAt     time.Time // when the settings were last saved; zero when never
}

// Stopped reports whether the forwarder stopped this client.
func (c ForwardingConfig) Stopped() bool { return !c.StoppedAt.IsZero() }

// Forwarding returns a client's settings; a client that never saved any is off.
func (db *DB) Forwarding(ctx context.Context, clientID int64) (ForwardingConfig, error) {
	var c ForwardingConfig
	var stopped sql.NullString
	var updated string
	err := db.r.QueryRowContext(ctx, `SELECT client_id, mode, dataset_id, app_id, token_enc IS NOT NULL,
			stopped_at, stopped_reason, updated_at
		FROM forwarding WHERE client_id = ?`, clientID).
		Scan(&c.ClientID, &c.Mode, &c.DatasetID, &c.AppID, &c.HasToken, &stopped, &c.StoppedReason, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return ForwardingConfig{ClientID: clientID, Mode: ForwardOff}, nil
	}
	if err != nil {
		return ForwardingConfig{}, fmt.Errorf("store: forwarding: %w", err)
	}
	c.StoppedAt = nullTime(stopped)
	c.UpdatedAt, _ = ParseTime(updated)
	return c, nil
}

// ForwardingToken returns a client's sealed token, or ErrNotFound when none is stored.
func (db *DB) ForwardingToken(ctx context.Context, clientID int64) ([]byte, error) {
	var b []byte
	err := db.r.QueryRowContext(ctx, `SELECT token_enc FROM forwarding WHERE client_id = ? AND token_enc IS NOT NULL`, clientID).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: forwarding token: %w", err)
	}
	return b, nil
}

// SetForwarding saves a client's settings and clears any stop. sealedToken nil keeps the stored
// token. Ids not used by the mode are kept (when valid) so switching back needs no retyping.
// Errors name the field: mode, dataset_id, app_id or token. Whether the configured Graph API
// version allows legacy is the caller's rule (forward.LegacyRefusal), not the store's.
func (db *DB) SetForwarding(ctx context.Context, clientID int64, mode, datasetID, appID string, sealedToken []byte) (ForwardingConfig, error) {
	datasetID, appID = strings.TrimSpace(datasetID), strings.TrimSpace(appID)
	switch {
	case mode != ForwardOff && mode != ForwardCAPI && mode != ForwardLegacy:
		return ForwardingConfig{}, invalid("mode", "%q is not a forwarding mode: use off, capi or legacy", mode)
	case mode == ForwardCAPI && datasetID == "":
		return ForwardingConfig{}, invalid("dataset_id", "the Conversions API needs the dataset id (digits, from Events Manager)")
	case datasetID != "" && !digitsRE.MatchString(datasetID):
		return ForwardingConfig{}, invalid("dataset_id", "%q is not a dataset id: use the digits Events Manager shows", datasetID)
	case mode == ForwardLegacy && appID == "":
		return ForwardingConfig{}, invalid("app_id", "the page_activities edge needs the app id (digits)")
	case appID != "" && !digitsRE.MatchString(appID):
		return ForwardingConfig{}, invalid("app_id", "%q is not an app id: use the app's digits", appID)
	case sealedToken != nil && len(sealedToken) == 0:
		return ForwardingConfig{}, invalid("token", "the token is empty")
	}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM clients WHERE id = ?`, clientID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: set forwarding: %w", err)
		}
		var hasToken bool
		err = tx.QueryRowContext(ctx, `SELECT token_enc IS NOT NULL FROM forwarding WHERE client_id = ?`, clientID).Scan(&hasToken)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: set forwarding: %w", err)
		}
		if mode != ForwardOff && !hasToken && sealedToken == nil {
			return invalid("token", "enter the access token Meta should accept these events with")
		}
		// token_enc = coalesce(new, stored): a nil sealedToken keeps what is stored.
		_, err = tx.ExecContext(ctx, `INSERT INTO forwarding (client_id, mode, dataset_id, app_id, token_enc, stopped_at, stopped_reason, updated_at)
			VALUES (?, ?, ?, ?, ?, NULL, '', ?)
			ON CONFLICT (client_id) DO UPDATE SET mode = excluded.mode, dataset_id = excluded.dataset_id,
				app_id = excluded.app_id, token_enc = coalesce(excluded.token_enc, forwarding.token_enc),
				stopped_at = NULL, stopped_reason = '', updated_at = excluded.updated_at`,
			clientID, mode, datasetID, appID, sealedToken, FormatTime(db.now()))
		if err != nil {
			return fmt.Errorf("store: set forwarding: %w", err)
		}
		return nil
	})
	if err != nil {
		return ForwardingConfig{}, err
	}
	return db.Forwarding(ctx, clientID)
}

// StopForwarding marks a client's forwarding stopped with a reason a person can act on; its
// outbox items stay pending until the settings are saved again. seen is the UpdatedAt of the
// settings the caller acted on: when they were saved again since (a new token, say), nothing is
// stopped and false is returned. A zero seen stops unconditionally.
func (db *DB) StopForwarding(ctx context.Context, clientID int64, reason string, seen time.Time) (bool, error) {
	var stopped bool
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		q := `UPDATE forwarding SET stopped_at = ?, stopped_reason = ? WHERE client_id = ?`
		args := []any{FormatTime(db.now()), reason, clientID}
		if !seen.IsZero() {
			q += ` AND updated_at = ?`
			args = append(args, FormatTime(seen))
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("store: stop forwarding: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("store: stop forwarding: %w", err)
		}
		stopped = n > 0
		return nil
	})
	return stopped, err
}

// OutboxItem is one due outbox entry with everything a request to Meta needs.
type OutboxItem struct {
	EventID     int64 // lead_events.id
	ClientID    int64
	Mode        string // the mode it was queued under
	Attempts    int
	LastError   string
	Name        string
	EventTime   time.Time
	PageID      string
	PSID        string
	Value       string // decimal text as the bot sent it, "" when none
	Currency    string
	Params      string // JSON object of the event's custom keys
	IdemKey     string // the bot's event_id, "" when none
	RequestMeta string // JSON object: tracking flags, logging source and target of the request
}

// DueOutbox returns pending entries whose next attempt is due at now, oldest first, at most
// limit. Entries of stopped clients are left out: they wait for the settings to be fixed.
func (db *DB) DueOutbox(ctx context.Context, now time.Time, limit int) ([]OutboxItem, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT o.event_id, o.client_id, o.mode, o.attempts, o.last_error,
			e.event_name, e.event_time, e.page_id, e.psid, e.value, e.currency, e.params,
			coalesce(e.idem_key, ''), e.request_meta
		FROM outbox o
		JOIN lead_events e ON e.id = o.event_id
		LEFT JOIN forwarding f ON f.client_id = o.client_id
		WHERE o.status = 'pending' AND o.next_attempt_at <= ? AND f.stopped_at IS NULL
		ORDER BY o.next_attempt_at, o.event_id
		LIMIT ?`, FormatTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: due outbox: %w", err)
	}
	defer rows.Close()
	var out []OutboxItem
	for rows.Next() {
		var it OutboxItem
		var at string
		if err := rows.Scan(&it.EventID, &it.ClientID, &it.Mode, &it.Attempts, &it.LastError, &it.Name, &at,
			&it.PageID, &it.PSID, &it.Value, &it.Currency, &it.Params, &it.IdemKey, &it.RequestMeta); err != nil {
			return nil, fmt.Errorf("store: due outbox: %w", err)
		}
		if it.EventTime, err = ParseTime(at); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: due outbox: %w", err)
	}
	return out, nil
}

// OutboxUpdate is the outcome of one entry. Every field is written as given.
type OutboxUpdate struct {
	EventID       int64
	Status        string // pending (try again at NextAttemptAt), sent, failed or skipped
	Mode          string // the mode it was sent under; "" keeps the stored one
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	Response      string // Meta's answer
	SentAt        time.Time
}

// maxOutboxText bounds the texts kept per entry; Meta's messages are far shorter.
const maxOutboxText = 2000

// MarkOutbox records outcomes in one transaction. Only pending entries change: an entry an
// admin re-queued or that another pass settled meanwhile is left alone. It returns how many
// entries changed.
func (db *DB) MarkOutbox(ctx context.Context, updates []OutboxUpdate) (int, error) {
	if len(updates) == 0 {
		return 0, nil
	}
	for _, u := range updates {
		switch u.Status {
		case OutboxPending, OutboxSent, OutboxFailed, OutboxSkipped:
		default:
			return 0, invalid("status", "%q is not an outbox status", u.Status)
		}
	}
	changed := 0
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `UPDATE outbox SET status = ?,
				mode = CASE WHEN ? = '' THEN mode ELSE ? END,
				attempts = ?, next_attempt_at = ?, last_error = ?, response = ?, sent_at = ?, updated_at = ?
			WHERE event_id = ? AND status = 'pending'`)
		if err != nil {
			return fmt.Errorf("store: mark outbox: %w", err)
		}
		defer st.Close()
		now := db.now()
		for _, u := range updates {
			next := u.NextAttemptAt
			if next.IsZero() {
				next = now
			}
			res, err := st.ExecContext(ctx, u.Status, u.Mode, u.Mode, u.Attempts, FormatTime(next),
				clip(u.LastError), clip(u.Response), timeOrNull(u.SentAt), FormatTime(now), u.EventID)
			if err != nil {
				return fmt.Errorf("store: mark outbox: %w", err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("store: mark outbox: %w", err)
			}
			changed += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return changed, nil
}

func clip(s string) string {
	if len(s) <= maxOutboxText {
		return s
	}
	cut := maxOutboxText
	for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}

// OutboxCounts returns how many entries a client has in each status (every status present,
// zeros included); clientID 0 counts every client.
func (db *DB) OutboxCounts(ctx context.Context, clientID int64) (map[string]int, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT status, count(*) FROM outbox
		WHERE (? = 0 OR client_id = ?) GROUP BY status`, clientID, clientID)
	if err != nil {
		return nil, fmt.Errorf("store: outbox counts: %w", err)
	}
	defer rows.Close()
	out := make(map[string]int, len(OutboxStatuses))
	for _, s := range OutboxStatuses {
		out[s] = 0
	}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("store: outbox counts: %w", err)
		}
		out[s] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: outbox counts: %w", err)
	}
	return out, nil
}

// OutboxEntry is one outbox entry as the admin page shows it.
type OutboxEntry struct {
	EventID       int64
	EventName     string
	EventTime     time.Time
	PSID          string
	Mode          string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	Response      string
	SentAt        time.Time
	UpdatedAt     time.Time
}

// OutboxEntries returns a client's most recently changed entries, newest first, at most limit;
// status "" means every status.
func (db *DB) OutboxEntries(ctx context.Context, clientID int64, status string, limit int) ([]OutboxEntry, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT o.event_id, e.event_name, e.event_time, e.psid, o.mode, o.status,
			o.attempts, o.next_attempt_at, o.last_error, o.response, o.sent_at, o.updated_at
		FROM outbox o JOIN lead_events e ON e.id = o.event_id
		WHERE o.client_id = ? AND (? = '' OR o.status = ?)
		ORDER BY o.updated_at DESC, o.event_id DESC
		LIMIT ?`, clientID, status, status, limit)
	if err != nil {
		return nil, fmt.Errorf("store: outbox entries: %w", err)
	}
	defer rows.Close()
	var out []OutboxEntry
	for rows.Next() {
		var e OutboxEntry
		var at, next, updated string
		var sent sql.NullString
		if err := rows.Scan(&e.EventID, &e.EventName, &at, &e.PSID, &e.Mode, &e.Status, &e.Attempts, &next,
			&e.LastError, &e.Response, &sent, &updated); err != nil {
			return nil, fmt.Errorf("store: outbox entries: %w", err)
		}
		e.EventTime, _ = ParseTime(at)
		e.NextAttemptAt, _ = ParseTime(next)
		e.UpdatedAt, _ = ParseTime(updated)
		e.SentAt = nullTime(sent)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: outbox entries: %w", err)
	}
	return out, nil
}

// RequeueFailed puts a client's failed entries back to pending, due now, and returns how many.
// For after the cause was fixed (a dataset id corrected, say); Meta dedupes CAPI resends.
func (db *DB) RequeueFailed(ctx context.Context, clientID int64) (int, error) {
	var n int64
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		now := FormatTime(db.now())
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'pending', next_attempt_at = ?, updated_at = ?
			WHERE client_id = ? AND status = 'failed'`, now, now, clientID)
		if err != nil {
			return fmt.Errorf("store: requeue failed: %w", err)
		}
		n, err = res.RowsAffected()
		if err != nil {
			return fmt.Errorf("store: requeue failed: %w", err)
		}
		return nil
	})
	return int(n), err
}
