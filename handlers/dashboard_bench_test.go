package handlers

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadlens/leadlens/internal/synth"
	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
)

// benchWorldVersion names the cached benchmark database: change it when synth.BenchSpec or the
// way it is loaded changes.
const benchWorldVersion = "dashboard-v2"

// benchUntil is the last day of the benchmark world; benchNow is the server's clock, the next
// afternoon in New York, so the default view (the last 28 complete days) is full of data.
var (
	benchUntil = "2026-11-20"
	benchNow   = time.Date(2026, 11, 21, 18, 0, 0, 0, time.UTC)
)

// benchDB opens the benchmark world: 365 days × 200 campaigns × 10 ad sets (730,000 ad-set and
// 73,000 campaign rows, ~180,000 logged leads). Loading it takes a while, so it is kept under
// os.TempDir() and reused; it is built under a temporary name and renamed when complete.
func benchDB(b *testing.B) *store.DB {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(os.TempDir(), "leadlens-bench-"+benchWorldVersion+".db")
	if _, err := os.Stat(path); err != nil {
		tmp := path + ".building"
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(tmp + suffix)
		}
		db, err := store.Open(ctx, tmp, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		w, err := synth.Load(ctx, db, synth.BenchSpec(benchUntil))
		if err != nil {
			b.Fatal(err)
		}
		hash, err := secret.HashPassword("correct-horse-battery")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.CreateUser(ctx, store.NewUser{Email: "bench@example.com", PasswordHash: hash, Role: "admin"}); err != nil {
			b.Fatal(err)
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			b.Fatal(err)
		}
		b.Logf("built %s in %v: %v rows, %d events", path, time.Since(start).Round(time.Second), w.RowCount, w.EventCount)
	}
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// BenchmarkDashboard measures whole requests — real HTTP on loopback, the real handler and
// middleware, the real SQLite file — one at a time, and reports their p50 and p99 latency.
// /healthz on the same server is the baseline.
func BenchmarkDashboard(b *testing.B) {
	db := benchDB(b)
	h := New(Deps{Store: db, Now: func() time.Time { return benchNow }, Version: "bench"})
	srv := httptest.NewServer(h.Routes())
	b.Cleanup(srv.Close)
	c := benchLogin(b, srv.URL)
	views := []struct{ name, path string }{
		{"healthz", "/healthz"},
		{"default", "/clients/bench"}, // last 28 days, campaigns, CTX only, compared
		{"adset", "/clients/bench?level=adset"},
		{"account", "/clients/bench?level=account"},
		{"all-campaigns", "/clients/bench?ctx=0"},
		{"adset-all-campaigns", "/clients/bench?level=adset&ctx=0"},
		{"drilldown", "/clients/bench/campaigns/230000000000"},
		{"last-90-days", "/clients/bench?range=last_90d"},
		{"htmx-adset", "/clients/bench?level=adset&sort=spend"},
		{"overview", "/"},
	}
	for _, v := range views {
		b.Run(v.name, func(b *testing.B) {
			hx := strings.HasPrefix(v.name, "htmx")
			for range 3 { // warm the caches and the connection
				get(b, c, srv.URL+v.path, hx)
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				get(b, c, srv.URL+v.path, hx)
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			slices.Sort(lat)
			ms := func(q float64) float64 {
				return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
			}
			b.ReportMetric(ms(0.50), "p50-ms")
			b.ReportMetric(ms(0.99), "p99-ms")
		})
	}
}

func get(b *testing.B, c *http.Client, u string, hx bool) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		b.Fatal(err)
	}
	if hx {
		req.Header.Set("HX-Request", "true")
	}
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || n == 0 {
		b.Fatalf("GET %s: got %d (%d bytes)", u, resp.StatusCode, n)
	}
}

func benchLogin(b *testing.B, base string) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 60 * time.Second}
	req, _ := http.NewRequest(http.MethodPost, base+"/login",
		strings.NewReader(url.Values{"email": {"bench@example.com"}, "password": {"correct-horse-battery"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("signing in: got %d", resp.StatusCode)
	}
	return c
}

// BenchmarkWindowCommit is the write side of the dashboard's derived tables: the
// collector's commit of one window of the benchmark world's account, all three levels, with
// the rows it already holds (so the database is the same after every iteration). "incremental"
// is the scheduled pass's window (today and the 28 days before it); "oldest-chunk" is the first
// 30 days of the year, committed after every later day is stored, as a back-fill's last chunk
// is (chunks go newest first). Only Commit is timed; staging the rows is not.
func BenchmarkWindowCommit(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	for _, w := range []struct{ name, since, until string }{
		{"incremental", "2026-10-23", benchUntil},
		{"oldest-chunk", "2025-11-21", "2025-12-20"},
	} {
		b.Run(w.name, func(b *testing.B) {
			var rows []store.InsightRow
			for _, lv := range store.Levels {
				r, err := db.InsightRows(ctx, "5005", lv, w.since, w.until)
				if err != nil {
					b.Fatal(err)
				}
				rows = append(rows, r...)
			}
			var elapsed time.Duration
			for b.Loop() {
				b.StopTimer()
				load, err := db.BeginWindow(ctx, "5005", w.since, w.until)
				if err != nil {
					b.Fatal(err)
				}
				for i := 0; i < len(rows); i += 2000 {
					if err := load.Add(ctx, rows[i:min(i+2000, len(rows))]); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				start := time.Now()
				if _, err := load.Commit(ctx, store.Levels, 0); err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
			}
			b.ReportMetric(float64(len(rows)), "rows")
			b.ReportMetric(float64(elapsed.Milliseconds())/float64(b.N), "commit-ms")
			if w.name == "oldest-chunk" {
				b.StopTimer()
				n, ms := catchUp(b, db)
				b.ReportMetric(float64(n), "catch-up-commits")
				b.ReportMetric(ms, "catch-up-commit-ms")
			}
		})
	}
}

// catchUp commits the incremental window until no running totals are stale (an older chunk
// left them so; see store.updateCum), leaving the benchmark database as it was, and returns
// how many commits that took and their mean time.
func catchUp(b *testing.B, db *store.DB) (int, float64) {
	ctx := context.Background()
	raw, err := sql.Open("sqlite", "file:"+db.Path()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	var rows []store.InsightRow
	for _, lv := range store.Levels {
		r, err := db.InsightRows(ctx, "5005", lv, "2026-10-23", benchUntil)
		if err != nil {
			b.Fatal(err)
		}
		rows = append(rows, r...)
	}
	var total time.Duration
	for i := 1; ; i++ {
		var stale int
		if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM insights_cum_stale`).Scan(&stale); err != nil {
			b.Fatal(err)
		}
		if stale == 0 {
			return i - 1, float64(total.Milliseconds()) / float64(max(i-1, 1))
		}
		if i > 20 {
			b.Fatal("running totals still stale after 20 commits")
		}
		load, err := db.BeginWindow(ctx, "5005", "2026-10-23", benchUntil)
		if err != nil {
			b.Fatal(err)
		}
		for j := 0; j < len(rows); j += 2000 {
			if err := load.Add(ctx, rows[j:min(j+2000, len(rows))]); err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		if _, err := load.Commit(ctx, store.Levels, 0); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
	}
}
