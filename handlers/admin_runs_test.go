package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadlens/leadlens/store"
)

// seedRun records a finished run of the given accounts; failed accounts get Meta's error.
func seedRun(t *testing.T, db *store.DB, trigger string, clientID int64, status string, accounts map[string]string) store.Run {
	t.Helper()
	ctx := context.Background()
	var ids []string
	for id := range accounts {
		ids = append(ids, id)
	}
	run, err := db.CreateRun(ctx, store.NewRun{Trigger: trigger, StartedBy: "admin@example.com", ClientID: clientID, APIVersion: "v21.0", Pending: ids})
	if err != nil {
		t.Fatal(err)
	}
	for id, errText := range accounts {
		ra := store.RunAccount{RunID: run.ID, AccountID: id, Status: store.RunSucceeded, Step: "done", GraphCalls: 5, RowsWritten: 100}
		if errText != "" {
			ra.Status, ra.Error, ra.ErrorCode, ra.RowsWritten = store.RunFailed, errText, 190, 0
			ra.Advice = "re-authenticate the token in Admin → Meta connection"
		}
		if err := db.UpdateRunAccount(ctx, ra); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.FinishRun(ctx, run.ID, store.RunTotals{Status: status, GraphCalls: 5, RowsWritten: 100}); err != nil {
		t.Fatal(err)
	}
	return run
}

// TestRefreshNow: admins refresh everything, a client or an account and land on the run's
// page; members refresh a client from its dashboard; viewers may not; refused requests say why.
func TestRefreshNow(t *testing.T) {
	e := newAdminEnv(t)
	ctx := context.Background()
	c, err := e.db.CreateClient(ctx, store.NewClient{Name: "Acme", AdAccounts: []string{"act_1"}})
	if err != nil {
		t.Fatal(err)
	}
	run := seedRun(t, e.db, store.TriggerManual, c.ID, store.RunSucceeded, map[string]string{"1": ""})
	running := false
	e.ref.refresh = func(req RefreshRequest) (int64, bool, error) {
		if len(req.AccountIDs) > 0 && req.AccountIDs[0] == "act_404" {
			return 0, false, &RefreshRefusedError{Reason: "ad account act_404 is not attached to any client"}
		}
		return run.ID, running, nil
	}
	want := runPath(run.ID)
	for _, tc := range []struct {
		form   url.Values
		client int64
		accts  string
	}{
		{url.Values{}, 0, ""},
		{url.Values{"client": {"acme"}}, c.ID, ""},
		{url.Values{"client": {"acme"}, "account": {"act_1"}}, c.ID, "act_1"},
	} {
		code, loc, _ := e.post(e.admin, "/admin/refresh", tc.form)
		if code != http.StatusSeeOther || loc != want {
			t.Errorf("refresh %v: got %d to %q, want 303 to %s", tc.form, code, loc, want)
		}
		reqs := e.ref.requests()
		got := reqs[len(reqs)-1]
		if got.ClientID != tc.client || strings.Join(got.AccountIDs, ",") != tc.accts || got.StartedBy != "admin@example.com" {
			t.Errorf("refresh %v: the collector got %+v", tc.form, got)
		}
	}
	_, body := e.get(e.admin, want)
	mustContain(t, "the run page after refresh", body, "Run #"+strconv.FormatInt(run.ID, 10)+" started.")
	running = true
	e.post(e.admin, "/admin/refresh", url.Values{})
	_, body = e.get(e.admin, want)
	mustContain(t, "refresh while running", body, "already in progress")
	if !strings.Contains(e.log.String(), "run_id="+strconv.FormatInt(run.ID, 10)) || !strings.Contains(e.log.String(), `msg="admin: refresh requested"`) {
		t.Errorf("the refresh was not logged with its run id")
	}

	n := len(e.ref.requests())
	code, loc, _ := e.post(e.admin, "/admin/refresh", url.Values{"client": {"nope"}})
	if code != http.StatusSeeOther || len(e.ref.requests()) != n {
		t.Errorf("unknown client: got %d to %q with the collector asked, want a redirect and no run", code, loc)
	}
	code, loc, _ = e.post(e.admin, "/admin/refresh", url.Values{"client": {"acme"}, "account": {"act_404"}})
	if code != http.StatusSeeOther || loc != "/admin/clients/acme" {
		t.Errorf("refused: got %d to %q, want 303 back to the client", code, loc)
	}
	_, body = e.get(e.admin, loc)
	mustContain(t, "refused refresh", body, "Nothing was refreshed: ad account act_404 is not attached to any client")

	// Members refresh from the dashboard; viewers may not and see no button.
	member := e.login("m@example.com", e.addUser("m@example.com", "member", 0))
	viewer := e.login("v@example.com", e.addUser("v@example.com", "viewer", c.ID))
	_, body = e.get(member, "/clients/acme")
	mustContain(t, "member's dashboard", body, `action="/clients/acme/refresh"`, `data-testid="refresh"`)
	if _, body := e.get(viewer, "/clients/acme"); strings.Contains(body, `data-testid="refresh"`) {
		t.Errorf("the viewer's dashboard has a refresh button")
	}
	n = len(e.ref.requests())
	if code, _, _ := e.post(viewer, "/clients/acme/refresh", nil); code != http.StatusForbidden {
		t.Errorf("viewer refresh: got %d, want 403", code)
	}
	if len(e.ref.requests()) != n {
		t.Errorf("a viewer's refresh reached the collector")
	}
	running = false
	code, loc, _ = e.post(member, "/clients/acme/refresh", nil)
	if code != http.StatusSeeOther || loc != "/clients/acme" {
		t.Errorf("member refresh: got %d to %q, want 303 to the dashboard", code, loc)
	}
	if reqs := e.ref.requests(); len(reqs) != n+1 || reqs[n].ClientID != c.ID || reqs[n].StartedBy != "m@example.com" {
		t.Errorf("member refresh: the collector got %+v", reqs[n:])
	}
	_, body = e.get(member, "/clients/acme")
	mustContain(t, "member's dashboard after refresh", body, "Refreshing Acme from Meta")
	if code, loc, _ := e.post(e.admin, "/clients/acme/refresh", nil); code != http.StatusSeeOther || loc != want {
		t.Errorf("admin refresh from the dashboard: got %d to %q, want the run page", code, loc)
	}
}

// TestRunHistoryAndDetail: filters, paging, per-account errors with advice, and the progress
// fragment that polls only while the run runs.
func TestRunHistoryAndDetail(t *testing.T) {
	e := newAdminEnv(t)
	ctx := context.Background()
	acme, _ := e.db.CreateClient(ctx, store.NewClient{Name: "Acme", AdAccounts: []string{"act_1", "act_2"}})
	other, _ := e.db.CreateClient(ctx, store.NewClient{Name: "Other", AdAccounts: []string{"act_3"}})
	ok := seedRun(t, e.db, store.TriggerManual, acme.ID, store.RunSucceeded, map[string]string{"1": ""})
	partial := seedRun(t, e.db, store.TriggerManual, acme.ID, store.RunPartial,
		map[string]string{"1": "", "2": "Error validating access token: Session has expired on Friday"})
	failed := seedRun(t, e.db, store.TriggerSchedule, 0, store.RunFailed, map[string]string{"3": "(#200) Requires ads_read permission"})
	_ = other
	rows := func(body string) []string {
		var ids []string
		for _, part := range strings.Split(body, `data-testid="run-`)[1:] {
			id := part[:strings.Index(part, `"`)]
			if _, err := strconv.Atoi(id); err == nil {
				ids = append(ids, id)
			}
		}
		return ids
	}
	id := func(r store.Run) string { return strconv.FormatInt(r.ID, 10) }
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{id(failed), id(partial), id(ok)}},
		{"?status=partial", []string{id(partial)}},
		{"?trigger=schedule", []string{id(failed)}},
		{"?client=acme", []string{id(partial), id(ok)}},
		{"?client=other&status=failed", []string{id(failed)}},
	} {
		code, body := e.get(e.admin, "/admin/runs"+tc.query)
		if got := strings.Join(rows(body), ","); code != http.StatusOK || got != strings.Join(tc.want, ",") {
			t.Errorf("/admin/runs%s: got %d with runs %s, want %s", tc.query, code, got, strings.Join(tc.want, ","))
		}
	}
	for _, q := range []string{"?status=done", "?trigger=cron", "?client=nope", "?page=0"} {
		if code, body := e.get(e.admin, "/admin/runs"+q); code != http.StatusBadRequest || !strings.Contains(body, strings.Split(q[1:], "=")[0]+":") {
			t.Errorf("/admin/runs%s: got %d, want 400 naming the parameter", q, code)
		}
	}

	code, body := e.get(e.admin, runPath(partial.ID))
	if code != http.StatusOK {
		t.Fatalf("run page: got %d", code)
	}
	mustContain(t, "partial run", body, `data-testid="run-account-2"`, "Session has expired on Friday", "(code 190)",
		"re-authenticate the token in Admin → Meta connection", `data-status="partial"`, `data-testid="dashboard-acme"`)
	if strings.Contains(body, `hx-trigger="every 1s"`) {
		t.Errorf("a finished run's page polls")
	}
	if code, _ := e.get(e.admin, "/admin/runs/abc"); code != http.StatusNotFound {
		t.Errorf("/admin/runs/abc: got %d, want 404", code)
	}
	if code, _ := e.get(e.admin, "/admin/runs/999"); code != http.StatusNotFound {
		t.Errorf("/admin/runs/999: got %d, want 404", code)
	}

	// A run in progress: the fragment polls itself and shows the live figures.
	live := RunProgress{RunID: ok.ID, Status: store.RunRunning, StartedAt: time.Now().Add(-3 * time.Second), AccountsTotal: 2, AccountsDone: 1,
		Calls: 12, Rows: 340, ThrottleWaits: 1, ThrottleWait: 2 * time.Second,
		Accounts: []AccountProgress{{AccountID: "1", Name: "Acme – Main", Status: store.RunRunning, Step: "insights adset page 2"}}}
	e.ref.progress = func(runID int64) (RunProgress, bool) { return live, runID == ok.ID }
	e.ref.current = func() (RunProgress, bool) { return live, true }
	_, frag := e.get(e.admin, runPath(ok.ID)+"/progress")
	mustContain(t, "live fragment", frag, `hx-get="`+runPath(ok.ID)+`/progress"`, `hx-trigger="every 1s"`, `max="2" value="1"`,
		`data-testid="progress-calls">12<`, `data-testid="progress-rows">340<`, "1 (2s)", "insights adset page 2")
	if strings.Contains(frag, "<html") {
		t.Errorf("the fragment is a whole page")
	}
	if _, body := e.get(e.admin, "/admin"); !strings.Contains(body, `hx-trigger="every 1s"`) {
		t.Errorf("the admin overview does not show the running run")
	}
	live.Status, live.FinishedAt, live.AccountsDone = store.RunSucceeded, time.Now(), 2
	_, frag = e.get(e.admin, runPath(ok.ID)+"/progress")
	if strings.Contains(frag, "hx-trigger") || !strings.Contains(frag, `data-status="succeeded"`) {
		t.Errorf("the finished fragment still polls, or does not say succeeded")
	}

	// Paging: 25 a page, newest first.
	for range 30 {
		seedRun(t, e.db, store.TriggerSchedule, 0, store.RunSucceeded, map[string]string{"3": ""})
	}
	_, page1 := e.get(e.admin, "/admin/runs?trigger=schedule")
	_, page2 := e.get(e.admin, "/admin/runs?trigger=schedule&page=2")
	if n1, n2 := len(rows(page1)), len(rows(page2)); n1 != 25 || n2 != 6 {
		t.Errorf("pages: got %d and %d runs, want 25 and 6", n1, n2)
	}
	mustContain(t, "page 1", page1, `data-testid="runs-next"`, "page=2&amp;trigger=schedule")
	mustContain(t, "page 2", page2, `data-testid="runs-prev"`)
}
