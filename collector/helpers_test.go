package collector

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadlens/leadlens/metasim"
	"github.com/leadlens/leadlens/store"
)

// testClock is the clock the simulator and the collector share; tests move it by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// testStart is a Sunday noon UTC: every account's "today" is the same calendar date except
// Tokyo's, which is already Sunday evening — still the 15th.
func testStart() time.Time { return time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC) }

// syncBuffer is a log sink written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fixture is a simulator on loopback, a fresh database holding one client with every simulated
// account, and a Service pointed at both.
type fixture struct {
	t        testing.TB
	sim      *metasim.Server
	url      string
	db       *store.DB
	clock    *testClock
	svc      *Service
	cfg      Config
	world    metasim.World
	clientID int64
	logs     *syncBuffer
}

// smallWorld is the default test world: 3 accounts (USD/Los Angeles, EUR/Berlin, JPY/Tokyo),
// 6 campaigns of 3 ad sets each, 180 days of history.
func smallWorld() metasim.Options { return metasim.Options{Seed: 7} }

// fastConfig makes every wait milliseconds long.
func fastConfig(c *Config) {
	c.Pacing = Pacing{SoftPause: time.Millisecond, HardPause: 2 * time.Millisecond}
	c.Retry = RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond, RegainUnit: 5 * time.Millisecond}
	c.Async = AsyncPolicy{PollBase: time.Millisecond, PollMax: 4 * time.Millisecond, MaxWait: 10 * time.Second}
	c.RequestTimeout = 5 * time.Second
}

func newFixture(t testing.TB, o metasim.Options, mod func(*Config)) *fixture {
	t.Helper()
	clk := &testClock{t: testStart()}
	if o.Now == nil {
		o.Now = clk.Now
	}
	sim, err := metasim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "ll.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{t: t, sim: sim, url: url, db: db, clock: clk, world: sim.World(), logs: &syncBuffer{}}
	var ids []string
	for _, a := range f.world.Accounts {
		ids = append(ids, "act_"+a.ID)
	}
	c, err := db.CreateClient(context.Background(), store.NewClient{Name: "Test client", AdAccounts: ids})
	if err != nil {
		t.Fatal(err)
	}
	f.clientID = c.ID
	f.cfg = Config{Store: db, GraphURL: url, APIVersion: "v21.0", Token: metasim.DemoToken, Now: clk.Now,
		Log: slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	fastConfig(&f.cfg)
	// A back-fill of 35 days is the lookback plus six older days: enough to show older days
	// are left alone, and quick under the race detector. Tests of the default set it to 0.
	f.cfg.BackfillDays = 35
	if mod != nil {
		mod(&f.cfg)
	}
	f.svc, err = New(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := f.svc.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
		if strings.Contains(f.logs.String(), metasim.DemoToken) {
			t.Errorf("the access token appears in the log")
		}
	})
	return f
}

// run performs a pass and fails the test on a start error.
func (f *fixture) run(req Request) RunResult {
	f.t.Helper()
	if req.Trigger == "" {
		req.Trigger = store.TriggerCLI
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := f.svc.Run(ctx, req)
	if err != nil {
		f.t.Fatalf("Run: %v", err)
	}
	return res
}

// today is an account's today in its timezone.
func (f *fixture) today(a metasim.Account) time.Time {
	loc, err := time.LoadLocation(a.Timezone)
	if err != nil {
		f.t.Fatal(err)
	}
	return Date(f.clock.Now(), loc)
}

func (f *fixture) account(res RunResult, id string) AccountProgress {
	f.t.Helper()
	for _, a := range res.Accounts {
		if a.AccountID == id {
			return a
		}
	}
	f.t.Fatalf("account %s not in the run", id)
	return AccountProgress{}
}

// rows returns what the store holds for an account at every level over a window.
func (f *fixture) rows(acct string, w Window) map[string][]store.InsightRow {
	f.t.Helper()
	out := map[string][]store.InsightRow{}
	for _, lv := range store.Levels {
		rs, err := f.db.InsightRows(context.Background(), acct, lv, w.SinceString(), w.UntilString())
		if err != nil {
			f.t.Fatal(err)
		}
		out[lv] = rs
	}
	return out
}

// rowKey is a comparable text form of a stored row.
func rowKey(r store.InsightRow) string {
	keys := slices.Sorted(maps.Keys(r.Actions))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s obj=%s camp=%s adset=%s spend=%d imp=%d clk=%d", r.Level, r.Date, r.ObjectID,
		r.CampaignID, r.AdSetID, r.SpendMicros, r.Impressions, r.Clicks)
	for _, k := range keys {
		if r.Actions[k] != 0 {
			fmt.Fprintf(&b, " %s=%d", k, r.Actions[k])
		}
	}
	return b.String()
}

