package collector

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/leadlens/leadlens/metasim"
	"github.com/leadlens/leadlens/store"
)

// The collector's benchmarks (docs/benchmarks.md, "Collector"):
//
//	go test -run '^$' -bench . -benchtime 1x ./collector/
//
// largeWorld is accounts × campaigns × 10 ad sets over a year. With 2 accounts and 200
// campaigns that is about 750k ad-set-day rows: flights, paused objects and dark days leave
// out about half of the 1.46M (ad set, day) cells, as in a real account. The call budget is
// raised so the usage headers stay low: the benchmarks measure the pass, not the pacing (a
// year of 750k rows is 3,000 calls; the simulator's default budget is 300 an hour).
func largeWorld(accounts, campaigns int) metasim.Options {
	return metasim.Options{Seed: 1, Accounts: accounts, CampaignsPerAccount: campaigns, AdSetsPerCampaign: 10,
		AdsPerAdSet: 1, HistoryDays: 365, Now: testStart, CallBudget: 10_000_000}
}

// benchEnv is a simulator on loopback and fresh databases pointed at it.
type benchEnv struct {
	b     *testing.B
	sim   *metasim.Server
	url   string
	world metasim.World
	since string
	until string
}

func newBenchEnv(b *testing.B, o metasim.Options) *benchEnv {
	b.Helper()
	sim, err := metasim.New(o)
	if err != nil {
		b.Fatal(err)
	}
	url, stop, err := sim.Start()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(stop)
	today := Date(testStart(), time.UTC)
	return &benchEnv{b: b, sim: sim, url: url, world: sim.World(),
		since: addDays(today, -364).Format(time.DateOnly), until: today.Format(time.DateOnly)}
}

// db opens a fresh database holding one client with every simulated account.
func (e *benchEnv) db() *store.DB {
	e.b.Helper()
	db, err := store.Open(context.Background(), filepath.Join(e.b.TempDir(), "bench.db"), store.Options{})
	if err != nil {
		e.b.Fatal(err)
	}
	var ids []string
	for _, a := range e.world.Accounts {
		ids = append(ids, a.ID)
	}
	if _, err := db.CreateClient(context.Background(), store.NewClient{Name: "Bench", AdAccounts: ids}); err != nil {
		e.b.Fatal(err)
	}
	return db
}

func (e *benchEnv) service(db *store.DB) *Service {
	e.b.Helper()
	svc, err := New(Config{Store: db, GraphURL: e.url, Token: metasim.DemoToken, Now: testStart})
	if err != nil {
		e.b.Fatal(err)
	}
	return svc
}

// adSetRows counts the world's ad-set-day rows over the year.
func (e *benchEnv) adSetRows() int {
	n := 0
	for _, a := range e.world.Accounts {
		rows, err := e.sim.Truth(a.ID, "adset", e.since, e.until)
		if err != nil {
			e.b.Fatal(err)
		}
		n += len(rows)
	}
	return n
}

func (e *benchEnv) pass(svc *Service, req Request) RunResult {
	e.b.Helper()
	res, err := svc.Run(context.Background(), req)
	if err != nil {
		e.b.Fatal(err)
	}
	if res.Status != store.RunSucceeded {
		e.b.Fatalf("run: got %s (%s), want succeeded", res.Status, res.Error)
	}
	return res
}

// peakHeap runs fn while sampling the Go heap in use, and returns its peak above what was in
// use before, in MB. The heap in use is the live heap plus garbage not yet collected (GOGC
// lets it grow to about twice the live heap); the simulator runs in the same process, so its
// pages count too. A pass that buffered its rows would grow with the world; a streaming one
// stays flat.
func peakHeap(fn func()) float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapInuse, ms.HeapInuse
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapInuse)
			}
		}
	}()
	fn()
	close(stop)
	<-done
	return float64(peak-base) / (1 << 20)
}

