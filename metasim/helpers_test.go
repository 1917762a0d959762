package metasim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is an injected clock tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testStart is the instant every test world is built at: a Sunday noon UTC.
func testStart() time.Time { return time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC) }

// sim is a running simulator with a client and a clock.
type sim struct {
	t      *testing.T
	s      *Server
	url    string
	clock  *testClock
	client *http.Client
}

func newSim(t *testing.T, o Options) *sim {
	t.Helper()
	clk := &testClock{t: testStart()}
	if o.Now == nil {
		o.Now = clk.Now
	}
	s, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	u, stop, err := s.Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(stop)
	return &sim{t: t, s: s, url: u, clock: clk, client: &http.Client{Timeout: 20 * time.Second}}
}

// get requests path (version included) with params; the demo token is added unless params
// already carry access_token or set it to "-" (no token at all).
func (m *sim) get(path string, params url.Values) (*http.Response, []byte) {
	m.t.Helper()
	return m.do("GET", path, params, "", "")
}

func (m *sim) do(method, path string, params url.Values, contentType, body string) (*http.Response, []byte) {
	m.t.Helper()
	p := url.Values{}
	for k, v := range params {
		p[k] = v
	}
	switch p.Get("access_token") {
	case "":
		p.Set("access_token", DemoToken)
	case "-":
		p.Del("access_token")
	}
	req, err := http.NewRequest(method, m.url+path+"?"+p.Encode(), strings.NewReader(body))
	if err != nil {
		m.t.Fatalf("request: %v", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return m.send(req)
}

func (m *sim) send(req *http.Request) (*http.Response, []byte) {
	m.t.Helper()
	resp, err := m.client.Do(req)
	if err != nil {
		m.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		m.t.Fatalf("read body: %v", err)
	}
	return resp, b
}

// page is the paged answer shape.
type page struct {
	Data   []map[string]any `json:"data"`
	Paging *struct {
		Cursors struct {
			Before string `json:"before"`
			After  string `json:"after"`
		} `json:"cursors"`
		Next string `json:"next"`
	} `json:"paging"`
}

func (p page) next() string {
	if p.Paging == nil {
		return ""
	}
	return p.Paging.Next
}

// graphErr is the error envelope.
type graphErr struct {
	Error *struct {
		Message      string `json:"message"`
		Type         string `json:"type"`
		Code         int    `json:"code"`
		ErrorSubcode int    `json:"error_subcode"`
		FbtraceID    string `json:"fbtrace_id"`
		IsTransient  *bool  `json:"is_transient"`
	} `json:"error"`
}

func decodeJSON[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %q: %v", truncate(b), err)
	}
	return v
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// wantError checks an answer is the Graph envelope with this status, code and subcode.
func wantError(t *testing.T, resp *http.Response, body []byte, status, code, subcode int) graphErr {
	t.Helper()
	ge := decodeJSON[graphErr](t, body)
	if ge.Error == nil {
		t.Fatalf("got body %s, want an error envelope", truncate(body))
	}
	if resp.StatusCode != status || ge.Error.Code != code || ge.Error.ErrorSubcode != subcode {
		t.Fatalf("got HTTP %d code %d subcode %d (%q), want HTTP %d code %d subcode %d",
			resp.StatusCode, ge.Error.Code, ge.Error.ErrorSubcode, ge.Error.Message, status, code, subcode)
	}
	if ge.Error.Message == "" || ge.Error.Type == "" || ge.Error.FbtraceID == "" || ge.Error.IsTransient == nil {
		t.Fatalf("got error %+v, want message, type, fbtrace_id and is_transient", *ge.Error)
	}
	return ge
}

// allPages follows next links from the first answer and returns every row, failing when a
// page has an error or the chain does not end within maxPages.
func (m *sim) allPages(path string, params url.Values, maxPages int) ([]map[string]any, int) {
	m.t.Helper()
	resp, body := m.get(path, params)
	var rows []map[string]any
	for pages := 1; ; pages++ {
		if resp.StatusCode != 200 {
			m.t.Fatalf("page %d: got HTTP %d %s, want 200", pages, resp.StatusCode, truncate(body))
		}
		p := decodeJSON[page](m.t, body)
		rows = append(rows, p.Data...)
		if p.next() == "" {
			return rows, pages
		}
		if pages >= maxPages {
			m.t.Fatalf("got more than %d pages, want the chain to end", maxPages)
		}
		req, err := http.NewRequest("GET", p.next(), nil)
		if err != nil {
			m.t.Fatalf("next %q: %v", p.next(), err)
		}
		resp, body = m.send(req)
	}
}

// insightsParams is the collector's request for a level and range.
func insightsParams(level, since, until string) url.Values {
	return url.Values{
		"level":          {level},
		"fields":         {"account_id,account_currency,campaign_id,campaign_name,adset_id,adset_name,spend,impressions,clicks,actions,date_start,date_stop"},
		"time_increment": {"1"},
		"time_range":     {`{"since":"` + since + `","until":"` + until + `"}`},
		"limit":          {"500"},
	}
}

func actPath(id string) string { return "/v21.0/act_" + id }
