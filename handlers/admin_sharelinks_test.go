package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadlens/leadlens/internal/pagetest"
	"github.com/leadlens/leadlens/store"
)

// adminShareEnv is shareEnv with a signed-in admin.
func adminShareEnv(t *testing.T) (*testEnv, store.Client, store.Client, *http.Client) {
	t.Helper()
	e, f, _ := shareEnv(t)
	pw := e.addUser("admin@example.com", "admin", 0)
	return e, f.Acme, f.Other, e.login("admin@example.com", pw)
}

func TestAdminCreatesShareLinkShownOnce(t *testing.T) {
	e, acme, _, admin := adminShareEnv(t)
	path := "/admin/clients/acme/share-links"
	p := e.getPage(admin, path)
	if p.Code != 200 || !p.Has("share-form") || !p.Has("no-share-links") {
		t.Fatalf("GET %s: got %d, want the form and no links", path, p.Code)
	}
	code, _, body := e.post(admin, path, url.Values{"label": {"Owner's monthly"}, "expires_at": {"2099-12-31"}, "password": {"harbour-light-7"},
		"range_mode": {"bounded"}, "range_since": {"2026-10-01"}, "range_until": {"2026-10-31"}, "allow_embed": {"1"}})
	p = pagetest.Parse(t, code, body)
	if code != 200 || !p.Has("share-created") {
		t.Fatalf("create: got %d, want the new link\n%s", code, pagetest.Text(p.Root))
	}
	shown := p.TestID("share-url")
	if !strings.HasPrefix(shown, e.srv.URL+"/s/lls_") {
		t.Fatalf("shown URL %q, want the full link on this server", shown)
	}
	tok := strings.TrimPrefix(shown, e.srv.URL+"/s/")
	if embed := p.TestID("share-embed"); !strings.Contains(embed, `<iframe src="`+shown+`"`) {
		t.Errorf("embed code %q, want an iframe of the link", embed)
	}
	l, err := e.db.ShareLinkByToken(context.Background(), tok)
	if err != nil {
		t.Fatalf("the shown token is not a stored link: %v", err)
	}
	wantExpiry := time.Date(2100, 1, 1, 0, 0, 0, 0, mustLoc(t, "America/New_York"))
	if l.Label != "Owner's monthly" || l.RangeMode != "bounded" || l.RangeSince != "2026-10-01" || !l.AllowEmbed || !l.HasPassword() ||
		!l.ExpiresAt.Equal(wantExpiry) || l.CreatedBy != "admin@example.com" || l.ClientID != acme.ID {
		t.Fatalf("stored link %+v: want the form's settings, expiring at the end of 31 Dec 2099 in New York", l)
	}
	row := p.Row("share-link-" + itoa(l.ID))
	if len(row) == 0 || !strings.Contains(row[0], "Owner's monthly") || !strings.Contains(row[0], l.Prefix) ||
		!strings.Contains(row[1], "within 1 Oct 2026 – 31 Oct 2026") || !strings.Contains(row[2], "end of 31 Dec 2099") {
		t.Errorf("list row: got %q", row)
	}
	// Shown once: the list page never shows the token again.
	if code, body := e.get(admin, path); code != 200 || strings.Contains(body, tok) || strings.Contains(body, "share-created") {
		t.Errorf("GET after creating: got %d; the page shows the token again", code)
	}
	if strings.Contains(e.log.String(), tok) || strings.Contains(e.log.String(), "harbour-light-7") {
		t.Error("the logs contain the new token or its password")
	}
}

func TestAdminShareLinkValidationStoresNothing(t *testing.T) {
	e, acme, _, admin := adminShareEnv(t)
	path := "/admin/clients/acme/share-links"
	tests := []struct {
		name  string
		form  url.Values
		field string
	}{
		{"expiry in the past", url.Values{"expires_at": {"2020-01-01"}}, "expires_at"},
		{"expiry not a date", url.Values{"expires_at": {"next week"}}, "expires_at"},
		{"fixed without dates", url.Values{"range_mode": {"fixed"}}, "range_since"},
		{"since after until", url.Values{"range_mode": {"bounded"}, "range_since": {"2026-10-31"}, "range_until": {"2026-10-01"}}, "range_until"},
		{"bad date", url.Values{"range_mode": {"fixed"}, "range_since": {"2026-02-30"}, "range_until": {"2026-03-01"}}, "range_since"},
		{"unknown mode", url.Values{"range_mode": {"rolling"}}, "range_mode"},
		{"short password", url.Values{"password": {"short"}}, "password"},
		{"long label", url.Values{"label": {strings.Repeat("l", 101)}}, "label"},
	}
	for _, tc := range tests {
		code, _, body := e.post(admin, path, tc.form)
		p := pagetest.Parse(t, code, body)
		if code != 400 || !p.Has("share-error") || p.Has("share-created") {
			t.Errorf("%s: got %d, want 400 with the form's error", tc.name, code)
			continue
		}
		var marked string
		for _, in := range pagetest.FindTag(p.Root, "input") {
			if attr(in, "aria-invalid") == "true" {
				marked = attr(in, "name")
			}
		}
		if marked != tc.field || !p.Has("error-"+tc.field) {
			t.Errorf("%s: field marked %q (message shown: %v), want %q", tc.name, marked, p.Has("error-"+tc.field), tc.field)
		}
	}
	// What was typed is kept (never the password).
	code, _, body := e.post(admin, path, url.Values{"label": {"keep me"}, "range_mode": {"fixed"}, "range_since": {"2026-10-01"}, "password": {"short"}})
	if code != 400 || !strings.Contains(body, `value="keep me"`) || !strings.Contains(body, `value="2026-10-01"`) || strings.Contains(body, `value="short"`) {
		t.Errorf("refused form: got %d, want the typed label and date kept and the password not echoed", code)
	}
	if links, _ := e.db.ShareLinks(context.Background(), acme.ID); len(links) != 0 {
		t.Fatalf("refused forms stored %d links", len(links))
	}
	// Dates typed for an open link are dropped, not refused.
	if code, _, _ := e.post(admin, path, url.Values{"range_mode": {"open"}, "range_since": {"2026-10-01"}}); code != 200 {
		t.Errorf("open link with a stray date: got %d, want 200", code)
	}
}

