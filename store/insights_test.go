package store

import (
	"context"
	"testing"
)

func seedAccount(t *testing.T, db *DB) {
	t.Helper()
	if _, err := db.CreateClient(context.Background(), NewClient{Name: "Acme", AdAccounts: []string{"act_1"}}); err != nil {
		t.Fatal(err)
	}
}

func row(level, date, obj string, spend int64, leads int64) InsightRow {
	return InsightRow{Level: level, Date: date, ObjectID: obj, SpendMicros: spend,
		Actions: map[string]int64{ActionLeadGrouped: leads, ActionLinkClick: 3}}
}

func TestWindowReplaceIsAtomicAndRemovesVanishedRows(t *testing.T) {
	db := openTest(t)
	seedAccount(t, db)
	ctx := context.Background()
	levels := []string{"account", "campaign"}

	l, err := db.BeginWindow(ctx, "1", "2026-11-01", "2026-11-03")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Add(ctx, []InsightRow{
		row("campaign", "2026-11-01", "c1", 1_000_000, 2),
		row("campaign", "2026-11-01", "c2", 2_000_000, 1),
		row("campaign", "2026-11-02", "c1", 3_000_000, 0),
		row("account", "2026-11-01", "1", 3_000_000, 3),
	}); err != nil {
		t.Fatal(err)
	}
	res, err := l.Commit(ctx, levels, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.RowsWritten != 4 || res.Days != 6 {
		t.Fatalf("got %+v, want 4 rows written and 6 days recorded", res)
	}

	// A second load that is aborted changes nothing.
	l2, _ := db.BeginWindow(ctx, "1", "2026-11-01", "2026-11-03")
	if err := l2.Add(ctx, []InsightRow{row("campaign", "2026-11-01", "c1", 9, 9)}); err != nil {
		t.Fatal(err)
	}
	if err := l2.Abort(); err != nil {
		t.Fatal(err)
	}
	got, _ := db.InsightRows(ctx, "1", "campaign", "2026-11-01", "2026-11-03")
	if len(got) != 3 || got[0].SpendMicros != 1_000_000 {
		t.Fatalf("after abort got %+v, want the 3 committed rows unchanged", got)
	}

	// A restated window where c2 vanished from 11-01 leaves no stale c2 row; a repeated row
	// (retried page) is stored once.
	l3, _ := db.BeginWindow(ctx, "1", "2026-11-01", "2026-11-02")
	if err := l3.Add(ctx, []InsightRow{row("campaign", "2026-11-01", "c1", 1_500_000, 4)}); err != nil {
		t.Fatal(err)
	}
	if err := l3.Add(ctx, []InsightRow{row("campaign", "2026-11-01", "c1", 1_500_000, 4)}); err != nil {
		t.Fatal(err)
	}
	if _, err := l3.Commit(ctx, levels, 0); err != nil {
		t.Fatal(err)
	}
	got, _ = db.InsightRows(ctx, "1", "campaign", "2026-11-01", "2026-11-03")
	if len(got) != 1 || got[0].ObjectID != "c1" || got[0].Actions[ActionLeadGrouped] != 4 {
		t.Fatalf("after restatement got %+v, want only c1 with 4 leads", got)
	}
	acct, _ := db.InsightRows(ctx, "1", "account", "2026-11-01", "2026-11-03")
	if len(acct) != 0 {
		t.Fatalf("account rows of the restated window: got %d, want 0 (the load had none)", len(acct))
	}

	// Rows outside the window are refused.
	l4, _ := db.BeginWindow(ctx, "1", "2026-11-01", "2026-11-01")
	if err := l4.Add(ctx, []InsightRow{row("campaign", "2026-11-05", "c1", 1, 1)}); err == nil {
		t.Fatal("a row outside the window was staged")
	}
	_ = l4.Abort()
	var staged int
	if err := db.r.QueryRow(`SELECT count(*) FROM insights_staging`).Scan(&staged); err != nil || staged != 0 {
		t.Fatalf("staging holds %d rows (%v), want 0", staged, err)
	}
}
