package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/leadlens/leadlens/store"
)

func TestClientStatus(t *testing.T) {
	db, f := openFixture(t)
	ctx := context.Background()
	st, err := db.ClientStatus(ctx, f.Acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Accounts) != 2 || !st.EverRead() || st.Running != nil || !st.LastSuccess().IsZero() {
		t.Fatalf("got %+v, want two read accounts, no run, no success yet", st)
	}
	t0 := time.Date(2026, 11, 4, 9, 0, 0, 0, time.UTC)
	if err := db.RecordAccountOutcome(ctx, "1", t0, ""); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordAccountOutcome(ctx, "2", t0.Add(time.Hour), ""); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordAccountOutcome(ctx, "2", t0.Add(2*time.Hour), "Meta said: the token expired; re-authenticate"); err != nil {
		t.Fatal(err)
	}
	st, _ = db.ClientStatus(ctx, f.Acme.ID)
	if got := st.LastSuccess(); !got.Equal(t0.Add(time.Hour)) {
		t.Errorf("last success got %v, want %v", got, t0.Add(time.Hour))
	}
	if st.Accounts[0].Failing() || !st.Accounts[1].Failing() {
		t.Errorf("failing got %v/%v, want false/true", st.Accounts[0].Failing(), st.Accounts[1].Failing())
	}

	// Runs: one for another client does not cover acme; one reading account 2 does.
	if _, err := db.CreateRun(ctx, store.NewRun{Trigger: store.TriggerManual, ClientID: f.Other.ID, Pending: []string{"3"}}); err != nil {
		t.Fatal(err)
	}
	st, _ = db.ClientStatus(ctx, f.Acme.ID)
	if st.Running != nil {
		t.Fatalf("another client's run: got %+v, want none", st.Running)
	}
	r, err := db.CreateRun(ctx, store.NewRun{Trigger: store.TriggerCLI, AccountIDs: []string{"3", "2"}})
	if err != nil {
		t.Fatal(err)
	}
	st, _ = db.ClientStatus(ctx, f.Acme.ID)
	if st.Running == nil || st.Running.ID != r.ID {
		t.Fatalf("a run over account 2: got %+v, want run %d", st.Running, r.ID)
	}
	if err := db.FinishRun(ctx, r.ID, store.RunTotals{Status: "succeeded"}); err != nil {
		t.Fatal(err)
	}
	all, err := db.CreateRun(ctx, store.NewRun{Trigger: store.TriggerSchedule})
	if err != nil {
		t.Fatal(err)
	}
	st, _ = db.ClientStatus(ctx, f.Acme.ID)
	if st.Running == nil || st.Running.ID != all.ID {
		t.Fatalf("a run for everyone: got %+v, want run %d", st.Running, all.ID)
	}

	fresh, err := db.CreateClient(ctx, store.NewClient{Name: "New", AdAccounts: []string{"act_55"}})
	if err != nil {
		t.Fatal(err)
	}
	st, _ = db.ClientStatus(ctx, fresh.ID)
	if len(st.Accounts) != 1 || st.EverRead() {
		t.Errorf("new client: got %+v, want one never-read account", st)
	}
}
