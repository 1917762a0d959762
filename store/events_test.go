package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// eventsFixture is a client with a page and a key on a fresh database.
type eventsFixture struct {
	db     *DB
	client Client
	other  Client
	keyID  int64
}

func newEventsFixture(t *testing.T) eventsFixture {
	t.Helper()
	db := openTest(t)
	ctx := context.Background()
	c, err := db.CreateClient(ctx, NewClient{Name: "Acme", Timezone: "America/Los_Angeles", AdAccounts: []string{"1"}, Pages: []string{"111"}})
	if err != nil {
		t.Fatal(err)
	}
	o, err := db.CreateClient(ctx, NewClient{Name: "Other", AdAccounts: []string{"2"}, Pages: []string{"222"}})
	if err != nil {
		t.Fatal(err)
	}
	_, k, err := db.CreateAPIKey(ctx, c.ID, "bot", "test")
	if err != nil {
		t.Fatal(err)
	}
	return eventsFixture{db: db, client: c, other: o, keyID: k.ID}
}

func (f eventsFixture) batch(psid string, events ...NewEvent) EventBatch {
	return EventBatch{ClientID: f.client.ID, APIKeyID: f.keyID, PageID: "111", PSID: psid,
		ReceivedAt: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), Events: events}
}

func ev(name, idem string, at time.Time) NewEvent {
	return NewEvent{Name: name, IdemKey: idem, EventTime: at}
}

