package collector

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func day(s string) time.Time {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func windows(ws []Window) string {
	var parts []string
	for _, w := range ws {
		parts = append(parts, w.String())
	}
	return strings.Join(parts, " ")
}

func TestDateIsTheAccountsCalendarDate(t *testing.T) {
	at := time.Date(2026, 3, 15, 5, 0, 0, 0, time.UTC)
	la, _ := time.LoadLocation("America/Los_Angeles")
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	if got := Date(at, la).Format(time.DateOnly); got != "2026-03-14" {
		t.Errorf("Los Angeles: got %s, want 2026-03-14", got)
	}
	if got := Date(at, tokyo).Format(time.DateOnly); got != "2026-03-15" {
		t.Errorf("Tokyo: got %s, want 2026-03-15", got)
	}
	// A window across the spring-forward night still counts calendar days.
	if got := (Window{day("2026-03-07"), day("2026-03-09")}).Days(); got != 3 {
		t.Errorf("days across DST: got %d, want 3", got)
	}
}

func TestPlanWindows(t *testing.T) {
	today := day("2026-03-15")
	base := PlanInput{Today: today, LookbackDays: 28, BackfillDays: 90, ChunkDays: 30}
	read := func(since, until string) map[string]bool {
		m := map[string]bool{}
		for d := day(since); !d.After(day(until)); d = addDays(d, 1) {
			m[d.Format(time.DateOnly)] = true
		}
		return m
	}
	tests := []struct {
		name string
		mod  func(*PlanInput)
		kind string
		want string
	}{
		{"first sync back-fills 90 days in chunks, newest first", func(*PlanInput) {}, PlanBackfill,
			"2026-02-14..2026-03-15 2026-01-15..2026-02-13 2025-12-16..2026-01-14"},
		{"incremental is today and the 28 days before it", func(in *PlanInput) {
			in.AnyRead, in.Read = true, read("2025-12-16", "2026-03-14")
		}, PlanIncremental, "2026-02-15..2026-03-15"},
		{"an interrupted back-fill is resumed", func(in *PlanInput) {
			in.AnyRead, in.Read = true, read("2026-02-14", "2026-03-15")
		}, PlanIncremental, "2026-02-15..2026-03-15 2026-01-15..2026-02-13 2025-12-16..2026-01-14"},
		{"a gap inside the horizon is filled", func(in *PlanInput) {
			in.AnyRead, in.Read = true, read("2025-12-16", "2026-03-15")
			delete(in.Read, "2026-01-02")
			delete(in.Read, "2026-01-03")
		}, PlanIncremental, "2026-02-15..2026-03-15 2026-01-02..2026-01-03"},
		{"trigger backfill re-reads the horizon", func(in *PlanInput) {
			in.AnyRead, in.Read, in.ForceBackfill = true, read("2025-12-16", "2026-03-15"), true
		}, PlanBackfill, "2026-02-14..2026-03-15 2026-01-15..2026-02-13 2025-12-16..2026-01-14"},
		{"explicit reads exactly the range", func(in *PlanInput) {
			in.AnyRead, in.Since, in.Until = true, "2026-01-01", "2026-01-03"
		}, PlanExplicit, "2026-01-01..2026-01-03"},
		{"explicit ranges stop at the account's today", func(in *PlanInput) {
			in.Since, in.Until = "2026-03-14", "2026-03-16"
		}, PlanExplicit, "2026-03-14..2026-03-15"},
		{"explicit ranges are chunked", func(in *PlanInput) {
			in.Since, in.Until, in.ChunkDays = "2026-01-01", "2026-01-10", 4
		}, PlanExplicit, "2026-01-07..2026-01-10 2026-01-03..2026-01-06 2026-01-01..2026-01-02"},
		{"back-fill never starts before 37 months ago", func(in *PlanInput) {
			in.BackfillDays, in.ChunkDays = 5000, 2000
		}, PlanBackfill, "2023-02-15..2026-03-15"},
		{"back-fill covers at least the lookback", func(in *PlanInput) {
			in.BackfillDays = 3
		}, PlanBackfill, "2026-02-15..2026-03-15"},
	}
	for _, tc := range tests {
		in := base
		tc.mod(&in)
		p, err := PlanWindows(in)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if p.Kind != tc.kind || windows(p.Windows) != tc.want {
			t.Errorf("%s: got %s %s, want %s %s", tc.name, p.Kind, windows(p.Windows), tc.kind, tc.want)
		}
	}
	if got := IncrementalWindow(today, 28).Days(); got != 29 {
		t.Errorf("incremental window: got %d days, want 29 (today and the 28 before)", got)
	}
	for _, bad := range []PlanInput{
		{Today: today, Since: "2026-01-05", Until: "2026-01-01", ChunkDays: 30},
		{Today: today, Since: "2026-01-05", ChunkDays: 30},
		{Today: today, Since: "2023-02-14", Until: "2023-03-01", ChunkDays: 30},
	} {
		if _, err := PlanWindows(bad); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("PlanWindows(%s..%s): got %v, want ErrInvalidRequest", bad.Since, bad.Until, err)
		}
	}
	if _, err := PlanWindows(PlanInput{Today: today, Since: "2023-02-15", Until: "2023-03-01", ChunkDays: 30}); err != nil {
		t.Errorf("PlanWindows from exactly 37 months ago: got %v, want nil", err)
	}
}

func TestPacingPause(t *testing.T) {
	p := Pacing{}
	p.defaults()
	for _, tc := range []struct {
		pct  float64
		want time.Duration
	}{
		{0, 0}, {84.9, 0}, {85, time.Second}, {90, 1500 * time.Millisecond}, {94.9, 1990 * time.Millisecond},
		{95, 10 * time.Second}, {97.5, 15 * time.Second}, {100, 20 * time.Second}, {150, 20 * time.Second},
	} {
		if got := p.Pause(tc.pct).Round(10 * time.Millisecond); got != tc.want {
			t.Errorf("Pause(%v): got %v, want %v", tc.pct, got, tc.want)
		}
	}
}
