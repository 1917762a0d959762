package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// forwardingFixture is a client with a page on a fresh database, and a way to log its events.
type forwardingFixture struct {
	db     *DB
	client Client
}

func newForwardingFixture(t *testing.T) forwardingFixture {
	t.Helper()
	db := openTest(t)
	c, err := db.CreateClient(context.Background(), NewClient{Name: "Acme", AdAccounts: []string{"1"}, Pages: []string{"111"}})
	if err != nil {
		t.Fatal(err)
	}
	return forwardingFixture{db: db, client: c}
}

// log stores n lead_submitted events through the event API's own write path and returns their ids.
func (f forwardingFixture) log(t *testing.T, n int, at time.Time) []int64 {
	t.Helper()
	b := EventBatch{ClientID: f.client.ID, PageID: "111", PSID: "999", ReceivedAt: at}
	for i := range n {
		b.Events = append(b.Events, NewEvent{Name: "lead_submitted", EventTime: at, IdemKey: fmt.Sprint("k", at.UnixNano(), "-", i)})
	}
	res, err := f.db.InsertEventBatches(context.Background(), []EventBatch{b})
	if err != nil || res[0].Err != nil {
		t.Fatalf("insert events: %v %v", err, res)
	}
	ids := make([]int64, n)
	for i, e := range res[0].Events {
		ids[i] = e.ID
	}
	return ids
}

func TestSetForwardingValidation(t *testing.T) {
	f := newForwardingFixture(t)
	ctx := context.Background()
	tok := []byte("sealed")
	tests := []struct {
		name               string
		mode, dataset, app string
		token              []byte
		field              string
	}{
		{"unknown mode", "pixel", "", "", tok, "mode"},
		{"capi without dataset", ForwardCAPI, "", "", tok, "dataset_id"},
		{"capi with a bad dataset", ForwardCAPI, "ds-1", "", tok, "dataset_id"},
		{"legacy without app", ForwardLegacy, "", "", tok, "app_id"},
		{"legacy with a bad app", ForwardLegacy, "", "12a", tok, "app_id"},
		{"capi without any token", ForwardCAPI, "123", "", nil, "token"},
		{"empty token", ForwardCAPI, "123", "", []byte{}, "token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.db.SetForwarding(ctx, f.client.ID, tc.mode, tc.dataset, tc.app, tc.token)
			var v *ValidationError
			if !errors.As(err, &v) || v.Field != tc.field {
				t.Fatalf("got %v, want a validation error on %s", err, tc.field)
			}
			if got, _ := f.db.Forwarding(ctx, f.client.ID); got.Mode != ForwardOff || !got.UpdatedAt.IsZero() {
				t.Fatalf("got %+v after a refused save, want nothing saved", got)
			}
		})
	}
	if _, err := f.db.SetForwarding(ctx, 9999, ForwardOff, "", "", nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown client: got %v, want ErrNotFound", err)
	}
	// Off needs no token; a later capi save then does.
	if c, err := f.db.SetForwarding(ctx, f.client.ID, ForwardOff, "", "", nil); err != nil || c.Mode != ForwardOff || c.HasToken {
		t.Fatalf("off: got %+v %v, want off without a token", c, err)
	}
}

func TestSetForwardingTokenKeptStopCleared(t *testing.T) {
	f := newForwardingFixture(t)
	ctx := context.Background()
	c, err := f.db.SetForwarding(ctx, f.client.ID, ForwardCAPI, " 123 ", "", []byte("sealed-1"))
	if err != nil || c.Mode != ForwardCAPI || c.DatasetID != "123" || !c.HasToken || c.Stopped() {
		t.Fatalf("got %+v %v, want capi on dataset 123 with a token", c, err)
	}
	// Nil keeps the stored token; the app id is kept for a later switch.
	if c, err = f.db.SetForwarding(ctx, f.client.ID, ForwardCAPI, "123", "456", nil); err != nil || !c.HasToken || c.AppID != "456" {
		t.Fatalf("got %+v %v, want the token kept and app id 456", c, err)
	}
	if tok, err := f.db.ForwardingToken(ctx, f.client.ID); err != nil || string(tok) != "sealed-1" {
		t.Fatalf("got token %q %v, want sealed-1", tok, err)
	}
	// A stop guarded by stale settings does nothing; by the current ones it stops.
	if ok, err := f.db.StopForwarding(ctx, f.client.ID, "stale", c.UpdatedAt.Add(-time.Second)); err != nil || ok {
		t.Fatalf("stale stop: got %v %v, want false", ok, err)
	}
	if ok, err := f.db.StopForwarding(ctx, f.client.ID, "Meta refused the token", c.UpdatedAt); err != nil || !ok {
		t.Fatalf("stop: got %v %v, want true", ok, err)
	}
	if c, _ = f.db.Forwarding(ctx, f.client.ID); !c.Stopped() || c.StoppedReason != "Meta refused the token" {
		t.Fatalf("got %+v, want stopped with the reason", c)
	}
	if c, err = f.db.SetForwarding(ctx, f.client.ID, ForwardCAPI, "123", "", []byte("sealed-2")); err != nil || c.Stopped() || c.StoppedReason != "" {
		t.Fatalf("save again: got %+v %v, want the stop cleared", c, err)
	}
	if tok, _ := f.db.ForwardingToken(ctx, f.client.ID); string(tok) != "sealed-2" {
		t.Fatalf("got token %q, want sealed-2", tok)
	}
	if _, err := f.db.ForwardingToken(ctx, 9999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no token: got %v, want ErrNotFound", err)
	}
}

