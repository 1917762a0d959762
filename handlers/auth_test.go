package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/leadlens/leadlens/store"
)

func TestAnonymousIsSentToLogin(t *testing.T) {
	e := newTestEnv(t)
	resp, err := e.client().Get(e.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Fatalf("got %d Location %q, want 303 to /login", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestLoginRotatesSessionAndLogoutKillsItServerSide(t *testing.T) {
	e := newTestEnv(t)
	pw := e.addUser("ann@example.com", "admin", 0)
	c := e.client()
	// A session that exists before sign-in (e.g. planted by an attacker) …
	e.get(c, "/login")
	e.postForm(c, "/login", url.Values{"email": {"ann@example.com"}, "password": {"wrong password!"}})
	before := e.sessionCookie(c)
	resp := e.postForm(c, "/login", url.Values{"email": {"ANN@example.com "}, "password": {pw}, "next": {"/"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("login: got %d to %q, want 303 to /", resp.StatusCode, resp.Header.Get("Location"))
	}
	after := e.sessionCookie(c)
	if after == "" || after == before {
		t.Fatalf("session id after login %q, before %q: want a new one", after, before)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookieName && (!ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode) {
			t.Fatalf("session cookie HttpOnly=%v SameSite=%v, want HttpOnly and Lax", ck.HttpOnly, ck.SameSite)
		}
	}
	if code, body := e.get(c, "/"); code != 200 || !strings.Contains(body, "ann@example.com") {
		t.Fatalf("after login GET / = %d, want 200 showing the user", code)
	}
	// Keep a copy of the cookie, log out, and replay the copy: it must be dead server-side.
	stolen := after
	e.postForm(c, "/logout", nil)
	replay := e.client()
	u, _ := url.Parse(e.srv.URL)
	replay.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookieName, Value: stolen}})
	resp, err := replay.Get(e.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("replayed cookie after logout: got %d, want 303 to login", resp.StatusCode)
	}
	// The database holds only hashes of session ids.
	if strings.Contains(dumpTable(t, e.db, "sessions"), stolen) {
		t.Fatal("the sessions table holds a raw session id")
	}
}

func TestLoginThrottlingPerAccount(t *testing.T) {
	e := newTestEnv(t)
	pw := e.addUser("bob@example.com", "member", 0)
	c := e.client()
	var last *http.Response
	for i := 0; i < 6; i++ {
		last = e.postForm(c, "/login", url.Values{"email": {"bob@example.com"}, "password": {"not-the-password"}})
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Fatalf("6th failed login: got %d Retry-After %q, want 429 with Retry-After", last.StatusCode, last.Header.Get("Retry-After"))
	}
	// Even the right password is refused while the account is throttled …
	if resp := e.postForm(e.client(), "/login", url.Values{"email": {"bob@example.com"}, "password": {pw}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("correct password while throttled: got %d, want 429", resp.StatusCode)
	}
	// … but another account from the same address is not affected by bob's failures.
	pw2 := e.addUser("cat@example.com", "member", 0)
	if resp := e.postForm(e.client(), "/login", url.Values{"email": {"cat@example.com"}, "password": {pw2}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("other account: got %d, want 303", resp.StatusCode)
	}
}

func TestLoginThrottlingPerIP(t *testing.T) {
	e := newTestEnv(t)
	c := e.client()
	var last *http.Response
	for i := 0; i < 11; i++ {
		last = e.postForm(c, "/login", url.Values{"email": {"user" + string(rune('a'+i)) + "@example.com"}, "password": {"whatever-pass"}})
	}
	if last.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("11th attempt from one IP: got %d, want 429", last.StatusCode)
	}
}

func TestCrossOriginPostRejected(t *testing.T) {
	e := newTestEnv(t)
	pw := e.addUser("ann@example.com", "admin", 0)
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/login", strings.NewReader(url.Values{"email": {"ann@example.com"}, "password": {pw}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := e.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST: got %d, want 403", resp.StatusCode)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/clients/acme?x=1": "/clients/acme?x=1", "": "/", "https://evil.example/": "/",
		"//evil.example": "/", "/\\evil.example": "/", "javascript:alert(1)": "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestViewerSeesOnlyTheirClient(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	a, _ := e.db.CreateClient(ctx, store.NewClient{Name: "Alpha Dental"})
	if _, err := e.db.CreateClient(ctx, store.NewClient{Name: "Beta Salon"}); err != nil {
		t.Fatal(err)
	}
	pw := e.addUser("vera@example.com", "viewer", a.ID)
	c := e.login("vera@example.com", pw)
	code, body := e.get(c, "/")
	if code != 200 || !strings.Contains(body, "Alpha Dental") || strings.Contains(body, "Beta Salon") {
		t.Fatalf("viewer overview: got %d, want Alpha only; body has Beta=%v", code, strings.Contains(body, "Beta Salon"))
	}
}

func dumpTable(t *testing.T, db *store.DB, table string) string {
	t.Helper()
	s, err := db.DebugDump(context.Background(), table)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	e := newTestEnv(t)
	for _, path := range []string{"/login", "/healthz", "/static/css/app.css", "/nope", "/"} {
		resp, err := e.client().Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP %q, want script-src 'self' without unsafe-*", path, csp)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q, want nosniff", path, got)
		}
		if got := resp.Header.Get("Referrer-Policy"); got == "" {
			t.Errorf("%s: no Referrer-Policy", path)
		}
		if got := resp.Header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("%s: X-Frame-Options %q, want DENY", path, got)
		}
	}
}
