package forward

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/leadlens/leadlens/collector/graph"
	"github.com/leadlens/leadlens/store"
)

// Store is what the forwarder reads and writes; *store.DB satisfies it.
type Store interface {
	DueOutbox(ctx context.Context, now time.Time, limit int) ([]store.OutboxItem, error)
	MarkOutbox(ctx context.Context, updates []store.OutboxUpdate) (int, error)
	Forwarding(ctx context.Context, clientID int64) (store.ForwardingConfig, error)
	ForwardingToken(ctx context.Context, clientID int64) ([]byte, error)
	StopForwarding(ctx context.Context, clientID int64, reason string, seen time.Time) (bool, error)
}

// Opener opens sealed tokens; *secret.Box satisfies it.
type Opener interface {
	Open(sealed []byte) (string, error)
}

// Defaults of Config's zero fields.
const (
	MaxBatchSize          = 1000 // Meta's limit of events per Conversions API request
	DefaultPollInterval   = 2 * time.Second
	DefaultRequestTimeout = 30 * time.Second
	DefaultGrace          = 20 * time.Second
	DefaultBackoffBase    = 5 * time.Second
	DefaultBackoffMax     = time.Hour
)

// Backoff spaces the retries of a batch Meta answered with a transient or throttling error.
// The n-th retry waits a uniform time in [d/2, d) with d = min(Max, Base·2ⁿ⁻¹) — never less
// than half, so a failing batch cannot spin — and at least Meta's own estimate when it gave one.
type Backoff struct {
	Base time.Duration  // default DefaultBackoffBase
	Max  time.Duration  // default DefaultBackoffMax
	Rand func() float64 // uniform in [0,1); default math/rand/v2.Float64
}

// Delay is the wait before attempt+1, after attempt failed attempts.
func (b Backoff) Delay(attempt int) time.Duration {
	d := b.Base
	for i := 1; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	return d/2 + time.Duration(b.Rand()*float64(d/2))
}

// Observer receives counters for /metrics. Every field is optional; the zero value observes
// nothing. Outcomes are reported only after they are committed.
type Observer struct {
	// Outcome counts items reaching a status in one commit: sent, failed, skipped, or retried
	// (still pending, to be tried again after a backoff).
	Outcome func(mode, status string, n int)
	// Request reports each request to Meta with its outcome kind (graph.KindNone on success).
	Request func(mode string, kind graph.Kind, took time.Duration)
	// Stopped reports that a client's forwarding was stopped, with the reason stored.
	Stopped func(clientID int64, reason string)
}

// StatusRetried is the Observer.Outcome status of an item left pending for a later attempt.
const StatusRetried = "retried"

func (o Observer) outcome(mode, status string, n int) {
	if o.Outcome != nil && n > 0 {
		o.Outcome(mode, status, n)
	}
}

// Config configures a Forwarder. Store, Box and APIVersion are required.
type Config struct {
	Store      Store            // the outbox and the settings (*store.DB)
	Box        Opener           // opens the sealed tokens (*secret.Box)
	GraphURL   string           // without version; default https://graph.facebook.com
	APIVersion string           // e.g. v21.0; legacy forwarding needs v20.0 or older
	HTTP       *http.Client     // default: a new client
	Timeout    time.Duration    // per request to Meta; default DefaultRequestTimeout
	Now        func() time.Time // default time.Now
	Log        *slog.Logger     // default: discard; never sees a token
	AppVersion string           // Leadlens's version for the User-Agent
	// BatchSize is the most events per request (1..1000, default 1000).
	BatchSize int
	// FetchLimit is the most outbox items one pass reads (default 4 × BatchSize).
	FetchLimit int
	// PollInterval is how often the outbox is read when idle (default 2 s); Kick wakes it early.
	PollInterval time.Duration
	Backoff      Backoff
	// Grace is how long a batch in flight may still run after Run's context ends (default 20 s).
	Grace    time.Duration
	Observer Observer
}

// Forwarder sends the outbox to Meta. Run it once per database: two forwarders on one outbox
// would send the same items twice (harmless for the Conversions API, which dedupes by
// event_id; double counting for the legacy edge).
type Forwarder struct {
	st      Store
	box     Opener
	gc      *graph.Client
	version string
	now     func() time.Time
	log     *slog.Logger
	batch   int
	fetch   int
	poll    time.Duration
	backoff Backoff
	grace   time.Duration
	obs     Observer
	kick    chan struct{}
}

