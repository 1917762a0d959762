package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"net/http/httptest"

	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
)

// testEnv is a real Handler on a real SQLite file behind a real HTTP server on loopback.
type testEnv struct {
	t   *testing.T
	db  *store.DB
	h   *Handler
	srv *httptest.Server
	log *syncBuffer
}

// syncBuffer captures log output from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newTestEnv starts a server; mutate deps before it starts with the optional function.
func newTestEnv(t *testing.T, opts ...func(*Deps)) *testEnv {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "leadlens.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	logs := &syncBuffer{}
	d := Deps{
		Store:   db,
		Log:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Version: "test",
		Config:  Config{APIVersion: "v21.0", GraphURL: "http://127.0.0.1:1"},
	}
	for _, o := range opts {
		o(&d)
	}
	h := New(d)
	srv := httptest.NewServer(h.Routes())
	t.Cleanup(srv.Close)
	return &testEnv{t: t, db: db, h: h, srv: srv, log: logs}
}

// addUser creates a user with a known password and returns the password.
func (e *testEnv) addUser(email, role string, clientID int64) string {
	e.t.Helper()
	const pw = "correct-horse-battery"
	hash, err := secret.HashPassword(pw)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.db.CreateUser(context.Background(), store.NewUser{Email: email, PasswordHash: hash, Role: role, ClientID: clientID}); err != nil {
		e.t.Fatal(err)
	}
	return pw
}

// client returns an HTTP client with its own cookie jar that does not follow redirects.
func (e *testEnv) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:     jar,
		Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// login signs in with a fresh client and fails the test unless it worked.
func (e *testEnv) login(email, password string) *http.Client {
	e.t.Helper()
	c := e.client()
	resp := e.postForm(c, "/login", url.Values{"email": {email}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login %s: got %d, want 303", email, resp.StatusCode)
	}
	return c
}

// postForm posts a same-origin form (as a browser on our own page would).
func (e *testEnv) postForm(c *http.Client, path string, v url.Values) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(v.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// get fetches a path and returns status and body.
func (e *testEnv) get(c *http.Client, path string) (int, string) {
	e.t.Helper()
	resp, err := c.Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// sessionCookie returns the client's session cookie value ("" when none).
func (e *testEnv) sessionCookie(c *http.Client) string {
	u, _ := url.Parse(e.srv.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == sessionCookieName {
			return ck.Value
		}
	}
	return ""
}
