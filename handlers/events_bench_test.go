package handlers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadlens/leadlens/events"
	"github.com/leadlens/leadlens/store"
)

// benchServer is the real event API — handler, batcher, SQLite file with synchronous=FULL —
// behind a real HTTP server on loopback.
func benchServer(b *testing.B, opts events.BatcherOptions) (*store.DB, *events.Batcher, string, string) {
	b.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	c, err := db.CreateClient(ctx, store.NewClient{Name: "Bench", Timezone: "America/Los_Angeles", AdAccounts: []string{"1"}, Pages: []string{"111"}})
	if err != nil {
		b.Fatal(err)
	}
	key, _, err := db.CreateAPIKey(ctx, c.ID, "bench", "bench")
	if err != nil {
		b.Fatal(err)
	}
	bat := events.NewBatcher(db, opts)
	b.Cleanup(func() { bat.Close(ctx) })
	h := New(Deps{Store: db, Log: slog.New(slog.DiscardHandler), Events: bat})
	srv := httptest.NewServer(h.Routes())
	b.Cleanup(srv.Close)
	return db, bat, srv.URL, key
}

// benchBody is a one-event request as a bot sends it: an event_id, a value, a custom key.
func benchBody(i int) string {
	return fmt.Sprintf(`{"custom_events":[{"_eventName":"lead_submitted","event_id":"lead-%d","_valueToSum":12.5,"fb_currency":"USD","form":"quote"}],`+
		`"advertiser_tracking_enabled":1,"application_tracking_enabled":1,"page_id":111,"page_scoped_user_id":%d,`+
		`"logging_source":"messenger_bot","logging_target":"page"}`, i, 9876543210+i%5000)
}

// benchIngest posts b.N one-event requests from `clients` concurrent clients and reports
// acknowledged events per second, p50/p99 latency and the mean requests per commit.
func benchIngest(b *testing.B, clients int, opts events.BatcherOptions) {
	_, bat, url, key := benchServer(b, opts)
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/page_activities", strings.NewReader(benchBody(i)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+key)
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[i] = time.Since(t0)
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d requests failed, want none", n, b.N)
	}
	slices.Sort(lat)
	st := bat.Stats()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[(len(lat)-1)*99/100].Microseconds())/1000, "p99-ms")
	if st.Commits > 0 {
		b.ReportMetric(float64(st.Batches)/float64(st.Commits), "reqs/commit")
	}
	b.ReportMetric(0, "ns/op") // per-op time means little here; events/s says it
}

// BenchmarkIngest64 is the event API under 64 concurrent clients with group commit.
func BenchmarkIngest64(b *testing.B) { benchIngest(b, 64, events.BatcherOptions{}) }

// BenchmarkIngest64NoGroupCommit is the same load with one request per transaction: one fsync
// per request, the rate group commit is there to beat.
func BenchmarkIngest64NoGroupCommit(b *testing.B) {
	benchIngest(b, 64, events.BatcherOptions{MaxBatches: 1})
}

// BenchmarkIngest1 is a single client: the latency of one request with nothing to share a
// commit with.
func BenchmarkIngest1(b *testing.B) { benchIngest(b, 1, events.BatcherOptions{}) }

// BenchmarkRawInsert writes the same rows as BenchmarkIngest64 — one-event batches with a
// savepoint each — in one transaction, with no HTTP and no parsing: the bound for ingestion.
func BenchmarkRawInsert(b *testing.B) {
	db, _, _, _ := benchServer(b, events.BatcherOptions{})
	ctx := context.Background()
	clients, err := db.Clients(ctx, false)
	if err != nil || len(clients) != 1 {
		b.Fatal(clients, err)
	}
	now := time.Now().UTC()
	batches := make([]store.EventBatch, b.N)
	for i := range batches {
		batches[i] = store.EventBatch{ClientID: clients[0].ID, PageID: "111", PSID: fmt.Sprint(9876543210 + i%5000), ReceivedAt: now,
			RequestMeta: `{"logging_source":"messenger_bot","logging_target":"page","advertiser_tracking_enabled":1,"application_tracking_enabled":1}`,
			Events: []store.NewEvent{{Name: "lead_submitted", Value: "12.5", Currency: "USD", Params: `{"form":"quote"}`,
				EventTime: now, IdemKey: fmt.Sprint("lead-", i)}}}
	}
	b.ResetTimer()
	start := time.Now()
	res, err := db.InsertEventBatches(ctx, batches)
	elapsed := time.Since(start)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			b.Fatal(r.Err)
		}
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(0, "ns/op")
}
