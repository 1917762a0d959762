package handlers

import (
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/leadlens/leadlens/store"
	"github.com/leadlens/leadlens/views"
)

// A client's share links: create (the URL with its token is shown once, in the answer to the
// POST, and stored only hashed), list, revoke.

func shareLinksPath(c store.Client) string { return adminClientPath(c) + "/share-links" }

// shareLinksPage is GET /admin/clients/{slug}/share-links: the client's links and the form.
func (h *Handler) shareLinksPage(w http.ResponseWriter, r *http.Request) {
	h.renderShareLinks(w, r, http.StatusOK, views.ShareLinksPage{Form: views.ShareLinkForm{RangeMode: store.RangeOpen}})
}

// renderShareLinks fills the page around s (a fresh form, what was posted, or a new link).
func (h *Handler) renderShareLinks(w http.ResponseWriter, r *http.Request, status int, s views.ShareLinksPage) {
	ctx := r.Context()
	c := clientFrom(ctx)
	loc, err := h.db.ClientTimezone(ctx, c)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	links, err := h.db.ShareLinks(ctx, c.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, a := h.adminPage(r, "Share links · "+c.Name)
	now := h.now()
	s.Admin, s.ClientName, s.ClientHref, s.Timezone, s.Action = a, c.Name, adminClientPath(c), loc.String(), shareLinksPath(c)
	s.Form.Today = now.In(loc).Format(store.DateLayout)
	for _, l := range links {
		row := views.ShareLinkRow{ID: strconv.FormatInt(l.ID, 10), Label: l.Label, Prefix: l.Prefix,
			Created: l.CreatedAt.In(loc).Format("2 Jan 2006"), CreatedBy: orDash(l.CreatedBy),
			Expires: "never", Range: shareRangeText(l), Password: l.HasPassword(), Embed: l.AllowEmbed,
			Views: grouped(l.ViewCount), LastView: ago(now, l.LastViewedAt),
			Status: "active", Badge: "ok", RevokeAction: shareLinksPath(c) + "/" + strconv.FormatInt(l.ID, 10) + "/revoke"}
		if !l.ExpiresAt.IsZero() {
			row.Expires = shareExpiryText(l.ExpiresAt, loc)
		}
		switch {
		case l.Revoked():
			row.Status, row.Badge, row.RevokeAction = "revoked "+l.RevokedAt.In(loc).Format("2 Jan 2006"), "bad", ""
		case l.Expired(now):
			row.Status, row.Badge = "expired", "warn"
		}
		s.Links = append(s.Links, row)
	}
	// A page that may hold a new link's token is never kept by a cache.
	w.Header().Set("Cache-Control", "no-store")
	h.render(w, r, status, views.AdminShareLinks(p, s))
}

// shareRangeText describes a link's date rule for the list.
func shareRangeText(l store.ShareLink) string {
	switch l.RangeMode {
	case store.RangeFixed:
		return "exactly " + humanDate(l.RangeSince) + " – " + humanDate(l.RangeUntil)
	case store.RangeBounded:
		return "within " + humanDate(l.RangeSince) + " – " + humanDate(l.RangeUntil)
	}
	return "any period"
}

// shareExpiryText is an expiry in the client's timezone. The form's expiries are midnights
// (the link works through the day before), so those read as "end of <day>".
func shareExpiryText(t time.Time, loc *time.Location) string {
	lt := t.In(loc)
	if lt.Hour() == 0 && lt.Minute() == 0 && lt.Second() == 0 && lt.Nanosecond() == 0 {
		return "end of " + lt.AddDate(0, 0, -1).Format("2 Jan 2006")
	}
	return lt.Format("2 Jan 2006 15:04 MST")
}

// createShareLink is POST /admin/clients/{slug}/share-links. A refused form is shown again with
// the message and nothing is stored; a new link's URL is shown once, in this answer only.
func (h *Handler) createShareLink(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	c := clientFrom(ctx)
	pf := r.PostForm
	form := views.ShareLinkForm{Label: strings.TrimSpace(pf.Get("label")), ExpiresAt: strings.TrimSpace(pf.Get("expires_at")),
		RangeMode: pf.Get("range_mode"), RangeSince: strings.TrimSpace(pf.Get("range_since")),
		RangeUntil: strings.TrimSpace(pf.Get("range_until")), AllowEmbed: pf.Get("allow_embed") == "1"}
	loc, err := h.db.ClientTimezone(ctx, c)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	nl := store.NewShareLink{ClientID: c.ID, Label: form.Label, Password: pf.Get("password"), RangeMode: form.RangeMode,
		RangeSince: form.RangeSince, RangeUntil: form.RangeUntil, AllowEmbed: form.AllowEmbed, CreatedBy: principalFrom(ctx).Email}
	if form.ExpiresAt != "" {
		day, err := time.ParseInLocation(store.DateLayout, form.ExpiresAt, loc)
		if err != nil {
			form.Errors = views.FormErrors{"expires_at": fmt.Sprintf("%q is not a date (YYYY-MM-DD).", form.ExpiresAt)}
			h.renderShareLinks(w, r, http.StatusBadRequest, views.ShareLinksPage{Form: form})
			return
		}
		// The link works through the chosen day in the client's timezone.
		nl.ExpiresAt = day.AddDate(0, 0, 1)
	}
	if nl.RangeMode == "" || nl.RangeMode == store.RangeOpen {
		// The date inputs stay on the form whatever the choice; an open link keeps no dates.
		nl.RangeSince, nl.RangeUntil = "", ""
	}
	token, l, err := h.db.CreateShareLink(ctx, nl)
	if errs, ok := formErrors(err); ok {
		form.Errors = errs
		h.renderShareLinks(w, r, http.StatusBadRequest, views.ShareLinksPage{Form: form})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, "share link created", slog.Int64("client_id", c.ID), slog.Int64("share_link_id", l.ID), slog.String("range_mode", l.RangeMode),
		slog.Bool("password", l.HasPassword()), slog.Bool("embed", l.AllowEmbed), slog.Time("expires_at", l.ExpiresAt))
	created := &views.CreatedShareLink{Label: l.Label, URL: h.baseURL(r) + sharePath(token)}
	if l.AllowEmbed {
		created.Embed = `<iframe src="` + html.EscapeString(created.URL) + `" title="` + html.EscapeString(brandName(c)) +
			` dashboard" width="100%" height="900" loading="lazy" referrerpolicy="no-referrer"></iframe>`
	}
	h.renderShareLinks(w, r, http.StatusOK, views.ShareLinksPage{Created: created, Form: views.ShareLinkForm{RangeMode: store.RangeOpen}})
}

// revokeShareLink is POST /admin/clients/{slug}/share-links/{id}/revoke: the link stops working
// at once. A link of another client, or an already revoked one, is not found.
func (h *Handler) revokeShareLink(w http.ResponseWriter, r *http.Request) {
	c := clientFrom(r.Context())
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		h.fail(w, r, errNotFound("This client has no such share link."))
		return
	}
	if err := h.db.RevokeShareLink(r.Context(), c.ID, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = errNotFound("This client has no such share link, or it is already revoked.")
		}
		h.fail(w, r, err)
		return
	}
	h.audit(r, "share link revoked", slog.Int64("client_id", c.ID), slog.Int64("share_link_id", id))
	h.redirectWith(w, r, shareLinksPath(c), "ok", "The link was revoked: it stopped working at once.")
}
