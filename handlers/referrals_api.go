package handlers

import (
	"net/http"
	"strconv"

	"github.com/leadlens/leadlens/events"
	"github.com/leadlens/leadlens/store"
)

// referrals serves POST /api/v1/referrals: a bot reports that a person (page, PSID) arrived
// from an ad, so their events — earlier ones within the window too — are attributed to it.
// Referrals are rare (one per ad tap) and go straight to the store, not through the batcher.
func (h *Handler) referrals(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ref, err := events.ParseReferralAt(r.Header.Get("Content-Type"), apiBodyFrom(ctx), r.URL.Query(), h.now())
	if err != nil {
		h.apiFail(w, r, err)
		return
	}
	p := principalFrom(ctx)
	if err := h.checkPage(ctx, p, ref.PageID); err != nil {
		h.apiFail(w, r, err)
		return
	}
	res, err := h.db.RecordReferral(ctx, store.NewReferral{
		ClientID: p.ClientID, APIKeyID: p.APIKeyID,
		PageID: ref.PageID, PSID: ref.PSID, AdID: ref.AdID,
		Source: ref.Source, Type: ref.Type, ReferredAt: ref.ReferredAt,
	})
	if err != nil {
		h.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Success      bool   `json:"success"`
		ID           string `json:"id"`
		Duplicate    bool   `json:"duplicate"`
		Reattributed int    `json:"reattributed"`
	}{true, strconv.FormatInt(res.ID, 10), res.Duplicate, res.Reattributed})
}
