package graph_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leadlens/leadlens/collector/graph"
)

// TestErrorClassification walks the error table of graph-api.md: each fixture is a real
// answer shape; the client must classify it and say what to do.
func TestErrorClassification(t *testing.T) {
	tests := []struct {
		fixture    string
		status     int
		kind       graph.Kind
		code, sub  int
		retryable  bool
		permission string
		advice     string // a fragment of Advice()
	}{
		{"auth_190_458.json", 400, graph.KindAuth, 190, 458, false, "", "re-authenticate"},
		{"auth_190_460.json", 400, graph.KindAuth, 190, 460, false, "", "re-authenticate"},
		{"auth_190_463.json", 400, graph.KindAuth, 190, 463, false, "", "re-authenticate"},
		{"auth_190_467.json", 400, graph.KindAuth, 190, 467, false, "", "re-authenticate"},
		{"auth_190.json", 401, graph.KindAuth, 190, 0, false, "", "Admin → Meta connection"},
		{"perm_10.json", 400, graph.KindPermission, 10, 0, false, "", "grant ads_read"},
		{"perm_200.json", 403, graph.KindPermission, 200, 0, false, "ads_management or ads_read", "grant ads_management or ads_read"},
		{"perm_272.json", 400, graph.KindPermission, 272, 0, false, "", "grant ads_read"},
		{"perm_100_missing.json", 400, graph.KindPermission, 100, 0, false, "", "grant ads_read"},
		{"notfound_100_33.json", 400, graph.KindNotFound, 100, 33, false, "", "check the id"},
		{"toolarge_100_1487534.json", 400, graph.KindDataTooLarge, 100, 1487534, false, "", "shorter date window"},
		{"toolarge_100_1504018.json", 400, graph.KindDataTooLarge, 100, 1504018, false, "", "async report job"},
		{"toolarge_1.json", 500, graph.KindDataTooLarge, 1, 0, false, "", "smaller page limit"},
		{"transient_1_99.json", 500, graph.KindTransient, 1, 99, true, "", "retry later"},
		{"transient_2.json", 500, graph.KindTransient, 2, 0, true, "", "retry later"},
		{"transient_2.json", 400, graph.KindTransient, 2, 0, true, "", "retry later"},
		{"transient_flag.json", 400, graph.KindTransient, 960, 0, true, "", "retry later"},
		{"throttle_4.json", 400, graph.KindThrottled, 4, 0, true, "", "wait"},
		{"throttle_17_2446079.json", 400, graph.KindThrottled, 17, 2446079, true, "", "wait"},
		{"throttle_32.json", 400, graph.KindThrottled, 32, 0, true, "", "wait"},
		{"throttle_613_1487742.json", 400, graph.KindThrottled, 613, 1487742, true, "", "wait"},
		{"throttle_80000.json", 400, graph.KindThrottled, 80000, 2446079, true, "", "wait"},
		{"throttle_80004.json", 400, graph.KindThrottled, 80004, 2446079, true, "", "wait"},
		{"notready_2601_1815107.json", 400, graph.KindTransient, 2601, 1815107, true, "", "retry later"},
		{"invalid_3018.json", 400, graph.KindInvalidRequest, 3018, 0, false, "", "37 months"},
		{"invalid_100.json", 400, graph.KindInvalidRequest, 100, 0, false, "", "request itself was rejected"},
		{"invalid_100_lead.json", 400, graph.KindInvalidRequest, 100, 2804066, false, "", "request itself was rejected"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.fixture, tt.status), func(t *testing.T) {
			f := newFake(t)
			f.on("GET /v21.0/act_"+acct, f.reply(tt.status, "errors/"+tt.fixture, nil))
			c := newClient(t, f, nil, func(cfg *graph.Config) { cfg.Retrier = nil })
			_, err := c.Account(context.Background(), acct)
			e := asGraphError(t, err)
			if e.Kind != tt.kind || e.Code != tt.code || e.Subcode != tt.sub || e.HTTPStatus != tt.status {
				t.Errorf("got kind %v code %d/%d HTTP %d, want %v %d/%d HTTP %d",
					e.Kind, e.Code, e.Subcode, e.HTTPStatus, tt.kind, tt.code, tt.sub, tt.status)
			}
			if got := graph.IsRetryable(err); got != tt.retryable {
				t.Errorf("IsRetryable: got %v, want %v", got, tt.retryable)
			}
			if e.Permission != tt.permission {
				t.Errorf("Permission: got %q, want %q", e.Permission, tt.permission)
			}
			if !strings.Contains(e.Advice(), tt.advice) || !strings.Contains(err.Error(), tt.advice) {
				t.Errorf("advice: got Advice %q and Error %q, want both to contain %q", e.Advice(), err, tt.advice)
			}
			if e.FBTraceID != "AbC123" || e.Op != "GET /act_"+acct || e.AccountID != acct {
				t.Errorf("context: got fbtrace %q op %q account %q, want AbC123, GET /act_%s, %s", e.FBTraceID, e.Op, e.AccountID, acct, acct)
			}
			if e.Message == "" || !strings.Contains(err.Error(), e.Message) {
				t.Errorf("Error() %q: want it to contain Meta's message %q", err, e.Message)
			}
			assertNoToken(t, "error", err.Error())
		})
	}
}

