package collector

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadlens/leadlens/metasim"
	"github.com/leadlens/leadlens/store"
)

// waitFor polls cond every few milliseconds for up to 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stepContains reports whether any account of the current run is at a step containing s.
func (f *fixture) stepContains(s string) bool {
	p, ok := f.svc.Current()
	if !ok {
		return false
	}
	for _, a := range p.Accounts {
		if strings.Contains(a.Step, s) {
			return true
		}
	}
	return false
}

func TestOneRunAtATime(t *testing.T) {
	f := newFixture(t, smallWorld(), nil)
	ctx := context.Background()
	if _, err := f.sim.AddFault(metasim.Fault{Kind: metasim.FaultSlow, Request: metasim.RequestAccount, Times: 1, Delay: time.Second}); err != nil {
		t.Fatal(err)
	}
	const n = 5
	ids, already, errs := make([]int64, n), make([]bool, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ids[i], already[i], errs[i] = f.svc.Trigger(ctx, Request{Trigger: store.TriggerManual, StartedBy: "admin@example.com"})
		})
	}
	wg.Wait()
	started := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Trigger %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Errorf("Trigger %d: got run %d, want the same run %d", i, ids[i], ids[0])
		}
		if !already[i] {
			started++
		}
	}
	if started != 1 {
		t.Errorf("runs started by %d concurrent triggers: got %d, want 1", n, started)
	}
	p, ok := f.svc.Current()
	if !ok || p.RunID != ids[0] || p.Status != store.RunRunning || p.AccountsTotal != 3 || p.StartedBy != "admin@example.com" {
		t.Errorf("Current: got %v %+v, want run %d running over 3 accounts", ok, p, ids[0])
	}
	res, err := f.svc.Run(ctx, Request{Trigger: store.TriggerCLI})
	if !errors.Is(err, ErrRunInProgress) || res.RunID != ids[0] {
		t.Errorf("Run while running: got run %d, %v; want run %d, ErrRunInProgress", res.RunID, err, ids[0])
	}
	f.svc.scheduled() // a cron tick during a manual run starts nothing
	if err := f.svc.Wait(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.svc.Current(); ok {
		t.Errorf("Current after the run: got a run, want none")
	}
	p, ok = f.svc.Progress(ids[0])
	if !ok || p.Status != store.RunSucceeded || p.AccountsDone != 3 || p.FinishedAt.IsZero() {
		t.Errorf("Progress after the run: got %v %s done %d/%d, want succeeded 3/3", ok, p.Status, p.AccountsDone, p.AccountsTotal)
	}
	runs, err := f.db.Runs(ctx, store.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Trigger != store.TriggerManual {
		t.Errorf("recorded runs: got %d, want 1 manual run", len(runs))
	}
	// a later run is a new run; the old one is still readable from the store
	res = f.run(Request{})
	if res.RunID == ids[0] {
		t.Errorf("a run after the first: got the same id %d", res.RunID)
	}
	if old, ok := f.svc.Progress(ids[0]); !ok || old.Status != store.RunSucceeded || len(old.Accounts) != 3 {
		t.Errorf("Progress of an older run: got %v %+v, want it from the store", ok, old)
	}
}

func TestCancelledPassLeavesTheStoreUnchanged(t *testing.T) {
	f := newFixture(t, smallWorld(), nil)
	if res := f.run(Request{}); res.Status != store.RunSucceeded {
		t.Fatalf("first run: got %s, want succeeded", res.Status)
	}
	before := map[string]map[string][]store.InsightRow{}
	for _, a := range f.world.Accounts {
		before[a.ID] = f.rows(a.ID, f.backfillSpan(a))
	}
	f.sim.Restate()
	if _, err := f.sim.AddFault(metasim.Fault{Kind: metasim.FaultSlow, Request: metasim.RequestInsights, Level: "adset", Delay: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan RunResult, 1)
	go func() {
		res, err := f.svc.Run(ctx, Request{})
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		done <- res
	}()
	// the account and campaign levels of the window are staged by now
	waitFor(t, "the ad-set level to be requested", func() bool { return f.stepContains("insights adset") })
	cancel()
	var res RunResult
	select {
	case res = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the cancelled run did not return")
	}
	if res.Status != store.RunCancelled {
		t.Errorf("run status: got %s, want cancelled", res.Status)
	}
	for _, a := range res.Accounts {
		if a.Status != store.RunCancelled {
			t.Errorf("account %s: got %s, want cancelled", a.AccountID, a.Status)
		}
	}
	for _, a := range f.world.Accounts {
		f.assertUnchanged(a.ID, before[a.ID])
	}
	rec, err := f.db.RunByID(context.Background(), res.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != store.RunCancelled || rec.FinishedAt.IsZero() {
		t.Errorf("recorded run: got %s finished %v, want cancelled with an end", rec.Status, rec.FinishedAt)
	}
	for _, a := range rec.Accounts {
		if a.Status != store.RunCancelled {
			t.Errorf("recorded account %s: got %s, want cancelled", a.AccountID, a.Status)
		}
	}
	if n, err := f.db.CleanStaleLoads(context.Background()); err != nil || n != 0 {
		t.Errorf("staged rows left: got %d (%v), want 0", n, err)
	}
}

func TestStopCancelsTheRunningPassAndWaits(t *testing.T) {
	f := newFixture(t, smallWorld(), nil)
	if _, err := f.sim.AddFault(metasim.Fault{Kind: metasim.FaultSlow, Request: metasim.RequestInsights, Delay: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	id, _, err := f.svc.Trigger(context.Background(), Request{Trigger: store.TriggerManual})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "insights to be requested", func() bool { return f.stepContains("insights") })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := f.svc.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Stop took %v, want it to cancel the slow requests at once", d)
	}
	rec, err := f.db.RunByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != store.RunCancelled {
		t.Errorf("run after Stop: got %s, want cancelled (recorded before Stop returned)", rec.Status)
	}
	if _, _, err := f.svc.Trigger(context.Background(), Request{}); err == nil {
		t.Errorf("Trigger after Stop: got nil, want an error")
	}
}

func TestScheduleSkipsWhileRunningAndStops(t *testing.T) {
	if _, err := New(Config{Store: &store.DB{}, Schedule: "every hour"}); err == nil ||
		!strings.Contains(err.Error(), "LEADLENS_SCHEDULE") || !strings.Contains(err.Error(), DefaultSchedule) {
		t.Errorf("a bad schedule: got %v, want an error naming LEADLENS_SCHEDULE with an example", err)
	}
	f := newFixture(t, smallWorld(), func(c *Config) { c.Schedule = "@every 1s" })
	ctx := context.Background()
	// leftovers of a process that died mid-pass
	stale, err := f.db.CreateRun(ctx, store.NewRun{Trigger: store.TriggerSchedule, Pending: []string{f.world.Accounts[0].ID}})
	if err != nil {
		t.Fatal(err)
	}
	load, err := f.db.BeginWindow(ctx, f.world.Accounts[0].ID, "2026-03-01", "2026-03-01")
	if err != nil {
		t.Fatal(err)
	}
	if err := load.Add(ctx, []store.InsightRow{{Level: "account", Date: "2026-03-01", ObjectID: f.world.Accounts[0].ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.sim.AddFault(metasim.Fault{Kind: metasim.FaultSlow, Request: metasim.RequestInsights, Delay: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if rec, _ := f.db.RunByID(ctx, stale.ID); rec.Status != store.RunCancelled || rec.Error != store.InterruptedRunError {
		t.Errorf("a run left running: got %s %q, want cancelled %q", rec.Status, rec.Error, store.InterruptedRunError)
	}
	if n, _ := f.db.CleanStaleLoads(ctx); n != 0 {
		t.Errorf("staging left by a dead process: got %d rows after Start, want 0", n)
	}
	waitFor(t, "the scheduled run", func() bool { return f.stepContains("insights") })
	time.Sleep(1300 * time.Millisecond) // at least one more tick while the run is in progress
	runs, err := f.db.Runs(ctx, store.RunFilter{Trigger: store.TriggerSchedule})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].Status != store.RunRunning {
		t.Fatalf("scheduled runs: got %d (newest %s), want the stale one and one running", len(runs), runs[0].Status)
	}
	if !strings.Contains(f.logs.String(), "skipped") {
		t.Errorf("the log does not mention the skipped tick")
	}
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := f.svc.Stop(sctx); err != nil {
		t.Fatal(err)
	}
	if rec, _ := f.db.RunByID(ctx, runs[0].ID); rec.Status != store.RunCancelled {
		t.Errorf("the scheduled run after Stop: got %s, want cancelled", rec.Status)
	}
}

func TestPacingObserverAndLogs(t *testing.T) {
	var mu sync.Mutex
	calls, rows, finished, pacing := 0, 0, []string{}, 0
	obs := ObserverFuncs{
		OnGraphCall: func(op, result string, d time.Duration) { mu.Lock(); calls++; mu.Unlock() },
		OnRowsWritten: func(level string, n int) {
			mu.Lock()
			rows += n
			mu.Unlock()
		},
		OnRunFinished:  func(status string, d time.Duration) { mu.Lock(); finished = append(finished, status); mu.Unlock() },
		OnThrottleWait: func(reason string, d time.Duration) { mu.Lock(); pacing++; mu.Unlock() },
	}
	// usage headers climb past 85% of a budget of 10 calls per account (not enforced; a pass makes 13)
	f := newFixture(t, metasim.Options{Seed: 7, CallBudget: 10}, func(c *Config) { c.Observer = obs })
	res := f.run(Request{})
	if res.Status != store.RunSucceeded {
		t.Fatalf("run: got %s (%s), want succeeded", res.Status, res.Error)
	}
	for _, a := range res.Accounts {
		if a.ThrottleWaits == 0 || !strings.HasPrefix(a.LastWait, "pacing: usage") {
			t.Errorf("account %s: got %d waits, last %q; want pacing waits past 85%%", a.AccountID, a.ThrottleWaits, a.LastWait)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if int64(calls) != res.Calls || int64(rows) != res.Rows || len(finished) != 1 || finished[0] != store.RunSucceeded || pacing != res.ThrottleWaits {
		t.Errorf("observer: got %d calls, %d rows, runs %v, %d waits; want %d, %d, [succeeded], %d",
			calls, rows, finished, pacing, res.Calls, res.Rows, res.ThrottleWaits)
	}
	for line := range strings.SplitSeq(f.logs.String(), "\n") {
		if strings.Contains(line, "collector: waiting") || strings.Contains(line, "collector: window stored") {
			if !strings.Contains(line, "run_id=") || !strings.Contains(line, "account=act_") {
				t.Errorf("a log line without run_id and account: %s", line)
			}
		}
	}
}

func TestAPanicFailsTheAccountNotTheService(t *testing.T) {
	f := newFixture(t, metasim.Options{Seed: 7, Accounts: 2}, func(c *Config) {
		c.Observer = ObserverFuncs{OnRowsWritten: func(string, int) { panic("boom") }}
	})
	res := f.run(Request{})
	if res.Status != store.RunFailed {
		t.Errorf("run with a panicking observer: got %s, want failed", res.Status)
	}
	for _, a := range res.Accounts {
		if a.Status != store.RunFailed || !strings.Contains(a.Error, "internal error: boom") || !strings.Contains(a.Advice, "bug") {
			t.Errorf("account %s: got %s %q %q, want failed with the panic and advice", a.AccountID, a.Status, a.Error, a.Advice)
		}
	}
	if _, ok := f.svc.Current(); ok {
		t.Fatalf("after the run: a run is still in progress")
	}
	if _, err := f.svc.Run(context.Background(), Request{}); err != nil {
		t.Errorf("the next run: got %v, want it to start", err)
	}
}
