package graph_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadlens/leadlens/collector/graph"
)

func TestRetryOnePageMidStream(t *testing.T) {
	f := newFake(t)
	path := "GET /v21.0/act_" + acct + "/insights"
	f.on(path,
		f.ok("insights_1.json"),
		f.reply(500, "errors/transient_2.json", nil),
		f.ok("insights_truncated.json"),
		f.ok("insights_2.json"),
		f.ok("insights_3.json"))
	var mu sync.Mutex
	var events []string
	c := newClient(t, f, nil, func(cfg *graph.Config) {
		cfg.Hooks.AfterResponse = func(req graph.RequestInfo, res graph.Result) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, fmt.Sprintf("page %d attempt %d %s rows %d", req.Page, req.Attempt, res.Kind, res.Rows))
		}
		cfg.Hooks.OnRetry = func(req graph.RequestInfo, err error, wait time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, fmt.Sprintf("retry page %d after %s", req.Page, graph.KindOf(err)))
		}
	})
	err := c.Insights(context.Background(), acct, october, func(r graph.InsightRow) error {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, "row "+r.AdSetID+" "+r.DateStart)
		return nil
	})
	if err != nil {
		t.Fatalf("Insights: %v", err)
	}
	want := []string{
		"page 1 attempt 1 none rows 2",
		"row 23854404706320548 2026-10-01",
		"row 23854404706320548 2026-10-02",
		"page 2 attempt 1 transient rows 0",
		"retry page 2 after transient",
		"page 2 attempt 2 decode rows 0",
		"retry page 2 after decode",
		"page 2 attempt 3 none rows 1",
		"row 23854404706320548 2026-10-03",
		"page 3 attempt 1 none rows 1",
		"row 23854404706320549 2026-10-01",
	}
	if strings.Join(events, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\ngot  %q\nwant %q", events, want)
	}
	reqs := f.requests()
	next2, _ := url.Parse(nextOf(t, f.fixture("insights_1.json")))
	next3, _ := url.Parse(nextOf(t, f.fixture("insights_2.json")))
	wantQueries := []string{reqs[0].RawQuery, next2.RawQuery, next2.RawQuery, next2.RawQuery, next3.RawQuery}
	for i, r := range reqs {
		if r.RawQuery != wantQueries[i] {
			t.Errorf("request %d: got query %q, want %q", i+1, r.RawQuery, wantQueries[i])
		}
	}
	if len(reqs) != 5 {
		t.Errorf("requests: got %d, want 5 (page 1 once, page 2 three times, page 3 once)", len(reqs))
	}
}

func TestRetriesAreBounded(t *testing.T) {
	f := newFake(t)
	f.on("GET /v21.0/me", f.reply(500, "errors/transient_1_99.json", nil))
	c := newClient(t, f, nil, nil)
	_, err := c.Me(context.Background())
	if graph.KindOf(err) != graph.KindTransient {
		t.Errorf("got %v, want transient", err)
	}
	if got := f.count("GET /v21.0/me"); got != fastRetrier.MaxAttempts {
		t.Errorf("attempts: got %d, want %d", got, fastRetrier.MaxAttempts)
	}
	if _, err := c.WithRetrier(nil).Me(context.Background()); graph.KindOf(err) != graph.KindTransient {
		t.Errorf("WithRetrier(nil): got %v, want transient", err)
	}
	if got := f.count("GET /v21.0/me"); got != fastRetrier.MaxAttempts+1 {
		t.Errorf("attempts with WithRetrier(nil): got %d more, want 1", got-fastRetrier.MaxAttempts)
	}
}

// closedURL returns the URL of a server that no longer listens.
func closedURL(t *testing.T) string {
	s := httptest.NewServer(http.NotFoundHandler())
	u := s.URL
	s.Close()
	return u
}

// assertChainHasNoToken checks every error text in err's chain, *url.Error included.
func assertChainHasNoToken(t *testing.T, err error) {
	t.Helper()
	for e := err; e != nil; e = errors.Unwrap(e) {
		assertNoToken(t, fmt.Sprintf("error chain (%T)", e), e.Error())
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		assertNoToken(t, "url.Error.URL", ue.URL)
	}
}

