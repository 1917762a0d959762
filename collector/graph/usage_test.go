package graph_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadlens/leadlens/collector/graph"
)

func TestUsageHeadersParsed(t *testing.T) {
	f := newFake(t)
	f.on("GET /v21.0/act_"+acct, f.reply(200, "account.json", headersFixture(t, "usage_headers.json")))
	var mu sync.Mutex
	var results []graph.Result
	c := newClient(t, f, nil, func(cfg *graph.Config) {
		cfg.Hooks.AfterResponse = func(_ graph.RequestInfo, r graph.Result) { mu.Lock(); results = append(results, r); mu.Unlock() }
	})
	if _, err := c.Account(context.Background(), acct); err != nil {
		t.Fatalf("Account: %v", err)
	}
	if len(results) != 1 {
		t.Fatalf("AfterResponse calls: got %d, want 1", len(results))
	}
	u := results[0].Usage
	wantBUC := []graph.BUCUsage{{ID: acct, Type: "ads_insights", CallCount: 95, TotalCPUTime: 20, TotalTime: 20}}
	if len(u.BusinessUseCase) != 1 || u.BusinessUseCase[0] != wantBUC[0] {
		t.Errorf("BUC: got %+v, want %+v", u.BusinessUseCase, wantBUC)
	}
	if a := u.AdAccount; a == nil || a.AccIDUtilPct != 9.67 || a.ResetTimeDuration != 100*time.Second || a.AdsAPIAccessTier != "standard_access" {
		t.Errorf("ad account usage: got %+v, want 9.67%% reset 100s standard_access", a)
	}
	if it := u.InsightsThrottle; it == nil || it.AppIDUtilPct != 100 || it.AccIDUtilPct != 10 {
		t.Errorf("insights throttle: got %+v, want app 100 acc 10", it)
	}
	if a := u.App; a == nil || a.CallCount != 28 || a.TotalTime != 25 || a.TotalCPUTime != 25 {
		t.Errorf("app usage: got %+v, want 28/25/25", a)
	}
	if got := u.Max(); got != 100 {
		t.Errorf("Max: got %v, want 100", got)
	}
	if got := len(u.Figures()); got != 9 {
		t.Errorf("Figures: got %d, want 9", got)
	}
	if !u.At.Equal(time.Date(2026, 10, 29, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("At: got %v, want the injected clock's time", u.At)
	}
	for _, id := range []string{acct, "act_" + acct} {
		if got := c.LastUsage(id).Max(); got != 100 {
			t.Errorf("LastUsage(%q).Max: got %v, want 100", id, got)
		}
	}
	if got := c.LastUsageOverall().Max(); got != 100 {
		t.Errorf("LastUsageOverall.Max: got %v, want 100", got)
	}
	if !c.LastUsage("111").IsZero() {
		t.Errorf("LastUsage of an unseen account: got %+v, want zero", c.LastUsage("111"))
	}
}

func TestMalformedUsageHeaderIgnoredAndLogged(t *testing.T) {
	f := newFake(t)
	f.on("GET /v21.0/act_"+acct, f.reply(200, "account.json", map[string]string{
		"x-business-use-case-usage":  `{"798085168510957":[{"type":"ads_insights","call_count":`,
		"x-ad-account-usage":         `not json`,
		"x-fb-ads-insights-throttle": `{"app_id_util_pct":"abc"}`,
		"x-app-usage":                `{"call_count":"31","total_time":5,"total_cputime":4}`,
	}))
	logs := &logBuffer{}
	var res graph.Result
	c := newClient(t, f, logs, func(cfg *graph.Config) {
		cfg.Hooks.AfterResponse = func(_ graph.RequestInfo, r graph.Result) { res = r }
	})
	if _, err := c.Account(context.Background(), acct); err != nil {
		t.Fatalf("Account with malformed headers: got %v, want success", err)
	}
	u := res.Usage
	if u.BusinessUseCase != nil || u.AdAccount != nil || u.InsightsThrottle != nil {
		t.Errorf("malformed parts: got %+v, want them left out", u)
	}
	if u.App == nil || u.App.CallCount != 31 {
		t.Errorf("app usage (string number): got %+v, want call_count 31", u.App)
	}
	out := logs.String()
	for _, h := range []string{"X-Business-Use-Case-Usage", "X-Ad-Account-Usage", "X-Fb-Ads-Insights-Throttle"} {
		if !strings.Contains(out, "malformed usage header") || !strings.Contains(out, h) {
			t.Errorf("debug log: got %q, want a malformed-header line naming %s", out, h)
		}
	}
}

func TestUsageTrackedPerAccountAndSharedWithToken(t *testing.T) {
	f := newFake(t)
	other := "111222333"
	f.on("GET /v21.0/act_"+acct, f.reply(200, "account.json", map[string]string{
		"x-ad-account-usage": `{"acc_id_util_pct":40}`,
		"x-app-usage":        `{"call_count":10,"total_time":1,"total_cputime":1}`,
	}))
	f.on("GET /v21.0/act_"+other, f.reply(200, "account.json", map[string]string{
		"x-ad-account-usage":        `{"acc_id_util_pct":70}`,
		"x-business-use-case-usage": `{"` + acct + `":[{"type":"ads_management","call_count":88,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":3}]}`,
	}))
	c := newClient(t, f, nil, nil)
	own := c.WithToken("EAAGotherTOKEN000000000000")
	if _, err := c.Account(context.Background(), acct); err != nil {
		t.Fatal(err)
	}
	if _, err := own.Account(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	a, b := c.LastUsage(acct), c.LastUsage(other)
	if a.AdAccount == nil || a.AdAccount.AccIDUtilPct != 40 || b.AdAccount == nil || b.AdAccount.AccIDUtilPct != 70 {
		t.Errorf("per-account ad account usage: got %+v and %+v, want 40 and 70", a.AdAccount, b.AdAccount)
	}
	// The BUC entry names acct, though it came on an answer about other.
	if got := a.Max(); got != 88 {
		t.Errorf("LastUsage(acct).Max: got %v, want 88 (BUC entry naming it)", got)
	}
	if got := a.RegainAccess(); got != 3*time.Minute {
		t.Errorf("RegainAccess: got %v, want 3m", got)
	}
	all := own.LastUsageOverall()
	if all.App == nil || all.App.CallCount != 10 || all.AdAccount.AccIDUtilPct != 70 || all.Max() != 88 {
		t.Errorf("overall usage: got %+v, want app 10, latest ad account 70, max 88", all)
	}
	reqs := f.requests()
	if !strings.Contains(reqs[1].RawQuery, "access_token=EAAGotherTOKEN000000000000") {
		t.Errorf("WithToken request: got query %q, want the account's own token", reqs[1].RawQuery)
	}
}
