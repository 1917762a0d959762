package handlers

import (
	"net/http"

	"github.com/leadlens/leadlens/views"
)

// overview is "/": every client the caller may see.
func (h *Handler) overview(w http.ResponseWriter, r *http.Request) {
	clients, err := h.db.Clients(r.Context(), false)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rows := make([]views.OverviewRow, 0, len(clients))
	for _, c := range clients {
		rows = append(rows, views.OverviewRow{Name: c.Name, Href: "/clients/" + c.Slug})
	}
	p := h.page("Overview")
	p.Assets.NoCharts = true
	h.render(w, r, http.StatusOK, views.Overview(p, rows))
}