func TestOutboxLifecycle(t *testing.T) {
	f := newForwardingFixture(t)
	ctx := context.Background()
	now := f.db.Now()
	cfg, err := f.db.SetForwarding(ctx, f.client.ID, ForwardCAPI, "123", "", []byte("sealed"))
	if err != nil {
		t.Fatal(err)
	}
	ids := f.log(t, 3, now.Add(-time.Hour))
	if _, err := f.db.w.Exec(`UPDATE lead_events SET value = '9.5', currency = 'EUR', params = '{"k":1}' WHERE id = ?`, ids[0]); err != nil {
		t.Fatal(err)
	}
	due, err := f.db.DueOutbox(ctx, now, 10)
	if err != nil || len(due) != 3 {
		t.Fatalf("got %d due %v, want 3", len(due), err)
	}
	if d := due[0]; d.EventID != ids[0] || d.Name != "lead_submitted" || d.PageID != "111" || d.PSID != "999" ||
		d.Value != "9.5" || d.Currency != "EUR" || d.Params != `{"k":1}` || d.IdemKey == "" || d.Mode != ForwardCAPI ||
		!d.EventTime.Equal(now.Add(-time.Hour)) {
		t.Fatalf("got %+v, want the event's fields", d)
	}
	if due, _ := f.db.DueOutbox(ctx, now, 2); len(due) != 2 {
		t.Fatalf("limit 2: got %d, want 2", len(due))
	}

	updates := []OutboxUpdate{
		{EventID: ids[0], Status: OutboxSent, Attempts: 1, Response: "events_received 1", SentAt: now},
		{EventID: ids[1], Status: OutboxPending, Attempts: 1, NextAttemptAt: now.Add(time.Minute), LastError: "temporary"},
		{EventID: ids[2], Status: OutboxFailed, Attempts: 1, LastError: "rejected", Response: "code 100"},
	}
	if n, err := f.db.MarkOutbox(ctx, updates); err != nil || n != 3 {
		t.Fatalf("mark: got %d %v, want 3", n, err)
	}
	// Settled entries do not change again.
	if n, err := f.db.MarkOutbox(ctx, updates[:1]); err != nil || n != 0 {
		t.Fatalf("mark again: got %d %v, want 0", n, err)
	}
	if _, err := f.db.MarkOutbox(ctx, []OutboxUpdate{{EventID: ids[0], Status: "lost"}}); !IsValidation(err) {
		t.Fatalf("bad status: got %v, want a validation error", err)
	}
	if due, _ := f.db.DueOutbox(ctx, now, 10); len(due) != 0 {
		t.Fatalf("got %d due before the retry time, want 0", len(due))
	}
	if due, _ := f.db.DueOutbox(ctx, now.Add(time.Minute), 10); len(due) != 1 || due[0].Attempts != 1 || due[0].LastError != "temporary" {
		t.Fatalf("got %+v at the retry time, want the retried entry with its attempt", due)
	}
	counts, err := f.db.OutboxCounts(ctx, f.client.ID)
	if err != nil || counts[OutboxSent] != 1 || counts[OutboxPending] != 1 || counts[OutboxFailed] != 1 || counts[OutboxSkipped] != 0 {
		t.Fatalf("got counts %v %v, want 1 sent, 1 pending, 1 failed, 0 skipped", counts, err)
	}
	if all, _ := f.db.OutboxCounts(ctx, 0); all[OutboxSent] != 1 {
		t.Fatalf("all clients: got %v, want 1 sent", all)
	}
	entries, err := f.db.OutboxEntries(ctx, f.client.ID, OutboxFailed, 10)
	if err != nil || len(entries) != 1 || entries[0].EventID != ids[2] || entries[0].Response != "code 100" || entries[0].EventName != "lead_submitted" {
		t.Fatalf("got failed entries %+v %v, want the failed one with Meta's answer", entries, err)
	}
	if entries, _ := f.db.OutboxEntries(ctx, f.client.ID, "", 10); len(entries) != 3 {
		t.Fatalf("got %d entries, want 3", len(entries))
	}
	if sent, _ := f.db.OutboxEntries(ctx, f.client.ID, OutboxSent, 1); len(sent) != 1 || !sent[0].SentAt.Equal(now) {
		t.Fatalf("got %+v, want the sent entry with its time", sent)
	}

	// A stopped client's entries wait; saving the settings again releases them.
	if _, err := f.db.StopForwarding(ctx, f.client.ID, "auth", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if due, _ := f.db.DueOutbox(ctx, now.Add(time.Hour), 10); len(due) != 0 {
		t.Fatalf("stopped: got %d due, want 0", len(due))
	}
	if _, err := f.db.SetForwarding(ctx, f.client.ID, ForwardCAPI, cfg.DatasetID, "", nil); err != nil {
		t.Fatal(err)
	}
	if due, _ := f.db.DueOutbox(ctx, now.Add(time.Hour), 10); len(due) != 1 {
		t.Fatalf("after saving again: got %d due, want 1", len(due))
	}

	if n, err := f.db.RequeueFailed(ctx, f.client.ID); err != nil || n != 1 {
		t.Fatalf("requeue: got %d %v, want 1", n, err)
	}
	if due, _ := f.db.DueOutbox(ctx, now, 10); len(due) != 1 || due[0].EventID != ids[2] {
		t.Fatalf("got %+v, want the re-queued entry due now", due)
	}
}

func TestClipKeepsUTF8(t *testing.T) {
	s := ""
	for len(s) < maxOutboxText+10 {
		s += "é"
	}
	got := clip(s)
	if len(got) > maxOutboxText+len("…") {
		t.Fatalf("got %d bytes, want at most %d", len(got), maxOutboxText+len("…"))
	}
	for i, r := range got {
		if r == 0xFFFD {
			t.Fatalf("got an invalid rune at byte %d", i)
		}
	}
}