func TestNetworkErrorIsRedacted(t *testing.T) {
	base := closedURL(t)
	logs := &logBuffer{}
	f := newFake(t)
	c := newClient(t, f, logs, func(cfg *graph.Config) { cfg.BaseURL = base })
	_, err := c.Account(context.Background(), acct)
	e := asGraphError(t, err)
	if e.Kind != graph.KindNetwork || !graph.IsRetryable(err) {
		t.Errorf("got kind %v (%v), want network, retryable", e.Kind, err)
	}
	if !strings.Contains(err.Error(), "REDACTED") {
		t.Errorf("error: got %q, want the URL with the token REDACTED", err)
	}
	assertChainHasNoToken(t, err)
	if !strings.Contains(logs.String(), "retrying") {
		t.Errorf("log: got %q, want retry lines", logs.String())
	}
	assertNoToken(t, "log", logs.String())
}

func TestNetworkErrorOnNextURLIsRedacted(t *testing.T) {
	dead := closedURL(t)
	f := newFake(t)
	f.on("GET /v21.0/act_"+acct+"/campaigns", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"data":[{"id":"1","name":"a"}],"paging":{"next":"%s/v21.0/act_%s/campaigns?access_token=%s&after=QVFJ"}}`, dead, acct, testToken)
	})
	logs := &logBuffer{}
	c := newClient(t, f, logs, func(cfg *graph.Config) { cfg.Retrier = nil })
	n := 0
	err := c.Campaigns(context.Background(), acct, func(graph.Campaign) error { n++; return nil })
	if graph.KindOf(err) != graph.KindNetwork || n != 1 {
		t.Errorf("got %v after %d rows, want a network error after 1 row", err, n)
	}
	assertChainHasNoToken(t, err)
	assertNoToken(t, "log", logs.String())
}

func TestTimeoutIsNetworkAndRedacted(t *testing.T) {
	f := newFake(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	f.on("GET /v21.0/act_"+acct, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		case <-time.After(3 * time.Second):
		}
	})
	// The body arrives in part, then stalls: the timeout covers the body read too.
	f.on("GET /v21.0/me", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"id":"1",`)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		case <-time.After(3 * time.Second):
		}
	})
	logs := &logBuffer{}
	c := newClient(t, f, logs, func(cfg *graph.Config) { cfg.Timeout = 50 * time.Millisecond; cfg.Retrier = nil })

	start := time.Now()
	_, err := c.Account(context.Background(), acct)
	if graph.KindOf(err) != graph.KindNetwork || !strings.Contains(err.Error(), "within 50ms") {
		t.Errorf("headers timeout: got %v, want a network error saying no answer within 50ms", err)
	}
	assertChainHasNoToken(t, err)
	_, err = c.Me(context.Background())
	if graph.KindOf(err) != graph.KindNetwork {
		t.Errorf("body timeout: got %v, want network", err)
	}
	assertChainHasNoToken(t, err)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("timeouts took %v, want about 100ms", d)
	}
	if !strings.Contains(logs.String(), "graph: request") {
		t.Errorf("log: got %q, want request lines", logs.String())
	}
	assertNoToken(t, "log", logs.String())
}

func TestCancelDuringRetryWait(t *testing.T) {
	f := newFake(t)
	f.on("GET /v21.0/me", f.reply(500, "errors/transient_2.json", nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newClient(t, f, nil, func(cfg *graph.Config) {
		cfg.Retrier = graph.RetrierFunc(func(context.Context, int, error) (time.Duration, bool) { return time.Hour, true })
		cfg.Hooks.OnRetry = func(graph.RequestInfo, error, time.Duration) { go cancel() }
	})
	start := time.Now()
	_, err := c.Me(ctx)
	if graph.KindOf(err) != graph.KindCanceled || !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want canceled wrapping context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("returned after %v, want promptly", d)
	}
	if got := f.count("GET /v21.0/me"); got != 1 {
		t.Errorf("requests: got %d, want 1", got)
	}
}

func TestCancelBetweenPagesAndInFlight(t *testing.T) {
	f := newFake(t)
	f.on("GET /v21.0/act_"+acct+"/insights", f.ok("insights_1.json"), f.ok("insights_2.json"))
	c := newClient(t, f, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	err := c.Insights(ctx, acct, october, func(graph.InsightRow) error { cancel(); return nil })
	if graph.KindOf(err) != graph.KindCanceled {
		t.Errorf("cancel between pages: got %v, want canceled", err)
	}
	if got := len(f.requests()); got != 1 {
		t.Errorf("requests after cancel: got %d, want 1", got)
	}

	release := make(chan struct{})
	defer close(release)
	f.on("GET /v21.0/me", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		case <-time.After(3 * time.Second):
		}
	})
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = c.Me(ctx)
	if graph.KindOf(err) != graph.KindCanceled || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("caller deadline in flight: got %v, want canceled wrapping DeadlineExceeded", err)
	}
	if got := f.count("GET /v21.0/me"); got != 1 {
		t.Errorf("requests after caller deadline: got %d, want 1 (no retry)", got)
	}
}

