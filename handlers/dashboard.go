package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/leadlens/leadlens/store"
	"github.com/leadlens/leadlens/views"
)

// clientDashboard is /clients/{slug}: a client's leads, spend and freshness for a period.
func (h *Handler) clientDashboard(w http.ResponseWriter, r *http.Request) {
	h.serveDashboard(w, r, "")
}

// campaignDashboard is /clients/{slug}/campaigns/{id}: one campaign's ad sets. A campaign that
// is not in one of the client's accounts answers 404, like one that does not exist.
func (h *Handler) campaignDashboard(w http.ResponseWriter, r *http.Request) {
	h.serveDashboard(w, r, chi.URLParam(r, "id"))
}

func (h *Handler) serveDashboard(w http.ResponseWriter, r *http.Request, campaignID string) {
	c := clientFrom(r.Context())
	q, err := h.viewQuery(r.Context(), c, r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q.CampaignID = campaignID
	base := "/clients/" + c.Slug
	d, err := h.dashboardData(r.Context(), c, q, base)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	title := c.Name
	if campaignID != "" {
		title = d.Heading + " · " + c.Name
	}
	// "Refresh now" for admins and members, and the flash its redirect left (admin_runs.go).
	d.Refresh = h.refreshAction(r, c)
	h.renderDashboard(w, r, h.withFlash(r, h.pageFor(r, title)), d)
}

// renderDashboard writes the whole page, or only the swappable body for an htmx request (a
// history restore gets the whole page: htmx puts it in place of everything).
func (h *Handler) renderDashboard(w http.ResponseWriter, r *http.Request, p views.Page, d views.Dashboard) {
	w.Header().Add("Vary", "HX-Request")
	if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-History-Restore-Request") != "true" {
		h.render(w, r, http.StatusOK, views.DashboardPartial(p.Title, d))
		return
	}
	h.render(w, r, http.StatusOK, views.DashboardPage(p, d))
}

// viewQuery parses a dashboard's URL state in the client's timezone.
func (h *Handler) viewQuery(ctx context.Context, c store.Client, v url.Values) (dashQuery, error) {
	loc, err := h.db.ClientTimezone(ctx, c)
	if err != nil {
		return dashQuery{}, err
	}
	return parseDashQuery(v, loc, h.now())
}

// dashboardData builds a dashboard view of client c for q. basePath is where the view lives
// (/clients/{slug}, or a share link's /s/{token}): every link on the page starts there, so a
// share link's page never links to a signed-in page. Callers add what depends on who is looking
// (navigation, the refresh button).
func (h *Handler) dashboardData(ctx context.Context, c store.Client, q dashQuery, basePath string) (views.Dashboard, error) {
	var campaign store.Campaign
	if q.CampaignID != "" {
		var err error
		if campaign, err = h.clientCampaign(ctx, c, q.CampaignID); err != nil {
			return views.Dashboard{}, err
		}
	}
	sq := store.DashboardQuery{ClientID: c.ID, LeadActionType: c.LeadActionType, Level: q.Level, CTXOnly: q.CTX,
		CampaignID: q.CampaignID, Since: q.Since, Until: q.Until, TopN: 10}
	if q.CampaignID != "" {
		sq.Level = "adset"
	}
	if q.Compare {
		sq.CompareSince, sq.CompareUntil = q.CompareSince, q.CompareUntil
	}
	data, err := h.db.Dashboard(ctx, sq)
	if err != nil {
		return views.Dashboard{}, err
	}
	b := dashBuilder{h: h, c: c, q: q, base: basePath, data: data, campaign: campaign}
	return b.build(), nil
}

// clientCampaign returns a campaign of one of c's accounts; any other campaign is not found.
func (h *Handler) clientCampaign(ctx context.Context, c store.Client, id string) (store.Campaign, error) {
	notFound := errNotFound("There is no campaign at this address for this client.")
	camp, err := h.db.CampaignByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return camp, notFound
	}
	if err != nil {
		return camp, err
	}
	acct, err := h.db.AdAccount(ctx, camp.AccountID)
	if errors.Is(err, store.ErrNotFound) || err == nil && acct.ClientID != c.ID {
		return camp, notFound
	}
	return camp, err
}

// dashBuilder turns a store.Dashboard into the page's plain data.
type dashBuilder struct {
	h        *Handler
	c        store.Client
	q        dashQuery
	base     string
	data     store.Dashboard
	campaign store.Campaign
}

// path is the page's own path (the client's, or the drill-down's).
func (b dashBuilder) path() string {
	if b.q.CampaignID != "" {
		return b.base + "/campaigns/" + url.PathEscape(b.q.CampaignID)
	}
	return b.base
}

func (b dashBuilder) build() views.Dashboard {
	d := views.Dashboard{
		Heading:     b.c.Name,
		Facts:       b.facts(),
		Filters:     b.filters(),
		ExportHref:  b.exportHref(),
		ExportLabel: "Export CSV",
	}
	if b.q.CampaignID != "" {
		d.Heading = b.campaign.Name
		if d.Heading == "" {
			d.Heading = "Campaign " + b.campaign.ID
		}
		d.Crumbs = []views.Link{{Label: b.c.Name, Href: b.q.href(b.base, func(q *dashQuery) { q.Page, q.Sort, q.Dir = 1, defaultSort, sortColumns[defaultSort] }), TestID: "crumb-client"}}
		d.Badges = append(d.Badges, objectStatusBadge(b.campaign.EffectiveStatus))
		if b.campaign.IsCTX {
			d.Badges = append(d.Badges, views.Badge{Text: "CTX", Kind: "ctx"})
		} else {
			d.Badges = append(d.Badges, views.Badge{Text: "not CTX"})
		}
		d.ExportLabel = "Export CSV (ad sets, whole client)"
	}
	d.Alerts = b.alerts()
	if d.Empty = b.empty(); d.Empty != nil {
		return d
	}
	d.Tiles = b.tiles()
	d.Charts = b.charts()
	d.Table = b.table()
	return d
}

