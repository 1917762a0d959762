package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/leadlens/leadlens/store"
	"github.com/leadlens/leadlens/views"
)

// The admin console: /admin and below (admin_*.go). Every state-changing action is a POST (the
// cross-origin check applies), logged at info with the admin's user id (never a secret), and
// answered with a redirect carrying a one-off flash message — except a refused form, which is
// re-rendered with what was typed and the message next to the field, with nothing saved, and
// pages that show a secret once (a new API key, a generated password), which are rendered in
// the POST's answer so the secret is never stored anywhere to be shown again.

// adminSections is the admin sub-navigation.
var adminSections = [...]struct{ label, href string }{
	{"Overview", "/admin"},
	{"Clients", "/admin/clients"},
	{"Runs", "/admin/runs"},
	{"Meta connection", "/admin/meta"},
	{"Users", "/admin/users"},
}

// adminPage is pageFor plus the admin sub-navigation and the flash message left by a redirect.
func (h *Handler) adminPage(r *http.Request, title string) (views.Page, views.Admin) {
	p := h.pageFor(r, title)
	p.Assets.NoCharts = true
	p.Flash = h.popFlash(r)
	var a views.Admin
	path := r.URL.Path
	for _, s := range adminSections {
		cur := path == s.href || s.href != "/admin" && strings.HasPrefix(path, s.href)
		a.Nav = append(a.Nav, views.NavItem{Label: s.label, Href: s.href, Current: cur})
	}
	return p, a
}

// Session keys of the flash message.
const (
	flashMessageKey = "flash"
	flashKindKey    = "flash_kind"
)

// flash leaves a message for the next page this session opens (after a redirect).
func (h *Handler) flash(r *http.Request, kind, msg string) {
	h.sessions.Put(r.Context(), flashMessageKey, msg)
	h.sessions.Put(r.Context(), flashKindKey, kind)
}

// popFlash takes the message left by flash, if any.
func (h *Handler) popFlash(r *http.Request) *views.Flash {
	msg := h.sessions.PopString(r.Context(), flashMessageKey)
	kind := h.sessions.PopString(r.Context(), flashKindKey)
	if msg == "" {
		return nil
	}
	return &views.Flash{Kind: kind, Message: msg}
}

// withFlash adds the flash message to a page outside the admin console (the dashboard after
// "refresh now"). An htmx swap does not take it: it would be dropped with the frame.
func (h *Handler) withFlash(r *http.Request, p views.Page) views.Page {
	if r.Header.Get("HX-Request") != "true" {
		p.Flash = h.popFlash(r)
	}
	return p
}

// redirectWith flashes msg and sends the browser to path (303, so a reload does not post again).
func (h *Handler) redirectWith(w http.ResponseWriter, r *http.Request, path, kind, msg string) {
	h.flash(r, kind, msg)
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// audit logs an admin action at info with who did it. Callers pass ids and names, never a
// token, key or password.
func (h *Handler) audit(r *http.Request, msg string, attrs ...slog.Attr) {
	p := principalFrom(r.Context())
	base := []slog.Attr{slog.String("request_id", middleware.GetReqID(r.Context())), slog.Int64("user_id", p.UserID)}
	h.log.LogAttrs(r.Context(), slog.LevelInfo, "admin: "+msg, append(base, attrs...)...)
}

// formErrors turns a store validation error into the message of its field; ok is false for
// any other error, which the caller passes to h.fail.
func formErrors(err error) (views.FormErrors, bool) {
	var ve *store.ValidationError
	if !errors.As(err, &ve) {
		return nil, false
	}
	field := ve.Field
	if field == "" {
		field = "form"
	}
	return views.FormErrors{field: capitalize(ve.Message) + "."}, true
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// splitIDs splits what a person typed in an id textarea: one per line, or separated by commas,
// semicolons or spaces.
func splitIDs(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t'
	})
}

// parseForm reads a posted form, or answers 400.
func (h *Handler) parseForm(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, errBadRequest("The form could not be read."))
		return false
	}
	return true
}

