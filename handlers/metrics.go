package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
)

// Metrics is Leadlens's Prometheus instrumentation. It owns a private registry (no global
// default registry: two Handlers in one test binary must not share counters) holding the
// counters the HTTP layer updates, the ones the collector and the forwarder report through
// their observers (main adapts them: handlers imports neither), and gauges read from the store
// at scrape time. Every method is safe on a nil *Metrics, which counts nothing.
//
// Its RunFinished, GraphCall, ThrottleWait and RowsWritten methods have exactly the collector's
// Observer method set, so main passes a *Metrics to the collector as is.
type Metrics struct {
	reg     *prometheus.Registry
	handler http.Handler

	runs            *prometheus.CounterVec
	runSeconds      *prometheus.HistogramVec
	graphCalls      *prometheus.CounterVec
	graphSeconds    *prometheus.HistogramVec
	throttleSeconds *prometheus.CounterVec
	throttleWaits   *prometheus.CounterVec
	rows            *prometheus.CounterVec
	eventsReceived  prometheus.Counter
	eventsDuplicate prometheus.Counter
	eventsRejected  *prometheus.CounterVec
	httpSeconds     *prometheus.HistogramVec
	fwdItems        *prometheus.CounterVec
	fwdRequests     *prometheus.CounterVec
	fwdSeconds      *prometheus.HistogramVec
	fwdStops        prometheus.Counter
}

// NewMetrics builds the registry: Leadlens's metrics, gauges read from db at each scrape (db
// may be nil: no gauges), and the Go runtime and process collectors. log receives scrape errors.
func NewMetrics(db *store.DB, now func() time.Time, log *slog.Logger) *Metrics {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reg := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	m := &Metrics{reg: reg}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
		f(c)
		return c
	}
	histogram := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
		f(h)
		return h
	}
	m.runs = counter("leadlens_collector_runs_total", "Collection runs finished, by final status.", "status")
	m.runSeconds = histogram("leadlens_collector_run_duration_seconds", "How long collection runs took.",
		[]float64{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600}, "status")
	m.graphCalls = counter("leadlens_graph_calls_total", "Graph API HTTP attempts by the collector, by operation and result (ok or the error kind).", "op", "result")
	m.graphSeconds = histogram("leadlens_graph_call_duration_seconds", "Duration of Graph API HTTP attempts by the collector.",
		[]float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}, "op")
	m.throttleSeconds = counter("leadlens_collector_throttle_wait_seconds_total", "Seconds the collector waited for Meta's rate limits (pacing pauses and throttling retries).", "reason")
	m.throttleWaits = counter("leadlens_collector_throttle_waits_total", "Rate-limit waits of the collector.", "reason")
	m.rows = counter("leadlens_collector_rows_written_total", "Insight rows stored by committed windows, by level.", "level")
	m.eventsReceived = counter("leadlens_events_received_total", "Events stored by the event API (duplicates not counted).").WithLabelValues()
	m.eventsDuplicate = counter("leadlens_events_duplicate_total", "Events the event API acknowledged as repeats of a stored event_id.").WithLabelValues()
	m.eventsRejected = counter("leadlens_events_rejected_total", "Event API requests refused, by reason (the answer's status).", "reason")
	m.httpSeconds = histogram("leadlens_http_request_duration_seconds", "HTTP request durations by route pattern (never the raw path), method and status.",
		prometheus.DefBuckets, "route", "method", "status")
	m.fwdItems = counter("leadlens_forward_items_total", "Outbox entries reaching a status (sent, failed, skipped, retried), by forwarding mode.", "mode", "status")
	m.fwdRequests = counter("leadlens_forward_requests_total", "Requests the forwarder sent to Meta, by mode and result (ok or the error kind).", "mode", "result")
	m.fwdSeconds = histogram("leadlens_forward_request_duration_seconds", "Duration of the forwarder's requests to Meta.",
		[]float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}, "mode")
	m.fwdStops = counter("leadlens_forward_stops_total", "Times a client's forwarding was stopped (token, permission or configuration errors).").WithLabelValues()
	if db != nil {
		f(&storeGauges{db: db, now: now})
	}
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slogPrinter{log},
		ErrorHandling: promhttp.ContinueOnError,
		Timeout:       10 * time.Second,
	})
	return m
}

// Registry returns the registry, for tests and for adding collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// RunFinished counts a finished collection run (collector.Observer).
func (m *Metrics) RunFinished(status string, d time.Duration) {
	if m == nil {
		return
	}
	m.runs.WithLabelValues(status).Inc()
	m.runSeconds.WithLabelValues(status).Observe(d.Seconds())
}

// GraphCall counts one Graph API HTTP attempt of the collector (collector.Observer).
func (m *Metrics) GraphCall(op, result string, d time.Duration) {
	if m == nil {
		return
	}
	m.graphCalls.WithLabelValues(op, result).Inc()
	m.graphSeconds.WithLabelValues(op).Observe(d.Seconds())
}

