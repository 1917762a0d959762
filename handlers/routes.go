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
	r.Use(h.metrics.instrument)
	r.Use(h.recoverer)
	r.Use(h.securityHeaders)
	r.Use(h.crossOrigin())

	r.Get("/healthz", h.healthz)
	r.Get("/readyz", h.readyz)
	r.Handle("/static/*", h.staticFiles())

	// Event log API for bots: API-key auth, its own body limit and deadline, Graph-style JSON
	// errors (so not behind the pages' timeout). /api/v1/… wins over the {version} pattern.
	r.Group(func(r chi.Router) {
		r.Use(h.metrics.countRejections, h.eventAPI)
		r.Post("/api/v1/page_activities", h.pageActivities)
		r.Post("/{version}/{app_id}/page_activities", h.pageActivities)
		r.Post("/api/v1/referrals", h.referrals)
	})

	// Share links (share.go): the token in the path is the only credential — no session, no
	// sign-in, one client, read-only. Every answer is a page or the CSV, never admin navigation.
	r.Route("/s/{token}", func(r chi.Router) {
		r.Use(h.timeout(h.cfg.RequestTimeout))
		r.Use(h.shareScope)
		r.Post("/unlock", h.shareUnlock)
		r.Group(func(r chi.Router) {
			r.Use(h.sharePassword)
			r.Get("/", h.shareDashboard)
			r.Get("/campaigns/{id}", h.shareCampaign)
			r.Get("/export.csv", h.shareExportCSV)
			r.Get("/logo", h.shareLogo)
		})
	})

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
			// A client's dashboard, drill-down and export (dashboard.go, export.go).
			r.Route("/clients/{slug}", func(r chi.Router) {
				r.Use(h.clientScope)
				r.Get("/", h.clientDashboard)
				r.Get("/campaigns/{id}", h.campaignDashboard)
				r.Get("/export.csv", h.exportCSV)
				// The client's logo (admin_clients.go) and "refresh now" for those who may
				// refresh (admins, members; checked in the handler) (admin_runs.go).
				r.Get("/logo", h.clientLogo)
				r.Post("/refresh", h.clientRefresh)
			})
		})

		// /metrics: an admin's session, or LEADLENS_METRICS_TOKEN as a bearer token (metrics.go).
		r.Get("/metrics", h.metricsEndpoint)

		// The admin console (admin*.go): admins only.
		r.Group(func(r chi.Router) {
			r.Use(h.requireAdmin)
			r.Get("/admin", h.adminIndex)
			r.Post("/admin/refresh", h.adminRefresh)
			r.Get("/admin/runs", h.adminRuns)
			r.Get("/admin/runs/{id}", h.adminRun)
			r.Get("/admin/runs/{id}/progress", h.adminRunProgress)
			r.Get("/admin/meta", h.adminMeta)
			r.Post("/admin/meta/token", h.saveMetaToken)
			r.Post("/admin/meta/token/remove", h.removeMetaToken)
			r.Post("/admin/meta/test", h.testMeta)
			r.Get("/admin/users", h.adminUsers)
			r.Post("/admin/users", h.addUser)
			r.Post("/admin/users/{id}/role", h.setUserRole)
			r.Post("/admin/users/{id}/remove", h.removeUser)
			r.Get("/admin/clients", h.adminClients)
			r.Post("/admin/clients", h.createClient)
		})
		// A client's admin pages: admins only, the {slug} resolved (archived clients too).
		r.Group(func(r chi.Router) {
			r.Use(h.requireAdmin, h.clientScope)
			r.Get("/admin/clients/{slug}", h.adminClient)
			r.Post("/admin/clients/{slug}", h.updateClient)
			r.Post("/admin/clients/{slug}/archive", h.archiveClient)
			r.Post("/admin/clients/{slug}/logo", h.uploadLogo)
			r.Post("/admin/clients/{slug}/logo/remove", h.removeLogo)
			r.Post("/admin/clients/{slug}/accounts", h.addAccounts)
			r.Post("/admin/clients/{slug}/accounts/{account}/remove", h.removeAccount)
			r.Post("/admin/clients/{slug}/accounts/{account}/token", h.accountToken)
			r.Post("/admin/clients/{slug}/accounts/{account}/test", h.testAccount)
			r.Post("/admin/clients/{slug}/pages", h.addPages)
			r.Post("/admin/clients/{slug}/pages/{page}/remove", h.removePage)
			r.Get("/admin/clients/{slug}/api-keys", h.adminAPIKeys)
			r.Post("/admin/clients/{slug}/api-keys", h.createAPIKey)
			r.Post("/admin/clients/{slug}/api-keys/{id}/revoke", h.revokeAPIKey)
		})

		// Admin → a client's forwarding to Meta (admin_forwarding.go).
		r.Group(func(r chi.Router) {
			r.Use(h.requireAdmin, h.clientScope)
			r.Get("/admin/clients/{slug}/forwarding", h.forwardingPage)
			r.Post("/admin/clients/{slug}/forwarding", h.saveForwarding)
			r.Post("/admin/clients/{slug}/forwarding/retry-failed", h.retryFailedForwarding)
		})

		// Admin → a client's share links (admin_sharelinks.go).
		r.Group(func(r chi.Router) {
			r.Use(h.requireAdmin, h.clientScope)
			r.Get("/admin/clients/{slug}/share-links", h.shareLinksPage)
			r.Post("/admin/clients/{slug}/share-links", h.createShareLink)
			r.Post("/admin/clients/{slug}/share-links/{id}/revoke", h.revokeShareLink)
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
