package metasim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// submit posts an insights job with a form body and returns its id.
func (m *sim) submit(path string, params url.Values) string {
	m.t.Helper()
	params.Set("access_token", DemoToken)
	req, _ := http.NewRequest("POST", m.url+path, strings.NewReader(params.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, body := m.send(req)
	var out struct {
		ID string `json:"report_run_id"`
	}
	if err := json.Unmarshal(body, &out); err != nil || resp.StatusCode != 200 || out.ID == "" {
		m.t.Fatalf("submit: got HTTP %d %s, want a report_run_id", resp.StatusCode, body)
	}
	return out.ID
}

type jobStatus struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	Status    string `json:"async_status"`
	Percent   int    `json:"async_percent_completion"`
}

func (m *sim) status(id string) jobStatus {
	m.t.Helper()
	resp, body := m.get("/v21.0/"+id, nil)
	if resp.StatusCode != 200 {
		m.t.Fatalf("status: got HTTP %d %s, want 200", resp.StatusCode, body)
	}
	return decodeJSON[jobStatus](m.t, body)
}

func TestAsyncJobLifecycle(t *testing.T) {
	m := newSim(t, Options{Seed: 8, AsyncPolls: 5})
	a := m.s.World().Accounts[1]
	params := insightsParams("adset", "2026-01-01", "2026-03-15")
	sync, _ := m.allPages(actPath(a.ID)+"/insights", insightsParams("adset", "2026-01-01", "2026-03-15"), 10)
	id := m.submit(actPath(a.ID)+"/insights", params)

	resp, body := m.get("/v21.0/"+id+"/insights", nil)
	ge := wantError(t, resp, body, 400, 2601, 1815107)
	if !*ge.Error.IsTransient {
		t.Errorf("got is_transient false for a job still running, want true")
	}
	var statuses []string
	last := -1
	for range 20 {
		st := m.status(id)
		if st.ID != id || st.AccountID != a.ID {
			t.Fatalf("got status %+v, want id %s account %s", st, id, a.ID)
		}
		if st.Percent < last {
			t.Fatalf("got percent %d after %d, want it never to fall", st.Percent, last)
		}
		last = st.Percent
		statuses = append(statuses, st.Status)
		if st.Status == JobCompleted {
			break
		}
		resp, body := m.get("/v21.0/"+id+"/insights", nil)
		wantError(t, resp, body, 400, 2601, 1815107)
	}
	want := []string{JobNotStarted, JobStarted, JobRunning, JobRunning, JobRunning, JobCompleted}
	if strings.Join(statuses, ",") != strings.Join(want, ",") || last != 100 {
		t.Fatalf("got %v ending at %d%%, want %v ending at 100%%", statuses, last, want)
	}
	res, pages := m.allPages("/v21.0/"+id+"/insights", url.Values{"limit": {"50"}}, 100)
	if pages < 2 || len(res) != len(sync) {
		t.Fatalf("got %d rows in %d pages, want %d rows (as sync) over several pages", len(res), pages, len(sync))
	}
	for i := range res {
		if res[i]["spend"] != sync[i]["spend"] || res[i]["adset_id"] != sync[i]["adset_id"] {
			t.Fatalf("row %d: got %v, want %v", i, res[i], sync[i])
		}
	}
}

func TestAsyncFrozenAtSubmission(t *testing.T) {
	m := newSim(t, Options{Seed: 8, AsyncPolls: AsyncImmediate})
	a := m.s.World().Accounts[0]
	before, _ := m.allPages(actPath(a.ID)+"/insights", insightsParams("adset", "2026-02-20", "2026-03-15"), 10)
	// a JSON body, time_range as an object, is accepted too
	body := `{"level":"adset","time_increment":"1","time_range":{"since":"2026-02-20","until":"2026-03-15"},"fields":"account_id,account_currency,campaign_id,campaign_name,adset_id,adset_name,spend,impressions,clicks,actions,date_start,date_stop"}`
	resp, b := m.do("POST", actPath(a.ID)+"/insights", nil, "application/json", body)
	var out struct {
		ID string `json:"report_run_id"`
	}
	if json.Unmarshal(b, &out) != nil || resp.StatusCode != 200 {
		t.Fatalf("got HTTP %d %s, want a report_run_id", resp.StatusCode, b)
	}
	m.s.Restate()
	m.s.Restate()
	after, _ := m.allPages(actPath(a.ID)+"/insights", insightsParams("adset", "2026-02-20", "2026-03-15"), 10)
	if st := m.status(out.ID); st.Status != JobCompleted {
		t.Fatalf("got %s, want Job Completed at once", st.Status)
	}
	job, _ := m.allPages("/v21.0/"+out.ID+"/insights", url.Values{"limit": {"500"}}, 10)
	if len(job) != len(before) {
		t.Fatalf("got %d job rows, want the %d rows of the submission epoch", len(job), len(before))
	}
	for i := range job {
		if job[i]["spend"] != before[i]["spend"] || job[i]["adset_id"] != before[i]["adset_id"] {
			t.Fatalf("row %d: got %v, want the submission-time %v", i, job[i], before[i])
		}
	}
	if len(after) == len(before) {
		same := true
		for i := range after {
			same = same && after[i]["spend"] == before[i]["spend"]
		}
		if same {
			t.Fatalf("got identical sync answers across epochs, want restated values (the test proves nothing otherwise)")
		}
	}
}

func TestAsyncFailedAndSkipped(t *testing.T) {
	m := newSim(t, Options{Seed: 8, AsyncPolls: 1})
	a := m.s.World().Accounts[0]
	for _, kind := range []FaultKind{FaultJobFailed, FaultJobSkipped} {
		if _, err := m.s.AddFault(Fault{Kind: kind, Times: 1}); err != nil {
			t.Fatal(err)
		}
		id := m.submit(actPath(a.ID)+"/insights", insightsParams("account", "2026-03-01", "2026-03-10"))
		if st := m.status(id); st.Status != JobNotStarted {
			t.Fatalf("got %s, want Job Not Started first", st.Status)
		}
		want := map[FaultKind]string{FaultJobFailed: JobFailed, FaultJobSkipped: JobSkipped}[kind]
		if st := m.status(id); st.Status != want {
			t.Fatalf("got %s, want %s", st.Status, want)
		}
		resp, body := m.get("/v21.0/"+id+"/insights", nil)
		if ge := wantError(t, resp, body, 400, 2601, 1815107); *ge.Error.IsTransient {
			t.Errorf("got is_transient true reading a %s job, want false: submit again", want)
		}
		// the next submission is not affected
		id = m.submit(actPath(a.ID)+"/insights", insightsParams("account", "2026-03-01", "2026-03-10"))
		m.status(id)
		if st := m.status(id); st.Status != JobCompleted {
			t.Fatalf("got %s for the next job, want Job Completed", st.Status)
		}
	}
}
