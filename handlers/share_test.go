package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/leadlens/leadlens/internal/pagetest"
	"github.com/leadlens/leadlens/internal/synth"
	"github.com/leadlens/leadlens/store"
)

// testClock is a clock tests move while servers read it.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// newClockEnv is newTestEnv with one clock for the store and the handler, so expiries the
// store accepts are the ones the handler enforces.
func newClockEnv(t *testing.T, clock *testClock, opts ...func(*Deps)) *testEnv {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "leadlens.db"), store.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	logs := &syncBuffer{}
	d := Deps{Store: db, Now: clock.Now, Version: "test",
		Log:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Config: Config{APIVersion: "v21.0", GraphURL: "http://127.0.0.1:1"}}
	for _, o := range opts {
		o(&d)
	}
	h := New(d)
	srv := httptest.NewServer(h.Routes())
	t.Cleanup(srv.Close)
	return &testEnv{t: t, db: db, h: h, srv: srv, log: logs}
}

// shareEnv is a server over synth.Fixture at fixtureNow.
func shareEnv(t *testing.T) (*testEnv, *synth.Fixture, *testClock) {
	t.Helper()
	clock := &testClock{t: fixtureNow}
	e := newClockEnv(t, clock)
	f, err := synth.LoadFixture(context.Background(), e.db)
	if err != nil {
		t.Fatal(err)
	}
	return e, f, clock
}

// newLink creates a share link in the store and returns its token.
func (e *testEnv) newLink(n store.NewShareLink) (string, store.ShareLink) {
	e.t.Helper()
	tok, l, err := e.db.CreateShareLink(context.Background(), n)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok, l
}

// fetch GETs a path with optional headers and returns the whole answer, body read.
func (e *testEnv) fetch(c *http.Client, path string, headers ...string) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestShareViewIsTheDashboardReadOnly(t *testing.T) {
	e, f, _ := shareEnv(t)
	tok, _ := e.newLink(store.NewShareLink{ClientID: f.Acme.ID, Label: "owner"})
	base := "/s/" + tok
	c := e.client()
	resp, body := e.fetch(c, base+"?range=custom&since=2026-11-01&until=2026-11-03&level=campaign")
	p := pagetest.Parse(t, resp.StatusCode, body)
	if p.Code != 200 {
		t.Fatalf("GET share link: got %d, want 200\n%s", p.Code, body)
	}
	if got := p.TestID("brand"); got != "Acme" {
		t.Errorf("brand: got %q, want the client's name", got)
	}
	if got := p.Row("row-9001"); len(got) == 0 || !strings.HasPrefix(got[0], "Spring CTX") {
		t.Errorf("campaign row 9001: got %q, want Spring CTX", got)
	}
	for _, absent := range []string{`href="/admin`, `href="/clients/`, `action="/logout"`, "Sign out", `data-testid="user"`, `data-testid="refresh"`, "Other CTX"} {
		if strings.Contains(body, absent) {
			t.Errorf("the shared view contains %q", absent)
		}
	}
	if !strings.Contains(body, "read-only view") {
		t.Error("no read-only footer")
	}
	// Every link of the page stays under the link's path (or is a static asset).
	for _, a := range append(pagetest.FindTag(p.Root, "a"), pagetest.FindTag(p.Root, "form")...) {
		href := attr(a, "href") + attr(a, "action")
		if href != "" && !strings.HasPrefix(href, base) && !strings.HasPrefix(href, "/static/") {
			t.Errorf("link %q leaves the shared view", href)
		}
	}
	if got := attr(pagetest.Find(p.Root, "export"), "href"); !strings.HasPrefix(got, base+"/export.csv?") {
		t.Errorf("export link %q, want the link's CSV", got)
	}
	hd := resp.Header
	for name, want := range map[string]string{"Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY", "Cache-Control": "no-store",
		"X-Robots-Tag": "noindex, nofollow"} {
		if got := hd.Get(name); got != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
	if csp := hd.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q, want the strict policy with frame-ancestors 'none'", csp)
	}
	if ck := resp.Header.Values("Set-Cookie"); len(ck) != 0 {
		t.Errorf("the shared view set cookies %q; it needs no session", ck)
	}

	// The drill-down of one of the client's campaigns works; another client's is not found.
	if code, body := e.get(c, base+"/campaigns/9001?range=custom&since=2026-11-01&until=2026-11-03"); code != 200 || !strings.Contains(body, "Messenger lookalike") {
		t.Errorf("drill-down 9001: got %d, want 200 with its ad sets", code)
	}
	if code, body := e.get(c, base+"/campaigns/9009?range=custom&since=2026-11-01&until=2026-11-03"); code != 404 || strings.Contains(body, "Other") {
		t.Errorf("drill-down into the other client's campaign: got %d (mentions Other: %v), want 404", code, strings.Contains(body, "Other"))
	}

	// The CSV is the view's.
	resp, csv := e.fetch(c, base+"/export.csv?range=custom&since=2026-11-01&until=2026-11-03&level=campaign&ctx=0")
	if resp.StatusCode != 200 || !strings.HasPrefix(csv, "date,level,account_id,campaign_id,") || !strings.Contains(csv, "9002") || strings.Contains(csv, "9009") {
		t.Errorf("CSV: got %d\n%s\nwant acme's campaigns (9002 too, ctx=0), not 9009", resp.StatusCode, csv)
	}

	// Views count pages people open: the two pages above, not the CSV, not an htmx update.
	e.fetch(c, base+"?level=adset", "HX-Request", "true")
	got, err := e.db.ShareLinkByToken(context.Background(), tok)
	if err != nil || got.ViewCount != 2 || !got.LastViewedAt.Equal(fixtureNow) {
		t.Errorf("after 2 pages, a CSV and an htmx update: count %d, last %v, want 2 at %v", got.ViewCount, got.LastViewedAt, fixtureNow)
	}
	// The token is in no log line.
	if strings.Contains(e.log.String(), tok) {
		t.Error("the share token appears in the logs")
	}
}

