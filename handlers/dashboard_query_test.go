package handlers

import (
	"net/url"
	"testing"
	"time"
)

func TestParseDashQueryPresets(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	// 2 Mar 2026, 03:00 UTC: still 1 Mar in New York, already 2 Mar in Tokyo.
	now := time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		loc                  *time.Location
		rng                  string
		since, until, cs, cu string
	}{
		{ny, "last_7d", "2026-02-22", "2026-02-28", "2026-02-15", "2026-02-21"},
		{tokyo, "last_7d", "2026-02-23", "2026-03-01", "2026-02-16", "2026-02-22"},
		{ny, "last_28d", "2026-02-01", "2026-02-28", "2026-01-04", "2026-01-31"},
		{ny, "last_14d", "2026-02-15", "2026-02-28", "2026-02-01", "2026-02-14"},
		{ny, "last_90d", "2025-12-01", "2026-02-28", "2025-09-02", "2025-11-30"},
		// This month is the 1st to today; the comparison is as long, just before.
		{ny, "this_month", "2026-03-01", "2026-03-01", "2026-02-28", "2026-02-28"},
		{tokyo, "this_month", "2026-03-01", "2026-03-02", "2026-02-27", "2026-02-28"},
		{ny, "last_month", "2026-02-01", "2026-02-28", "2026-01-04", "2026-01-31"},
		{tokyo, "last_month", "2026-02-01", "2026-02-28", "2026-01-04", "2026-01-31"},
	}
	for _, tc := range tests {
		q, err := parseDashQuery(url.Values{"range": {tc.rng}}, tc.loc, now)
		if err != nil {
			t.Fatalf("%s in %s: %v", tc.rng, tc.loc, err)
		}
		got := [4]string{q.Since, q.Until, q.CompareSince, q.CompareUntil}
		if want := [4]string{tc.since, tc.until, tc.cs, tc.cu}; got != want {
			t.Errorf("%s in %s: got %v, want %v", tc.rng, tc.loc, got, want)
		}
	}
}

func TestParseDashQueryDefaultsAndCustom(t *testing.T) {
	now := time.Date(2026, 11, 4, 18, 0, 0, 0, time.UTC)
	q, err := parseDashQuery(url.Values{}, time.UTC, now)
	if err != nil {
		t.Fatal(err)
	}
	if q.Range != "last_28d" || !q.Compare || q.Level != "campaign" || !q.CTX || q.Sort != "attributed" || q.Dir != "desc" || q.Page != 1 {
		t.Errorf("defaults: got %+v", q)
	}
	if got, want := q.values().Encode(), "compare=1&ctx=1&level=campaign&range=last_28d"; got != want {
		t.Errorf("default URL state: got %q, want %q", got, want)
	}
	// Dates without a range are a custom range; the state round-trips through the URL.
	q, err = parseDashQuery(url.Values{"since": {"2026-10-01"}, "until": {"2026-10-10"}, "sort": {"name"}, "level": {"adset"}}, time.UTC, now)
	if err != nil {
		t.Fatal(err)
	}
	if q.Range != "custom" || q.CompareSince != "2026-09-21" || q.CompareUntil != "2026-09-30" || q.Dir != "asc" {
		t.Errorf("custom: got %+v", q)
	}
	again, err := parseDashQuery(q.values(), time.UTC, now)
	if err != nil {
		t.Fatal(err)
	}
	again.Loc, q.Loc = nil, nil
	if again != q {
		t.Errorf("round trip: got %+v, want %+v", again, q)
	}
}

func TestProvisionalFrom(t *testing.T) {
	if got := provisionalFrom("2026-11-04", 28); got != "2026-10-07" {
		t.Errorf("got %s, want 2026-10-07 (today and the 28 days before it are re-read)", got)
	}
	if got := provisionalFrom("2026-03-01", 1); got != "2026-02-28" {
		t.Errorf("got %s, want 2026-02-28", got)
	}
}

func TestDeltasAndPercentInIntegers(t *testing.T) {
	tests := []struct {
		cur, was int64
		want     string
	}{
		{7, 3, "+133.3%"}, {3, 7, "−57.1%"}, {5, 5, "no change"}, {4, 0, "new"}, {2001, 2000, "+0.1%"}, {1999, 2000, "−0.1%"},
	}
	for _, tc := range tests {
		if got := countDelta(tc.cur, tc.was, "", grouped).Text; got != tc.want {
			t.Errorf("countDelta(%d, %d): got %q, want %q", tc.cur, tc.was, got, tc.want)
		}
	}
	if got := rateDelta(8, 7, 1, 3, "").Text; got != "+81.0 pp" {
		t.Errorf("rateDelta: got %q, want +81.0 pp", got)
	}
	if got := percent(2, 3); got != "66.7%" {
		t.Errorf("percent(2, 3): got %q, want 66.7%%", got)
	}
	if got := percent(1, 0); got != "–" {
		t.Errorf("percent(1, 0): got %q, want –", got)
	}
}