func (f eventsFixture) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := f.db.r.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestInsertEventBatchesIdempotencyAndDays(t *testing.T) {
	f := newEventsFixture(t)
	ctx := context.Background()
	// 03:00 UTC on the 24th is still the 23rd in Los Angeles.
	at := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	res, err := f.db.InsertEventBatches(ctx, []EventBatch{
		f.batch("5", ev("lead_submitted", "a", at), ev("lead_submitted", "a", at), ev("fb_mobile_purchase", "", at)),
		f.batch("6", ev("lead_submitted", "a", at), ev("lead_submitted", "b", at)),
	})
	if err != nil {
		t.Fatal(err)
	}
	first, second := res[0], res[1]
	if first.Err != nil || second.Err != nil {
		t.Fatalf("got errors %v, %v, want none", first.Err, second.Err)
	}
	a := first.Events[0].ID
	wantFirst := []EventResult{{a, false}, {a, true}, {first.Events[2].ID, false}}
	for i, w := range wantFirst {
		if first.Events[i] != w {
			t.Fatalf("batch 1 event %d: got %+v, want %+v", i, first.Events[i], w)
		}
	}
	if second.Events[0] != (EventResult{a, true}) || second.Events[1].Duplicate {
		t.Fatalf("batch 2: got %+v, want a duplicate of %d then a new event", second.Events, a)
	}
	if n := f.count(t, "lead_events"); n != 3 {
		t.Fatalf("got %d stored events, want 3", n)
	}
	e, err := f.db.LeadEvent(ctx, f.client.ID, a)
	if err != nil {
		t.Fatal(err)
	}
	if e.EventDay != "2026-11-23" || e.IdemKey != "a" || !e.EventTime.Equal(at) || e.Params != "{}" {
		t.Fatalf("got %+v, want day 2026-11-23 (Los Angeles), idem a, params {}", e)
	}
	// Another client may use the same event_id: keys are per client.
	_, _, err = f.db.CreateAPIKey(ctx, f.other.ID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	res, err = f.db.InsertEventBatches(ctx, []EventBatch{{ClientID: f.other.ID, PageID: "222", PSID: "5", Events: []NewEvent{ev("lead_submitted", "a", at)}}})
	if err != nil || res[0].Err != nil || res[0].Events[0].Duplicate {
		t.Fatalf("other client's event_id a: got %+v %v, want stored", res, err)
	}

	// A new timezone moves the days.
	u := ClientUpdate{Name: f.client.Name, Slug: f.client.Slug, Timezone: "Europe/Berlin", LeadActionType: f.client.LeadActionType}
	if _, err := f.db.UpdateClient(ctx, f.client.ID, u); err != nil {
		t.Fatal(err)
	}
	if e, _ = f.db.LeadEvent(ctx, f.client.ID, a); e.EventDay != "2026-11-24" {
		t.Fatalf("after the move to Berlin: got day %s, want 2026-11-24", e.EventDay)
	}
	if n, err := f.db.RebucketEventDays(ctx, f.client.ID); err != nil || n != 0 {
		t.Fatalf("rebucket with nothing to change: got %d %v, want 0", n, err)
	}
}

func TestInsertEventBatchesFailingBatchRollsBackAlone(t *testing.T) {
	f := newEventsFixture(t)
	ctx := context.Background()
	// A trigger makes the second event of the middle batch fail after its first was written.
	if _, err := f.db.w.Exec(`CREATE TRIGGER boom BEFORE INSERT ON lead_events WHEN NEW.event_name = 'boom'
		BEGIN SELECT RAISE(ABORT, 'boom'); END`); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	res, err := f.db.InsertEventBatches(ctx, []EventBatch{
		f.batch("1", ev("lead_submitted", "k1", at)),
		f.batch("2", ev("lead_submitted", "k2", at), ev("boom", "k3", at)),
		{ClientID: f.client.ID, PageID: "222", PSID: "3", Events: []NewEvent{ev("lead_submitted", "k4", at)}},
		f.batch("4", ev("lead_submitted", "k2", at)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[1].Err == nil || !errors.Is(res[2].Err, ErrForeignPage) || res[3].Err != nil {
		t.Fatalf("got errors %v / %v / %v / %v, want only batches 2 and 3 to fail (3 on the page)", res[0].Err, res[1].Err, res[2].Err, res[3].Err)
	}
	// k2 of the failed batch was rolled back, so the last batch's k2 is new, not a duplicate.
	if res[3].Events[0].Duplicate {
		t.Fatalf("k2 after the failed batch: got a duplicate, want a new event")
	}
	if n := f.count(t, "lead_events"); n != 2 {
		t.Fatalf("got %d stored events, want 2", n)
	}
}

func TestAttributionAtInsertAndByLateReferral(t *testing.T) {
	f := newEventsFixture(t)
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2026, 10, d, 12, 0, 0, 0, time.UTC) }
	ref := func(psid, ad string, at time.Time) ReferralResult {
		t.Helper()
		r, err := f.db.RecordReferral(ctx, NewReferral{ClientID: f.client.ID, APIKeyID: f.keyID, PageID: "111", PSID: psid, AdID: ad, ReferredAt: at})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	insert := func(b EventBatch) EventResult {
		t.Helper()
		res, err := f.db.InsertEventBatches(ctx, []EventBatch{b})
		if err != nil || res[0].Err != nil {
			t.Fatalf("insert: %v %v", err, res)
		}
		return res[0].Events[0]
	}
	check := func(id int64, ad, how string) {
		t.Helper()
		e, err := f.db.LeadEvent(ctx, f.client.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if e.AdID != ad || e.Attribution != how {
			t.Fatalf("event %d: got ad %q attribution %q, want %q %q", id, e.AdID, e.Attribution, ad, how)
		}
	}
	r1 := ref("5", "100", day(1))
	inWindow := insert(f.batch("5", ev("lead_submitted", "", day(20))))
	check(inWindow.ID, "100", "referral")
	tooLate := insert(f.batch("5", ev("lead_submitted", "", day(1).Add(AttributionWindow+time.Second))))
	check(tooLate.ID, "", "")
	b := f.batch("5", ev("lead_submitted", "", day(21)))
	b.AdID = "999"
	explicit := insert(b)
	check(explicit.ID, "999", "event")

	// A referral that arrives late, dated before stored events, takes the events after it …
	r2 := ref("5", "200", day(10))
	if r2.Reattributed != 2 {
		t.Fatalf("late referral: got %d reattributed, want 2 (the in-window and the too-late event)", r2.Reattributed)
	}
	check(inWindow.ID, "200", "referral")
	check(tooLate.ID, "200", "referral")
	check(explicit.ID, "999", "event")
	// … but not events that a later referral already explains.
	r3 := ref("5", "300", day(5))
	if r3.Reattributed != 0 {
		t.Fatalf("older late referral: got %d reattributed, want 0", r3.Reattributed)
	}
	check(inWindow.ID, "200", "referral")
	if again := ref("5", "300", day(5)); !again.Duplicate || again.ID != r3.ID {
		t.Fatalf("repeated referral: got %+v, want a duplicate of %d", again, r3.ID)
	}
	// Another person's referral changes nothing here.
	if r := ref("6", "400", day(2)); r.Reattributed != 0 {
		t.Fatalf("other person's referral: got %d reattributed, want 0", r.Reattributed)
	}
	if r1.ID == 0 {
		t.Fatal("first referral has no id")
	}
	if _, err := f.db.RecordReferral(ctx, NewReferral{ClientID: f.client.ID, PageID: "222", PSID: "5", AdID: "1"}); !errors.Is(err, ErrForeignPage) {
		t.Fatalf("referral on another client's page: got %v, want ErrForeignPage", err)
	}
}

func TestOutboxWhenForwarding(t *testing.T) {
	f := newEventsFixture(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	if _, err := f.db.InsertEventBatches(ctx, []EventBatch{f.batch("1", ev("lead_submitted", "a", at))}); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, "outbox"); n != 0 {
		t.Fatalf("forwarding off: got %d outbox rows, want 0", n)
	}
	if _, err := f.db.w.Exec(`INSERT INTO forwarding (client_id, mode, updated_at) VALUES (?, 'capi', '2026-11-24T00:00:00.000Z')`, f.client.ID); err != nil {
		t.Fatal(err)
	}
	res, err := f.db.InsertEventBatches(ctx, []EventBatch{f.batch("1", ev("lead_submitted", "a", at), ev("lead_submitted", "b", at))})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res[0].Err)
	}
	if n := f.count(t, "outbox"); n != 1 {
		t.Fatalf("forwarding capi, one new event and one duplicate: got %d outbox rows, want 1", n)
	}
	e, err := f.db.LeadEvent(ctx, f.client.ID, res[0].Events[1].ID)
	if err != nil || e.Forwarding != "pending" {
		t.Fatalf("got forwarding %q %v, want pending", e.Forwarding, err)
	}
}

func TestAPIKeys(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	db.now = func() time.Time { return now }
	c, err := db.CreateClient(ctx, NewClient{Name: "Acme", Pages: []string{"111"}})
	if err != nil {
		t.Fatal(err)
	}
	token, k, err := db.CreateAPIKey(ctx, c.ID, "bot", "ann")
	if err != nil {
		t.Fatal(err)
	}
	if len(token) < 40 || token[:4] != "llk_" || k.Prefix != token[:len(k.Prefix)] {
		t.Fatalf("got token of %d chars, prefix %q, want llk_ and a matching prefix", len(token), k.Prefix)
	}
	dump, _ := db.DebugDump(ctx, "api_keys")
	if strings.Contains(dump, token) {
		t.Fatal("the api_keys table holds the key in clear")
	}
	got, err := db.AuthenticateAPIKey(ctx, token)
	if err != nil || got.ID != k.ID || got.ClientID != c.ID {
		t.Fatalf("authenticate: got %+v %v, want key %d", got, err, k.ID)
	}
	if _, err := db.AuthenticateAPIKey(ctx, token+"x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("wrong key: got %v, want ErrNotFound", err)
	}
	if _, _, err := db.CreateAPIKey(ctx, 999, "", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("key for a missing client: got %v, want ErrNotFound", err)
	}

	// Last use is stamped at most once a minute.
	batch := EventBatch{ClientID: c.ID, APIKeyID: k.ID, PageID: "111", PSID: "1", Events: []NewEvent{{Name: "x", EventTime: now}}}
	used := func() time.Time {
		keys, err := db.APIKeys(ctx, c.ID)
		if err != nil || len(keys) != 1 {
			t.Fatalf("APIKeys: %v %v", keys, err)
		}
		return keys[0].LastUsedAt
	}
	for _, step := range []struct {
		advance time.Duration
		want    time.Time
	}{{0, now}, {30 * time.Second, now}, {31 * time.Second, now.Add(61 * time.Second)}} {
		now = now.Add(step.advance)
		if _, err := db.InsertEventBatches(ctx, []EventBatch{batch}); err != nil {
			t.Fatal(err)
		}
		if u := used(); !u.Equal(step.want) {
			t.Fatalf("after %v: got last used %v, want %v", step.advance, u, step.want)
		}
	}

	if err := db.RevokeAPIKey(ctx, c.ID+1, k.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoke through another client: got %v, want ErrNotFound", err)
	}
	if err := db.RevokeAPIKey(ctx, c.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AuthenticateAPIKey(ctx, token); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoked key: got %v, want ErrNotFound", err)
	}
	if keys, _ := db.APIKeys(ctx, c.ID); len(keys) != 1 || !keys[0].Revoked() {
		t.Fatalf("got %+v, want the key listed as revoked", keys)
	}
}