func TestShareRefusalsAreClearPages(t *testing.T) {
	e, f, clock := shareEnv(t)
	expiring, _ := e.newLink(store.NewShareLink{ClientID: f.Acme.ID, ExpiresAt: time.Date(2026, 11, 5, 5, 0, 0, 0, time.UTC)})
	revoked, rl := e.newLink(store.NewShareLink{ClientID: f.Acme.ID})
	if err := e.db.RevokeShareLink(context.Background(), f.Acme.ID, rl.ID); err != nil {
		t.Fatal(err)
	}
	archived, _ := e.newLink(store.NewShareLink{ClientID: f.Other.ID})
	if err := e.db.SetClientArchived(context.Background(), f.Other.ID, true); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	if code, _ := e.get(c, "/s/"+expiring); code != 200 {
		t.Fatalf("before its expiry: got %d, want 200", code)
	}
	clock.Set(time.Date(2026, 11, 5, 5, 0, 0, 0, time.UTC))
	tests := []struct {
		path       string
		status     int
		title, msg string
	}{
		{"/s/" + expiring, 410, "This link expired", "This link expired on 5 Nov 2026 at 00:00 (America/New_York time)"},
		{"/s/" + expiring + "/export.csv", 410, "This link expired", ""},
		{"/s/" + revoked, 410, "This link was revoked", "turned the link off"},
		{"/s/" + revoked + "/campaigns/9001", 410, "This link was revoked", ""},
		{"/s/" + archived, 410, "This dashboard is no longer shared", ""},
		{"/s/lls_nosuchlinkAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 404, "This link does not exist", "ask the person who sent it"},
		{"/s/" + revoked[:len(revoked)-1] + "x/export.csv", 404, "This link does not exist", ""},
		{"/s/nothing-like-a-token", 404, "This link does not exist", ""},
	}
	for _, tc := range tests {
		code, body := e.get(c, tc.path)
		p := pagetest.Parse(t, code, body)
		if code != tc.status || !p.Has("error") || !strings.Contains(body, tc.title) || !strings.Contains(body, tc.msg) {
			t.Errorf("%s: got %d\n%s\nwant %d with %q and %q", tc.path, code, pagetest.Text(p.Root), tc.status, tc.title, tc.msg)
		}
		if strings.Contains(body, "Acme") || strings.Contains(body, "Spring CTX") || strings.Contains(body, "Other") {
			t.Errorf("%s: the refusal names the client or its data", tc.path)
		}
	}
}

func TestShareEmbedding(t *testing.T) {
	e, f, _ := shareEnv(t)
	embed, _ := e.newLink(store.NewShareLink{ClientID: f.Acme.ID, AllowEmbed: true})
	plain, _ := e.newLink(store.NewShareLink{ClientID: f.Acme.ID})
	for _, tc := range []struct {
		tok    string
		framed bool
	}{{embed, true}, {plain, false}} {
		resp, _ := e.fetch(e.client(), "/s/"+tc.tok)
		csp, xfo := resp.Header.Get("Content-Security-Policy"), resp.Header.Get("X-Frame-Options")
		if tc.framed && (xfo != "" || !strings.Contains(csp, "frame-ancestors *") || !strings.Contains(csp, "script-src 'self'")) {
			t.Errorf("embeddable link: X-Frame-Options %q, CSP %q; want no XFO and frame-ancestors * with the strict rest", xfo, csp)
		}
		if !tc.framed && (xfo != "DENY" || !strings.Contains(csp, "frame-ancestors 'none'")) {
			t.Errorf("plain link: X-Frame-Options %q, CSP %q; want DENY and frame-ancestors 'none'", xfo, csp)
		}
	}
	// Embedding is the link's, not the product's: the rest stays unframeable.
	resp, _ := e.fetch(e.client(), "/login")
	if resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Error("/login lost X-Frame-Options after an embeddable link was served")
	}
}

