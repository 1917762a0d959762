package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// AttributionWindow is how long a referral attributes a person's later events (last touch).
const AttributionWindow = 28 * 24 * time.Hour

// ErrForeignPage means a page is not registered for the client whose key sent the request
// (it belongs to another client, or to none).
var ErrForeignPage = errors.New("store: the page is not registered for this client")

// EventBatch is the events of one API request. A batch is stored all or nothing.
type EventBatch struct {
	ClientID int64
	// APIKeyID is the key that sent the batch; its last use is stamped at most once a minute.
	// 0 for none.
	APIKeyID int64
	PageID   string
	PSID     string
	// AdID is the request's explicit ad (ad_id / referral.ad_id); "" means attribute by referral.
	AdID       string
	ReceivedAt time.Time
	// RequestMeta is a JSON object describing the request (app id, logging source and target,
	// tracking flags); "" means {}.
	RequestMeta string
	Events      []NewEvent
}

// NewEvent is one event of a batch.
type NewEvent struct {
	Name      string
	Value     string // decimal text exactly as sent, "" when none
	Currency  string
	Params    string // JSON object of the other keys; "" means {}
	EventTime time.Time
	// IdemKey is the event_id extension: a second event with the same key for the same client
	// is acknowledged as a duplicate and not stored. "" means none.
	IdemKey string
}

// BatchResult is the outcome of one batch: one EventResult per event in order, or Err when
// nothing of the batch was stored.
type BatchResult struct {
	Events []EventResult
	Err    error
}

// EventResult is the stored id of one event; Duplicate when an earlier event with the same
// idempotency key was found and this one was not stored.
type EventResult struct {
	ID        int64
	Duplicate bool
}

