package handlers

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
	"github.com/leadlens/leadlens/views"
)

// A share link's token, in its path, is the caller's only credential: /s/{token} needs no
// session, and a signed-in person opening it sees exactly what anyone holding the link sees.

type shareCtxKey int

const shareLinkKey shareCtxKey = iota

// shareLinkFrom returns the link resolved by shareScope.
func shareLinkFrom(ctx context.Context) store.ShareLink {
	l, _ := ctx.Value(shareLinkKey).(store.ShareLink)
	return l
}

// shareCookieName is the cookie proving a protected link's password was given. It holds an
// HMAC proof, never the password, and is scoped to the link's own path.
const shareCookieName = "leadlens_share"

// shareUnlockLifetime is how long a password, once typed, opens its link in that browser.
const shareUnlockLifetime = 12 * time.Hour

// sharePath is a link's own path: every URL of its view starts there.
func sharePath(token string) string { return "/s/" + token }

// shareRefusal is the clear page for a link that cannot be opened.
func shareRefusal(status int, title, msg string) error {
	return &httpError{Status: status, Title: title, Message: msg}
}

var errShareUnknown = shareRefusal(http.StatusNotFound, "This link does not exist",
	"Check that the whole link was copied. If it was shared with you, ask the person who sent it for a new one.")

// shareScope resolves /s/{token} into the link, its client and a SharePrincipal, or answers a
// clear page: 404 for an unknown token, 410 for a revoked or expired link. Every answer under
// the path is private to the link: never cached, never indexed.
func (h *Handler) shareScope(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Robots-Tag", "noindex, nofollow")
		ctx := r.Context()
		l, err := h.db.ShareLinkByToken(ctx, chi.URLParam(r, "token"))
		if errors.Is(err, store.ErrNotFound) {
			h.fail(w, r, errShareUnknown)
			return
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		// An embeddable link's refusal pages are framed too, so an embedded expired link says so
		// instead of showing the browser's blocked-frame error.
		if l.AllowEmbed {
			allowFraming(w)
		}
		c, err := h.db.ClientByID(ctx, l.ClientID)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				err = errShareUnknown
			}
			h.fail(w, r, err)
			return
		}
		if err := h.shareOpen(ctx, l, c); err != nil {
			h.fail(w, r, err)
			return
		}
		p := Principal{Kind: SharePrincipal, ClientID: c.ID, ShareLinkID: l.ID}
		if !p.CanSeeClient(c.ID) {
			h.fail(w, r, errShareUnknown)
			return
		}
		ctx = context.WithValue(withPrincipal(ctx, p), clientKey, c)
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, shareLinkKey, l)))
	})
}

// shareOpen says why link l of client c cannot be opened now, or nil.
func (h *Handler) shareOpen(ctx context.Context, l store.ShareLink, c store.Client) error {
	switch {
	case l.Revoked():
		return shareRefusal(http.StatusGone, "This link was revoked",
			"The person who shared this dashboard turned the link off. Ask them for a new one.")
	case l.Expired(h.now()):
		loc, err := h.db.ClientTimezone(ctx, c)
		if err != nil {
			return err
		}
		return shareRefusal(http.StatusGone, "This link expired",
			fmt.Sprintf("This link expired on %s (%s time). Ask the person who shared it for a new one.",
				l.ExpiresAt.In(loc).Format("2 Jan 2006 at 15:04"), loc))
	case c.Archived():
		return shareRefusal(http.StatusGone, "This dashboard is no longer shared",
			"The dashboard behind this link was archived. Ask the person who shared it.")
	}
	return nil
}

