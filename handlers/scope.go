package handlers

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/leadlens/leadlens/store"
)

// PrincipalKind says how a caller proved who it is.
type PrincipalKind int

// The kinds of caller.
const (
	Anonymous PrincipalKind = iota
	UserPrincipal
	SharePrincipal  // a share link: one client, read-only
	APIKeyPrincipal // a client's API key: the event API of one client
)

// Principal is who is asking. It is resolved once per request by middleware and read from the
// context by every handler: scope is checked through this one mechanism, never ad hoc.
type Principal struct {
	Kind   PrincipalKind
	UserID int64
	Email  string
	Role   string // admin, member, viewer (users only)
	// ClientID is the one client a viewer, share link or API key may reach; 0 for admins and
	// members, who reach every client.
	ClientID    int64
	ShareLinkID int64
	APIKeyID    int64
}

// IsAdmin reports whether the caller may change everything.
func (p Principal) IsAdmin() bool { return p.Kind == UserPrincipal && p.Role == "admin" }

// CanRefresh reports whether the caller may start a collection run.
func (p Principal) CanRefresh() bool {
	return p.Kind == UserPrincipal && (p.Role == "admin" || p.Role == "member")
}

// CanSeeAllClients reports whether the caller reaches every client.
func (p Principal) CanSeeAllClients() bool {
	return p.Kind == UserPrincipal && (p.Role == "admin" || p.Role == "member")
}

// CanSeeClient reports whether the caller may read client id's data.
func (p Principal) CanSeeClient(id int64) bool {
	switch p.Kind {
	case UserPrincipal:
		if p.Role == "admin" || p.Role == "member" {
			return true
		}
		return p.Role == "viewer" && p.ClientID != 0 && p.ClientID == id
	case SharePrincipal, APIKeyPrincipal:
		return p.ClientID != 0 && p.ClientID == id
	}
	return false
}

type ctxKey int

const (
	principalKey ctxKey = iota
	clientKey
)

// withPrincipal stores the caller in the context.
func withPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey, p)
}

// principalFrom returns the caller; Anonymous when none was resolved.
func principalFrom(ctx context.Context) Principal {
	p, _ := ctx.Value(principalKey).(Principal)
	return p
}

// clientFrom returns the client resolved by clientScope.
func clientFrom(ctx context.Context) store.Client {
	c, _ := ctx.Value(clientKey).(store.Client)
	return c
}

// clientScope resolves the {slug} URL parameter to a client the caller may see and stores it in
// the context. A client the caller may not see answers exactly like one that does not exist, so
// slugs cannot be probed.
func (h *Handler) clientScope(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := principalFrom(r.Context())
		c, err := h.db.ClientBySlug(r.Context(), chi.URLParam(r, "slug"))
		if err != nil || !p.CanSeeClient(c.ID) || (c.Archived() && !p.IsAdmin()) {
			if err != nil && err != store.ErrNotFound {
				h.fail(w, r, err)
				return
			}
			h.fail(w, r, errNotFound("There is no client at this address, or you may not see it."))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientKey, c)))
	})
}
