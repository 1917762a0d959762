// Package handlers is Leadlens's HTTP layer: routes.go lists every route and middleware; each
// page or API resource has its own file. Handlers are methods on one Handler, which gets the
// store and small interfaces (the collector's Refresher, …) from main.
package handlers

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/leadlens/leadlens/static"
	"github.com/leadlens/leadlens/store"
	"github.com/leadlens/leadlens/views"
)

// Config holds the settings the HTTP layer needs.
type Config struct {
	// MaxBodyBytes bounds request bodies of the event API (413 beyond it).
	MaxBodyBytes int64
	// SecureCookies sets the Secure attribute on cookies (the public URL is https).
	SecureCookies bool
	// TrustProxy takes the client address from X-Forwarded-For / X-Real-IP.
	TrustProxy bool
	// BaseURL is the public URL, "" when unknown.
	BaseURL string
	// APIVersion is the configured Graph API version ("v21.0").
	APIVersion string
	// GraphURL is the configured Graph API base URL.
	GraphURL string
	// MetricsToken, when set, lets a scraper read /metrics with this bearer token.
	MetricsToken string
	// EnvTokenSet says META_ACCESS_TOKEN is set (the collector's last-resort token); the
	// token itself never reaches the HTTP layer.
	EnvTokenSet bool
	// RequestTimeout bounds ordinary requests.
	RequestTimeout time.Duration
	// LookbackDays is how many days every collection re-reads because Meta restates them; the
	// dashboard marks those days provisional (28 when 0).
	LookbackDays int
	// BackupSchedule, BackupDir and BackupKeep describe scheduled backups on /admin
	// (LEADLENS_BACKUP_*); an empty schedule means none.
	BackupSchedule string
	BackupDir      string
	BackupKeep     int
}

// Deps is everything a Handler is built from.
type Deps struct {
	Store   *store.DB
	Log     *slog.Logger
	Now     func() time.Time
	Version string
	Config  Config
	// Events takes the event API's requests (the group-commit batcher); nil answers 503.
	Events EventSink
	// Forwarding is the event forwarder (the forwarding admin page's version rule and wake-up);
	// nil when none runs in this process.
	Forwarding Forwarding
	// Sealer encrypts tokens entered on admin pages before they are stored (*secret.Box).
	Sealer TokenSealer
	// ForwardingNames is the forwarder's event-name table, shown on the forwarding page.
	ForwardingNames []views.ForwardingMapping
	// Refresher starts collection runs and reports their progress (the admin console's
	// "refresh now"); nil when no collector runs in this process.
	Refresher Refresher
	// MetaTester tests Meta tokens against the Graph API (Admin → Meta connection); nil hides
	// the tests' answers behind a message.
	MetaTester MetaTester
	// Metrics counts requests, runs, Graph calls and events for /metrics; nil counts nothing
	// and /metrics answers 404.
	Metrics *Metrics
}

// Handler serves every route.
type Handler struct {
	db      *store.DB
	log     *slog.Logger
	now     func() time.Time
	version string
	cfg     Config
	assets  *static.Assets
	events  EventSink

	forwarding      Forwarding
	sealer          TokenSealer
	forwardingNames []views.ForwardingMapping

	refresher  Refresher
	metaTester MetaTester
	metrics    *Metrics

	sessions     *scs.SessionManager
	loginIP      *keyedLimiter // every sign-in attempt, per client IP
	loginAccount *keyedLimiter // failed sign-ins, per email
	shareTries   *keyedLimiter // wrong share-link passwords, per link and client IP (share.go)
}

// New builds a Handler.
func New(d Deps) *Handler {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Config.RequestTimeout == 0 {
		d.Config.RequestTimeout = 60 * time.Second
	}
	if d.Config.MaxBodyBytes == 0 {
		d.Config.MaxBodyBytes = 1 << 20
	}
	if d.Config.LookbackDays == 0 {
		d.Config.LookbackDays = 28
	}
	h := &Handler{
		db:      d.Store,
		log:     d.Log,
		now:     d.Now,
		version: d.Version,
		cfg:     d.Config,
		assets:  &static.Assets{},
		events:  d.Events,
		// Forwarding admin page (admin_forwarding.go).
		forwarding:      d.Forwarding,
		sealer:          d.Sealer,
		forwardingNames: d.ForwardingNames,
		// Admin console (admin*.go) and /metrics (metrics.go).
		refresher:  d.Refresher,
		metaTester: d.MetaTester,
		metrics:    d.Metrics,
		// 10 attempts at once from one address, then one every 30 s.
		loginIP: newKeyedLimiter(30*time.Second, 10, d.Now),
		// 5 failures for one account, then one more every 2 minutes.
		loginAccount: newKeyedLimiter(2*time.Minute, 5, d.Now),
		// 5 wrong passwords for one share link from one address, then one more a minute.
		shareTries: newKeyedLimiter(time.Minute, 5, d.Now),
	}
	// Count what the event API stores (metrics.go); the sink stays nil when there is none.
	h.events = d.Metrics.countEvents(d.Events)
	h.sessions = newSessionManager(d.Store, d.Config.SecureCookies, func(w http.ResponseWriter, r *http.Request, err error) {
		h.fail(w, r, err)
	})
	return h
}

// page builds the layout data shared by every page.
func (h *Handler) page(title string) views.Page {
	return views.Page{
		Title:   title,
		Version: h.version,
		Assets: views.Assets{
			CSS:     h.assets.URL("css/app.css"),
			Favicon: h.assets.URL("img/favicon.svg"),
			Logo:    h.assets.URL("img/logo.svg"),
			ECharts: h.assets.URL("vendor/echarts-5.6.0.min.js"),
			Charts:  h.assets.URL("js/charts.js"),
			HTMX:    h.assets.URL("vendor/htmx-2.0.11.min.js"),
		},
	}
}