// New validates cfg and returns a Forwarder; Run starts it.
func New(cfg Config) (*Forwarder, error) {
	if cfg.Store == nil || cfg.Box == nil {
		return nil, errors.New("forward: Store and Box are required")
	}
	if cfg.BatchSize < 0 || cfg.BatchSize > MaxBatchSize {
		return nil, fmt.Errorf("forward: BatchSize %d out of range 1..%d", cfg.BatchSize, MaxBatchSize)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultRequestTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	// No client-side retries: a retry is an outbox decision (attempts, backoff, visible on the
	// admin page), and the legacy edge has no dedupe, so an automatic resend could double count.
	gc, err := graph.New(graph.Config{BaseURL: cfg.GraphURL, Version: cfg.APIVersion, HTTP: cfg.HTTP,
		Timeout: cfg.Timeout, Now: cfg.Now, Logger: cfg.Log, AppVersion: cfg.AppVersion})
	if err != nil {
		return nil, fmt.Errorf("forward: %w", err)
	}
	f := &Forwarder{st: cfg.Store, box: cfg.Box, gc: gc, version: gc.Version(), now: cfg.Now, log: cfg.Log,
		batch: cfg.BatchSize, fetch: cfg.FetchLimit, poll: cfg.PollInterval, backoff: cfg.Backoff,
		grace: cfg.Grace, obs: cfg.Observer, kick: make(chan struct{}, 1)}
	if f.batch == 0 {
		f.batch = MaxBatchSize
	}
	if f.fetch <= 0 {
		f.fetch = 4 * f.batch
	}
	if f.poll <= 0 {
		f.poll = DefaultPollInterval
	}
	if f.grace <= 0 {
		f.grace = DefaultGrace
	}
	if f.backoff.Base <= 0 {
		f.backoff.Base = DefaultBackoffBase
	}
	if f.backoff.Max <= 0 {
		f.backoff.Max = DefaultBackoffMax
	}
	if f.backoff.Rand == nil {
		f.backoff.Rand = rand.Float64
	}
	return f, nil
}

// Kick wakes an idle Run at once (after new events, a settings change or a re-queue). It
// never blocks.
func (f *Forwarder) Kick() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// LegacyRefusal says why the legacy edge cannot be used with this forwarder's Graph API
// version, "" when it can.
func (f *Forwarder) LegacyRefusal() string { return LegacyRefusal(f.version) }

var majorRE = regexp.MustCompile(`^v?([0-9]{1,3})(\.[0-9]{1,2})?$`)

// LegacyRefusal says why the legacy page_activities edge cannot be used with a Graph API
// version ("v21.0"), "" when it can: Meta serves it only up to v20.0.
func LegacyRefusal(version string) string {
	m := majorRE.FindStringSubmatch(version)
	if m == nil {
		return fmt.Sprintf("the configured Graph API version %q cannot be read; set META_API_VERSION like v20.0", version)
	}
	if major, _ := strconv.Atoi(m[1]); major > 20 {
		return fmt.Sprintf("Meta serves the Messaging Events API (page_activities) only up to v20.0, and Leadlens is configured for %s: use the Conversions API, or set META_API_VERSION to v20.0 or older", version)
	}
	return ""
}

// Run forwards until ctx ends: each pass reads the due outbox items, sends them grouped by
// client and mode, and records every outcome. When ctx ends it starts no new request; a batch
// in flight is finished and recorded within Grace, then Run returns. Items it did not get to
// stay pending for the next start.
func (f *Forwarder) Run(ctx context.Context) {
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-finished:
			return
		case <-ctx.Done():
		}
		t := time.NewTimer(f.grace)
		defer t.Stop()
		select {
		case <-finished:
		case <-t.C:
			cancelWork()
		}
	}()
	failures := 0
	for ctx.Err() == nil {
		stats, err := f.pass(ctx, work)
		wait := f.poll
		switch {
		case err != nil && ctx.Err() == nil:
			// The store failed (disk full, locked): slow down rather than resend in a loop.
			failures++
			wait = f.backoff.Delay(failures)
			f.log.Error("forwarding: pass failed; outbox items stay pending", slog.Any("err", err), slog.Duration("retry_in", wait))
		case err == nil:
			failures = 0
			if stats.Due >= f.fetch && stats.progress() {
				wait = 0 // more is due right now
			}
		}
		if wait > 0 && !f.idle(ctx, wait) {
			break
		}
	}
	f.log.Info("forwarding: stopped")
}

// idle waits d, a Kick or the end of ctx; it reports whether to go on.
func (f *Forwarder) idle(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-f.kick:
	case <-t.C:
	}
	return true
}

// Stats is what one pass did.
type Stats struct {
	Due      int // items read
	Requests int // requests made to Meta
	Sent     int
	Failed   int
	Skipped  int
	Retried  int // left pending after a failed attempt, for a later one
	Deferred int // not attempted: an earlier batch of the same client failed; due with it
}

// progress reports whether the pass changed any item.
func (s Stats) progress() bool { return s.Sent+s.Failed+s.Skipped+s.Retried+s.Deferred > 0 }

// Pass runs one pass synchronously: due items are sent and their outcomes recorded. Run calls
// it in a loop; tests and one-shot tools call it directly.
func (f *Forwarder) Pass(ctx context.Context) (Stats, error) { return f.pass(ctx, ctx) }

// pass reads due items and forwards them client by client. stop ends the pass before the next
// request; work bounds the requests and writes themselves.
func (f *Forwarder) pass(stop, work context.Context) (Stats, error) {
	var st Stats
	items, err := f.st.DueOutbox(work, f.now(), f.fetch)
	if err != nil {
		return st, err
	}
	st.Due = len(items)
	var order []int64
	byClient := map[int64][]store.OutboxItem{}
	for _, it := range items {
		if _, ok := byClient[it.ClientID]; !ok {
			order = append(order, it.ClientID)
		}
		byClient[it.ClientID] = append(byClient[it.ClientID], it)
	}
	for _, id := range order {
		if stop.Err() != nil {
			break
		}
		if err := f.forwardClient(stop, work, id, byClient[id], &st); err != nil {
			return st, err
		}
	}
	return st, nil
}