func TestThrottleCodeRange(t *testing.T) {
	for code := 79999; code <= 80009; code++ {
		f := newFake(t)
		f.on("GET /v21.0/me", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"error":{"message":"(#%d) too many calls","type":"OAuthException","code":%d,"fbtrace_id":"x"}}`, code, code)
		})
		c := newClient(t, f, nil, func(cfg *graph.Config) { cfg.Retrier = nil })
		_, err := c.Me(context.Background())
		want := graph.KindThrottled
		if code == 79999 || code == 80007 || code == 80009 {
			want = graph.KindInvalidRequest
		}
		if got := graph.KindOf(err); got != want {
			t.Errorf("code %d: got %v, want %v", code, got, want)
		}
	}
}

func TestErrorWithoutEnvelopeAndErrorIn200(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		kind   graph.Kind
	}{
		{"502 html", 502, "errors/bad_gateway.html", graph.KindTransient},
		{"429 empty", 429, "", graph.KindThrottled},
		{"401 empty", 401, "", graph.KindAuth},
		{"404 text", 404, "not found", graph.KindNotFound},
		{"400 truncated", 400, `{"error":{"message":"(#17) User req`, graph.KindDecode},
		{"200 with error", 200, `{"error":{"message":"Service temporarily unavailable","type":"OAuthException","code":2,"is_transient":true}}`, graph.KindTransient},
		{"200 not an object", 200, `["x"]`, graph.KindDecode},
		{"403 codeless envelope", 403, `{"error":{"message":"Forbidden by proxy"}}`, graph.KindPermission},
		{"400 codeless envelope", 400, `{"error":{"message":"bad"}}`, graph.KindInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			body := tt.body
			if strings.HasPrefix(body, "errors/") {
				body = string(f.fixture(body))
			}
			f.on("GET /v21.0/me", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-FB-Trace-ID", "HdrTrace1")
				w.WriteHeader(tt.status)
				fmt.Fprint(w, body)
			})
			c := newClient(t, f, nil, func(cfg *graph.Config) { cfg.Retrier = nil })
			_, err := c.Me(context.Background())
			e := asGraphError(t, err)
			if e.Kind != tt.kind || e.HTTPStatus != tt.status {
				t.Errorf("got kind %v HTTP %d (%v), want %v HTTP %d", e.Kind, e.HTTPStatus, err, tt.kind, tt.status)
			}
			if e.FBTraceID != "HdrTrace1" {
				t.Errorf("FBTraceID: got %q, want the x-fb-trace-id header HdrTrace1", e.FBTraceID)
			}
		})
	}
}