// BenchmarkPassLarge collects a year of a large world (every level, every account) into an
// empty database over HTTP: rows stored per second, end to end.
func BenchmarkPassLarge(b *testing.B) {
	e := newBenchEnv(b, largeWorld(2, 200))
	adsets := e.adSetRows()
	var rows int64
	var elapsed time.Duration
	var peak float64
	for b.Loop() {
		b.StopTimer()
		db := e.db()
		svc := e.service(db)
		b.StartTimer()
		start := time.Now()
		peak = max(peak, peakHeap(func() {
			rows += e.pass(svc, Request{Trigger: store.TriggerCLI, Since: e.since, Until: e.until}).Rows
		}))
		elapsed += time.Since(start)
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(adsets), "adset-rows")
	b.ReportMetric(float64(rows)/float64(b.N), "rows/pass")
	b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(peak, "peak-heap-MB")
}

// BenchmarkRawInsert stores the same rows as BenchmarkPassLarge into the same schema through
// the same store API (one window per account, batches of DefaultBatchRows, one commit) with
// no HTTP, no JSON and no collector: the physical bound of a pass.
func BenchmarkRawInsert(b *testing.B) {
	e := newBenchEnv(b, largeWorld(2, 200))
	byAccount := map[string][]store.InsightRow{}
	total := 0
	for _, a := range e.world.Accounts {
		for _, lv := range store.Levels {
			tr, err := e.sim.Truth(a.ID, lv, e.since, e.until)
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range tr {
				obj := map[string]string{"account": r.AccountID, "campaign": r.CampaignID, "adset": r.AdSetID}[lv]
				byAccount[a.ID] = append(byAccount[a.ID], store.InsightRow{Level: lv, Date: r.Date, ObjectID: obj,
					CampaignID: r.CampaignID, AdSetID: r.AdSetID, SpendMicros: r.SpendMicros, Impressions: r.Impressions,
					Clicks: r.Clicks, Actions: r.Actions})
			}
			total += len(tr)
		}
	}
	ctx := context.Background()
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		db := e.db()
		b.StartTimer()
		start := time.Now()
		for acct, rows := range byAccount {
			load, err := db.BeginWindow(ctx, acct, e.since, e.until)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < len(rows); i += DefaultBatchRows {
				if err := load.Add(ctx, rows[i:min(i+DefaultBatchRows, len(rows))]); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := load.Commit(ctx, store.Levels, 0); err != nil {
				b.Fatal(err)
			}
		}
		elapsed += time.Since(start)
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(total), "rows/pass")
	b.ReportMetric(float64(total)*float64(b.N)/elapsed.Seconds(), "rows/s")
}

// BenchmarkIncrementalPass is the scheduled pass of the large world after its back-fill: the
// lookback window at every level. It reports Graph API calls per account, the minimum paging
// allows (account, campaigns, ad sets, ads, and the insights pages of three levels).
func BenchmarkIncrementalPass(b *testing.B) {
	e := newBenchEnv(b, largeWorld(2, 200))
	db := e.db()
	b.Cleanup(func() { db.Close() })
	svc := e.service(db)
	e.pass(svc, Request{Trigger: store.TriggerCLI, Since: e.since, Until: e.until})
	var calls, rows int64
	var elapsed time.Duration
	for b.Loop() {
		start := time.Now()
		res := e.pass(svc, Request{Trigger: store.TriggerSchedule})
		elapsed += time.Since(start)
		calls += res.Calls
		rows += res.Rows
	}
	b.ReportMetric(float64(calls)/float64(b.N)/float64(len(e.world.Accounts)), "calls/account")
	b.ReportMetric(float64(rows)/float64(b.N), "rows/pass")
	b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
}

// BenchmarkBackfillMemory back-fills a year of one account of growing size and reports the
// peak heap in use above the baseline: rows stream page by page into staging, so the peak
// stays flat while the world grows fourfold.
func BenchmarkBackfillMemory(b *testing.B) {
	for _, campaigns := range []int{50, 100, 200} {
		b.Run(fmt.Sprintf("campaigns=%d", campaigns), func(b *testing.B) {
			e := newBenchEnv(b, largeWorld(1, campaigns))
			adsets := e.adSetRows()
			var peak float64
			for b.Loop() {
				b.StopTimer()
				db := e.db()
				svc := e.service(db)
				b.StartTimer()
				peak = max(peak, peakHeap(func() {
					e.pass(svc, Request{Trigger: store.TriggerCLI, Since: e.since, Until: e.until})
				}))
				b.StopTimer()
				db.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(adsets), "adset-rows")
			b.ReportMetric(peak, "peak-heap-MB")
		})
	}
}
