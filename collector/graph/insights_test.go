package graph_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leadlens/leadlens/collector/graph"
)

var october = graph.InsightsQuery{Level: graph.LevelAdSet, Since: "2026-10-01", Until: "2026-10-28"}

func TestInsightsRequestParameters(t *testing.T) {
	f := newFake(t)
	f.on("GET /v21.0/act_"+acct+"/insights", f.ok("insights_3.json"))
	c := newClient(t, f, nil, nil)
	if err := c.Insights(context.Background(), "act_"+acct, october, func(graph.InsightRow) error { return nil }); err != nil {
		t.Fatalf("Insights: %v", err)
	}
	q, _ := url.ParseQuery(f.requests()[0].RawQuery)
	want := map[string]string{
		"level":          "adset",
		"fields":         "account_id,account_currency,campaign_id,campaign_name,adset_id,adset_name,spend,impressions,clicks,actions,date_start,date_stop",
		"time_increment": "1",
		"time_range":     `{"since":"2026-10-01","until":"2026-10-28"}`,
		"filtering":      `[{"field":"ad.effective_status","operator":"IN","value":["ACTIVE","PAUSED","DELETED","ARCHIVED","CAMPAIGN_PAUSED","ADSET_PAUSED","IN_PROCESS","WITH_ISSUES"]}]`,
		"limit":          "500",
		"access_token":   testToken,
	}
	for k, v := range want {
		if got := q.Get(k); got != v {
			t.Errorf("param %s: got %q, want %q", k, got, v)
		}
	}
	if len(q) != len(want) {
		t.Errorf("params: got %d (%v), want %d", len(q), q, len(want))
	}
}

func TestInsightsQueryValidation(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f, nil, nil)
	bad := []graph.InsightsQuery{
		{Level: "ad", Since: "2026-10-01", Until: "2026-10-02"},
		{Level: graph.LevelAccount, Since: "2026-10-1", Until: "2026-10-02"},
		{Level: graph.LevelAccount, Since: "2026-10-03", Until: "2026-10-02"},
		{Level: graph.LevelAccount, Since: "2026-10-01", Until: "2026-10-02", Limit: -1},
	}
	for _, q := range bad {
		err := c.Insights(context.Background(), acct, q, func(graph.InsightRow) error { return nil })
		if graph.KindOf(err) != graph.KindInvalidRequest {
			t.Errorf("Insights(%+v): got %v, want invalid_request", q, err)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("requests for invalid queries: got %d, want 0", n)
	}
	if got, want := graph.Day(time.Date(2026, 10, 1, 23, 0, 0, 0, time.UTC)), "2026-10-01"; got != want {
		t.Errorf("Day: got %q, want %q", got, want)
	}
}

func TestInsightsDecodesStringNumbersAcrossPages(t *testing.T) {
	f := newFake(t)
	f.on("GET /v21.0/act_"+acct+"/insights", f.ok("insights_1.json"), f.ok("insights_2.json"), f.ok("insights_3.json"))
	c := newClient(t, f, nil, nil)
	var rows []graph.InsightRow
	err := c.Insights(context.Background(), acct, october, func(r graph.InsightRow) error { rows = append(rows, r); return nil })
	if err != nil {
		t.Fatalf("Insights: %v", err)
	}
	if len(rows) != 4 {
		t.Fatalf("rows: got %d, want 4", len(rows))
	}
	first := graph.InsightRow{
		AccountID: acct, AccountCurrency: "USD", CampaignID: "23854404676180548", CampaignName: "CTM spring",
		AdSetID: "23854404706320548", AdSetName: "Messenger – lookalike", DateStart: "2026-10-01", DateStop: "2026-10-01",
		Spend: "14.35", SpendMicros: 14_350_000, Impressions: 185, Clicks: 9,
		Actions: []graph.Action{
			{Type: "onsite_conversion.lead_grouped", Value: 2, Raw: "2"},
			{Type: "onsite_conversion.messaging_conversation_started_7d", Value: 4, Raw: "4"},
			{Type: "link_click", Value: 9, Raw: "9"},
		},
	}
	if !reflect.DeepEqual(rows[0], first) {
		t.Errorf("row 1: got %+v, want %+v", rows[0], first)
	}
	// Row 2: no actions key, no clicks key.
	if rows[1].Actions != nil || rows[1].Clicks != 0 || rows[1].SpendMicros != 10_000 || rows[1].Impressions != 3 {
		t.Errorf("row 2: got actions %v clicks %d spend %d impressions %d, want nil 0 10000 3",
			rows[1].Actions, rows[1].Clicks, rows[1].SpendMicros, rows[1].Impressions)
	}
	if got := rows[1].ActionValue("onsite_conversion.lead_grouped"); got != 0 {
		t.Errorf("row 2 leads: got %d, want 0", got)
	}
	// Row 3: large spend with 6 decimals, decimal action values rounded half up, raw kept.
	r3 := rows[2]
	if r3.SpendMicros != 1_234_567_891_234 || r3.Impressions != 100000 {
		t.Errorf("row 3: got spend %d impressions %d, want 1234567891234 100000", r3.SpendMicros, r3.Impressions)
	}
	if got := r3.ActionValue("onsite_conversion.lead_grouped"); got != 3 {
		t.Errorf("row 3 leads (2.5): got %d, want 3", got)
	}
	if got := r3.ActionValue("onsite_conversion.messaging_first_reply"); got != 0 {
		t.Errorf("row 3 first replies (0.49): got %d, want 0", got)
	}
	if r3.Actions[0].Raw != "2.5" {
		t.Errorf("row 3 raw value: got %q, want %q", r3.Actions[0].Raw, "2.5")
	}
	if rows[3].SpendMicros != 7_000_000 || rows[3].AdSetID != "23854404706320549" {
		t.Errorf("row 4: got %+v, want spend 7000000 ad set 23854404706320549", rows[3])
	}
}