// ThrottleWait counts a rate-limit wait of the collector (collector.Observer).
func (m *Metrics) ThrottleWait(reason string, d time.Duration) {
	if m == nil {
		return
	}
	m.throttleWaits.WithLabelValues(reason).Inc()
	m.throttleSeconds.WithLabelValues(reason).Add(d.Seconds())
}

// RowsWritten counts insight rows a committed window stored (collector.Observer).
func (m *Metrics) RowsWritten(level string, n int) {
	if m == nil || n <= 0 {
		return
	}
	m.rows.WithLabelValues(level).Add(float64(n))
}

// ForwardOutcome counts outbox entries reaching a status (forward.Observer's Outcome).
func (m *Metrics) ForwardOutcome(mode, status string, n int) {
	if m == nil || n <= 0 {
		return
	}
	m.fwdItems.WithLabelValues(mode, status).Add(float64(n))
}

// ForwardRequest counts one request of the forwarder with its result, "ok" or an error kind
// (forward.Observer's Request, adapted by main).
func (m *Metrics) ForwardRequest(mode, result string, took time.Duration) {
	if m == nil {
		return
	}
	m.fwdRequests.WithLabelValues(mode, result).Inc()
	m.fwdSeconds.WithLabelValues(mode).Observe(took.Seconds())
}

// ForwardStopped counts a client's forwarding being stopped (forward.Observer's Stopped). The
// reason is in the log and on the admin page; a label would grow without bound.
func (m *Metrics) ForwardStopped(clientID int64, reason string) {
	if m == nil {
		return
	}
	m.fwdStops.Inc()
}

// instrument times every request by its chi route pattern, read after routing so it is the
// matched pattern ("/clients/{slug}"), never the path (ids and share tokens would both leak
// and grow the series without bound). Durations are real elapsed time, not the injected clock.
func (m *Metrics) instrument(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK
		}
		m.httpSeconds.WithLabelValues(routePattern(r), methodLabel(r.Method), strconv.Itoa(status)).Observe(time.Since(start).Seconds())
	})
}

// methodLabel keeps the method label to the methods Leadlens serves.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// countRejections counts event API requests answered with an error, by what went wrong.
func (m *Metrics) countRejections(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		if s := ww.Status(); s >= 400 {
			m.eventsRejected.WithLabelValues(rejectionReason(s)).Inc()
		}
	})
}

// rejectionReason names an event API error status (the apiError table in events_api.go).
func rejectionReason(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "foreign_page"
	case http.StatusNotFound:
		return "unknown_path"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusUnsupportedMediaType:
		return "media_type"
	case 499:
		return "cancelled"
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	if status >= 500 {
		return "error"
	}
	return strconv.Itoa(status)
}

// countEvents wraps the event sink so stored events and duplicates are counted once committed.
func (m *Metrics) countEvents(sink EventSink) EventSink {
	if m == nil || sink == nil {
		return sink
	}
	return countingSink{next: sink, m: m}
}

type countingSink struct {
	next EventSink
	m    *Metrics
}

// Submit implements EventSink.
func (s countingSink) Submit(ctx context.Context, b store.EventBatch) (store.BatchResult, error) {
	res, err := s.next.Submit(ctx, b)
	if err != nil {
		return res, err
	}
	for _, e := range res.Events {
		if e.Duplicate {
			s.m.eventsDuplicate.Inc()
		} else {
			s.m.eventsReceived.Inc()
		}
	}
	return res, nil
}

// metricsEndpoint is GET /metrics: for a scraper with LEADLENS_METRICS_TOKEN as a bearer token,
// or a signed-in admin. Everyone else learns nothing: 401, or 403 for a signed-in non-admin.
func (h *Handler) metricsEndpoint(w http.ResponseWriter, r *http.Request) {
	if h.metrics == nil {
		h.fail(w, r, errNotFound("Metrics are not collected by this process."))
		return
	}
	if a := r.Header.Get("Authorization"); a != "" {
		scheme, tok, _ := strings.Cut(a, " ")
		// Compared even when no token is configured, so timing tells nothing either way.
		ok := secret.Equal(strings.TrimSpace(tok), h.cfg.MetricsToken)
		if !strings.EqualFold(scheme, "Bearer") || h.cfg.MetricsToken == "" || !ok {
			h.denyMetrics(w, http.StatusUnauthorized)
			return
		}
		h.metrics.handler.ServeHTTP(w, r)
		return
	}
	switch p := principalFrom(r.Context()); {
	case p.IsAdmin():
		h.metrics.handler.ServeHTTP(w, r)
	case p.Kind == UserPrincipal:
		h.denyMetrics(w, http.StatusForbidden)
	default:
		h.denyMetrics(w, http.StatusUnauthorized)
	}
}

func (h *Handler) denyMetrics(w http.ResponseWriter, status int) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="leadlens metrics"`)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, http.StatusText(status), status)
}

// slogPrinter lets promhttp report scrape errors through slog.
type slogPrinter struct{ log *slog.Logger }

// Println implements promhttp.Logger.
func (p slogPrinter) Println(v ...any) {
	p.log.Warn("metrics: scrape error", slog.Any("err", v))
}