func truthKey(r metasim.TruthRow) string {
	obj := r.AdSetID
	if r.Level == "campaign" {
		obj = r.CampaignID
	} else if r.Level == "account" {
		obj = r.AccountID
	}
	return rowKey(store.InsightRow{Level: r.Level, Date: r.Date, ObjectID: obj, CampaignID: r.CampaignID,
		AdSetID: r.AdSetID, SpendMicros: r.SpendMicros, Impressions: r.Impressions, Clicks: r.Clicks, Actions: r.Actions})
}

// assertTruth checks that the store holds exactly the simulator's truth for an account at
// every level over w, and returns how many rows that is.
func (f *fixture) assertTruth(acct string, w Window) int {
	f.t.Helper()
	got := f.rows(acct, w)
	n := 0
	for _, lv := range store.Levels {
		want, err := f.sim.Truth(acct, lv, w.SinceString(), w.UntilString())
		if err != nil {
			f.t.Fatal(err)
		}
		var wk, gk []string
		for _, r := range want {
			wk = append(wk, truthKey(r))
		}
		for _, r := range got[lv] {
			gk = append(gk, rowKey(r))
		}
		slices.Sort(wk)
		slices.Sort(gk)
		if len(wk) == 0 {
			f.t.Errorf("account %s level %s %s: the truth has no rows; the test proves nothing", acct, lv, w)
		}
		if !slices.Equal(gk, wk) {
			f.t.Errorf("account %s level %s %s: got %d rows, want %d equal to the truth; first difference:\n%s",
				acct, lv, w, len(gk), len(wk), firstDiff(gk, wk))
		}
		n += len(wk)
	}
	return n
}

func firstDiff(got, want []string) string {
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			return fmt.Sprintf("  got  %s\n  want %s", g, w)
		}
	}
	return "(none)"
}

// insightRequests returns the logged insights requests (sync and async submissions) of an
// account, as time ranges.
func (f *fixture) insightRequests(acct string, from int) []metasim.LoggedRequest {
	var out []metasim.LoggedRequest
	reqs := f.sim.Requests()
	for _, r := range reqs[min(from, len(reqs)):] {
		if r.Account == acct && (r.Kind == metasim.RequestInsights || r.Kind == metasim.RequestAsyncSubmit) &&
			r.Params.Get("after") == "" {
			out = append(out, r)
		}
	}
	return out
}

// timeRange reads a logged request's time_range.
func timeRange(t *testing.T, r metasim.LoggedRequest) Window {
	t.Helper()
	tr := r.Params.Get("time_range")
	var s, u string
	if _, err := fmt.Sscanf(strings.NewReplacer(`{"since":"`, "", `","until":"`, " ", `"}`, "").Replace(tr), "%s %s", &s, &u); err != nil {
		t.Fatalf("time_range %q: %v", tr, err)
	}
	ws, err1 := ParseDate(s)
	wu, err2 := ParseDate(u)
	if err1 != nil || err2 != nil {
		t.Fatalf("time_range %q is not two dates", tr)
	}
	return Window{ws, wu}
}
