package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
	"github.com/leadlens/leadlens/views"
)

// People who sign in: add (a password typed, or generated and shown once), change role,
// remove. The last admin cannot be removed or demoted (the store refuses), and an admin cannot
// lock themself out (refused here, before the store is asked).

var userRoles = []string{store.RoleAdmin, store.RoleMember, store.RoleViewer}

func roleOptions(selected string) []views.RoleOption {
	out := make([]views.RoleOption, len(userRoles))
	for i, r := range userRoles {
		out[i] = views.RoleOption{Value: r, Label: r, Selected: r == selected}
	}
	return out
}

func clientOptions(clients []store.Client, selected string) []views.RunOption {
	out := []views.RunOption{{Value: "", Label: "— none (admins, members) —", Selected: selected == ""}}
	for _, c := range clients {
		out = append(out, views.RunOption{Value: c.Slug, Label: c.Name, Selected: c.Slug == selected})
	}
	return out
}

// usersState is what a re-rendered users page carries.
type usersState struct {
	email, role, client string
	errs                views.FormErrors
	newUser, password   string
	rowErr              map[int64]string
}

// adminUsers is GET /admin/users.
func (h *Handler) adminUsers(w http.ResponseWriter, r *http.Request) {
	h.renderUsers(w, r, http.StatusOK, usersState{role: store.RoleMember})
}

func (h *Handler) renderUsers(w http.ResponseWriter, r *http.Request, status int, st usersState) {
	ctx := r.Context()
	users, err := h.db.Users(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	clients, err := h.db.Clients(ctx, false)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	me := principalFrom(ctx)
	p, a := h.adminPage(r, "Users")
	w.Header().Set("Cache-Control", "no-store")
	v := views.AdminUsers{Admin: a, Action: "/admin/users", Email: st.email, Roles: roleOptions(st.role),
		Clients: clientOptions(clients, st.client), Errors: st.errs, NewUser: st.newUser, NewPassword: st.password}
	for _, u := range users {
		id := strconv.FormatInt(u.ID, 10)
		row := views.UserRow{ID: id, Email: u.Email, Role: u.Role, Client: u.ClientSlug, Created: stampTime(u.CreatedAt),
			LastLogin: "never", Self: u.ID == me.UserID, RoleAction: "/admin/users/" + id + "/role",
			RemoveAction: "/admin/users/" + id + "/remove", Roles: roleOptions(u.Role), Clients: clientOptions(clients, u.ClientSlug),
			Error: st.rowErr[u.ID], TestID: "user-" + id}
		if !u.LastLoginAt.IsZero() {
			row.LastLogin = stampTime(u.LastLoginAt)
		}
		v.Users = append(v.Users, row)
	}
	h.render(w, r, status, views.AdminUsersPage(p, v))
}

// clientIDBySlug resolves the client <select> of the users page; "" is no client.
func (h *Handler) clientIDBySlug(ctx context.Context, slug string) (int64, error) {
	if slug == "" {
		return 0, nil
	}
	c, err := h.db.ClientBySlug(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		return 0, &store.ValidationError{Field: "client", Message: "there is no client " + strconv.Quote(slug)}
	}
	return c.ID, err
}

// addUser is POST /admin/users. A generated password is shown in the answer, once.
func (h *Handler) addUser(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	pf := r.PostForm
	st := usersState{email: strings.TrimSpace(pf.Get("email")), role: pf.Get("role"), client: pf.Get("client")}
	refuse := func(errs views.FormErrors) {
		st.errs = errs
		h.renderUsers(w, r, http.StatusBadRequest, st)
	}
	password, generated := pf.Get("password"), false
	if password == "" {
		var err error
		if password, err = secret.GeneratePassword(); err != nil {
			h.fail(w, r, err)
			return
		}
		generated = true
	} else if len(password) < secret.MinPasswordLen {
		refuse(views.FormErrors{"password": "Use at least " + strconv.Itoa(secret.MinPasswordLen) + " characters, or leave it empty to generate one."})
		return
	}
	clientID, err := h.clientIDBySlug(ctx, st.client)
	if err == nil {
		// Checked before hashing: argon2id costs tens of milliseconds and memory.
		if _, err = store.NormalizeEmail(st.email); err == nil {
			err = store.ValidateRole(st.role, clientID)
		}
	}
	if errs, ok := formErrors(err); ok {
		refuse(errs)
		return
	} else if err != nil {
		h.fail(w, r, err)
		return
	}
	hash, err := secret.HashPassword(password)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.db.CreateUser(ctx, store.NewUser{Email: st.email, PasswordHash: hash, Role: st.role, ClientID: clientID})
	if errs, ok := formErrors(err); ok {
		refuse(errs)
		return
	} else if err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, "user added", slog.Int64("new_user_id", u.ID), slog.String("role", u.Role), slog.Int64("client_id", u.ClientID),
		slog.Bool("generated_password", generated))
	if !generated {
		h.redirectWith(w, r, "/admin/users", "ok", u.Email+" was added with the password you chose.")
		return
	}
	h.renderUsers(w, r, http.StatusOK, usersState{role: store.RoleMember, newUser: u.Email, password: password})
}

