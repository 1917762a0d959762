package collector

import (
	"fmt"
	"time"
)

// Window is an inclusive range of calendar dates in an ad account's timezone. Dates are held
// as midnight UTC so that adding days never meets a daylight-saving change.
type Window struct {
	Since, Until time.Time
}

// Date is the calendar date of t in loc, as midnight UTC.
func Date(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ParseDate reads YYYY-MM-DD as midnight UTC.
func ParseDate(s string) (time.Time, error) { return time.Parse(time.DateOnly, s) }

// Days is how many dates the window holds.
func (w Window) Days() int { return int(w.Until.Sub(w.Since).Hours()/24) + 1 }

// SinceString formats the first date as YYYY-MM-DD.
func (w Window) SinceString() string { return w.Since.Format(time.DateOnly) }

// UntilString formats the last date as YYYY-MM-DD.
func (w Window) UntilString() string { return w.Until.Format(time.DateOnly) }

// String is "2026-10-01..2026-10-28".
func (w Window) String() string { return w.SinceString() + ".." + w.UntilString() }

func addDays(d time.Time, n int) time.Time { return d.AddDate(0, 0, n) }

// HistoryFloor is the earliest date Meta serves insights for when today is today: 37 months back.
func HistoryFloor(today time.Time) time.Time { return today.AddDate(0, -MaxHistoryMonths, 0) }

// IncrementalWindow is today and the lookback days before it: the days Meta may still restate.
func IncrementalWindow(today time.Time, lookbackDays int) Window {
	return Window{Since: addDays(today, -lookbackDays), Until: today}
}

// BackfillWindow is the first sync of an account: backfillDays days up to today, at least the
// incremental window, never before HistoryFloor.
func BackfillWindow(today time.Time, backfillDays, lookbackDays int) Window {
	since := addDays(today, -(backfillDays - 1))
	if inc := IncrementalWindow(today, lookbackDays); inc.Since.Before(since) {
		since = inc.Since
	}
	if floor := HistoryFloor(today); since.Before(floor) {
		since = floor
	}
	return Window{Since: since, Until: today}
}

// Chunks cuts w into windows of at most size days, newest first: the days people look at first
// are stored first, and an interrupted back-fill is resumed from where it stopped.
func Chunks(w Window, size int) []Window {
	if size <= 0 {
		size = DefaultChunkDays
	}
	var out []Window
	for until := w.Until; !until.Before(w.Since); until = addDays(until, -size) {
		since := addDays(until, -(size - 1))
		if since.Before(w.Since) {
			since = w.Since
		}
		out = append(out, Window{Since: since, Until: until})
	}
	return out
}

// Gaps returns the runs of consecutive dates of w not in read (keyed YYYY-MM-DD), newest first.
func Gaps(w Window, read map[string]bool) []Window {
	var out []Window
	var cur *Window
	for d := w.Until; !d.Before(w.Since); d = addDays(d, -1) {
		if read[d.Format(time.DateOnly)] {
			cur = nil
			continue
		}
		if cur == nil {
			out = append(out, Window{Since: d, Until: d})
			cur = &out[len(out)-1]
		} else {
			cur.Since = d
		}
	}
	return out
}

// Plan kinds.
const (
	PlanIncremental = "incremental"
	PlanBackfill    = "backfill"
	PlanExplicit    = "explicit"
)

// Plan is the windows one account reads in a pass, in order; each is one atomic load.
type Plan struct {
	Kind    string
	Windows []Window
}

// Span is the range the plan covers, from its earliest to its latest date.
func (p Plan) Span() Window {
	var s Window
	for i, w := range p.Windows {
		if i == 0 || w.Since.Before(s.Since) {
			s.Since = w.Since
		}
		if i == 0 || w.Until.After(s.Until) {
			s.Until = w.Until
		}
	}
	return s
}

// PlanInput is everything planning depends on.
type PlanInput struct {
	Today         time.Time // the account's today (Date)
	LookbackDays  int
	BackfillDays  int
	ChunkDays     int
	Since, Until  string          // explicit range, both or neither
	ForceBackfill bool            // re-read the whole back-fill horizon
	Read          map[string]bool // dates already read at every level
	AnyRead       bool            // any date read at any level (false: first sync)
}

// PlanWindows decides what an account reads: the explicit range when given (up to the
// account's today); a back-fill on
// the first sync (or when forced); else the incremental window followed by any never-read
// dates of the back-fill horizon (a back-fill that stopped half way, or an outage longer than
// the lookback).
func PlanWindows(in PlanInput) (Plan, error) {
	if in.Since != "" || in.Until != "" {
		s, err1 := ParseDate(in.Since)
		u, err2 := ParseDate(in.Until)
		if err1 != nil || err2 != nil || u.Before(s) {
			return Plan{}, badRequest("window %q..%q: want YYYY-MM-DD..YYYY-MM-DD, since not after until", in.Since, in.Until)
		}
		if floor := HistoryFloor(in.Today); s.Before(floor) {
			return Plan{}, badRequest("since %s is more than %d months ago (the account's earliest date is %s): Meta keeps %d months of insights",
				in.Since, MaxHistoryMonths, floor.Format(time.DateOnly), MaxHistoryMonths)
		}
		// Days after the account's today hold nothing yet; they are not recorded as read.
		if u.After(in.Today) {
			u = in.Today
		}
		if s.After(u) {
			return Plan{Kind: PlanExplicit}, nil
		}
		return Plan{Kind: PlanExplicit, Windows: Chunks(Window{s, u}, in.ChunkDays)}, nil
	}
	back := BackfillWindow(in.Today, in.BackfillDays, in.LookbackDays)
	if in.ForceBackfill || !in.AnyRead {
		return Plan{Kind: PlanBackfill, Windows: Chunks(back, in.ChunkDays)}, nil
	}
	inc := IncrementalWindow(in.Today, in.LookbackDays)
	p := Plan{Kind: PlanIncremental, Windows: Chunks(inc, in.ChunkDays)}
	if older := addDays(inc.Since, -1); !older.Before(back.Since) {
		for _, g := range Gaps(Window{back.Since, older}, in.Read) {
			p.Windows = append(p.Windows, Chunks(g, in.ChunkDays)...)
		}
	}
	return p, nil
}

func (p Plan) String() string {
	if len(p.Windows) == 0 {
		return p.Kind + " (nothing)"
	}
	return fmt.Sprintf("%s %s in %d window(s)", p.Kind, p.Span(), len(p.Windows))
}
