package handlers

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/leadlens/leadlens/store"
	"github.com/leadlens/leadlens/views"
)

func adminClientPath(c store.Client) string { return "/admin/clients/" + url.PathEscape(c.Slug) }

// timezoneSuggestions are offered by the timezone input; any IANA name is accepted.
func timezoneSuggestions() []string {
	return []string{"UTC", "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York",
		"America/Sao_Paulo", "America/Mexico_City", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris",
		"Europe/Berlin", "Europe/Madrid", "Europe/Rome", "Europe/Warsaw", "Europe/Istanbul", "Africa/Lagos",
		"Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata", "Asia/Jakarta", "Asia/Singapore", "Asia/Manila",
		"Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland"}
}

// leadOptions lists the lead definitions with chosen checked (the default when empty).
func leadOptions(chosen string) []views.LeadOption {
	if chosen == "" {
		chosen = store.DefaultLeadActionType
	}
	out := make([]views.LeadOption, len(store.LeadDefinitions))
	for i, d := range store.LeadDefinitions {
		out[i] = views.LeadOption{ActionType: d.ActionType, Label: d.Label, Explanation: d.Explanation, Checked: d.ActionType == chosen}
	}
	return out
}

// adminClients is GET /admin/clients[?all=1]: the clients and the form that creates one.
func (h *Handler) adminClients(w http.ResponseWriter, r *http.Request) {
	h.renderClients(w, r, http.StatusOK, views.ClientForm{Leads: leadOptions("")})
}

