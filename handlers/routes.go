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
		// Only behind one reverse proxy we run: the client is the entry that proxy appended
		// (the last of X-Forwarded-For). Trusting the header otherwise would let any client
		// pick its own address and dodge the per-IP sign-in limit.
		r.Use(middleware.ClientIPFromXFFTrustedProxies(1))
	} else {
		r.Use(middleware.ClientIPFromRemoteAddr)
	}
	r.Use(h.logRequests)
	r.Use(h.recoverer)
	r.Use(h.securityHeaders)
	r.Use(h.crossOrigin())

	r.Get("/healthz", h.healthz)
	r.Get("/readyz", h.readyz)
	r.Handle("/static/*", h.staticFiles())

	// Pages for people: sessions, sign-in.
	r.Group(func(r chi.Router) {
		r.Use(h.timeout(h.cfg.RequestTimeout))
		r.Use(h.identify)
		r.Get("/login", h.loginForm)
		r.Post("/login", h.login)
		r.Post("/logout", h.logout)

		r.Group(func(r chi.Router) {
			r.Use(h.requireUser)
			r.Get("/", h.overview)
		})
	})

	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, errNotFound("There is no page at this address."))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, &httpError{Status: http.StatusMethodNotAllowed, Title: "Method not allowed", Message: "This address does not accept " + r.Method + " requests."})
	})
	return r
}

// crossOrigin rejects state-changing requests a browser sends from another site (Go's
// Sec-Fetch-Site / Origin check). Requests without those headers — bots calling the event API,
// curl — are not browsers and pass.
func (h *Handler) crossOrigin() func(http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	if h.cfg.BaseURL != "" {
		_ = cop.AddTrustedOrigin(h.cfg.BaseURL)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, errForbidden("This request came from another site and was refused. Reload the page and try again."))
	}))
	return cop.Handler
}