func TestThrottledRetryAfterFromBUCHeader(t *testing.T) {
	f := newFake(t)
	f.on("GET /v21.0/act_"+acct+"/insights", f.reply(400, "errors/throttle_80000.json", headersFixture(t, "usage_headers_throttled.json")))
	c := newClient(t, f, nil, func(cfg *graph.Config) { cfg.Retrier = nil })
	err := c.Insights(context.Background(), acct, october, func(graph.InsightRow) error { return nil })
	e := asGraphError(t, err)
	if e.Kind != graph.KindThrottled || e.RetryAfter != 12*time.Minute {
		t.Errorf("got kind %v RetryAfter %v, want throttled 12m0s", e.Kind, e.RetryAfter)
	}
	if !strings.Contains(err.Error(), "wait about 12m0s") {
		t.Errorf("Error(): got %q, want it to say to wait about 12m0s", err)
	}

	// Without the header the wait is unknown: 0.
	f.on("GET /v21.0/me", f.reply(400, "errors/throttle_4.json", nil))
	_, err = c.Me(context.Background())
	if e := asGraphError(t, err); e.RetryAfter != 0 {
		t.Errorf("RetryAfter without header: got %v, want 0", e.RetryAfter)
	}
}

func TestNoRetryForAuthPermissionNotFound(t *testing.T) {
	for _, fixture := range []string{"auth_190_463.json", "perm_200.json", "notfound_100_33.json", "toolarge_100_1487534.json", "invalid_3018.json"} {
		f := newFake(t)
		path := "GET /v21.0/act_" + acct + "/campaigns"
		f.on(path, f.reply(400, "errors/"+fixture, nil))
		consulted := 0
		c := newClient(t, f, nil, func(cfg *graph.Config) {
			cfg.Retrier = graph.RetrierFunc(func(ctx context.Context, attempt int, err error) (time.Duration, bool) {
				consulted++
				return fastRetrier.Retry(ctx, attempt, err)
			})
		})
		err := c.Campaigns(context.Background(), acct, func(graph.Campaign) error { return nil })
		if err == nil {
			t.Fatalf("%s: got nil error, want one", fixture)
		}
		if got := f.count(path); got != 1 {
			t.Errorf("%s: requests got %d, want 1", fixture, got)
		}
		if consulted != 1 {
			t.Errorf("%s: retrier consulted %d times, want 1", fixture, consulted)
		}
	}
}

func TestKindOfAndIsRetryableOnForeignErrors(t *testing.T) {
	wrapped := fmt.Errorf("collector: account 1: %w", &graph.Error{Kind: graph.KindThrottled})
	tests := []struct {
		err       error
		kind      graph.Kind
		retryable bool
	}{
		{nil, graph.KindNone, false},
		{errors.New("boom"), graph.KindUnknown, false},
		{context.Canceled, graph.KindCanceled, false},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), graph.KindCanceled, false},
		{wrapped, graph.KindThrottled, true},
		{&graph.Error{Kind: graph.KindDecode}, graph.KindDecode, true},
		{&graph.Error{Kind: graph.KindDecode, Field: "spend"}, graph.KindDecode, false},
		{&graph.Error{Kind: graph.KindNetwork}, graph.KindNetwork, true},
		{&graph.Error{Kind: graph.KindDataTooLarge}, graph.KindDataTooLarge, false},
	}
	for _, tt := range tests {
		if got := graph.KindOf(tt.err); got != tt.kind {
			t.Errorf("KindOf(%v): got %v, want %v", tt.err, got, tt.kind)
		}
		if got := graph.IsRetryable(tt.err); got != tt.retryable {
			t.Errorf("IsRetryable(%v): got %v, want %v", tt.err, got, tt.retryable)
		}
	}
	if got, want := graph.KindDataTooLarge.String(), "data_too_large"; got != want {
		t.Errorf("Kind.String: got %q, want %q", got, want)
	}
}
