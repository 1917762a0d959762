package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestRunLifecycle(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	c, err := db.CreateClient(ctx, NewClient{Name: "Acme", AdAccounts: []string{"act_1", "act_2"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateClient(ctx, NewClient{Name: "Other", AdAccounts: []string{"act_3"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateRun(ctx, NewRun{Trigger: "hourly"}); !IsValidation(err) {
		t.Fatalf("CreateRun with a bad trigger: got %v, want a validation error", err)
	}
	r, err := db.CreateRun(ctx, NewRun{Trigger: TriggerManual, StartedBy: "admin@example.com", ClientID: c.ID,
		APIVersion: "v21.0", Pending: []string{"1", "2"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.ID == 0 || r.Status != RunRunning {
		t.Fatalf("created run: got id %d status %q, want an id and running", r.ID, r.Status)
	}
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	if err := db.UpdateRunAccount(ctx, RunAccount{RunID: r.ID, AccountID: "1", Status: RunSucceeded, Step: "done",
		Since: "2026-02-01", Until: "2026-03-01", GraphCalls: 12, RowsWritten: 340, ThrottleWaitMS: 5,
		StartedAt: start, FinishedAt: start.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateRunAccount(ctx, RunAccount{RunID: r.ID, AccountID: "2", Status: "exploded"}); !IsValidation(err) {
		t.Fatalf("UpdateRunAccount with a bad status: got %v, want a validation error", err)
	}
	if err := db.FinishRun(ctx, r.ID, RunTotals{Status: RunPartial, GraphCalls: 13, RowsWritten: 340, Error: "1 of 2 accounts failed"}); err != nil {
		t.Fatal(err)
	}
	got, err := db.RunByID(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != RunPartial || got.GraphCalls != 13 || got.RowsWritten != 340 || got.FinishedAt.IsZero() || got.ClientID != c.ID {
		t.Fatalf("finished run: got %+v, want partial, 13 calls, 340 rows, a finish time, client %d", got, c.ID)
	}
	if len(got.Accounts) != 2 {
		t.Fatalf("run accounts: got %d, want 2", len(got.Accounts))
	}
	a1, a2 := got.Accounts[0], got.Accounts[1]
	if a1.Status != RunSucceeded || a1.RowsWritten != 340 || a1.GraphCalls != 12 || !a1.StartedAt.Equal(start) {
		t.Fatalf("account 1: got %+v, want succeeded with 340 rows, 12 calls, started %v", a1, start)
	}
	// an account that never finished is failed by the run's end
	if a2.Status != RunFailed || a2.FinishedAt.IsZero() {
		t.Fatalf("account 2: got status %q finished %v, want failed with a finish time", a2.Status, a2.FinishedAt)
	}
	if _, err := db.RunByID(ctx, 9999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("RunByID(9999): got %v, want ErrNotFound", err)
	}

	// A second run on the other client, still running when the "process dies".
	r2, err := db.CreateRun(ctx, NewRun{Trigger: TriggerSchedule, Pending: []string{"3"}})
	if err != nil {
		t.Fatal(err)
	}
	runs, err := db.Runs(ctx, RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].ID != r2.ID {
		t.Fatalf("Runs: got %d runs, first %d, want 2 newest first (%d)", len(runs), runs[0].ID, r2.ID)
	}
	for _, tc := range []struct {
		f    RunFilter
		want int
	}{
		{RunFilter{Status: RunRunning}, 1},
		{RunFilter{Trigger: TriggerManual}, 1},
		{RunFilter{ClientID: c.ID}, 1},
		{RunFilter{Limit: 1, Offset: 1}, 1},
		{RunFilter{Status: RunFailed}, 0},
	} {
		got, err := db.Runs(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tc.want {
			t.Errorf("Runs(%+v): got %d, want %d", tc.f, len(got), tc.want)
		}
	}
	n, err := db.MarkInterruptedRuns(ctx)
	if err != nil || n != 1 {
		t.Fatalf("MarkInterruptedRuns: got %d, %v, want 1, nil", n, err)
	}
	got2, err := db.RunByID(ctx, r2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got2.Status != RunCancelled || got2.Error != InterruptedRunError || got2.Accounts[0].Status != RunCancelled {
		t.Fatalf("interrupted run: got %q %q account %q, want cancelled, %q, cancelled", got2.Status, got2.Error,
			got2.Accounts[0].Status, InterruptedRunError)
	}
	// the finished run is untouched
	if again, _ := db.RunByID(ctx, r.ID); again.Status != RunPartial {
		t.Fatalf("finished run after MarkInterruptedRuns: got %q, want partial", again.Status)
	}
}
