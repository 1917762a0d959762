package graph_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/leadlens/leadlens/collector/graph"
)

func TestAsyncJobSubmitStatusResults(t *testing.T) {
	f := newFake(t)
	f.on("POST /v21.0/act_"+acct+"/insights", f.ok("job_submit.json"))
	f.on("GET /v21.0/6023920149050", f.ok("job_running.json"), f.ok("job_completed.json"))
	f.on("GET /v21.0/6023920149050/insights",
		f.reply(400, "errors/notready_2601_1815107.json", map[string]string{"x-ad-account-usage": `{"acc_id_util_pct":12}`}),
		f.ok("job_insights.json"))
	var infos []graph.RequestInfo
	c := newClient(t, f, nil, func(cfg *graph.Config) {
		cfg.Retrier = nil
		cfg.Hooks.AfterResponse = func(req graph.RequestInfo, _ graph.Result) { infos = append(infos, req) }
	})
	ctx := context.Background()

	id, err := c.SubmitInsightsJob(ctx, "act_"+acct, graph.InsightsQuery{Level: graph.LevelAccount, Since: "2026-10-01", Until: "2026-10-28"})
	if err != nil || id != "6023920149050" {
		t.Fatalf("SubmitInsightsJob: got %q, %v, want 6023920149050", id, err)
	}
	sub := f.requests()[0]
	q, _ := url.ParseQuery(sub.RawQuery)
	if sub.Method != "POST" || q.Get("level") != "account" || q.Get("time_increment") != "1" ||
		q.Get("time_range") != `{"since":"2026-10-01","until":"2026-10-28"}` || q.Get("fields") != graph.InsightsFields ||
		q.Get("filtering") == "" || q.Get("access_token") != testToken {
		t.Errorf("submit request: got %s ?%s, want POST with the Insights parameters", sub.Method, sub.RawQuery)
	}

	st, err := c.JobStatus(ctx, id)
	if err != nil {
		t.Fatalf("JobStatus: %v", err)
	}
	if st != (graph.JobStatus{ID: id, Status: graph.JobRunning, PercentComplete: 42}) || st.Completed() || st.Failed() {
		t.Errorf("status 1: got %+v, want running at 42%%", st)
	}
	st, err = c.JobStatus(ctx, id)
	if err != nil || !st.Completed() || st.PercentComplete != 100 {
		t.Errorf("status 2: got %+v, %v, want completed at 100%%", st, err)
	}

	// Read too early: code 2601 is transient ("not ready").
	err = c.JobInsights(ctx, id, func(graph.InsightRow) error { return nil })
	if graph.KindOf(err) != graph.KindTransient || !graph.IsRetryable(err) {
		t.Errorf("results too early: got %v, want transient", err)
	}
	var rows []graph.InsightRow
	if err := c.JobInsights(ctx, id, func(r graph.InsightRow) error { rows = append(rows, r); return nil }); err != nil {
		t.Fatalf("JobInsights: %v", err)
	}
	if len(rows) != 1 || rows[0].SpendMicros != 20_500_000 || rows[0].ActionValue("onsite_conversion.lead_grouped") != 3 {
		t.Errorf("job rows: got %+v, want one row spend 20500000 with 3 leads", rows)
	}
	last := f.requests()[len(f.requests())-1]
	if lq, _ := url.ParseQuery(last.RawQuery); lq.Get("limit") != "500" {
		t.Errorf("results request: got query %q, want limit=500", last.RawQuery)
	}
	// The job's calls are credited to the account that submitted it.
	for _, in := range infos {
		if in.AccountID != acct {
			t.Errorf("RequestInfo %s: got AccountID %q, want %q", in.Op, in.AccountID, acct)
		}
	}
	if u := c.LastUsage(acct); u.AdAccount == nil || u.AdAccount.AccIDUtilPct != 12 {
		t.Errorf("usage from job results: got %+v, want acc_id_util_pct 12 credited to the account", u.AdAccount)
	}

	if _, err := c.JobStatus(ctx, "../me"); graph.KindOf(err) != graph.KindInvalidRequest {
		t.Errorf("JobStatus(../me): got %v, want invalid_request", err)
	}
}
