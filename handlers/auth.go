package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
	"github.com/leadlens/leadlens/views"
)

// sessionUserKey is the session key holding the signed-in user's id.
const sessionUserKey = "user_id"

// identify loads the session and resolves the signed-in user into the request's Principal.
// The user is re-read on every request, so a removed user or a changed role takes effect at once.
func (h *Handler) identify(next http.Handler) http.Handler {
	return h.sessions.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p := Principal{}
		if id := h.sessions.GetInt64(ctx, sessionUserKey); id != 0 {
			u, err := h.db.UserByID(ctx, id)
			switch {
			case err == nil:
				p = Principal{Kind: UserPrincipal, UserID: u.ID, Email: u.Email, Role: u.Role, ClientID: u.ClientID}
			case errors.Is(err, store.ErrNotFound):
				_ = h.sessions.Destroy(ctx)
			default:
				h.fail(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(withPrincipal(ctx, p)))
	}))
}

// requireUser lets signed-in users through; anonymous page views are sent to the login page,
// anything else gets 401.
func (h *Handler) requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if principalFrom(r.Context()).Kind == UserPrincipal {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		h.fail(w, r, &httpError{Status: http.StatusUnauthorized, Title: "Please sign in", Message: "Sign in to do this."})
	})
}

// requireAdmin lets only admins through.
func (h *Handler) requireAdmin(next http.Handler) http.Handler {
	return h.requireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !principalFrom(r.Context()).IsAdmin() {
			h.fail(w, r, errForbidden("Only admins may open this page."))
			return
		}
		next.ServeHTTP(w, r)
	}))
}

// pageFor is page() with the navigation and user of the request's principal.
func (h *Handler) pageFor(r *http.Request, title string) views.Page {
	p := h.page(title)
	pr := principalFrom(r.Context())
	if pr.Kind != UserPrincipal {
		return p
	}
	p.User = &views.User{Email: pr.Email, Role: pr.Role}
	path := r.URL.Path
	p.Nav = append(p.Nav, views.NavItem{Label: "Clients", Href: "/", Current: path == "/" || strings.HasPrefix(path, "/clients/")})
	if pr.IsAdmin() {
		p.Nav = append(p.Nav, views.NavItem{Label: "Admin", Href: "/admin", Current: strings.HasPrefix(path, "/admin")})
	}
	return p
}

// safeNext keeps a post-login redirect on this site: a path, never a scheme or host.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}

// clientIP is the caller's address for rate limiting, as the client-IP middleware in Routes
// decided it (the proxy's X-Forwarded-For entry only when a proxy is trusted).
func clientIP(r *http.Request) string {
	if ip := middleware.GetClientIP(r.Context()); ip != "" {
		return ip
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request) {
	if principalFrom(r.Context()).Kind == UserPrincipal {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	p := h.page("Sign in")
	p.Assets.NoCharts = true
	h.render(w, r, http.StatusOK, views.Login(p, views.LoginForm{Next: safeNext(r.URL.Query().Get("next"))}))
}

// login checks a password. Attempts are limited per IP and failures per account; an unknown
// email costs as much time as a wrong password.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, errBadRequest("The sign-in form could not be read."))
		return
	}
	form := views.LoginForm{Email: strings.TrimSpace(r.PostForm.Get("email")), Next: safeNext(r.PostForm.Get("next"))}
	password := r.PostForm.Get("password")
	p := h.page("Sign in")
	p.Assets.NoCharts = true
	deny := func(status int, msg string) {
		form.Error = msg
		h.render(w, r, status, views.Login(p, form))
	}
	account := strings.ToLower(form.Email)
	if ok, wait := h.loginIP.allow(clientIP(r)); !ok {
		w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(wait.Seconds()))))
		deny(http.StatusTooManyRequests, "Too many sign-in attempts from your network. Try again in "+humanWait(wait)+".")
		return
	}
	if blocked, wait := h.loginAccount.blocked(account); blocked {
		w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(wait.Seconds()))))
		deny(http.StatusTooManyRequests, "Too many failed sign-ins for this account. Try again in "+humanWait(wait)+".")
		return
	}
	if form.Email == "" || password == "" {
		deny(http.StatusBadRequest, "Enter your email and password.")
		return
	}
	u, err := h.db.UserByEmail(r.Context(), account)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.fail(w, r, err)
		return
	}
	if err != nil {
		secret.BurnPasswordCheck(password)
	}
	if err != nil || !secret.CheckPassword(password, u.PasswordHash) {
		h.loginAccount.allow(account)
		h.log.WarnContext(r.Context(), "sign-in failed", slog.String("request_id", middleware.GetReqID(r.Context())), slog.String("ip", clientIP(r)))
		deny(http.StatusUnauthorized, "That email and password do not match.")
		return
	}
	// A new session id on every sign-in: a session fixed before login is worthless after it.
	if err := h.sessions.RenewToken(r.Context()); err != nil {
		h.fail(w, r, err)
		return
	}
	h.sessions.Put(r.Context(), sessionUserKey, u.ID)
	if err := h.db.TouchLogin(r.Context(), u.ID); err != nil {
		h.log.WarnContext(r.Context(), "recording sign-in time", slog.Any("err", err))
	}
	h.log.InfoContext(r.Context(), "signed in", slog.Int64("user_id", u.ID), slog.String("role", u.Role))
	http.Redirect(w, r, form.Next, http.StatusSeeOther)
}

// logout destroys the session server-side, so a copied cookie is dead too.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if err := h.sessions.Destroy(r.Context()); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func humanWait(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d seconds", int(math.Ceil(d.Seconds())))
	}
	m := int(math.Ceil(d.Minutes()))
	if m == 1 {
		return "a minute"
	}
	return fmt.Sprintf("%d minutes", m)
}
