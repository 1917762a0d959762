package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/leadlens/leadlens/store"
	"github.com/leadlens/leadlens/views"
)

// runsPerPage is the run history's page size.
const runsPerPage = 25

func runPath(id int64) string { return "/admin/runs/" + strconv.FormatInt(id, 10) }

// refreshForm is a "refresh now" button for everything, a client (slug) or one of its accounts.
func (h *Handler) refreshForm(clientSlug, account, label, testID string) views.RefreshForm {
	f := views.RefreshForm{Action: "/admin/refresh", Client: clientSlug, Account: account, Label: label, TestID: testID}
	if h.refresher == nil {
		f.Disabled = "No collector runs in this process."
	}
	return f
}

// refreshAction is the dashboard's "refresh now" for callers who may refresh (admins and
// members); nil for everyone else or without a collector.
func (h *Handler) refreshAction(r *http.Request, c store.Client) *views.Action {
	if h.refresher == nil || !principalFrom(r.Context()).CanRefresh() {
		return nil
	}
	return &views.Action{Label: "Refresh now", Href: "/clients/" + url.PathEscape(c.Slug) + "/refresh"}
}

// startRefresh asks the collector for a run and logs who asked. ok is false when the answer
// was already written (a refused request is flashed and redirected to back).
func (h *Handler) startRefresh(w http.ResponseWriter, r *http.Request, req RefreshRequest, back string) (int64, bool, bool) {
	if h.refresher == nil {
		h.redirectWith(w, r, back, "bad", "No collector runs in this process, so nothing can be refreshed from here.")
		return 0, false, false
	}
	p := principalFrom(r.Context())
	req.StartedBy = p.Email
	id, running, err := h.refresher.Refresh(r.Context(), req)
	var refused *RefreshRefusedError
	switch {
	case errors.As(err, &refused):
		h.redirectWith(w, r, back, "bad", "Nothing was refreshed: "+refused.Reason+".")
		return 0, false, false
	case err != nil:
		h.fail(w, r, err)
		return 0, false, false
	}
	h.audit(r, "refresh requested", slog.Int64("run_id", id), slog.Bool("already_running", running),
		slog.Int64("client_id", req.ClientID), slog.Any("accounts", req.AccountIDs), slog.String("role", p.Role))
	return id, running, true
}

func refreshMessage(id int64, running bool) string {
	if running {
		return fmt.Sprintf("A run is already in progress (run #%d): here it is. Refresh again when it has finished.", id)
	}
	return fmt.Sprintf("Run #%d started.", id)
}

// adminRefresh is POST /admin/refresh: everything, one client (client=slug) or one ad account
// (account=act_…, with its client). The answer is the run's page, live.
func (h *Handler) adminRefresh(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	var req RefreshRequest
	back := "/admin/runs"
	if slug := r.PostForm.Get("client"); slug != "" {
		c, err := h.db.ClientBySlug(r.Context(), slug)
		if errors.Is(err, store.ErrNotFound) {
			h.redirectWith(w, r, back, "bad", "Nothing was refreshed: there is no client "+strconv.Quote(slug)+".")
			return
		} else if err != nil {
			h.fail(w, r, err)
			return
		}
		req.ClientID, back = c.ID, adminClientPath(c)
	}
	if acct := r.PostForm.Get("account"); acct != "" {
		req.AccountIDs = []string{acct}
	}
	id, running, ok := h.startRefresh(w, r, req, back)
	if !ok {
		return
	}
	h.redirectWith(w, r, runPath(id), "info", refreshMessage(id, running))
}