// exportHref is the CSV of the view: the same period, level and CTX filter (a drill-down
// exports the client's ad sets).
func (b dashBuilder) exportHref() string {
	v := url.Values{}
	v.Set("range", b.q.Range)
	if b.q.Range == "custom" {
		v.Set("since", b.q.Since)
		v.Set("until", b.q.Until)
	}
	level := b.q.Level
	if b.q.CampaignID != "" {
		level = "adset"
	}
	v.Set("level", level)
	v.Set("ctx", boolString(b.q.CTX))
	return b.base + "/export.csv?" + v.Encode()
}

func (b dashBuilder) facts() views.Facts {
	f := views.Facts{LeadActionType: b.c.LeadActionType, LeadLabel: b.c.LeadActionType, Timezone: b.q.Loc.String()}
	for _, ld := range store.LeadDefinitions {
		if ld.ActionType == b.c.LeadActionType {
			f.LeadLabel, f.LeadHelp = ld.Label, ld.Explanation
		}
	}
	if b.c.Timezone == "" {
		f.Timezone += " (the first ad account's)"
	}
	st := b.data.Status
	now := b.h.now()
	if t := st.LastSuccess(); t.IsZero() {
		f.LastSync = "never"
	} else {
		f.LastSync, f.LastSyncISO = ago(now, t), t.UTC().Format("2006-01-02T15:04:05Z")
	}
	if st.Running != nil {
		f.Running = "a sync started " + ago(now, st.Running.StartedAt) + " is running"
	}
	zones := map[string]bool{}
	for _, a := range st.Accounts {
		zones[a.TimezoneName] = true
		last := "never"
		if !a.LastSuccessAt.IsZero() {
			last = ago(now, a.LastSuccessAt)
		}
		f.Accounts = append(f.Accounts, views.AccountFact{Name: orDash(a.Name), ID: a.ActID(), Timezone: orDash(a.TimezoneName),
			Currency: orDash(a.Currency), LastSync: last, Failing: a.Failing()})
	}
	if len(zones) > 1 {
		f.Timezone += " for logged leads; each ad account's dates are in its own timezone (below)"
	}
	return f
}

func (b dashBuilder) alerts() []views.Alert {
	var out []views.Alert
	for _, a := range b.data.Status.Accounts {
		if a.Failing() && a.EverRead {
			out = append(out, views.Alert{Kind: "bad", TestID: "alert-sync-failed",
				Title:   fmt.Sprintf("The last sync of %s (%s) failed %s; the numbers below are from before it.", orDash(a.Name), a.ActID(), ago(b.h.now(), a.LastErrorAt)),
				Message: a.LastError})
		}
	}
	if len(b.data.Currencies) > 1 {
		out = append(out, views.Alert{Kind: "info", TestID: "alert-currencies",
			Title: "This client's ad accounts spend in " + strings.Join(b.data.Currencies, " and ") + ".",
			Message: "Spend and cost per lead are shown per currency and never added across currencies; " +
				"each table row is in its own account's currency."})
	}
	return out
}

// empty explains why there is nothing to show, in the order a person would fix it.
func (b dashBuilder) empty() *views.Empty {
	st := b.data.Status
	switch {
	case len(st.Accounts) == 0:
		return &views.Empty{TestID: "empty-no-accounts", Title: "No ad accounts yet",
			Message: "This client has no Meta ad account, so there is nothing to collect. An admin can add one: leadlens clients add --name … --ad-account act_…"}
	case !st.EverRead():
		for _, a := range st.Accounts {
			if a.Failing() {
				return &views.Empty{TestID: "empty-sync-failed", Title: fmt.Sprintf("The first sync of %s (%s) failed", orDash(a.Name), a.ActID()),
					Message: a.LastError}
			}
		}
		if st.Running != nil {
			return &views.Empty{TestID: "empty-syncing", Title: "The first sync is running",
				Message: "Leadlens is reading this client's ad accounts from Meta for the first time. Reload in a minute."}
		}
		return &views.Empty{TestID: "empty-never-synced", Title: "Not synced yet",
			Message: "No data has been read from Meta for this client's ad accounts. The next scheduled sync will read them, or an admin can refresh now."}
	}
	t := b.data.Totals
	if len(b.data.Rows) == 0 && t.AttributedLeads == 0 && t.LoggedLeads == 0 && t.Conversations == 0 && t.Impressions == 0 && len(t.Spend) == 0 {
		what := "this client"
		if b.q.CampaignID != "" {
			what = "this campaign"
		} else if b.q.CTX {
			what = "this client's CTX campaigns"
		}
		return &views.Empty{TestID: "empty-no-data", Title: "No data in this period",
			Message: fmt.Sprintf("Nothing was delivered or logged for %s from %s to %s. Pick another period%s.",
				what, humanDate(b.q.Since), humanDate(b.q.Until), map[bool]string{true: ", or show every campaign", false: ""}[b.q.CTX && b.q.CampaignID == ""])}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func objectStatusBadge(status string) views.Badge {
	if status == "" {
		return views.Badge{Text: "status unknown"}
	}
	kind := ""
	if status == "ACTIVE" {
		kind = "ok"
	}
	return views.Badge{Text: strings.ToLower(strings.ReplaceAll(status, "_", " ")), Kind: kind}
}
