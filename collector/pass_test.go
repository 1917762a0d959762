package collector

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadlens/leadlens/metasim"
	"github.com/leadlens/leadlens/store"
)

// backfillSpan is the first sync's range for an account with the default settings.
func (f *fixture) backfillSpan(a metasim.Account) Window {
	return BackfillWindow(f.today(a), f.svc.cfg.BackfillDays, f.svc.cfg.LookbackDays)
}

func TestFirstPassBackfillsAndMatchesTruth(t *testing.T) {
	f := newFixture(t, smallWorld(), func(c *Config) { c.BackfillDays = 0 }) // the default, 90
	res := f.run(Request{StartedBy: "test"})
	if res.Status != store.RunSucceeded {
		t.Fatalf("run status: got %s (%s), want succeeded", res.Status, res.Error)
	}
	var total int
	for _, a := range f.world.Accounts {
		w := f.backfillSpan(a)
		if w.Days() != 90 {
			t.Fatalf("back-fill span: got %d days, want 90", w.Days())
		}
		total += f.assertTruth(a.ID, w)
		ap := f.account(res, a.ID)
		if ap.Status != store.RunSucceeded || !strings.HasPrefix(ap.Plan, PlanBackfill) || ap.Since != w.SinceString() {
			t.Errorf("account %s: got %s plan %q since %s, want succeeded backfill since %s", a.ID, ap.Status, ap.Plan, ap.Since, w.SinceString())
		}
		// chunks of 30 days, newest first, each read at the three levels
		var got []string
		for _, r := range f.insightRequests(a.ID, 0) {
			got = append(got, r.Level+" "+timeRange(t, r).String())
		}
		var want []string
		for _, c := range Chunks(w, 30) {
			for _, lv := range store.Levels {
				want = append(want, lv+" "+c.String())
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("account %s insights requests:\ngot  %v\nwant %v", a.ID, got, want)
		}
		// account fields, CTX classification
		stored, err := f.db.AdAccount(context.Background(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Currency != a.Currency || stored.TimezoneName != a.Timezone || stored.Name != a.Name || stored.LastSuccessAt.IsZero() {
			t.Errorf("account %s fields: got %q %q %q success %v, want %q %q %q and a success time", a.ID,
				stored.Name, stored.Currency, stored.TimezoneName, stored.LastSuccessAt, a.Name, a.Currency, a.Timezone)
		}
		camps, err := f.db.Campaigns(context.Background(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(camps) != len(a.Campaigns) {
			t.Fatalf("account %s campaigns: got %d, want %d", a.ID, len(camps), len(a.Campaigns))
		}
		ctx := map[string]bool{}
		for _, c := range a.Campaigns {
			ctx[c.ID] = c.CTX
		}
		for _, c := range camps {
			if c.IsCTX != ctx[c.ID] {
				t.Errorf("campaign %s (%s): got CTX %v, want %v", c.ID, c.Objective, c.IsCTX, ctx[c.ID])
			}
		}
		// every day of the window is recorded as read, at every level
		days, err := f.db.DaysRead(context.Background(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(days) != 3*w.Days() {
			t.Errorf("account %s days read: got %d, want %d", a.ID, len(days), 3*w.Days())
		}
	}
	if res.Rows != int64(total) {
		t.Errorf("rows in the run: got %d, want %d", res.Rows, total)
	}
	rec, err := f.db.RunByID(context.Background(), res.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != store.RunSucceeded || rec.RowsWritten != int64(total) || rec.GraphCalls != res.Calls ||
		rec.APIVersion != "v21.0" || len(rec.Accounts) != 3 || rec.Accounts[0].Status != store.RunSucceeded {
		t.Errorf("recorded run: got %+v, want succeeded with %d rows and %d calls", rec, total, res.Calls)
	}
}

func TestRestatementReplacesOnlyTheLookback(t *testing.T) {
	f := newFixture(t, smallWorld(), nil)
	if res := f.run(Request{}); res.Status != store.RunSucceeded {
		t.Fatalf("first run: got %s (%s), want succeeded", res.Status, res.Error)
	}
	before := map[string]map[string][]store.InsightRow{}
	oldTruth := map[string][]metasim.TruthRow{}
	for _, a := range f.world.Accounts {
		before[a.ID] = f.rows(a.ID, f.backfillSpan(a))
		tr, err := f.sim.Truth(a.ID, "adset", f.backfillSpan(a).SinceString(), f.today(a).Format(time.DateOnly))
		if err != nil {
			t.Fatal(err)
		}
		oldTruth[a.ID] = tr
	}
	f.sim.Restate()
	mark := len(f.sim.Requests())
	res := f.run(Request{})
	if res.Status != store.RunSucceeded {
		t.Fatalf("second run: got %s (%s), want succeeded", res.Status, res.Error)
	}
	changed, vanished := 0, 0
	for _, a := range f.world.Accounts {
		span := f.backfillSpan(a)
		inc := IncrementalWindow(f.today(a), 28)
		older := Window{span.Since, addDays(inc.Since, -1)}
		// the whole span equals the new truth: restated days replaced, old days still right
		f.assertTruth(a.ID, span)
		// days older than the lookback are byte-identical and were not asked for at all
		after := f.rows(a.ID, older)
		for _, lv := range store.Levels {
			var was []store.InsightRow
			for _, r := range before[a.ID][lv] {
				if r.Date <= older.UntilString() {
					was = append(was, r)
				}
			}
			if len(was) == 0 || !slices.EqualFunc(was, after[lv], func(x, y store.InsightRow) bool { return rowKey(x) == rowKey(y) }) {
				t.Errorf("account %s level %s: rows before the lookback changed (%d before, %d after)", a.ID, lv, len(was), len(after[lv]))
			}
		}
		for _, r := range f.insightRequests(a.ID, mark) {
			if tr := timeRange(t, r); tr.Since.Before(inc.Since) {
				t.Errorf("account %s: the second pass asked for %s, older than the lookback %s", a.ID, tr, inc)
			}
		}
		// count restated and vanished ad-set rows, so the test proves something
		newRows := f.rows(a.ID, inc)["adset"]
		have := map[string]string{}
		for _, r := range newRows {
			have[r.Date+" "+r.ObjectID] = rowKey(r)
		}
		for _, r := range oldTruth[a.ID] {
			if r.Date < inc.SinceString() {
				continue
			}
			k, ok := have[r.Date+" "+r.AdSetID]
			switch {
			case !ok:
				vanished++
			case k != truthKey(r):
				changed++
			}
		}
	}
	if changed == 0 || vanished == 0 {
		t.Errorf("restatement: got %d changed and %d vanished ad-set rows, want some of each", changed, vanished)
	}
	// days inside the lookback were read again, older ones not
	a := f.world.Accounts[0]
	days, err := f.db.DaysRead(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	inc := IncrementalWindow(f.today(a), 28)
	var oldest, newest time.Time
	for _, d := range days {
		if d.Date == inc.SinceString() {
			newest = d.FetchedAt
		}
		if d.Date == addDays(inc.Since, -1).Format(time.DateOnly) {
			oldest = d.FetchedAt
		}
	}
	if !newest.After(oldest) {
		t.Errorf("fetched_at: first lookback day %v, day before it %v; want the lookback day read later", newest, oldest)
	}
}

func TestExplicitWindowReadsExactlyThatRange(t *testing.T) {
	f := newFixture(t, smallWorld(), nil)
	a := f.world.Accounts[1]
	res := f.run(Request{AccountIDs: []string{"act_" + a.ID}, Since: "2026-01-10", Until: "2026-01-12"})
	if res.Status != store.RunSucceeded || len(res.Accounts) != 1 {
		t.Fatalf("run: got %s with %d accounts (%s), want succeeded with 1", res.Status, len(res.Accounts), res.Error)
	}
	w := Window{day("2026-01-10"), day("2026-01-12")}
	f.assertTruth(a.ID, w)
	days, err := f.db.DaysRead(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 9 || days[0].Date != "2026-01-10" || days[8].Date != "2026-01-12" {
		t.Errorf("days read: got %d from %s, want 9 from 2026-01-10 to 2026-01-12", len(days), days[0].Date)
	}
	for _, other := range []metasim.Account{f.world.Accounts[0], f.world.Accounts[2]} {
		if n := len(f.insightRequests(other.ID, 0)); n != 0 {
			t.Errorf("account %s outside the request: got %d insights requests, want 0", other.ID, n)
		}
	}
	// explicit windows beyond 37 months fail the account with a reason
	res = f.run(Request{AccountIDs: []string{a.ID}, Since: "2022-01-01", Until: "2022-01-05"})
	if res.Status != store.RunFailed || !strings.Contains(res.Accounts[0].Error, "37 months") {
		t.Errorf("a range 4 years back: got %s %q, want failed mentioning 37 months", res.Status, res.Accounts[0].Error)
	}
	if _, err := f.svc.Run(context.Background(), Request{Since: "2026-01-10"}); err == nil {
		t.Errorf("since without until: got nil, want an error")
	}
	if _, err := f.svc.Run(context.Background(), Request{AccountIDs: []string{"act_42"}}); err == nil || !strings.Contains(err.Error(), "act_42") {
		t.Errorf("an unknown account: got %v, want an error naming act_42", err)
	}
}

// pages is how many requests a paged answer of n rows takes at 500 per page.
func pages(n int) int { return max(1, (n+499)/500) }

func TestCallCountIsTheMinimumPagingAllows(t *testing.T) {
	o := metasim.Options{Seed: 11, Accounts: 2, CampaignsPerAccount: 12, AdSetsPerCampaign: 5, AdsPerAdSet: 9}
	f := newFixture(t, o, nil)
	minimum := func(a metasim.Account, plan []Window) int {
		adsets, ads := 0, 0
		for _, c := range a.Campaigns {
			adsets += len(c.AdSets)
			for _, s := range c.AdSets {
				ads += len(s.Ads)
			}
		}
		n := 1 + pages(len(a.Campaigns)) + pages(adsets) + pages(ads)
		for _, w := range plan {
			for _, lv := range store.Levels {
				tr, err := f.sim.Truth(a.ID, lv, w.SinceString(), w.UntilString())
				if err != nil {
					t.Fatal(err)
				}
				n += pages(len(tr))
			}
		}
		return n
	}
	check := func(res RunResult, plan func(metasim.Account) []Window, what string) {
		t.Helper()
		if res.Status != store.RunSucceeded {
			t.Fatalf("%s: got %s (%s), want succeeded", what, res.Status, res.Error)
		}
		want := 0
		for _, a := range f.world.Accounts {
			n := minimum(a, plan(a))
			if got := f.account(res, a.ID).Calls; got != int64(n) {
				t.Errorf("%s, account %s: got %d calls, want the minimum %d", what, a.ID, got, n)
			}
			want += n
		}
		total := 0
		for _, c := range f.sim.CallCounts() {
			total += c
		}
		if total != want || res.Calls != int64(want) {
			t.Errorf("%s: the simulator saw %d calls and the run counted %d, want %d", what, total, res.Calls, want)
		}
		for _, r := range f.sim.Requests() {
			if r.Kind == metasim.RequestInsights && !strings.HasPrefix(r.Path, "/v21.0/act_") {
				t.Errorf("%s: a request per object: %s", what, r.Path)
			}
		}
		f.sim.ResetLog()
	}
	res := f.run(Request{})
	check(res, func(a metasim.Account) []Window { return Chunks(f.backfillSpan(a), 30) }, "back-fill")
	if p := pages(len(must(f.sim.Truth(f.world.Accounts[0].ID, "adset", "2026-02-14", "2026-03-15")))); p < 2 {
		t.Fatalf("the world is too small to page: %d page(s)", p)
	}
	res = f.run(Request{})
	check(res, func(a metasim.Account) []Window { return []Window{IncrementalWindow(f.today(a), 28)} }, "incremental")
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