// clientRefresh is POST /clients/{slug}/refresh: the dashboard's button, for admins and
// members (viewers may not refresh). Admins go to the run's page; members, who do not see the
// admin pages, back to the dashboard, which shows the sync running.
func (h *Handler) clientRefresh(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	if !p.CanRefresh() {
		h.fail(w, r, errForbidden("Only admins and members may refresh data."))
		return
	}
	c := clientFrom(r.Context())
	dash := "/clients/" + url.PathEscape(c.Slug)
	id, running, ok := h.startRefresh(w, r, RefreshRequest{ClientID: c.ID}, dash)
	if !ok {
		return
	}
	if p.IsAdmin() {
		h.redirectWith(w, r, runPath(id), "info", refreshMessage(id, running))
		return
	}
	msg := "Refreshing " + c.Name + " from Meta; the numbers update when the sync has finished."
	if running {
		msg = "A sync is already running; refresh again when it has finished to be sure this client's numbers are current."
	}
	h.redirectWith(w, r, dash, "info", msg)
}

// runStatuses and runTriggers are the run history's filter choices.
var (
	runStatuses = []string{store.RunRunning, store.RunSucceeded, store.RunPartial, store.RunFailed, store.RunCancelled}
	runTriggers = []string{store.TriggerSchedule, store.TriggerManual, store.TriggerBackfill, store.TriggerCLI}
)

func options(values []string, selected string) []views.RunOption {
	out := []views.RunOption{{Value: "", Label: "all", Selected: selected == ""}}
	for _, v := range values {
		out = append(out, views.RunOption{Value: v, Label: v, Selected: v == selected})
	}
	return out
}

// adminRuns is GET /admin/runs?status=&trigger=&client=&page=: the run history, newest first.
func (h *Handler) adminRuns(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	f := store.RunFilter{Status: q.Get("status"), Trigger: q.Get("trigger"), Limit: runsPerPage + 1}
	if f.Status != "" && !slices.Contains(runStatuses, f.Status) {
		h.fail(w, r, errBadRequest("status: "+strconv.Quote(f.Status)+" is not a run status."))
		return
	}
	if f.Trigger != "" && !slices.Contains(runTriggers, f.Trigger) {
		h.fail(w, r, errBadRequest("trigger: "+strconv.Quote(f.Trigger)+" is not a run trigger."))
		return
	}
	page := 1
	if s := q.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100000 {
			h.fail(w, r, errBadRequest("page: "+strconv.Quote(s)+" is not a page number."))
			return
		}
		page = n
	}
	f.Offset = (page - 1) * runsPerPage
	clients, err := h.db.Clients(ctx, true)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	slug := q.Get("client")
	clientOpts := []views.RunOption{{Value: "", Label: "all", Selected: slug == ""}}
	for _, c := range clients {
		clientOpts = append(clientOpts, views.RunOption{Value: c.Slug, Label: c.Name, Selected: c.Slug == slug})
		if c.Slug == slug {
			f.ClientID = c.ID
		}
	}
	if slug != "" && f.ClientID == 0 {
		h.fail(w, r, errBadRequest("client: there is no client "+strconv.Quote(slug)+"."))
		return
	}
	runs, err := h.db.Runs(ctx, f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, a := h.adminPage(r, "Runs")
	v := views.AdminRuns{Admin: a, Statuses: options(runStatuses, f.Status), Triggers: options(runTriggers, f.Trigger),
		Clients: clientOpts, Refresh: h.refreshForm("", "", "Refresh everything", "refresh-all")}
	more := len(runs) > runsPerPage
	runs = runs[:min(len(runs), runsPerPage)]
	names := h.clientNames(ctx)
	for _, run := range runs {
		v.Rows = append(v.Rows, h.runRow(run, names))
	}
	pageURL := func(n int) string {
		u := url.Values{}
		for _, k := range []string{"status", "trigger", "client"} {
			if q.Get(k) != "" {
				u.Set(k, q.Get(k))
			}
		}
		if n > 1 {
			u.Set("page", strconv.Itoa(n))
		}
		if len(u) == 0 {
			return "/admin/runs"
		}
		return "/admin/runs?" + u.Encode()
	}
	if page > 1 {
		v.Prev = pageURL(page - 1)
	}
	if more {
		v.Next = pageURL(page + 1)
	}
	v.PageText = "page " + strconv.Itoa(page)
	if cur, ok := h.currentRun(); ok && page == 1 {
		v.Current = &cur
	}
	h.render(w, r, http.StatusOK, views.AdminRunsPage(p, v))
}