// adminIndex is GET /admin: the setup at a glance and what needs attention.
func (h *Handler) adminIndex(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, a := h.adminPage(r, "Admin")
	v := views.AdminIndex{Admin: a, Refresh: h.refreshForm("", "", "Refresh everything", "refresh-all")}
	tok, err := h.tokenState(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.TokenSet = tok.Stored || h.cfg.EnvTokenSet
	switch {
	case tok.Stored:
		v.TokenSource = "stored here (" + tok.Mask + ")"
	case h.cfg.EnvTokenSet:
		v.TokenSource = "from META_ACCESS_TOKEN"
	}
	clients, err := h.db.Clients(ctx, true)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, c := range clients {
		if c.Archived() {
			v.Archived++
			continue
		}
		v.Clients++
		if err := h.clientNotices(r, c, &v); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if !v.TokenSet {
		v.Attention = append([]views.AdminNotice{{Kind: "bad", Text: "No Meta token: nothing can be collected", Href: "/admin/meta", TestID: "notice-token"}}, v.Attention...)
	}
	if cur, ok := h.currentRun(); ok {
		v.Current = &cur
	}
	runs, err := h.db.Runs(ctx, store.RunFilter{Limit: 5})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	names := h.clientNames(ctx)
	for _, run := range runs {
		v.LastRuns = append(v.LastRuns, h.runRow(run, names))
	}
	if v.Backups, err = h.backupPanel(r); err != nil {
		h.fail(w, r, err)
		return
	}
	if rows := v.Backups.Rows; len(rows) > 0 && rows[0].Status == store.BackupFailed {
		v.Attention = append(v.Attention, views.AdminNotice{Kind: "bad", Href: "#backups-h", TestID: "notice-backup",
			Text: "The latest backup failed", Details: rows[0].Error})
	}
	h.render(w, r, http.StatusOK, views.AdminIndexPage(p, v))
}

// backupPanel lists the latest backups recorded in the database.
func (h *Handler) backupPanel(r *http.Request) (views.BackupPanel, error) {
	var b views.BackupPanel
	if h.cfg.BackupSchedule != "" {
		b.Schedule = fmt.Sprintf("%s into %s, keeping the newest %d", h.cfg.BackupSchedule, h.cfg.BackupDir, h.cfg.BackupKeep)
	}
	recs, err := h.db.Backups(r.Context(), 5)
	if err != nil {
		return b, err
	}
	for _, rec := range recs {
		row := views.BackupRow{Started: stampTime(rec.StartedAt), Duration: rec.Duration().Round(time.Millisecond).String(),
			Status: rec.Status, Badge: "ok", Trigger: rec.Trigger, Path: rec.Path, Error: truncateText(rec.Error, 300),
			TestID: "backup-" + strconv.FormatInt(rec.ID, 10)}
		if rec.Status == store.BackupSucceeded {
			row.Size = byteSize(rec.SizeBytes)
		} else {
			row.Badge = "bad"
		}
		b.Rows = append(b.Rows, row)
	}
	return b, nil
}

// byteSize renders a file size for people: 512 B, 3.4 MB.
func byteSize(n int64) string {
	if n < 1000 {
		return strconv.FormatInt(n, 10) + " B"
	}
	f, units := float64(n)/1000, "kMGTPE"
	i := 0
	for ; f >= 1000 && i < len(units)-1; i++ {
		f /= 1000
	}
	return fmt.Sprintf("%.1f %cB", f, units[i])
}

// clientNotices adds what needs attention about client c: accounts never synced or failing,
// forwarding stopped.
func (h *Handler) clientNotices(r *http.Request, c store.Client, v *views.AdminIndex) error {
	ctx := r.Context()
	accounts, err := h.db.AdAccounts(ctx, c.ID)
	if err != nil {
		return err
	}
	href := adminClientPath(c)
	if len(accounts) == 0 {
		v.Attention = append(v.Attention, views.AdminNotice{Kind: "warn", Href: href, TestID: "notice-no-accounts-" + c.Slug,
			Text: c.Name + " has no ad account"})
	}
	v.Accounts += len(accounts)
	for _, acct := range accounts {
		switch {
		case accountFailing(acct):
			v.Attention = append(v.Attention, views.AdminNotice{Kind: "bad", Href: href, TestID: "notice-failing-" + acct.ID,
				Text: fmt.Sprintf("%s: %s failed its last sync", c.Name, acct.ActID()), Details: acct.LastError})
		case acct.LastSuccessAt.IsZero():
			v.Attention = append(v.Attention, views.AdminNotice{Kind: "warn", Href: href, TestID: "notice-never-" + acct.ID,
				Text: fmt.Sprintf("%s: %s was never synced", c.Name, acct.ActID())})
		}
	}
	fwd, err := h.db.Forwarding(ctx, c.ID)
	if err != nil {
		return err
	}
	if fwd.Stopped() {
		v.Attention = append(v.Attention, views.AdminNotice{Kind: "bad", Href: forwardingPath(c), TestID: "notice-forwarding-" + c.Slug,
			Text: c.Name + ": forwarding to Meta is stopped", Details: fwd.StoppedReason})
	}
	return nil
}