func (h *Handler) renderClients(w http.ResponseWriter, r *http.Request, status int, form views.ClientForm) {
	ctx := r.Context()
	all := r.URL.Query().Get("all") == "1"
	clients, err := h.db.Clients(ctx, all)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	accounts, err := h.db.AllAdAccounts(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pages, err := h.db.CountPages(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, a := h.adminPage(r, "Clients")
	form.Action, form.Timezones = "/admin/clients", timezoneSuggestions()
	v := views.AdminClients{Admin: a, ShowAll: all, ToggleURL: "/admin/clients?all=1", New: form}
	if all {
		v.ToggleURL = "/admin/clients"
	}
	for _, c := range clients {
		row := views.ClientRow{Name: c.Name, Slug: c.Slug, Href: adminClientPath(c), Pages: pages[c.ID], Timezone: c.Timezone,
			Archived: c.Archived(), LastSync: "never", TestID: "client-" + c.Slug}
		if row.Timezone == "" {
			row.Timezone = "first account's"
		}
		var last store.AdAccount
		for _, acct := range accounts {
			if acct.ClientID != c.ID {
				continue
			}
			row.Accounts++
			row.Failing = row.Failing || accountFailing(acct)
			if acct.LastSuccessAt.After(last.LastSuccessAt) {
				last = acct
			}
		}
		if !last.LastSuccessAt.IsZero() {
			row.LastSync = ago(h.now(), last.LastSuccessAt)
		}
		v.Rows = append(v.Rows, row)
	}
	h.render(w, r, status, views.AdminClientsPage(p, v))
}

// createClient is POST /admin/clients: the client with its accounts and pages, all or nothing.
func (h *Handler) createClient(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	pf := r.PostForm
	f := views.ClientForm{Name: pf.Get("name"), Slug: strings.TrimSpace(pf.Get("slug")), Timezone: strings.TrimSpace(pf.Get("timezone")),
		AdAccounts: pf.Get("ad_accounts"), Pages: pf.Get("pages"), Leads: leadOptions(pf.Get("lead_action_type"))}
	c, err := h.db.CreateClient(r.Context(), store.NewClient{Name: f.Name, Slug: f.Slug, Timezone: f.Timezone,
		LeadActionType: pf.Get("lead_action_type"), AdAccounts: splitIDs(f.AdAccounts), Pages: splitIDs(f.Pages)})
	if errs, ok := formErrors(err); ok {
		f.Errors = errs
		h.renderClients(w, r, http.StatusBadRequest, f)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, "client created", slog.Int64("client_id", c.ID), slog.String("slug", c.Slug),
		slog.Int("ad_accounts", len(splitIDs(f.AdAccounts))), slog.Int("pages", len(splitIDs(f.Pages))))
	h.redirectWith(w, r, adminClientPath(c), "ok", c.Name+" was created. Set the Meta token if you have not, then refresh it.")
}

// clientPageState is what a re-rendered client page carries besides the stored client.
type clientPageState struct {
	edit        *views.ClientForm // the refused edit form; nil: the stored settings
	errs        views.FormErrors  // the add-account, add-page and logo forms
	accounts    string            // as typed in the refused add-account form
	pages       string
	accountErrs map[string]views.FormErrors // an account's token form, by account id
	tests       map[string]*views.MetaTestResult
}

// adminClient is GET /admin/clients/{slug}.
func (h *Handler) adminClient(w http.ResponseWriter, r *http.Request) {
	h.renderClient(w, r, http.StatusOK, clientPageState{})
}

func (h *Handler) renderClient(w http.ResponseWriter, r *http.Request, status int, st clientPageState) {
	ctx := r.Context()
	c := clientFrom(ctx)
	accounts, err := h.db.AdAccounts(ctx, c.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pages, err := h.db.Pages(ctx, c.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	base := adminClientPath(c)
	p, a := h.adminPage(r, c.Name)
	v := views.AdminClient{Admin: a, Name: c.Name, Slug: c.Slug, Archived: c.Archived(), ArchiveAction: base + "/archive",
		AddAccounts: base + "/accounts", AccountsInput: st.accounts, AddPages: base + "/pages", PagesInput: st.pages,
		Errors: st.errs, LogoAction: base + "/logo", LogoRemove: base + "/logo/remove", MaxLogoKiB: store.MaxLogoBytes >> 10,
		Refresh: h.refreshForm(c.Slug, "", "Refresh now", "refresh-client")}
	if c.HasLogo {
		v.LogoURL = "/clients/" + url.PathEscape(c.Slug) + "/logo?v=" + strconv.FormatInt(c.UpdatedAt.UnixMilli(), 36)
	}
	if c.Archived() {
		v.Refresh.Disabled = "Archived clients are not collected."
	}
	v.Links = []views.Link{
		{Label: "Dashboard", Href: "/clients/" + url.PathEscape(c.Slug), TestID: "link-dashboard"},
		{Label: "API keys", Href: base + "/api-keys", TestID: "link-api-keys"},
		{Label: "Share links", Href: base + "/share-links", TestID: "link-share-links"},
		{Label: "Forwarding", Href: forwardingPath(c), TestID: "link-forwarding"},
		{Label: "Runs", Href: "/admin/runs?client=" + url.QueryEscape(c.Slug), TestID: "link-runs"},
	}
	if st.edit != nil {
		v.Edit = *st.edit
	} else {
		v.Edit = views.ClientForm{Name: c.Name, Slug: c.Slug, Timezone: c.Timezone, BrandName: c.BrandName, Leads: leadOptions(c.LeadActionType)}
	}
	v.Edit.Action, v.Edit.Editing, v.Edit.Timezones = base, true, timezoneSuggestions()
	for _, acct := range accounts {
		row := views.AccountRow{ActID: acct.ActID(), Name: orDash(acct.Name), Currency: orDash(acct.Currency), Timezone: orDash(acct.TimezoneName),
			LastSync: ago(h.now(), acct.LastSuccessAt), HasToken: acct.HasToken, TestID: "account-" + acct.ID,
			TokenAction: base + "/accounts/" + acct.ID + "/token", TestAction: base + "/accounts/" + acct.ID + "/test",
			RemoveAction: base + "/accounts/" + acct.ID + "/remove", Refresh: h.refreshForm(c.Slug, acct.ActID(), "Refresh", "refresh-account-"+acct.ID),
			Test: st.tests[acct.ID], Errors: st.accountErrs[acct.ID]}
		if accountFailing(acct) {
			row.LastError = acct.LastError
		}
		if c.Archived() {
			row.Refresh.Disabled = v.Refresh.Disabled
		}
		v.Accounts = append(v.Accounts, row)
	}
	for _, pg := range pages {
		v.Pages = append(v.Pages, views.PageRow{ID: pg.ID, Name: pg.Name, RemoveAction: base + "/pages/" + pg.ID + "/remove"})
	}
	h.render(w, r, status, views.AdminClientPage(p, v))
}

// updateClient is POST /admin/clients/{slug}: name, slug, timezone, lead definition, brand.
func (h *Handler) updateClient(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	c := clientFrom(r.Context())
	pf := r.PostForm
	f := views.ClientForm{Name: pf.Get("name"), Slug: strings.TrimSpace(pf.Get("slug")), Timezone: strings.TrimSpace(pf.Get("timezone")),
		BrandName: pf.Get("brand_name"), Leads: leadOptions(pf.Get("lead_action_type"))}
	updated, err := h.db.UpdateClient(r.Context(), c.ID, store.ClientUpdate{Name: f.Name, Slug: f.Slug, Timezone: f.Timezone,
		LeadActionType: pf.Get("lead_action_type"), BrandName: f.BrandName})
	if errs, ok := formErrors(err); ok {
		f.Errors = errs
		h.renderClient(w, r, http.StatusBadRequest, clientPageState{edit: &f})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, "client updated", slog.Int64("client_id", c.ID), slog.String("slug", updated.Slug), slog.String("old_slug", c.Slug))
	h.redirectWith(w, r, adminClientPath(updated), "ok", "Saved.")
}

// archiveClient is POST /admin/clients/{slug}/archive (archived=1) and restore (archived=0).
func (h *Handler) archiveClient(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	c := clientFrom(r.Context())
	archive := r.PostForm.Get("archived") != "0"
	if err := h.db.SetClientArchived(r.Context(), c.ID, archive); err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, "client archived", slog.Int64("client_id", c.ID), slog.Bool("archived", archive))
	msg := c.Name + " was restored; it is collected again."
	if archive {
		msg = c.Name + " was archived: its data is kept, it is no longer collected or listed."
	}
	h.redirectWith(w, r, adminClientPath(c), "ok", msg)
}

// logoTypes are the image types a logo may have (sniffed, never taken from the upload).
var logoTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// uploadLogo is POST /admin/clients/{slug}/logo (multipart): a PNG, JPEG, GIF or WebP of at most
// store.MaxLogoBytes. The type is sniffed from the bytes: SVG (scriptable) and anything else
// is refused, whatever the upload claims.
func (h *Handler) uploadLogo(w http.ResponseWriter, r *http.Request) {
	c := clientFrom(r.Context())
	refuse := func(msg string) {
		h.renderClient(w, r, http.StatusBadRequest, clientPageState{errs: views.FormErrors{"logo": msg}})
	}
	tooBig := "The logo is larger than " + strconv.Itoa(store.MaxLogoBytes>>10) + " KiB; make it smaller."
	r.Body = http.MaxBytesReader(w, r.Body, store.MaxLogoBytes+64<<10)
	file, _, err := r.FormFile("logo")
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			refuse(tooBig)
			return
		}
		refuse("Choose an image file to upload.")
		return
	}
	defer file.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(file, store.MaxLogoBytes+1)); err != nil {
		refuse("The upload could not be read; try again.")
		return
	}
	if buf.Len() > store.MaxLogoBytes {
		refuse(tooBig)
		return
	}
	if buf.Len() == 0 {
		refuse("Choose an image file to upload.")
		return
	}
	typ := http.DetectContentType(buf.Bytes())
	if !logoTypes[typ] {
		refuse("A logo must be a PNG, JPEG, GIF or WebP image; this file looks like " + typ + ".")
		return
	}
	if err := h.db.SetClientLogo(r.Context(), c.ID, buf.Bytes(), typ); err != nil {
		if errs, ok := formErrors(err); ok {
			h.renderClient(w, r, http.StatusBadRequest, clientPageState{errs: errs})
			return
		}
		h.fail(w, r, err)
		return
	}
	h.audit(r, "client logo set", slog.Int64("client_id", c.ID), slog.String("type", typ), slog.Int("bytes", buf.Len()))
	h.redirectWith(w, r, adminClientPath(c), "ok", "The logo was saved.")
}

// removeLogo is POST /admin/clients/{slug}/logo/remove.
func (h *Handler) removeLogo(w http.ResponseWriter, r *http.Request) {
	c := clientFrom(r.Context())
	if err := h.db.SetClientLogo(r.Context(), c.ID, nil, ""); err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, "client logo removed", slog.Int64("client_id", c.ID))
	h.redirectWith(w, r, adminClientPath(c), "ok", "The logo was removed.")
}

// clientLogo is GET /clients/{slug}/logo: the client's logo for anyone who may see the client
// (share links serve theirs under their own path with the same writer, serveLogo).
func (h *Handler) clientLogo(w http.ResponseWriter, r *http.Request) {
	h.serveLogo(w, r, clientFrom(r.Context()))
}

// serveLogo writes client c's logo with its sniffed type.
func (h *Handler) serveLogo(w http.ResponseWriter, r *http.Request, c store.Client) {
	data, typ, err := h.db.ClientLogo(r.Context(), c.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !logoTypes[typ] {
		typ = "application/octet-stream"
	}
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data)
}