// adminRun is GET /admin/runs/{id}: the run's figures and every account's outcome with Meta's
// error and what to do; live (polling its progress fragment) while the run runs.
func (h *Handler) adminRun(w http.ResponseWriter, r *http.Request) {
	run, err := h.runByParam(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx := r.Context()
	rp := h.runProgress(ctx, run)
	p, a := h.adminPage(r, "Run #"+strconv.FormatInt(run.ID, 10))
	v := views.AdminRun{Admin: a, ID: strconv.FormatInt(run.ID, 10), Trigger: run.Trigger, StartedBy: orDash(run.StartedBy),
		Scope: h.runScope(run, h.clientNames(ctx)), Version: orDash(run.APIVersion), Progress: h.progressView(ctx, rp)}
	seen := map[int64]bool{}
	ids := []int64{run.ClientID}
	for _, ap := range rp.Accounts {
		if acct, err := h.db.AdAccount(ctx, ap.AccountID); err == nil {
			ids = append(ids, acct.ClientID)
		}
	}
	for _, id := range ids {
		if id == 0 || seen[id] {
			continue
		}
		seen[id] = true
		if c, err := h.db.ClientByID(ctx, id); err == nil {
			v.Dashboard = append(v.Dashboard, views.Link{Label: c.Name + " dashboard", Href: "/clients/" + url.PathEscape(c.Slug),
				TestID: "dashboard-" + c.Slug})
		}
	}
	h.render(w, r, http.StatusOK, views.AdminRunPage(p, v))
}

// adminRunProgress is GET /admin/runs/{id}/progress: the progress fragment the run page polls
// every second until the run has finished.
func (h *Handler) adminRunProgress(w http.ResponseWriter, r *http.Request) {
	run, err := h.runByParam(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.render(w, r, http.StatusOK, views.RunProgressPanel(h.progressView(r.Context(), h.runProgress(r.Context(), run))))
}

func (h *Handler) runByParam(r *http.Request) (store.Run, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return store.Run{}, errNotFound("There is no run with this number.")
	}
	return h.db.RunByID(r.Context(), id)
}

// runProgress is a run's progress: live from the collector while it runs, else as recorded.
func (h *Handler) runProgress(ctx context.Context, run store.Run) RunProgress {
	if h.refresher != nil {
		if p, ok := h.refresher.Progress(run.ID); ok {
			return p
		}
	}
	p := RunProgress{RunID: run.ID, Trigger: run.Trigger, StartedBy: run.StartedBy, Status: run.Status, Error: run.Error,
		APIVersion: run.APIVersion, StartedAt: run.StartedAt, FinishedAt: run.FinishedAt, AccountsTotal: len(run.Accounts),
		Calls: run.GraphCalls, Rows: run.RowsWritten, ThrottleWait: time.Duration(run.ThrottleWaitMS) * time.Millisecond}
	for _, a := range run.Accounts {
		p.Accounts = append(p.Accounts, AccountProgress{AccountID: a.AccountID, Status: a.Status, Step: a.Step, Rows: a.RowsWritten,
			Calls: a.GraphCalls, ThrottleWait: time.Duration(a.ThrottleWaitMS) * time.Millisecond, Error: a.Error, Advice: a.Advice, ErrorCode: a.ErrorCode})
		if a.Status != store.RunPending && a.Status != store.RunRunning {
			p.AccountsDone++
		}
	}
	return p
}

// currentRun is the progress view of the run in progress, if any.
func (h *Handler) currentRun() (views.RunProgress, bool) {
	if h.refresher == nil {
		return views.RunProgress{}, false
	}
	p, ok := h.refresher.Current()
	if !ok {
		return views.RunProgress{}, false
	}
	return h.progressView(context.Background(), p), true
}

// progressView formats a run's progress for the page.
func (h *Handler) progressView(ctx context.Context, p RunProgress) views.RunProgress {
	id := strconv.FormatInt(p.RunID, 10)
	v := views.RunProgress{ID: id, Href: runPath(p.RunID), Running: p.Status == store.RunRunning, Status: p.Status, Badge: runBadge(p.Status),
		Started: stampTime(p.StartedAt), Finished: stampTime(p.FinishedAt), AccountsDone: p.AccountsDone, AccountsTotal: p.AccountsTotal,
		Calls: grouped(p.Calls), Rows: grouped(p.Rows), Waits: waits(p.ThrottleWaits, p.ThrottleWait), Error: p.Error}
	if v.Running {
		v.PollURL = runPath(p.RunID) + "/progress"
		v.Elapsed = "running for " + h.now().Sub(p.StartedAt).Round(time.Second).String()
	} else {
		v.Elapsed = "took " + p.FinishedAt.Sub(p.StartedAt).Round(time.Millisecond).String()
	}
	for _, a := range p.Accounts {
		name := a.Name
		if name == "" {
			if acct, err := h.db.AdAccount(ctx, a.AccountID); err == nil {
				name = acct.Name
			}
		}
		row := views.AccountProgressRow{ActID: "act_" + a.AccountID, Name: name, Status: a.Status, Badge: runBadge(a.Status),
			Step: a.Step, Plan: a.Plan, Rows: grouped(a.Rows), Calls: grouped(a.Calls), Waits: waits(a.ThrottleWaits, a.ThrottleWait),
			LastWait: a.LastWait, Error: a.Error, Advice: a.Advice, TestID: "run-account-" + a.AccountID}
		if a.ErrorCode != 0 {
			row.ErrorCode = strconv.Itoa(a.ErrorCode)
		}
		v.Accounts = append(v.Accounts, row)
	}
	return v
}

func waits(n int, d time.Duration) string {
	if n == 0 && d == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%s)", n, d.Round(100*time.Millisecond))
}

