package metasim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// largeOptions is the benchmark world: 2 accounts × 100 campaigns × 10 ad sets over a year,
// 730k ad-set-day cells.
func largeOptions() Options {
	return Options{Seed: 1, Accounts: 2, CampaignsPerAccount: 100, AdSetsPerCampaign: 10, AdsPerAdSet: 1,
		HistoryDays: 365, Now: testStart}
}

// BenchmarkInsightsAllPages reads every ad-set row of one account for a year, 500 per page,
// following next links, straight through ServeHTTP.
func BenchmarkInsightsAllPages(b *testing.B) {
	s, err := New(largeOptions())
	if err != nil {
		b.Fatal(err)
	}
	a := s.World().Accounts[0]
	first := "/v21.0/act_" + a.ID + "/insights?" + insightsParams("adset", "2025-03-16", "2026-03-15").Encode() + "&access_token=" + DemoToken
	b.ReportAllocs()
	for b.Loop() {
		rows, target := 0, first
		for target != "" {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
			if rec.Code != http.StatusOK {
				b.Fatalf("got HTTP %d %s", rec.Code, rec.Body.String())
			}
			// count and follow without decoding every row: the benchmark measures the simulator
			body := rec.Body.Bytes()
			rows += bytes.Count(body, []byte(`"date_start"`))
			target = ""
			if i := bytes.Index(body, []byte(`"next":"`)); i >= 0 {
				var n string
				end := bytes.IndexByte(body[i+8:], '}')
				if err := json.Unmarshal(body[i+7:i+8+end], &n); err != nil {
					b.Fatal(err)
				}
				u, _ := url.Parse(n)
				target = u.RequestURI()
			}
		}
		b.ReportMetric(float64(rows), "rows/op")
	}
}

// BenchmarkInsightsDeepPage reads one page far into the answer: cursors encode a position, so
// it costs about what the first page costs.
func BenchmarkInsightsDeepPage(b *testing.B) {
	s, err := New(largeOptions())
	if err != nil {
		b.Fatal(err)
	}
	a := s.World().Accounts[0]
	target := "/v21.0/act_" + a.ID + "/insights?" + insightsParams("adset", "2025-03-16", "2026-03-15").Encode() +
		"&access_token=" + DemoToken + "&after=" + encodeCursor('i', 300_000)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("got HTTP %d", rec.Code)
		}
	}
}

// BenchmarkAccountLevelYear sums all 1,000 ad sets for each of 365 days.
func BenchmarkAccountLevelYear(b *testing.B) {
	s, err := New(largeOptions())
	if err != nil {
		b.Fatal(err)
	}
	a := s.World().Accounts[1]
	target := "/v21.0/act_" + a.ID + "/insights?" + insightsParams("account", "2025-03-16", "2026-03-15").Encode() + "&access_token=" + DemoToken
	for b.Loop() {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("got HTTP %d", rec.Code)
		}
	}
}

func BenchmarkNewLargeWorld(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(largeOptions()); err != nil {
			b.Fatal(err)
		}
	}
}