// sharePassword lets a protected link's requests through only with a valid unlock cookie; the
// others get the password form (401).
func (h *Handler) sharePassword(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := shareLinkFrom(r.Context())
		if l.HasPassword() && !h.shareUnlocked(r, l) {
			h.renderUnlock(w, r, http.StatusUnauthorized, r.URL.RequestURI(), "")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// shareProof is the unlock cookie's value for link l issued at unix time issued: an HMAC keyed
// by the link's password hash (salted, never sent anywhere), so only the server can make one and
// it dies with the link's password.
func shareProof(l store.ShareLink, issued int64) string {
	mac := hmac.New(sha256.New, []byte(l.PasswordHash))
	fmt.Fprintf(mac, "leadlens share unlock\x00%d\x00%d", l.ID, issued)
	return strconv.FormatInt(issued, 10) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// shareUnlocked reports whether r carries a fresh proof for link l.
func (h *Handler) shareUnlocked(r *http.Request, l store.ShareLink) bool {
	ck, err := r.Cookie(shareCookieName)
	if err != nil {
		return false
	}
	ts, _, _ := strings.Cut(ck.Value, ".")
	issued, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	if age := h.now().Sub(time.Unix(issued, 0)); age < -time.Minute || age > shareUnlockLifetime {
		return false
	}
	return hmac.Equal([]byte(ck.Value), []byte(shareProof(l, issued)))
}

// renderUnlock writes the password form of the request's link.
func (h *Handler) renderUnlock(w http.ResponseWriter, r *http.Request, status int, next, msg string) {
	base := sharePath(chi.URLParam(r, "token"))
	p := h.page("Password needed")
	p.Assets.NoCharts = true
	h.render(w, r, status, views.ShareUnlock(p, views.ShareUnlockForm{Action: base + "/unlock", Next: shareNext(base, next), Error: msg}))
}

// shareNext keeps a post-unlock redirect inside the link's own path.
func shareNext(base, next string) string {
	if next = safeNext(next); next == base || strings.HasPrefix(next, base+"/") || strings.HasPrefix(next, base+"?") {
		if !strings.HasPrefix(next, base+"/unlock") {
			return next
		}
	}
	return base
}

// shareUnlock is POST /s/{token}/unlock: the right password sets the unlock cookie; wrong ones
// are limited per link and address, so a password cannot be guessed at speed.
func (h *Handler) shareUnlock(w http.ResponseWriter, r *http.Request) {
	l := shareLinkFrom(r.Context())
	base := sharePath(chi.URLParam(r, "token"))
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, errBadRequest("The password form could not be read."))
		return
	}
	next := shareNext(base, r.PostForm.Get("next"))
	if !l.HasPassword() {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	key := strconv.FormatInt(l.ID, 10) + "|" + clientIP(r)
	if blocked, wait := h.shareTries.blocked(key); blocked {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		h.renderUnlock(w, r, http.StatusTooManyRequests, next, "Too many wrong passwords. Try again in "+humanWait(wait)+".")
		return
	}
	if !secret.CheckPassword(r.PostForm.Get("password"), l.PasswordHash) {
		h.shareTries.allow(key)
		h.log.WarnContext(r.Context(), "share link password wrong", slog.String("request_id", middleware.GetReqID(r.Context())),
			slog.Int64("share_link_id", l.ID), slog.String("ip", clientIP(r)))
		h.renderUnlock(w, r, http.StatusUnauthorized, next, "That password is not right.")
		return
	}
	ck := &http.Cookie{Name: shareCookieName, Value: shareProof(l, h.now().Unix()), Path: base,
		MaxAge: int(shareUnlockLifetime / time.Second), HttpOnly: true, Secure: h.cfg.SecureCookies, SameSite: http.SameSiteStrictMode}
	if l.AllowEmbed && h.cfg.SecureCookies {
		// Inside another site's frame only a SameSite=None cookie comes back (and only over
		// https); without it an embedded protected link would ask for its password on every view.
		ck.SameSite = http.SameSiteNoneMode
	}
	http.SetCookie(w, ck)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// shareDashboard is /s/{token}: the link's client's dashboard, read-only.
func (h *Handler) shareDashboard(w http.ResponseWriter, r *http.Request) { h.serveShare(w, r, "") }

// shareCampaign is /s/{token}/campaigns/{id}: one campaign of the link's client; any other
// campaign is not found.
func (h *Handler) shareCampaign(w http.ResponseWriter, r *http.Request) {
	h.serveShare(w, r, chi.URLParam(r, "id"))
}

func (h *Handler) serveShare(w http.ResponseWriter, r *http.Request, campaignID string) {
	ctx := r.Context()
	c, l := clientFrom(ctx), shareLinkFrom(ctx)
	q, sr, err := h.shareQuery(ctx, c, l, r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q.CampaignID = campaignID
	base := sharePath(chi.URLParam(r, "token"))
	d, err := h.dashboardData(ctx, c, q, base)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if l.RangeMode == store.RangeBounded {
		d.Filters.Presets = h.presetsWithin(d.Filters.Presets, q, l)
	}
	if d.Empty != nil && d.Empty.TestID != "empty-no-data" {
		// The dashboard's empty states tell an admin what to set up; the link's reader can only wait.
		d.Empty.Message = "There is nothing to show yet: the data has not been read from Meta. Check back later."
	}
	title := brandName(c)
	if campaignID != "" {
		title = d.Heading + " · " + title
	}
	w.Header().Add("Vary", "HX-Request")
	if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-History-Restore-Request") != "true" {
		h.render(w, r, http.StatusOK, views.SharePartial(title, d, sr))
		return
	}
	// One write per page a person opens; in-page updates, the CSV and the logo are not views.
	if err := h.db.RecordShareView(ctx, l.ID); err != nil {
		h.log.WarnContext(ctx, "recording a share view", slog.String("request_id", middleware.GetReqID(ctx)), slog.Any("err", err))
	}
	h.render(w, r, http.StatusOK, views.SharePage(h.sharePage(c, base, title), d, sr))
}

// sharePage is the layout of a shared view: the client's brand instead of Leadlens's, no
// navigation, no user menu.
func (h *Handler) sharePage(c store.Client, base, title string) views.Page {
	p := h.page(title)
	p.Brand = &views.Brand{Name: brandName(c)}
	if c.HasLogo {
		p.Brand.LogoURL = base + "/logo"
	}
	return p
}

// brandName is how a client presents itself on shared views.
func brandName(c store.Client) string {
	if c.BrandName != "" {
		return c.BrandName
	}
	return c.Name
}

// shareExportCSV is /s/{token}/export.csv: the CSV of the shared view, under the link's dates.
func (h *Handler) shareExportCSV(w http.ResponseWriter, r *http.Request) {
	c := clientFrom(r.Context())
	q, _, err := h.shareQuery(r.Context(), c, shareLinkFrom(r.Context()), r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.streamCSV(w, r, c, q)
}

// shareLogo is /s/{token}/logo: the client's logo for the branded header, written as the
// signed-in pages write it (serveLogo).
func (h *Handler) shareLogo(w http.ResponseWriter, r *http.Request) {
	h.serveLogo(w, r, clientFrom(r.Context()))
}
