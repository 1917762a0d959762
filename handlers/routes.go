package handlers

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// Routes lists every route and middleware of Leadlens in one place.
func (h *Handler) Routes() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.RequestID)
	if h.cfg.TrustProxy {
		// Only behind a proxy we run: otherwise any client could pick its own address and
		// dodge the per-IP login limit.
		r.Use(middleware.RealIP)
	}
	r.Use(h.logRequests)
	r.Use(h.recoverer)

	r.Get("/healthz", h.healthz)
	r.Get("/readyz", h.readyz)
	r.Handle("/static/*", h.staticFiles())

	r.Group(func(r chi.Router) {
		r.Use(h.timeout(h.cfg.RequestTimeout))
		r.Get("/", h.overview)
	})

	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, errNotFound("There is no page at this address."))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, &httpError{Status: http.StatusMethodNotAllowed, Title: "Method not allowed", Message: "This address does not accept " + r.Method + " requests."})
	})
	return r
}