func TestInsightsAcceptsBareJSONNumbersAndNulls(t *testing.T) {
	f := newFake(t)
	f.on("GET /v21.0/act_"+acct+"/insights", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"data":[{"account_id":798085168510957,"spend":14.35,"impressions":185,"clicks":null,
			"actions":[{"action_type":"lead","value":2}],"date_start":"2026-10-01","date_stop":"2026-10-01"}]}`)
	})
	c := newClient(t, f, nil, nil)
	var got graph.InsightRow
	if err := c.Insights(context.Background(), acct, october, func(r graph.InsightRow) error { got = r; return nil }); err != nil {
		t.Fatalf("Insights: %v", err)
	}
	if got.AccountID != acct || got.SpendMicros != 14_350_000 || got.Impressions != 185 || got.Clicks != 0 || got.ActionValue("lead") != 2 {
		t.Errorf("row: got %+v, want account %s spend 14350000 impressions 185 clicks 0 lead 2", got, acct)
	}
}

func TestInsightsBadNumberNamesFieldAndIsNotRetried(t *testing.T) {
	f := newFake(t)
	path := "GET /v21.0/act_" + acct + "/insights"
	f.on(path, f.ok("insights_bad_spend.json"))
	c := newClient(t, f, nil, nil)
	n := 0
	err := c.Insights(context.Background(), acct, october, func(graph.InsightRow) error { n++; return nil })
	e := asGraphError(t, err)
	if e.Kind != graph.KindDecode || e.Field != "spend" {
		t.Errorf("error: got kind %v field %q, want decode field spend", e.Kind, e.Field)
	}
	for _, s := range []string{`"spend"`, "14.3500001", "more than 6 decimal places", "23854404706320548"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error text: got %q, want it to mention %s", err, s)
		}
	}
	if n != 0 {
		t.Errorf("rows delivered from a bad page: got %d, want 0", n)
	}
	if got := f.count(path); got != 1 {
		t.Errorf("requests: got %d, want 1 (a bad value is not retried)", got)
	}
	if graph.IsRetryable(err) {
		t.Errorf("IsRetryable: got true, want false for a bad field")
	}
}

func TestTruncatedJSONIsDecodeAndRetried(t *testing.T) {
	f := newFake(t)
	path := "GET /v21.0/act_" + acct + "/insights"
	f.on(path, f.ok("insights_truncated.json"), f.ok("insights_3.json"))

	// Without retries the error surfaces as KindDecode.
	noRetry := newClient(t, f, nil, func(cfg *graph.Config) { cfg.Retrier = nil })
	err := noRetry.Insights(context.Background(), acct, october, func(graph.InsightRow) error { return nil })
	if graph.KindOf(err) != graph.KindDecode || !graph.IsRetryable(err) {
		t.Fatalf("truncated JSON: got kind %v retryable %v (%v), want decode, retryable", graph.KindOf(err), graph.IsRetryable(err), err)
	}

	f.on(path, f.ok("insights_truncated.json"), f.ok("insights_3.json"))
	f.mu.Lock()
	f.hits[path] = 0
	f.mu.Unlock()
	c := newClient(t, f, nil, nil)
	n := 0
	if err := c.Insights(context.Background(), acct, october, func(graph.InsightRow) error { n++; return nil }); err != nil {
		t.Fatalf("Insights with retries: %v", err)
	}
	if n != 1 || f.count(path) != 2 {
		t.Errorf("got %d rows in %d requests, want 1 row in 2 requests", n, f.count(path))
	}
}

func TestParseMicros(t *testing.T) {
	good := map[string]int64{
		"14.35": 14_350_000, "0": 0, "0.000001": 1, "7": 7_000_000, "1234567.891234": 1_234_567_891_234,
		"0.10": 100_000, "2.5000000": 2_500_000, "9223372036854.775807": 9_223_372_036_854_775_807,
	}
	for in, want := range good {
		got, err := graph.ParseMicros(in)
		if err != nil || got != want {
			t.Errorf("ParseMicros(%q): got %d, %v, want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "14.3500001", "1e3", "-1", "+1", "1,000.00", " 1", "1.", ".5", "14.35.1", "9223372036855", "9223372036854.775808"} {
		if got, err := graph.ParseMicros(in); err == nil {
			t.Errorf("ParseMicros(%q): got %d, nil, want an error", in, got)
		}
	}
}