// InsertEventBatches stores many requests' events in one transaction — one fsync for all of
// them — with a savepoint per batch, so a batch that fails is rolled back alone and reported in
// its BatchResult. The error return is for the transaction as a whole (nothing stored).
func (db *DB) InsertEventBatches(ctx context.Context, batches []EventBatch) ([]BatchResult, error) {
	results := make([]BatchResult, len(batches))
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		w, err := newEventWriter(ctx, tx, db.now())
		if err != nil {
			return err
		}
		defer w.close()
		for i := range batches {
			if _, err := tx.ExecContext(ctx, `SAVEPOINT event_batch`); err != nil {
				return fmt.Errorf("store: savepoint: %w", err)
			}
			res, berr := w.insertBatch(ctx, &batches[i])
			if berr != nil {
				if _, err := tx.ExecContext(ctx, `ROLLBACK TO event_batch`); err != nil {
					return fmt.Errorf("store: roll back a failed batch (%v): %w", berr, err)
				}
				results[i].Err = berr
			} else {
				results[i].Events = res
			}
			if _, err := tx.ExecContext(ctx, `RELEASE event_batch`); err != nil {
				return fmt.Errorf("store: release savepoint: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// eventWriter holds what one group transaction reuses: prepared statements and per-client facts.
type eventWriter struct {
	tx      *sql.Tx
	now     time.Time
	clients map[int64]clientFacts
	pages   map[string]int64
	touched map[int64]bool

	insert, findIdem, lastReferral, outbox *sql.Stmt
}

// clientFacts are what storing an event needs to know about its client.
type clientFacts struct {
	loc     *time.Location
	forward string // forwarding mode: off, capi, legacy
}

func newEventWriter(ctx context.Context, tx *sql.Tx, now time.Time) (*eventWriter, error) {
	w := &eventWriter{tx: tx, now: now, clients: map[int64]clientFacts{}, pages: map[string]int64{}, touched: map[int64]bool{}}
	stmts := []struct {
		dst **sql.Stmt
		sql string
	}{
		// ON CONFLICT DO NOTHING with RETURNING answers no row for a repeated idempotency key
		// (the lead_events_idem index); both SQLite and PostgreSQL read it the same way.
		{&w.insert, `INSERT INTO lead_events (client_id, page_id, psid, event_name, value, currency, params,
			event_time, event_day, received_at, idem_key, ad_id, attribution, referral_id, request_meta)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING RETURNING id`},
		{&w.findIdem, `SELECT id FROM lead_events WHERE client_id = ? AND idem_key = ?`},
		{&w.lastReferral, `SELECT id, ad_id FROM referrals
			WHERE client_id = ? AND page_id = ? AND psid = ? AND referred_at >= ? AND referred_at <= ?
			ORDER BY referred_at DESC, id DESC LIMIT 1`},
		{&w.outbox, `INSERT INTO outbox (event_id, client_id, mode, status, attempts, next_attempt_at, updated_at)
			VALUES (?, ?, ?, 'pending', 0, ?, ?)`},
	}
	for _, s := range stmts {
		st, err := tx.PrepareContext(ctx, s.sql)
		if err != nil {
			w.close()
			return nil, fmt.Errorf("store: prepare event statements: %w", err)
		}
		*s.dst = st
	}
	return w, nil
}

func (w *eventWriter) close() {
	for _, s := range []*sql.Stmt{w.insert, w.findIdem, w.lastReferral, w.outbox} {
		if s != nil {
			s.Close()
		}
	}
}

func (b *EventBatch) validate() error {
	switch {
	case b.ClientID <= 0:
		return invalid("client", "no client given")
	case !digitsRE.MatchString(b.PageID):
		return invalid("page_id", "%q is not a page id", b.PageID)
	case !digitsRE.MatchString(b.PSID):
		return invalid("page_scoped_user_id", "%q is not a page-scoped user id", b.PSID)
	case b.AdID != "" && !digitsRE.MatchString(b.AdID):
		return invalid("ad_id", "%q is not an ad id", b.AdID)
	case len(b.Events) == 0:
		return invalid("custom_events", "no events given")
	}
	for i, e := range b.Events {
		if e.Name == "" {
			return invalid(fmt.Sprintf("custom_events[%d]._eventName", i), "no event name given")
		}
		if e.EventTime.IsZero() {
			return invalid(fmt.Sprintf("custom_events[%d]._logTime", i), "no event time given")
		}
	}
	return nil
}

func (w *eventWriter) insertBatch(ctx context.Context, b *EventBatch) ([]EventResult, error) {
	if err := b.validate(); err != nil {
		return nil, err
	}
	facts, err := w.client(ctx, b.ClientID)
	if err != nil {
		return nil, err
	}
	if err := w.pageOwned(ctx, b.ClientID, b.PageID); err != nil {
		return nil, err
	}
	if err := w.touchKey(ctx, b.APIKeyID); err != nil {
		return nil, err
	}
	meta := b.RequestMeta
	if meta == "" {
		meta = "{}"
	}
	received := b.ReceivedAt
	if received.IsZero() {
		received = w.now
	}
	out := make([]EventResult, len(b.Events))
	for i, e := range b.Events {
		adID, attribution, refID := b.AdID, "", sql.NullInt64{}
		if adID != "" {
			attribution = "event"
		} else {
			err := w.lastReferral.QueryRowContext(ctx, b.ClientID, b.PageID, b.PSID,
				FormatTime(e.EventTime.Add(-AttributionWindow)), FormatTime(e.EventTime)).Scan(&refID, &adID)
			switch {
			case err == nil:
				attribution = "referral"
			case !errors.Is(err, sql.ErrNoRows):
				return nil, fmt.Errorf("store: find referral: %w", err)
			}
		}
		params := e.Params
		if params == "" {
			params = "{}"
		}
		var idem any
		if e.IdemKey != "" {
			idem = e.IdemKey
		}
		var id int64
		err := w.insert.QueryRowContext(ctx, b.ClientID, b.PageID, b.PSID, e.Name, e.Value, e.Currency, params,
			FormatTime(e.EventTime), e.EventTime.In(facts.loc).Format(DateLayout), FormatTime(received),
			idem, adID, attribution, refID, meta).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) && e.IdemKey != "" {
			// The key was seen before: in an earlier request, or earlier in this one.
			if err := w.findIdem.QueryRowContext(ctx, b.ClientID, e.IdemKey).Scan(&id); err != nil {
				return nil, fmt.Errorf("store: find duplicate event: %w", err)
			}
			out[i] = EventResult{ID: id, Duplicate: true}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("store: insert event: %w", err)
		}
		if facts.forward != "off" {
			now := FormatTime(w.now)
			if _, err := w.outbox.ExecContext(ctx, id, b.ClientID, facts.forward, now, now); err != nil {
				return nil, fmt.Errorf("store: queue event for forwarding: %w", err)
			}
		}
		out[i] = EventResult{ID: id}
	}
	return out, nil
}

// client reads (once per transaction) the client's timezone and forwarding mode.
func (w *eventWriter) client(ctx context.Context, id int64) (clientFacts, error) {
	if f, ok := w.clients[id]; ok {
		return f, nil
	}
	var own, account, mode string
	err := w.tx.QueryRowContext(ctx, `SELECT c.timezone,
			coalesce((SELECT a.timezone_name FROM ad_accounts a WHERE a.client_id = c.id AND a.timezone_name <> ''
				ORDER BY a.created_at, a.id LIMIT 1), ''),
			coalesce((SELECT f.mode FROM forwarding f WHERE f.client_id = c.id), 'off')
		FROM clients c WHERE c.id = ?`, id).Scan(&own, &account, &mode)
	if errors.Is(err, sql.ErrNoRows) {
		return clientFacts{}, ErrNotFound
	}
	if err != nil {
		return clientFacts{}, fmt.Errorf("store: client for events: %w", err)
	}
	loc, err := location(own, account)
	if err != nil {
		return clientFacts{}, err
	}
	f := clientFacts{loc: loc, forward: mode}
	w.clients[id] = f
	return f, nil
}

// location is the client's timezone rule of ClientTimezone: its own setting, else its first
// ad account's, else UTC.
func location(own, account string) (*time.Location, error) {
	name := own
	if name == "" {
		name = account
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

// pageOwned re-checks, inside the transaction, that the page is the client's: the handler
// checked it too, but a page can be moved between that check and this write.
func (w *eventWriter) pageOwned(ctx context.Context, clientID int64, pageID string) error {
	owner, ok := w.pages[pageID]
	if !ok {
		err := w.tx.QueryRowContext(ctx, `SELECT client_id FROM pages WHERE id = ?`, pageID).Scan(&owner)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: page owner: %w", err)
		}
		w.pages[pageID] = owner
	}
	if owner != clientID {
		return fmt.Errorf("page %s: %w", pageID, ErrForeignPage)
	}
	return nil
}

// touchKey stamps a key's last use, once per transaction and at most once a minute, so using
// a key does not turn every request into another write.
func (w *eventWriter) touchKey(ctx context.Context, keyID int64) error {
	if keyID == 0 || w.touched[keyID] {
		return nil
	}
	w.touched[keyID] = true
	return touchAPIKey(ctx, w.tx, keyID, w.now)
}

// PageClient returns the id of the client a page is registered for, or ErrNotFound.
func (db *DB) PageClient(ctx context.Context, pageID string) (int64, error) {
	var id int64
	err := db.r.QueryRowContext(ctx, `SELECT client_id FROM pages WHERE id = ?`, pageID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("store: page client: %w", err)
	}
	return id, nil
}

// RebucketEventDays recomputes every stored event's day in the client's current timezone and
// returns how many changed. UpdateClient calls it when the timezone changes.
func (db *DB) RebucketEventDays(ctx context.Context, clientID int64) (int, error) {
	var n int
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = rebucket(ctx, tx, clientID)
		return err
	})
	return n, err
}

func rebucket(ctx context.Context, tx *sql.Tx, clientID int64) (int, error) {
	w := &eventWriter{tx: tx, clients: map[int64]clientFacts{}}
	facts, err := w.client(ctx, clientID)
	if err != nil {
		return 0, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, event_time, event_day FROM lead_events WHERE client_id = ?`, clientID)
	if err != nil {
		return 0, fmt.Errorf("store: rebucket events: %w", err)
	}
	type change struct {
		id  int64
		day string
	}
	var changes []change
	for rows.Next() {
		var id int64
		var at, day string
		if err := rows.Scan(&id, &at, &day); err != nil {
			rows.Close()
			return 0, fmt.Errorf("store: rebucket events: %w", err)
		}
		t, err := ParseTime(at)
		if err != nil {
			rows.Close()
			return 0, err
		}
		if d := t.In(facts.loc).Format(DateLayout); d != day {
			changes = append(changes, change{id, d})
		}
	}
	if err := rows.Close(); err != nil {
		return 0, fmt.Errorf("store: rebucket events: %w", err)
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("store: rebucket events: %w", err)
	}
	if len(changes) == 0 {
		return 0, nil
	}
	st, err := tx.PrepareContext(ctx, `UPDATE lead_events SET event_day = ? WHERE id = ?`)
	if err != nil {
		return 0, fmt.Errorf("store: rebucket events: %w", err)
	}
	defer st.Close()
	for _, c := range changes {
		if _, err := st.ExecContext(ctx, c.day, c.id); err != nil {
			return 0, fmt.Errorf("store: rebucket events: %w", err)
		}
	}
	return len(changes), nil
}

// LeadEvent is a stored event as the admin pages and tests read it.
type LeadEvent struct {
	ID          int64
	ClientID    int64
	PageID      string
	PSID        string
	Name        string
	Value       string
	Currency    string
	Params      string // JSON object
	EventTime   time.Time
	EventDay    string // YYYY-MM-DD in the client's timezone
	ReceivedAt  time.Time
	IdemKey     string
	AdID        string // the explicit or referral-attributed ad, "" when unattributed
	Attribution string // "event", "referral" or ""
	ReferralID  int64
	RequestMeta string // JSON object
	// Forwarding is the event's outbox status (pending, sent, failed, skipped); "" when the
	// event is not forwarded.
	Forwarding string
}

const leadEventCols = `e.id, e.client_id, e.page_id, e.psid, e.event_name, e.value, e.currency, e.params, e.event_time,
	e.event_day, e.received_at, coalesce(e.idem_key, ''), e.ad_id, e.attribution, coalesce(e.referral_id, 0), e.request_meta,
	coalesce(o.status, '')`

func scanLeadEvent(row rowScanner) (LeadEvent, error) {
	var e LeadEvent
	var at, received string
	if err := row.Scan(&e.ID, &e.ClientID, &e.PageID, &e.PSID, &e.Name, &e.Value, &e.Currency, &e.Params, &at,
		&e.EventDay, &received, &e.IdemKey, &e.AdID, &e.Attribution, &e.ReferralID, &e.RequestMeta, &e.Forwarding); err != nil {
		return LeadEvent{}, err
	}
	e.EventTime, _ = ParseTime(at)
	e.ReceivedAt, _ = ParseTime(received)
	return e, nil
}

// LeadEvent returns one of a client's stored events.
func (db *DB) LeadEvent(ctx context.Context, clientID, id int64) (LeadEvent, error) {
	e, err := scanLeadEvent(db.r.QueryRowContext(ctx, `SELECT `+leadEventCols+`
		FROM lead_events e LEFT JOIN outbox o ON o.event_id = e.id WHERE e.client_id = ? AND e.id = ?`, clientID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return LeadEvent{}, ErrNotFound
	}
	if err != nil {
		return LeadEvent{}, fmt.Errorf("store: lead event: %w", err)
	}
	return e, nil
}

// LeadEvents returns a client's most recently received events, newest first, at most limit.
func (db *DB) LeadEvents(ctx context.Context, clientID int64, limit int) ([]LeadEvent, error) {
	return queryAll(ctx, db.r, "store: lead events", scanLeadEvent, `SELECT `+leadEventCols+`
		FROM lead_events e LEFT JOIN outbox o ON o.event_id = e.id WHERE e.client_id = ?
		ORDER BY e.id DESC LIMIT ?`, clientID, limit)
}
