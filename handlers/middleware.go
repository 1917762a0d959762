package handlers

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// routePattern is the chi route pattern of a request ("/clients/{slug}"), never the raw path,
// so logs and metrics do not grow with ids and carry no share tokens.
func routePattern(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil {
		if p := rc.RoutePattern(); p != "" {
			return p
		}
	}
	return "unmatched"
}

// logRequests logs one line per request with the route pattern (not the path: share-link
// tokens and API keys travel in paths and query strings).
func (h *Handler) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := h.now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK
		}
		level := slog.LevelInfo
		switch route := routePattern(r); {
		case route == "/healthz" || route == "/readyz" || route == "/static/*":
			level = slog.LevelDebug
		case status < 400 && (strings.HasSuffix(route, "/page_activities") || route == "/api/v1/referrals"):
			// Bots post many events a second: accepted ones are counted in /metrics, logging each
			// at info would drown everything else. Rejections stay at info.
			level = slog.LevelDebug
		}
		h.log.LogAttrs(r.Context(), level, "http",
			slog.String("request_id", middleware.GetReqID(r.Context())),
			slog.String("method", r.Method),
			slog.String("route", routePattern(r)),
			slog.Int("status", status),
			slog.Int("bytes", ww.BytesWritten()),
			slog.Duration("duration", h.now().Sub(start)),
			slog.String("remote", clientIP(r)))
	})
}

// recoverer turns a panic into a logged error and a 500 page, keeping the server up.
func (h *Handler) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				h.log.ErrorContext(r.Context(), "panic serving request",
					slog.String("request_id", middleware.GetReqID(r.Context())),
					slog.String("route", routePattern(r)),
					slog.String("panic", fmt.Sprint(v)),
					slog.String("stack", string(debug.Stack())))
				h.fail(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// timeout bounds a request's context; handlers that stream or poll set their own.
func (h *Handler) timeout(d time.Duration) func(http.Handler) http.Handler {
	return middleware.Timeout(d)
}
