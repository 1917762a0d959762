package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadlens/leadlens/store"
	"github.com/leadlens/leadlens/views"
)

// Forwarding is what the forwarding page needs of the event forwarder; *forward.Forwarder
// satisfies it.
type Forwarding interface {
	// LegacyRefusal says why the legacy page_activities edge cannot be used with the
	// configured Graph API version, "" when it can.
	LegacyRefusal() string
	// Kick wakes the forwarder after settings change, so queued events go out at once.
	Kick()
}

// TokenSealer encrypts a token before it is stored; *secret.Box satisfies it.
type TokenSealer interface {
	Seal(plaintext string) ([]byte, error)
}

// forwardingEntriesShown bounds the entries listed on the page.
const forwardingEntriesShown = 50

func forwardingPath(c store.Client) string { return "/admin/clients/" + c.Slug + "/forwarding" }

// legacyRefusal asks the forwarder; without one in this process legacy cannot be checked, so
// it is refused rather than allowed blindly.
func (h *Handler) legacyRefusal() string {
	if h.forwarding == nil {
		return "event forwarding is not running in this process"
	}
	return h.forwarding.LegacyRefusal()
}

// forwardingPage is GET /admin/clients/{slug}/forwarding.
func (h *Handler) forwardingPage(w http.ResponseWriter, r *http.Request) {
	c := clientFrom(r.Context())
	cfg, err := h.db.Forwarding(r.Context(), c.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f := views.ForwardingForm{Mode: cfg.Mode, DatasetID: cfg.DatasetID, AppID: cfg.AppID}
	p := h.pageFor(r, "Forwarding · "+c.Name)
	q := r.URL.Query()
	switch {
	case q.Get("saved") != "":
		p.Flash = &views.Flash{Kind: "ok", Message: "Saved. Queued events go out within seconds."}
	case q.Get("requeued") != "":
		n, _ := strconv.Atoi(q.Get("requeued"))
		p.Flash = &views.Flash{Kind: "ok", Message: strconv.Itoa(n) + " failed events are queued again."}
	}
	h.renderForwarding(w, r, http.StatusOK, p, c, cfg, f)
}

// renderForwarding fills the page around form f (the stored settings, or what was posted).
func (h *Handler) renderForwarding(w http.ResponseWriter, r *http.Request, status int, p views.Page, c store.Client, cfg store.ForwardingConfig, f views.ForwardingForm) {
	ctx := r.Context()
	filter := r.URL.Query().Get("status")
	if !slices.Contains(store.OutboxStatuses, filter) {
		filter = ""
	}
	counts, err := h.db.OutboxCounts(ctx, c.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	entries, err := h.db.OutboxEntries(ctx, c.ID, filter, forwardingEntriesShown)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	base := forwardingPath(c)
	f.ClientName, f.Action, f.RetryAction = c.Name, base, base+"/retry-failed"
	f.HasToken, f.APIVersion, f.LegacyRefusal = cfg.HasToken, h.cfg.APIVersion, h.legacyRefusal()
	f.Stopped, f.StoppedReason, f.StoppedAt = cfg.Stopped(), cfg.StoppedReason, stampTime(cfg.StoppedAt)
	f.Mappings, f.Filter = h.forwardingNames, filter
	f.Filters = []views.ForwardingFilter{{Label: "All", Href: base, Current: filter == ""}}
	for _, s := range store.OutboxStatuses {
		f.Counts = append(f.Counts, views.ForwardingCount{Status: s, N: counts[s], Badge: statusBadge(s)})
		f.Filters = append(f.Filters, views.ForwardingFilter{Label: s, Href: base + "?status=" + s, Current: filter == s})
	}
	for _, e := range entries {
		v := views.ForwardingEntry{EventID: e.EventID, EventName: e.EventName, EventTime: stampTime(e.EventTime),
			Status: e.Status, Badge: statusBadge(e.Status), Attempts: e.Attempts, SentAt: stampTime(e.SentAt),
			LastError: e.LastError, Response: e.Response}
		if e.Status == store.OutboxPending && !cfg.Stopped() {
			v.NextAttempt = stampTime(e.NextAttemptAt)
		}
		f.Entries = append(f.Entries, v)
	}
	p.Assets.NoCharts = true
	h.render(w, r, status, views.AdminForwarding(p, f))
}

// saveForwarding is POST /admin/clients/{slug}/forwarding. A refused save re-renders the form
// with the message and stores nothing; the token typed is never sent back.
func (h *Handler) saveForwarding(w http.ResponseWriter, r *http.Request) {
	c := clientFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, errBadRequest("The form could not be read."))
		return
	}
	form := views.ForwardingForm{Mode: r.PostForm.Get("mode"), DatasetID: strings.TrimSpace(r.PostForm.Get("dataset_id")),
		AppID: strings.TrimSpace(r.PostForm.Get("app_id"))}
	token := strings.TrimSpace(r.PostForm.Get("token"))
	cfg, err := h.db.Forwarding(r.Context(), c.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	refuse := func(field, msg string) {
		form.Error, form.ErrorField = msg, field
		h.renderForwarding(w, r, http.StatusBadRequest, h.pageFor(r, "Forwarding · "+c.Name), c, cfg, form)
	}
	if form.Mode == store.ForwardLegacy {
		if reason := h.legacyRefusal(); reason != "" {
			refuse("mode", "Legacy forwarding is not available: "+reason+".")
			return
		}
	}
	var sealed []byte
	if token != "" {
		if h.sealer == nil {
			h.fail(w, r, errors.New("forwarding: no token sealer configured"))
			return
		}
		if sealed, err = h.sealer.Seal(token); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if _, err := h.db.SetForwarding(r.Context(), c.ID, form.Mode, form.DatasetID, form.AppID, sealed); err != nil {
		var ve *store.ValidationError
		if errors.As(err, &ve) {
			refuse(ve.Field, ve.Message)
			return
		}
		h.fail(w, r, err)
		return
	}
	if h.forwarding != nil {
		h.forwarding.Kick()
	}
	http.Redirect(w, r, forwardingPath(c)+"?saved=1", http.StatusSeeOther)
}

// retryFailedForwarding is POST /admin/clients/{slug}/forwarding/retry-failed.
func (h *Handler) retryFailedForwarding(w http.ResponseWriter, r *http.Request) {
	c := clientFrom(r.Context())
	n, err := h.db.RequeueFailed(r.Context(), c.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if h.forwarding != nil {
		h.forwarding.Kick()
	}
	http.Redirect(w, r, forwardingPath(c)+"?requeued="+url.QueryEscape(strconv.Itoa(n)), http.StatusSeeOther)
}

func statusBadge(status string) string {
	switch status {
	case store.OutboxSent:
		return "ok"
	case store.OutboxPending:
		return "warn"
	case store.OutboxFailed:
		return "bad"
	}
	return ""
}

// stampTime formats an instant for the admin pages; "" for never.
func stampTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}
