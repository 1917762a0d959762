package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/leadlens/leadlens/collector/graph"
	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
)

// Defaults of Config's zero fields.
const (
	DefaultLookbackDays   = 28
	DefaultBackfillDays   = 90
	DefaultChunkDays      = 30
	DefaultConcurrency    = 2
	DefaultRequestTimeout = 60 * time.Second
	DefaultBatchRows      = 2000
	// MaxHistoryMonths is how far back Meta serves insights.
	MaxHistoryMonths = 37
)

// Config configures a Service. Store is required; the rest has defaults.
type Config struct {
	Store *store.DB
	// Box opens sealed tokens (per-account overrides, the installation token an admin stored).
	// Nil: sealed tokens cannot be used and such accounts fail with secret.ErrCannotOpen.
	Box *secret.Box
	// GraphURL is the Graph API base URL without version (default https://graph.facebook.com);
	// APIVersion is e.g. "v21.0" (default v21.0).
	GraphURL   string
	APIVersion string
	// Token is META_ACCESS_TOKEN: the last resort after an account's own token and the
	// installation token stored in settings. Never logged.
	Token      string
	HTTP       *http.Client // default: a client on http.DefaultTransport
	Log        *slog.Logger // default: discard
	Now        func() time.Time
	AppVersion string // Leadlens's version, for the User-Agent

	LookbackDays int // incremental window: today and this many days before it (default 28)
	BackfillDays int // first sync: this many days up to today (default 90; capped at 37 months)
	ChunkDays    int // days per window load (default 30)
	Concurrency  int // accounts collected at the same time (default 2)
	// RequestTimeout bounds each HTTP attempt, body included (default 60s).
	RequestTimeout time.Duration
	PageLimit      int // insights rows per page (default 500)
	BatchRows      int // rows per staging transaction (default 2000)

	Pacing Pacing
	Retry  RetryPolicy
	Async  AsyncPolicy

	// Schedule is the cron spec Start schedules passes with (LEADLENS_SCHEDULE); "" schedules
	// nothing. New rejects a spec that does not parse.
	Schedule string
	Observer Observer // metrics; nil observes nothing
}

func (c *Config) defaults() error {
	if c.Store == nil {
		return errors.New("collector: Config.Store is required")
	}
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&c.LookbackDays, DefaultLookbackDays)
	def(&c.BackfillDays, DefaultBackfillDays)
	def(&c.ChunkDays, DefaultChunkDays)
	def(&c.Concurrency, DefaultConcurrency)
	def(&c.PageLimit, graph.DefaultPageLimit)
	def(&c.BatchRows, DefaultBatchRows)
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.APIVersion == "" {
		c.APIVersion = "v21.0"
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.HTTP == nil {
		c.HTTP = &http.Client{}
	}
	if c.Observer == nil {
		c.Observer = ObserverFuncs{}
	}
	c.Pacing.defaults()
	c.Retry.defaults()
	c.Async.defaults()
	return nil
}

// Observer receives the collector's metrics. The admin's Prometheus wiring implements it;
// ObserverFuncs adapts functions. Calls come from several goroutines.
type Observer interface {
	// RunFinished is called once per run with its final status and duration.
	RunFinished(status string, d time.Duration)
	// GraphCall is called after every HTTP attempt: op is a graph.Op* name, result "ok" or a
	// graph.Kind name ("throttled", "transient", …).
	GraphCall(op, result string, d time.Duration)
	// ThrottleWait is called for every rate-limit wait (pacing pause or throttling retry).
	ThrottleWait(reason string, d time.Duration)
	// RowsWritten is called when a window commits, per level, with the rows stored.
	RowsWritten(level string, n int)
}

// ObserverFuncs is an Observer made of optional functions; nil fields do nothing.
type ObserverFuncs struct {
	OnRunFinished  func(status string, d time.Duration)
	OnGraphCall    func(op, result string, d time.Duration)
	OnThrottleWait func(reason string, d time.Duration)
	OnRowsWritten  func(level string, n int)
}

