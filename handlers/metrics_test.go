package handlers

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadlens/leadlens/events"
	"github.com/leadlens/leadlens/store"
)

// parseExposition reads Prometheus's text format into "name{labels}" → value.
func parseExposition(t *testing.T, body string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("exposition line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// scrape reads /metrics with c (and a bearer token when given).
func scrape(t *testing.T, e *testEnv, c *http.Client, bearer string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/metrics", nil)
	if bearer != "" {
		req.Header.Set("Authorization", bearer)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMetricsEndpoint: who may scrape, what the HTTP layer counts (route patterns, never paths;
// events received and rejected), what observers report, and the gauges read from the store.
func TestMetricsEndpoint(t *testing.T) {
	const token = "scrape-token-0123456789"
	var m *Metrics
	e := newTestEnv(t, func(d *Deps) {
		m = NewMetrics(d.Store, d.Now, d.Log)
		b := events.NewBatcher(d.Store, events.BatcherOptions{Log: d.Log})
		t.Cleanup(func() { b.Close(context.Background()) })
		d.Metrics, d.Events, d.Config.MetricsToken = m, b, token
	})
	ctx := context.Background()
	c, err := e.db.CreateClient(ctx, store.NewClient{Name: "Acme", AdAccounts: []string{"act_1"}, Pages: []string{"111"}})
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := e.db.CreateAPIKey(ctx, c.ID, "bot", "test")
	if err != nil {
		t.Fatal(err)
	}
	admin := e.login("admin@example.com", e.addUser("admin@example.com", "admin", 0))
	member := e.login("m@example.com", e.addUser("m@example.com", "member", 0))

	for _, tc := range []struct {
		name   string
		client *http.Client
		bearer string
		want   int
	}{
		{"anonymous", e.client(), "", http.StatusUnauthorized},
		{"wrong token", e.client(), "Bearer nope", http.StatusUnauthorized},
		{"right token, wrong scheme", e.client(), "Basic " + token, http.StatusUnauthorized},
		{"member", member, "", http.StatusForbidden},
		{"member with a wrong token", member, "Bearer nope", http.StatusUnauthorized},
		{"token", e.client(), "Bearer " + token, http.StatusOK},
		{"admin", admin, "", http.StatusOK},
	} {
		code, body := scrape(t, e, tc.client, tc.bearer)
		if code != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, code, tc.want)
		}
		if code != http.StatusOK && strings.Contains(body, "leadlens_") {
			t.Errorf("%s: a refused scrape shows metrics", tc.name)
		}
	}

	// Events: one stored, one repeated, one refused for its key.
	post := func(auth, body string) int {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/page_activities", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ev := sample(`[{"_eventName":"lead_submitted","event_id":"e1"}]`, "")
	if s := post(key, ev); s != http.StatusOK {
		t.Fatalf("event: got %d", s)
	}
	post(key, ev)
	if s := post("llk_wrong", ev); s != http.StatusUnauthorized {
		t.Fatalf("bad key: got %d", s)
	}
	e.get(admin, "/clients/acme?range=last_7d")
	e.get(admin, "/clients/acme/campaigns/123")

	// What the collector and the forwarder report through their observers.
	m.RunFinished(store.RunPartial, 3*time.Second)
	m.GraphCall("insights", "ok", 120*time.Millisecond)
	m.GraphCall("insights", "auth", 80*time.Millisecond)
	m.ThrottleWait("pacing", 1500*time.Millisecond)
	m.RowsWritten("adset", 42)
	m.ForwardOutcome("capi", "sent", 3)
	m.ForwardRequest("capi", "ok", time.Second)
	m.ForwardStopped(c.ID, "token expired")

	code, body := scrape(t, e, e.client(), "Bearer "+token)
	if code != http.StatusOK {
		t.Fatalf("scrape: got %d", code)
	}
	got := parseExposition(t, body)
	for k, want := range map[string]float64{
		`leadlens_events_received_total`:                                                                           1,
		`leadlens_events_duplicate_total`:                                                                          1,
		`leadlens_events_rejected_total{reason="unauthorized"}`:                                                    1,
		`leadlens_collector_runs_total{status="partial"}`:                                                          1,
		`leadlens_graph_calls_total{op="insights",result="ok"}`:                                                    1,
		`leadlens_graph_calls_total{op="insights",result="auth"}`:                                                  1,
		`leadlens_graph_call_duration_seconds_count{op="insights"}`:                                                2,
		`leadlens_collector_throttle_wait_seconds_total{reason="pacing"}`:                                          1.5,
		`leadlens_collector_rows_written_total{level="adset"}`:                                                     42,
		`leadlens_forward_items_total{mode="capi",status="sent"}`:                                                  3,
		`leadlens_forward_requests_total{mode="capi",result="ok"}`:                                                 1,
		`leadlens_forward_stops_total`:                                                                             1,
		`leadlens_clients{state="active"}`:                                                                         1,
		`leadlens_ad_accounts{state="never_synced"}`:                                                               1,
		`leadlens_outbox_entries{status="pending"}`:                                                                0,
		`leadlens_store_scrape_error`:                                                                              0,
		`leadlens_http_request_duration_seconds_count{method="POST",route="/api/v1/page_activities",status="200"}`: 2,
	} {
		if got[k] != want {
			t.Errorf("%s: got %v, want %v", k, got[k], want)
		}
	}
	if _, ok := got[`go_goroutines`]; !ok {
		t.Errorf("the Go runtime collector is missing")
	}
	// Route patterns only: neither the slug nor the campaign id is a label value.
	for k := range got {
		if strings.HasPrefix(k, "leadlens_http_request") && (strings.Contains(k, "acme") || strings.Contains(k, "123")) {
			t.Errorf("a raw path became a label: %s", k)
		}
	}
	if !strings.Contains(body, `route="/clients/{slug}/campaigns/{id}"`) {
		t.Errorf("the drill-down's route pattern is not a label")
	}
}

// TestMetricsNilIsSafe: without metrics nothing is counted and /metrics is not served.
func TestMetricsNilIsSafe(t *testing.T) {
	var m *Metrics
	m.RunFinished("succeeded", time.Second)
	m.GraphCall("me", "ok", time.Second)
	m.ThrottleWait("pacing", time.Second)
	m.RowsWritten("account", 1)
	m.ForwardOutcome("capi", "sent", 1)
	m.ForwardRequest("capi", "ok", time.Second)
	m.ForwardStopped(1, "x")
	e := newTestEnv(t)
	admin := e.login("admin@example.com", e.addUser("admin@example.com", "admin", 0))
	if code, _ := e.get(admin, "/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics without metrics: got %d, want 404", code)
	}
}