func TestBeforeRequestHookPacesAndAborts(t *testing.T) {
	f := newFake(t)
	f.on("GET /v21.0/me", f.reply(500, "errors/transient_2.json", nil), f.ok("me.json"))
	var seen []graph.RequestInfo
	c := newClient(t, f, nil, func(cfg *graph.Config) {
		cfg.Hooks.BeforeRequest = func(ctx context.Context, req graph.RequestInfo) error {
			seen = append(seen, req)
			return nil
		}
	})
	if _, err := c.Me(context.Background()); err != nil {
		t.Fatalf("Me: %v", err)
	}
	if len(seen) != 2 || seen[0].Attempt != 1 || seen[1].Attempt != 2 || seen[1].Op != graph.OpMe || seen[1].Method != "GET" {
		t.Errorf("BeforeRequest calls: got %+v, want attempts 1 and 2 of op me", seen)
	}
	for _, s := range seen {
		assertNoToken(t, "RequestInfo.URL", s.URL)
	}

	paused := errors.New("pacer: run stopped")
	abort := newClient(t, f, nil, func(cfg *graph.Config) {
		cfg.Hooks.BeforeRequest = func(context.Context, graph.RequestInfo) error { return paused }
	})
	before := len(f.requests())
	_, err := abort.Me(context.Background())
	if !errors.Is(err, paused) {
		t.Errorf("abort: got %v, want the hook's error", err)
	}
	if got := len(f.requests()); got != before {
		t.Errorf("requests after abort: got %d, want %d", got, before)
	}
}

func TestBodySizeCapAndMissingToken(t *testing.T) {
	f := newFake(t)
	f.on("GET /v21.0/act_"+acct+"/insights", f.ok("insights_1.json"))
	c := newClient(t, f, nil, func(cfg *graph.Config) { cfg.MaxBodyBytes = 100 })
	err := c.Insights(context.Background(), acct, october, func(graph.InsightRow) error { return nil })
	if graph.KindOf(err) != graph.KindDataTooLarge {
		t.Errorf("oversized body: got %v, want data_too_large", err)
	}
	if got := len(f.requests()); got != 1 {
		t.Errorf("requests: got %d, want 1 (not retried)", got)
	}

	none := newClient(t, f, nil, func(cfg *graph.Config) { cfg.Token = "" })
	_, err = none.Me(context.Background())
	if graph.KindOf(err) != graph.KindAuth {
		t.Errorf("no token: got %v, want auth", err)
	}
	if got := len(f.requests()); got != 1 {
		t.Errorf("requests without a token: got %d, want 1 (none sent)", got)
	}
}

func TestMetaMessageIsScrubbedOfToken(t *testing.T) {
	f := newFake(t)
	f.on("GET /v21.0/me", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"error":{"message":"Malformed access token %s","type":"OAuthException","code":190}}`, testToken)
	})
	c := newClient(t, f, nil, nil)
	_, err := c.Me(context.Background())
	if graph.KindOf(err) != graph.KindAuth || !strings.Contains(err.Error(), "Malformed access token REDACTED") {
		t.Errorf("got %v, want an auth error with the token REDACTED", err)
	}
	assertChainHasNoToken(t, err)
}