// targetUser resolves the {id} URL parameter.
func (h *Handler) targetUser(r *http.Request) (store.User, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return store.User{}, errNotFound("There is no such user.")
	}
	return h.db.UserByID(r.Context(), id)
}

// lockoutMessage refuses a change to one's own account that would lock oneself out.
const lockoutMessage = "You cannot take away your own admin access: you would lock yourself out. Ask another admin to do it."

// lastAdminMessage explains store.ErrLastAdmin.
const lastAdminMessage = "This is the last admin: make another user admin first, so someone can still administer Leadlens."

// selfLockout says why an admin may not demote or remove themself: the last-admin rule when
// they are the only one, else the lock-out rule.
func (h *Handler) selfLockout(ctx context.Context) string {
	users, err := h.db.Users(ctx)
	if err != nil {
		return lockoutMessage
	}
	admins := 0
	for _, u := range users {
		if u.Role == store.RoleAdmin {
			admins++
		}
	}
	if admins <= 1 {
		return lastAdminMessage
	}
	return lockoutMessage
}

// setUserRole is POST /admin/users/{id}/role.
func (h *Handler) setUserRole(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	u, err := h.targetUser(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	refuse := func(msg string) {
		h.renderUsers(w, r, http.StatusBadRequest, usersState{role: store.RoleMember, rowErr: map[int64]string{u.ID: msg}})
	}
	role, slug := r.PostForm.Get("role"), r.PostForm.Get("client")
	if role != store.RoleViewer {
		slug = "" // the client select only matters for viewers
	}
	if u.ID == principalFrom(ctx).UserID && role != store.RoleAdmin {
		refuse(h.selfLockout(ctx))
		return
	}
	clientID, err := h.clientIDBySlug(ctx, slug)
	if err == nil {
		err = h.db.SetUserRole(ctx, u.ID, role, clientID)
	}
	if errors.Is(err, store.ErrLastAdmin) {
		refuse(lastAdminMessage)
		return
	}
	if errs, ok := formErrors(err); ok {
		for _, msg := range errs {
			refuse(msg)
		}
		return
	} else if err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, "user role changed", slog.Int64("target_user_id", u.ID), slog.String("from", u.Role), slog.String("to", role),
		slog.Int64("client_id", clientID))
	h.redirectWith(w, r, "/admin/users", "ok", u.Email+" is now "+role+".")
}

// removeUser is POST /admin/users/{id}/remove. Their sessions end with them: every request
// re-reads the user.
func (h *Handler) removeUser(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u, err := h.targetUser(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	refuse := func(msg string) {
		h.renderUsers(w, r, http.StatusBadRequest, usersState{role: store.RoleMember, rowErr: map[int64]string{u.ID: msg}})
	}
	if u.ID == principalFrom(ctx).UserID {
		refuse(h.selfLockout(ctx))
		return
	}
	err = h.db.DeleteUser(ctx, u.ID)
	switch {
	case errors.Is(err, store.ErrLastAdmin):
		refuse(lastAdminMessage)
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	h.audit(r, "user removed", slog.Int64("target_user_id", u.ID), slog.String("role", u.Role))
	h.redirectWith(w, r, "/admin/users", "ok", u.Email+" was removed and signed out.")
}