func TestAdminRevokesShareLink(t *testing.T) {
	e, acme, other, admin := adminShareEnv(t)
	tok, l := e.newLink(store.NewShareLink{ClientID: acme.ID, Label: "to revoke"})
	otherTok, ol := e.newLink(store.NewShareLink{ClientID: other.ID})
	// Another client's link id under this client's address: not found, and still working.
	if code, _, _ := e.post(admin, "/admin/clients/acme/share-links/"+itoa(ol.ID)+"/revoke", nil); code != 404 {
		t.Fatalf("revoke the other client's link through acme: got %d, want 404", code)
	}
	if code, _ := e.get(e.client(), "/s/"+otherTok); code != 200 {
		t.Fatalf("the other client's link after the refused revoke: got %d, want 200", code)
	}
	for _, bad := range []string{"abc", "0", "-1", "99999"} {
		if code, _, _ := e.post(admin, "/admin/clients/acme/share-links/"+bad+"/revoke", nil); code != 404 {
			t.Errorf("revoke id %q: got %d, want 404", bad, code)
		}
	}
	code, loc, _ := e.post(admin, "/admin/clients/acme/share-links/"+itoa(l.ID)+"/revoke", nil)
	if code != 303 || loc != "/admin/clients/acme/share-links" {
		t.Fatalf("revoke: got %d to %q, want 303 back to the list", code, loc)
	}
	if code, _ := e.get(e.client(), "/s/"+tok); code != 410 {
		t.Fatalf("the revoked link: got %d, want 410", code)
	}
	p := e.getPage(admin, loc)
	if !strings.Contains(p.Body, "The link was revoked") {
		t.Error("the list after revoking does not say the link was revoked")
	}
	row := p.Row("share-link-" + itoa(l.ID))
	if len(row) < 5 || !strings.HasPrefix(row[4], "revoked") || pagetest.Find(pagetest.Find(p.Root, "share-link-"+itoa(l.ID)), "revoke") != nil {
		t.Errorf("list after revoking: row %q, want it marked revoked without a revoke button", row)
	}
	if code, _, _ := e.post(admin, "/admin/clients/acme/share-links/"+itoa(l.ID)+"/revoke", nil); code != 404 {
		t.Errorf("revoking twice: got %d, want 404", code)
	}
}

func TestShareLinksAdminOnlyAndSameOrigin(t *testing.T) {
	e, acme, _, admin := adminShareEnv(t)
	pw := e.addUser("member@example.com", "member", 0)
	member := e.login("member@example.com", pw)
	path := "/admin/clients/acme/share-links"
	if code, _ := e.get(member, path); code != 403 {
		t.Errorf("member GET: got %d, want 403", code)
	}
	if code, _, _ := e.post(member, path, url.Values{"label": {"x"}}); code != 403 {
		t.Errorf("member POST: got %d, want 403", code)
	}
	if resp, _ := e.fetch(e.client(), path); resp.StatusCode != 303 {
		t.Errorf("anonymous GET: got %d, want 303 to sign in", resp.StatusCode)
	}
	// A cross-site form post with the admin's cookies is refused before it creates anything.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader("label=csrf"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := admin.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("cross-site POST: got %d, want 403", resp.StatusCode)
	}
	// A browser that sends only Origin (no Sec-Fetch-Site) is judged by it.
	req, _ = http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader("label=csrf"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if resp, err = admin.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("cross-origin POST with Origin only: got %d, want 403", resp.StatusCode)
	}
	// The same form from our own page goes through.
	if code, _, _ := e.post(admin, path, url.Values{"label": {"ours"}}); code != 200 {
		t.Errorf("same-origin POST: got %d, want 200", code)
	}
	if links, _ := e.db.ShareLinks(context.Background(), acme.ID); len(links) != 1 || links[0].Label != "ours" {
		t.Errorf("got %d links, want only the same-origin one: refused requests created links", len(links))
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