func runBadge(status string) string {
	switch status {
	case store.RunSucceeded:
		return "ok"
	case store.RunPartial:
		return "warn"
	case store.RunFailed:
		return "bad"
	case store.RunRunning:
		return "ctx"
	}
	return ""
}

// clientNames maps client ids to names for run scopes; an error leaves ids shown as numbers.
func (h *Handler) clientNames(ctx context.Context) map[int64]string {
	out := map[int64]string{}
	if cs, err := h.db.Clients(ctx, true); err == nil {
		for _, c := range cs {
			out[c.ID] = c.Name
		}
	}
	return out
}

// runScope says what a run read.
func (h *Handler) runScope(run store.Run, names map[int64]string) string {
	s := "everything"
	if run.ClientID != 0 {
		s = names[run.ClientID]
		if s == "" {
			s = "client #" + strconv.FormatInt(run.ClientID, 10)
		}
	}
	if len(run.AccountIDs) > 0 {
		accts := ""
		for i, a := range run.AccountIDs {
			if i > 0 {
				accts += ", "
			}
			accts += "act_" + a
		}
		if run.ClientID != 0 {
			return s + ": " + accts
		}
		return accts
	}
	if run.Since != "" {
		s += " " + run.Since + ".." + run.Until
	}
	return s
}

// runRow is a run in the history.
func (h *Handler) runRow(run store.Run, names map[int64]string) views.RunRow {
	id := strconv.FormatInt(run.ID, 10)
	row := views.RunRow{ID: id, Href: runPath(run.ID), Trigger: run.Trigger, StartedBy: run.StartedBy, Scope: h.runScope(run, names),
		Status: run.Status, Badge: runBadge(run.Status), Started: stampTime(run.StartedAt),
		Calls: grouped(run.GraphCalls), Rows: grouped(run.RowsWritten), TestID: "run-" + id,
		Waits: (time.Duration(run.ThrottleWaitMS) * time.Millisecond).Round(100 * time.Millisecond).String()}
	if run.FinishedAt.IsZero() {
		row.Duration = "running"
	} else {
		row.Duration = run.Duration(h.now()).Round(time.Millisecond).String()
	}
	row.Error = truncateText(run.Error, 200)
	return row
}

// truncateText shortens s to at most n runes, marking the cut.
func truncateText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
