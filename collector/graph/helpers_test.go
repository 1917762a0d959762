package graph_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadlens/leadlens/collector/graph"
)

// testToken is long and distinctive so that a leak anywhere is easy to spot.
const testToken = "EAAGtestTOKENsecret0123456789abcdefXYZ"

const acct = "798085168510957"

// recorded is one request the fake server saw.
type recorded struct {
	Method   string
	Path     string
	RawQuery string
	Body     string
	Header   http.Header
}

// fake is a Graph API stand-in: routes keyed "METHOD /path" answer in sequence, the last
// answer repeating; unknown routes answer Meta's "unsupported request" envelope.
type fake struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []recorded
	routes map[string][]http.HandlerFunc
	hits   map[string]int
}

func newFake(t *testing.T) *fake {
	t.Helper()
	f := &fake{t: t, routes: map[string][]http.HandlerFunc{}, hits: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	key := r.Method + " " + r.URL.Path
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, string(body), r.Header.Clone()})
	hs := f.routes[key]
	n := f.hits[key]
	f.hits[key]++
	f.mu.Unlock()
	if len(hs) == 0 {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"message":"Unsupported request: %s","type":"GraphMethodException","code":100}}`, key)
		return
	}
	hs[min(n, len(hs)-1)](w, r)
}

// on registers the answers of a route, in order.
func (f *fake) on(key string, hs ...http.HandlerFunc) { f.mu.Lock(); f.routes[key] = hs; f.mu.Unlock() }

func (f *fake) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func (f *fake) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[key]
}

// fixture reads testdata/name with {{BASE}} and {{TOKEN}} filled in.
func (f *fake) fixture(name string) []byte {
	f.t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		f.t.Fatalf("read fixture: %v", err)
	}
	b = bytes.ReplaceAll(b, []byte("{{BASE}}"), []byte(f.srv.URL))
	return bytes.ReplaceAll(b, []byte("{{TOKEN}}"), []byte(testToken))
}

// reply answers with a fixture, a status and headers ("name: value" pairs).
func (f *fake) reply(status int, name string, headers map[string]string) http.HandlerFunc {
	body := f.fixture(name)
	return func(w http.ResponseWriter, r *http.Request) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}
}

func (f *fake) ok(name string) http.HandlerFunc { return f.reply(http.StatusOK, name, nil) }

// headersFixture reads a JSON object of header name → value from testdata.
func headersFixture(t *testing.T, name string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	var h map[string]string
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return h
}

// logBuffer is a concurrency-safe sink for a debug-level text logger.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// fastRetrier retries like DefaultRetrier but with millisecond waits.
var fastRetrier = graph.DefaultRetrier{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}

// newClient builds a client for f with a debug logger into logs; mod adjusts the config.
func newClient(t *testing.T, f *fake, logs *logBuffer, mod func(*graph.Config)) *graph.Client {
	t.Helper()
	cfg := graph.Config{
		BaseURL: f.srv.URL, Version: "v21.0", Token: testToken, Timeout: 2 * time.Second,
		Retrier: fastRetrier, AppVersion: "1.2.3",
		Now: func() time.Time { return time.Date(2026, 10, 29, 12, 0, 0, 0, time.UTC) },
	}
	if logs != nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := graph.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// asGraphError returns err's *graph.Error or fails the test.
func asGraphError(t *testing.T, err error) *graph.Error {
	t.Helper()
	var e *graph.Error
	if err == nil {
		t.Fatalf("got nil error, want *graph.Error")
	}
	if !errors.As(err, &e) {
		t.Fatalf("got %T (%v), want *graph.Error", err, err)
	}
	return e
}

func assertNoToken(t *testing.T, where, s string) {
	t.Helper()
	if strings.Contains(s, testToken) {
		t.Errorf("%s contains the access token: %s", where, s)
	}
}

// nextOf returns paging.next of a page body.
func nextOf(t *testing.T, body []byte) string {
	t.Helper()
	var p struct {
		Paging struct {
			Next string `json:"next"`
		} `json:"paging"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.Paging.Next == "" {
		t.Fatalf("fixture has no paging.next (%v)", err)
	}
	return p.Paging.Next
}
