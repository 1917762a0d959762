package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/leadlens/leadlens/store"
	"github.com/leadlens/leadlens/views"
)

// A client's API keys for the event API: create (the key is shown once, in the answer to the
// POST, and stored only hashed), list by prefix, revoke.

func apiKeysPath(c store.Client) string { return adminClientPath(c) + "/api-keys" }

// adminAPIKeys is GET /admin/clients/{slug}/api-keys.
func (h *Handler) adminAPIKeys(w http.ResponseWriter, r *http.Request) {
	h.renderAPIKeys(w, r, http.StatusOK, views.AdminAPIKeys{})
}

func (h *Handler) renderAPIKeys(w http.ResponseWriter, r *http.Request, status int, v views.AdminAPIKeys) {
	ctx := r.Context()
	c := clientFrom(ctx)
	keys, err := h.db.APIKeys(ctx, c.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, a := h.adminPage(r, "API keys · "+c.Name)
	// Keys are the client's: the page must not be kept by caches, least of all with a new key.
	w.Header().Set("Cache-Control", "no-store")
	v.Admin, v.ClientName, v.ClientHref, v.Action = a, c.Name, adminClientPath(c), apiKeysPath(c)
	for _, k := range keys {
		row := views.APIKeyRow{Name: orDash(k.Name), Prefix: k.Prefix, CreatedBy: orDash(k.CreatedBy), Created: stampTime(k.CreatedAt),
			LastUsed: "never", TestID: "key-" + strconv.FormatInt(k.ID, 10),
			RevokeAction: apiKeysPath(c) + "/" + strconv.FormatInt(k.ID, 10) + "/revoke"}
		if !k.LastUsedAt.IsZero() {
			row.LastUsed = stampTime(k.LastUsedAt)
		}
		if k.Revoked() {
			row.Revoked = stampTime(k.RevokedAt)
		}
		v.Keys = append(v.Keys, row)
	}
	h.render(w, r, status, views.AdminAPIKeysPage(p, v))
}

// createAPIKey is POST /admin/clients/{slug}/api-keys. The answer shows the key this once,
// with a curl example; a reload of it does not create another key silently (browsers ask).
func (h *Handler) createAPIKey(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	c := clientFrom(ctx)
	name := strings.TrimSpace(r.PostForm.Get("name"))
	token, key, err := h.db.CreateAPIKey(ctx, c.ID, name, principalFrom(ctx).Email)
	if errs, ok := formErrors(err); ok {
		h.renderAPIKeys(w, r, http.StatusBadRequest, views.AdminAPIKeys{Name: name, Errors: errs})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, "API key created", slog.Int64("client_id", c.ID), slog.Int64("key_id", key.ID), slog.String("prefix", key.Prefix))
	page := "1234567890"
	if pages, err := h.db.Pages(ctx, c.ID); err == nil && len(pages) > 0 {
		page = pages[0].ID
	}
	curl := "curl -X POST " + h.baseURL(r) + "/api/v1/page_activities \\\n" +
		"  -H 'Authorization: Bearer " + token + "' -H 'Content-Type: application/json' \\\n" +
		`  -d '{"custom_events":[{"_eventName":"lead_submitted","event_id":"test-1"}],"page_id":"` + page +
		`","page_scoped_user_id":"1000000001","logging_source":"messenger_bot","logging_target":"page"}'`
	h.renderAPIKeys(w, r, http.StatusOK, views.AdminAPIKeys{NewKey: token, Curl: curl})
}

// revokeAPIKey is POST /admin/clients/{slug}/api-keys/{id}/revoke; bots using the key are
// refused from the next request on.
func (h *Handler) revokeAPIKey(w http.ResponseWriter, r *http.Request) {
	c := clientFrom(r.Context())
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		h.fail(w, r, errNotFound("This client has no such API key."))
		return
	}
	if err := h.db.RevokeAPIKey(r.Context(), c.ID, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			h.fail(w, r, errNotFound("This client has no such valid API key."))
			return
		}
		h.fail(w, r, err)
		return
	}
	h.audit(r, "API key revoked", slog.Int64("client_id", c.ID), slog.Int64("key_id", id))
	h.redirectWith(w, r, apiKeysPath(c), "ok", "The key was revoked; requests with it are refused from now on.")
}

// baseURL is the public URL for examples: LEADLENS_BASE_URL, else what the browser used.
func (h *Handler) baseURL(r *http.Request) string {
	if h.cfg.BaseURL != "" {
		return h.cfg.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