func TestShareBrandingAndLogo(t *testing.T) {
	e, f, _ := shareEnv(t)
	ctx := context.Background()
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	if err := e.db.SetClientLogo(ctx, f.Acme.ID, png, "image/png"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.UpdateClient(ctx, f.Acme.ID, store.ClientUpdate{Name: "Acme", Slug: "acme", BrandName: "Acme Dental Group"}); err != nil {
		t.Fatal(err)
	}
	tok, _ := e.newLink(store.NewShareLink{ClientID: f.Acme.ID})
	other, _ := e.newLink(store.NewShareLink{ClientID: f.Other.ID})
	code, body := e.get(e.client(), "/s/"+tok)
	p := pagetest.Parse(t, code, body)
	brand := pagetest.Find(p.Root, "brand")
	if code != 200 || pagetest.Text(brand) != "Acme Dental Group" {
		t.Fatalf("brand: got %d %q, want the brand name", code, pagetest.Text(brand))
	}
	imgs := pagetest.FindTag(brand, "img")
	if len(imgs) != 1 || attr(imgs[0], "src") != "/s/"+tok+"/logo" {
		t.Fatalf("brand logo: got %d images, want one from the link's logo URL", len(imgs))
	}
	resp, logo := e.fetch(e.client(), "/s/"+tok+"/logo")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || logo != string(png) {
		t.Fatalf("logo: got %d %q (%d bytes), want the PNG", resp.StatusCode, resp.Header.Get("Content-Type"), len(logo))
	}
	// The other client has no logo: its link's logo is not found, and never acme's.
	if resp, body := e.fetch(e.client(), "/s/"+other+"/logo"); resp.StatusCode != 404 || strings.Contains(body, "PNG") {
		t.Fatalf("other client's logo: got %d, want 404", resp.StatusCode)
	}
	if _, body := e.get(e.client(), "/s/"+other); strings.Contains(body, "/logo") || !strings.Contains(body, "Other") {
		t.Fatal("a client without a logo: want its name and no logo image")
	}
}

func TestSharePasswordUnlock(t *testing.T) {
	e, f, clock := shareEnv(t)
	const pw = "river-stone-42"
	tok, _ := e.newLink(store.NewShareLink{ClientID: f.Acme.ID, Password: pw})
	other, _ := e.newLink(store.NewShareLink{ClientID: f.Acme.ID, Password: "another-secret-9"})
	base := "/s/" + tok
	c := e.client()
	for _, path := range []string{base, base + "/export.csv", base + "/campaigns/9001", base + "/logo"} {
		code, body := e.get(c, path)
		p := pagetest.Parse(t, code, body)
		if code != 401 || !p.Has("share-unlock") || strings.Contains(body, "Acme") || strings.Contains(body, "Spring CTX") || strings.Contains(body, "date,level") {
			t.Errorf("%s locked: got %d, want 401 with the password form naming nothing", path, code)
		}
	}
	code, _, body := e.post(c, base+"/unlock", url.Values{"password": {"wrong-password"}, "next": {base + "/export.csv"}})
	if code != 401 || !strings.Contains(body, "That password is not right") {
		t.Fatalf("wrong password: got %d, want 401 saying so", code)
	}
	// The right password sets a proof cookie scoped to the link, and returns where asked.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+base+"/unlock", strings.NewReader(url.Values{"password": {pw}, "next": {base + "/campaigns/9001?range=last_7d"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 303 || resp.Header.Get("Location") != base+"/campaigns/9001?range=last_7d" {
		t.Fatalf("right password: got %d to %q, want 303 back to the page", resp.StatusCode, resp.Header.Get("Location"))
	}
	var proof *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == shareCookieName {
			proof = ck
		}
	}
	if proof == nil || proof.Path != base || !proof.HttpOnly || proof.SameSite != http.SameSiteStrictMode || strings.Contains(proof.Value, pw) || proof.MaxAge <= 0 {
		t.Fatalf("unlock cookie %+v: want HttpOnly, SameSite=Strict, Path=%s, a proof and not the password", proof, base)
	}
	if code, body := e.get(c, base+"?range=custom&since=2026-11-01&until=2026-11-03"); code != 200 || !strings.Contains(body, "Spring CTX") {
		t.Fatalf("unlocked: got %d, want the dashboard", code)
	}
	// The proof opens this link only, and not once tampered with.
	u, _ := url.Parse(e.srv.URL + "/s/" + other)
	stolen := e.client()
	stolen.Jar.SetCookies(u, []*http.Cookie{{Name: shareCookieName, Value: proof.Value}})
	if code, _ := e.get(stolen, "/s/"+other); code != 401 {
		t.Errorf("another link with this link's proof: got %d, want 401", code)
	}
	forged := e.client()
	ub, _ := url.Parse(e.srv.URL + base)
	forged.Jar.SetCookies(ub, []*http.Cookie{{Name: shareCookieName, Value: proof.Value[:len(proof.Value)-2] + "AA"}})
	if code, _ := e.get(forged, base); code != 401 {
		t.Errorf("a tampered proof: got %d, want 401", code)
	}
	// The proof ages out.
	clock.Set(fixtureNow.Add(shareUnlockLifetime + time.Minute))
	if code, _ := e.get(c, base); code != 401 {
		t.Errorf("after %v: got %d, want 401", shareUnlockLifetime, code)
	}
	clock.Set(fixtureNow)
	// A redirect target outside the link falls back to the link.
	for _, next := range []string{"https://evil.example/", "//evil.example", "/admin", "/s/" + other, base + "/unlock"} {
		_, loc, _ := e.post(e.client(), base+"/unlock", url.Values{"password": {pw}, "next": {next}})
		if loc != base {
			t.Errorf("next=%q: redirected to %q, want %q", next, loc, base)
		}
	}
	// Neither the password nor the proof is logged.
	if logs := e.log.String(); strings.Contains(logs, pw) || strings.Contains(logs, proof.Value) || strings.Contains(logs, tok) {
		t.Error("the logs contain the password, the proof or the token")
	}
}

