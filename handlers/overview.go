package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/leadlens/leadlens/money"
	"github.com/leadlens/leadlens/store"
	"github.com/leadlens/leadlens/views"
)

// overviewDays is the overview's period: the last 28 complete days, each client in its own
// timezone, CTX campaigns only (each client's dashboard default).
const overviewDays = 28

// overview is "/": every client the caller may see with its recent leads, spend and freshness.
func (h *Handler) overview(w http.ResponseWriter, r *http.Request) {
	clients, err := h.visibleClients(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	qs := make([]store.DashboardQuery, len(clients))
	for i, c := range clients {
		q, err := h.viewQuery(r.Context(), c, url.Values{"range": {"last_28d"}})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		qs[i] = store.DashboardQuery{ClientID: c.ID, LeadActionType: c.LeadActionType, CTXOnly: true, Since: q.Since, Until: q.Until}
	}
	sums, err := h.db.Summaries(r.Context(), qs)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := h.now()
	rows := make([]views.OverviewRow, 0, len(clients))
	for i, c := range clients {
		s := sums[i]
		t := s.Totals
		row := views.OverviewRow{Name: c.Name, Href: "/clients/" + url.PathEscape(c.Slug), TestID: "client-" + c.Slug,
			Attributed: grouped(t.AttributedLeads), Logged: grouped(t.LoggedLeads), MatchRate: percent(t.LoggedLeads, t.AttributedLeads)}
		for _, cur := range t.Spend {
			row.Spend = append(row.Spend, money.Display(cur.SpendMicros, cur.Currency))
			row.CPL = append(row.CPL, cplText(cur.SpendMicros, cur.AttributedLeads, cur.Currency))
		}
		if len(row.Spend) == 0 {
			row.Spend, row.CPL = []string{"0"}, []string{"–"}
		}
		daily := make([]int64, len(s.Days))
		for j, d := range s.Days {
			daily[j] = d.AttributedLeads
		}
		row.Spark = views.NewSparkline(daily, 112, 28, fmt.Sprintf("Attributed leads per day over the last %d days", overviewDays))
		row.Freshness, row.FreshKind = freshness(s.Status, now)
		rows = append(rows, row)
	}
	p := h.pageFor(r, "Overview")
	p.Assets.NoCharts = true
	period := fmt.Sprintf("Last %d complete days in each client's timezone, CTX campaigns only.", overviewDays)
	h.render(w, r, http.StatusOK, views.Overview(p, period, rows))
}

// freshness says in a few words how current a client's data is, and how worried to be.
func freshness(st store.ClientStatus, now time.Time) (string, string) {
	switch {
	case len(st.Accounts) == 0:
		return "no ad accounts", "warn"
	}
	for _, a := range st.Accounts {
		if a.Failing() {
			return "last sync failed", "bad"
		}
	}
	switch {
	case st.Running != nil:
		return "syncing now", "warn"
	case !st.EverRead():
		return "never synced", "warn"
	}
	return "synced " + ago(now, st.LastSuccess()), "ok"
}

// visibleClients lists the active clients the caller may see.
func (h *Handler) visibleClients(r *http.Request) ([]store.Client, error) {
	p := principalFrom(r.Context())
	all, err := h.db.Clients(r.Context(), false)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, c := range all {
		if p.CanSeeClient(c.ID) {
			out = append(out, c)
		}
	}
	return out, nil
}
