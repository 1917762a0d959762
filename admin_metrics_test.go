package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadlens/leadlens/metasim"
	"github.com/leadlens/leadlens/store"
)

// exposition reads Prometheus's text format into "name{labels}" → value.
func exposition(t *testing.T, body string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, line := range strings.Split(body, "\n") {
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

// sum adds the values of every series of a metric.
func sum(m map[string]float64, name string) float64 {
	var s float64
	for k, v := range m {
		if k == name || strings.HasPrefix(k, name+"{") {
			s += v
		}
	}
	return s
}

// TestMetricsAfterARun: a refresh through the real collector against the simulator moves the
// run, Graph call and row counters of /metrics, read with the bearer token and as an admin;
// anonymous scrapers get nothing.
func TestMetricsAfterARun(t *testing.T) {
	const token = "metrics-scrape-token-42"
	s := startAdminServer(t, map[string]string{"LEADLENS_METRICS_TOKEN": token, "META_ACCESS_TOKEN": metasim.DemoToken})
	acct := s.sim.World().Accounts[0]
	db, err := store.Open(context.Background(), s.db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.CreateClient(context.Background(), store.NewClient{Name: "Acme", AdAccounts: []string{acct.ID}, Pages: []string{acct.PageID}})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	admin := &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, v url.Values) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, s.url+path, strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", s.url)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := admin.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	scrape := func(c *http.Client, bearer string) (int, map[string]float64) {
		req, _ := http.NewRequest(http.MethodGet, s.url+"/metrics", nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return resp.StatusCode, nil
		}
		return resp.StatusCode, exposition(t, string(b))
	}
	if code, _ := scrape(http.DefaultClient, ""); code != http.StatusUnauthorized {
		t.Errorf("anonymous scrape: got %d, want 401", code)
	}
	if code, _ := scrape(http.DefaultClient, "wrong"); code != http.StatusUnauthorized {
		t.Errorf("scrape with a wrong token: got %d, want 401", code)
	}
	code, before := scrape(http.DefaultClient, token)
	if code != http.StatusOK {
		t.Fatalf("scrape with the token: got %d, want 200", code)
	}

	if resp := post("/login", url.Values{"email": {s.email}, "password": {s.passwd}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: got %d", resp.StatusCode)
	}
	resp := post("/admin/refresh", url.Values{"client": {"acme"}})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/runs/") {
		t.Fatalf("refresh: got %d to %q, want the run's page", resp.StatusCode, loc)
	}
	status := regexp.MustCompile(`data-status="([a-z]+)"`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := admin.Get(s.url + loc + "/progress")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		m := status.FindStringSubmatch(string(b))
		if m != nil && m[1] != "running" {
			if m[1] != "succeeded" {
				t.Fatalf("the run ended %s, want succeeded", m[1])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run did not end within 30s")
		}
		time.Sleep(100 * time.Millisecond)
	}

	for _, who := range []struct {
		name   string
		c      *http.Client
		bearer string
	}{{"token", http.DefaultClient, token}, {"admin", admin, ""}} {
		code, after := scrape(who.c, who.bearer)
		if code != http.StatusOK {
			t.Fatalf("%s scrape after the run: got %d, want 200", who.name, code)
		}
		if got, was := after[`leadlens_collector_runs_total{status="succeeded"}`], before[`leadlens_collector_runs_total{status="succeeded"}`]; got != was+1 {
			t.Errorf("%s: succeeded runs: got %v, want %v", who.name, got, was+1)
		}
		if got, was := sum(after, "leadlens_graph_calls_total"), sum(before, "leadlens_graph_calls_total"); got < was+4 {
			t.Errorf("%s: Graph calls: got %v, want at least %v (account, campaigns, ad sets, ads, insights)", who.name, got, was+4)
		}
		if got := after[`leadlens_graph_calls_total{op="insights",result="ok"}`]; got < 1 {
			t.Errorf("%s: insights calls that succeeded: got %v, want at least 1", who.name, got)
		}
		if got := sum(after, "leadlens_collector_rows_written_total"); got <= 0 {
			t.Errorf("%s: rows written: got %v, want some", who.name, got)
		}
		if got := after[`leadlens_ad_accounts{state="ok"}`]; got != 1 {
			t.Errorf("%s: synced accounts: got %v, want 1", who.name, got)
		}
		if got := after[`leadlens_http_request_duration_seconds_count{method="POST",route="/admin/refresh",status="303"}`]; got != 1 {
			t.Errorf("%s: POST /admin/refresh requests: got %v, want 1", who.name, got)
		}
	}
	if strings.Contains(s.logs.String(), metasim.DemoToken) {
		t.Errorf("the server's log contains the Meta token")
	}
	if !regexp.MustCompile(`collector: run finished.*run_id=1`).MatchString(s.logs.String()) {
		t.Errorf("the collector's log lines do not carry the run id")
	}
}
