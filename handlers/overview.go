package handlers

import (
	"net/http"

	"github.com/leadlens/leadlens/store"
	"github.com/leadlens/leadlens/views"
)

// overview is "/": every client the caller may see.
func (h *Handler) overview(w http.ResponseWriter, r *http.Request) {
	clients, err := h.visibleClients(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rows := make([]views.OverviewRow, 0, len(clients))
	for _, c := range clients {
		rows = append(rows, views.OverviewRow{Name: c.Name, Href: "/clients/" + c.Slug})
	}
	p := h.pageFor(r, "Overview")
	p.Assets.NoCharts = true
	h.render(w, r, http.StatusOK, views.Overview(p, rows))
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