func TestSharePasswordGuessingIsLimited(t *testing.T) {
	e, f, clock := shareEnv(t)
	const pw = "river-stone-42"
	tok, _ := e.newLink(store.NewShareLink{ClientID: f.Acme.ID, Password: pw})
	plain, _ := e.newLink(store.NewShareLink{ClientID: f.Acme.ID, Password: pw})
	base := "/s/" + tok
	for i := 0; i < 5; i++ {
		if code, _, _ := e.post(e.client(), base+"/unlock", url.Values{"password": {"guess-number-" + string(rune('a'+i))}}); code != 401 {
			t.Fatalf("wrong password %d: got %d, want 401", i+1, code)
		}
	}
	code, _, body := e.post(e.client(), base+"/unlock", url.Values{"password": {pw}})
	if code != 429 || !strings.Contains(body, "Too many wrong passwords") {
		t.Fatalf("the right password after 5 wrong ones: got %d, want 429", code)
	}
	// Another link is not affected by this one's guesses.
	if code, _, _ := e.post(e.client(), "/s/"+plain+"/unlock", url.Values{"password": {pw}}); code != 303 {
		t.Fatalf("another link: got %d, want 303", code)
	}
	// A minute later one more try is allowed.
	clock.Set(fixtureNow.Add(61 * time.Second))
	if code, _, _ := e.post(e.client(), base+"/unlock", url.Values{"password": {pw}}); code != 303 {
		t.Fatalf("a minute later: got %d, want 303", code)
	}
}

