package store

import (
	"context"
	"testing"
	"time"
)

func TestAccountTimezoneDiscoveryRebucketsEventDays(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	c, err := db.CreateClient(ctx, NewClient{Name: "Acme", AdAccounts: []string{"1"}, Pages: []string{"77"}})
	if err != nil {
		t.Fatal(err)
	}
	// 02:30 UTC on Nov 10 is still Nov 9 in Los Angeles.
	at := time.Date(2026, 11, 10, 2, 30, 0, 0, time.UTC)
	res, err := db.InsertEventBatches(ctx, []EventBatch{{ClientID: c.ID, PageID: "77", PSID: "9", ReceivedAt: at,
		Events: []NewEvent{{Name: "lead_submitted", EventTime: at}}}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("insert: %v %v", err, res)
	}
	day := func() string {
		evs, err := db.LeadEvents(ctx, c.ID, 10)
		if err != nil || len(evs) != 1 {
			t.Fatalf("events: %v %v", evs, err)
		}
		return evs[0].EventDay
	}
	if got := day(); got != "2026-11-10" {
		t.Fatalf("day before the account's timezone is known: got %s, want 2026-11-10 (UTC)", got)
	}
	if err := db.UpdateAdAccountMeta(ctx, "1", "Main", "USD", "America/Los_Angeles"); err != nil {
		t.Fatal(err)
	}
	if got := day(); got != "2026-11-09" {
		t.Fatalf("day after Meta reported America/Los_Angeles: got %s, want 2026-11-09", got)
	}
}