// RunFinished implements Observer.
func (o ObserverFuncs) RunFinished(status string, d time.Duration) {
	if o.OnRunFinished != nil {
		o.OnRunFinished(status, d)
	}
}

// GraphCall implements Observer.
func (o ObserverFuncs) GraphCall(op, result string, d time.Duration) {
	if o.OnGraphCall != nil {
		o.OnGraphCall(op, result, d)
	}
}

// ThrottleWait implements Observer.
func (o ObserverFuncs) ThrottleWait(reason string, d time.Duration) {
	if o.OnThrottleWait != nil {
		o.OnThrottleWait(reason, d)
	}
}

// RowsWritten implements Observer.
func (o ObserverFuncs) RowsWritten(level string, n int) {
	if o.OnRowsWritten != nil {
		o.OnRowsWritten(level, n)
	}
}

// Request asks for one pass.
type Request struct {
	// Trigger is store.TriggerSchedule, TriggerManual, TriggerBackfill (re-read the whole
	// back-fill horizon) or TriggerCLI.
	Trigger   string
	StartedBy string // who asked: an email, "schedule", "cli"
	// ClientID limits the pass to one client's accounts (0: every active client).
	ClientID int64
	// AccountIDs limits the pass to these ad accounts (with or without act_).
	AccountIDs []string
	// Since and Until (YYYY-MM-DD, both or neither) read exactly that range instead of the
	// planned windows.
	Since, Until string
}

// ErrRunInProgress is returned by Run while another run is in progress; the RunResult carries
// that run's id.
var ErrRunInProgress = errors.New("collector: a collection run is already in progress")

// ErrInvalidRequest wraps every problem with a Request (bad dates, unknown accounts, …): the
// caller asked for something that cannot run.
var ErrInvalidRequest = errors.New("collector: invalid request")

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidRequest, fmt.Sprintf(format, args...))
}

// Service runs collection passes. Its methods are safe for concurrent use.
type Service struct {
	cfg Config
	db  *store.DB
	log *slog.Logger
	obs Observer

	base   context.Context // cancelled by Stop: every pass derives from it
	cancel context.CancelFunc
	passes sync.WaitGroup

	mu      sync.Mutex
	current *run // the run in progress, nil when idle
	last    *run // the latest finished run, for Progress
	cron    *cron.Cron
}

// New checks cfg and returns a Service. Nothing runs until Run, Trigger or Start.
func New(cfg Config) (*Service, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if cfg.Schedule != "" {
		if err := ValidateSchedule(cfg.Schedule); err != nil {
			return nil, err
		}
	}
	// Fail early on a bad URL or version rather than in every account of every run.
	if _, err := graph.New(graph.Config{BaseURL: cfg.GraphURL, Version: cfg.APIVersion}); err != nil {
		return nil, fmt.Errorf("collector: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{cfg: cfg, db: cfg.Store, log: slog.New(ctxHandler{cfg.Log.Handler()}), obs: cfg.Observer,
		base: ctx, cancel: cancel}, nil
}

// validate checks a request's fields that need no database.
func (r *Request) validate() error {
	switch r.Trigger {
	case store.TriggerSchedule, store.TriggerManual, store.TriggerBackfill, store.TriggerCLI:
	case "":
		r.Trigger = store.TriggerManual
	default:
		return badRequest("trigger %q: use schedule, manual, backfill or cli", r.Trigger)
	}
	r.Since, r.Until = strings.TrimSpace(r.Since), strings.TrimSpace(r.Until)
	if (r.Since == "") != (r.Until == "") {
		return badRequest("give both since and until, or neither")
	}
	if r.Since == "" {
		return nil
	}
	s, err := time.Parse(time.DateOnly, r.Since)
	if err != nil {
		return badRequest("since %q is not a date (YYYY-MM-DD)", r.Since)
	}
	u, err := time.Parse(time.DateOnly, r.Until)
	if err != nil {
		return badRequest("until %q is not a date (YYYY-MM-DD)", r.Until)
	}
	if u.Before(s) {
		return badRequest("until %s is before since %s", r.Until, r.Since)
	}
	return nil
}