// attr is an element's attribute, "" when absent.
func attr(n *html.Node, name string) string {
	v, _ := pagetest.Attr(n, name)
	return v
}

// With https configured every cookie is Secure; an embeddable protected link's proof is
// SameSite=None (the only kind a browser sends inside another site's frame), the others Strict.
func TestCookiesSecureWhenConfigured(t *testing.T) {
	clock := &testClock{t: fixtureNow}
	e := newClockEnv(t, clock, func(d *Deps) { d.Config.SecureCookies = true })
	f, err := synth.LoadFixture(context.Background(), e.db)
	if err != nil {
		t.Fatal(err)
	}
	const pw = "river-stone-42"
	plain, _ := e.newLink(store.NewShareLink{ClientID: f.Acme.ID, Password: pw})
	embed, _ := e.newLink(store.NewShareLink{ClientID: f.Acme.ID, Password: pw, AllowEmbed: true})
	for _, tc := range []struct {
		tok  string
		same http.SameSite
	}{{plain, http.SameSiteStrictMode}, {embed, http.SameSiteNoneMode}} {
		resp := e.postForm(e.client(), "/s/"+tc.tok+"/unlock", url.Values{"password": {pw}})
		var got *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == shareCookieName {
				got = ck
			}
		}
		if got == nil || !got.Secure || !got.HttpOnly || got.SameSite != tc.same {
			t.Errorf("unlock cookie %+v: want Secure, HttpOnly, SameSite %v", got, tc.same)
		}
	}
	userPW := e.addUser("ann@example.com", "admin", 0)
	resp := e.postForm(e.client(), "/login", url.Values{"email": {"ann@example.com"}, "password": {userPW}})
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookieName {
			session = ck
		}
	}
	if resp.StatusCode != 303 || session == nil || !session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie %+v after sign-in (%d): want Secure, HttpOnly, SameSite=Lax", session, resp.StatusCode)
	}
}

// A client without data shows its reader a plain empty state, not an admin's to-do.
func TestShareEmptyStateForReaders(t *testing.T) {
	e, _, _ := shareEnv(t)
	c, err := e.db.CreateClient(context.Background(), store.NewClient{Name: "Newcomer"})
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := e.newLink(store.NewShareLink{ClientID: c.ID})
	p := e.getPage(e.client(), "/s/"+tok)
	if p.Code != 200 || !p.Has("empty-no-accounts") || !strings.Contains(p.Body, "Check back later") || strings.Contains(p.Body, "leadlens clients add") {
		t.Fatalf("empty shared view: got %d, want the empty state without admin instructions", p.Code)
	}
}
