package metasim

import (
	"net/http"
	"net/url"
	"testing"
)

func TestPagingNextLinks(t *testing.T) {
	m := newSim(t, Options{Seed: 4})
	a := m.s.World().Accounts[0]
	path := actPath(a.ID) + "/insights"
	whole, _ := m.allPages(path, insightsParams("adset", "2026-02-01", "2026-03-15"), 5)
	if len(whole) < 100 {
		t.Fatalf("got %d rows at limit 500, want >= 100", len(whole))
	}

	params := insightsParams("adset", "2026-02-01", "2026-03-15")
	params.Set("limit", "7")
	params.Set("filtering", `[{"field":"ad.effective_status","operator":"IN","value":["ACTIVE","PAUSED","DELETED","ARCHIVED","CAMPAIGN_PAUSED","ADSET_PAUSED","IN_PROCESS","WITH_ISSUES"]}]`)
	resp, body := m.get(path, params)
	var rows []map[string]any
	seen := map[string]bool{}
	for n := 1; ; n++ {
		if resp.StatusCode != 200 {
			t.Fatalf("page %d: got HTTP %d %s, want 200", n, resp.StatusCode, truncate(body))
		}
		p := decodeJSON[page](t, body)
		if p.Paging == nil || p.Paging.Cursors.Before == "" || p.Paging.Cursors.After == "" {
			t.Fatalf("page %d: got paging %+v, want both cursors", n, p.Paging)
		}
		for _, r := range p.Data {
			k := str(t, r, "date_start") + str(t, r, "adset_id")
			if seen[k] {
				t.Fatalf("got row %s twice, want each row once", k)
			}
			seen[k] = true
		}
		rows = append(rows, p.Data...)
		next := p.next()
		if next == "" {
			if len(p.Data) == 0 || len(p.Data) > 7 {
				t.Fatalf("last page: got %d rows, want 1..7", len(p.Data))
			}
			break
		}
		if len(p.Data) != 7 {
			t.Fatalf("page %d: got %d rows with a next link, want a full page of 7", n, len(p.Data))
		}
		u, err := url.Parse(next)
		if err != nil || u.Scheme+"://"+u.Host != m.url || u.Path != path {
			t.Fatalf("got next %q, want an absolute URL under %s%s", next, m.url, path)
		}
		q := u.Query()
		if q.Get("access_token") != DemoToken || q.Get("after") != p.Paging.Cursors.After {
			t.Fatalf("got next query %v, want the token and after=%s", q, p.Paging.Cursors.After)
		}
		for k := range params {
			if q.Get(k) != params.Get(k) {
				t.Fatalf("got next %s=%q, want the original %q", k, q.Get(k), params.Get(k))
			}
		}
		if n > 100 {
			t.Fatalf("got more than 100 pages, want the chain to end")
		}
		req, _ := http.NewRequest("GET", next, nil)
		resp, body = m.send(req)
	}
	if len(rows) != len(whole) {
		t.Fatalf("got %d rows over pages, want %d as in one page", len(rows), len(whole))
	}
	for i := range rows {
		if str(t, rows[i], "spend") != str(t, whole[i], "spend") || rows[i]["adset_id"] != whole[i]["adset_id"] {
			t.Fatalf("row %d: got %v, want %v", i, rows[i], whole[i])
		}
	}
}

func TestPagingLimits(t *testing.T) {
	m := newSim(t, Options{Seed: 4, CampaignsPerAccount: 20, AdSetsPerCampaign: 5})
	a := m.s.World().Accounts[0]
	path := actPath(a.ID) + "/insights"
	p := insightsParams("adset", "2025-12-01", "2026-03-15")
	p.Set("limit", "5000")
	_, body := m.get(path, p)
	pg := decodeJSON[page](t, body)
	next, _ := url.Parse(pg.next())
	if len(pg.Data) != MaxLimit || next.Query().Get("limit") != "500" {
		t.Fatalf("got %d rows and next limit %q for limit=5000, want %d and 500", len(pg.Data), next.Query().Get("limit"), MaxLimit)
	}
	p.Del("limit")
	_, body = m.get(path, p)
	if pg := decodeJSON[page](t, body); len(pg.Data) != DefaultLimit || pg.next() == "" {
		t.Fatalf("got %d rows without limit, want %d and a next link", len(pg.Data), DefaultLimit)
	}
	p.Set("after", "bm9wZQ")
	resp, body := m.get(path, p)
	wantError(t, resp, body, 400, 100, 0)

	// token in a header: next still carries it, as Meta's do; consumers must redact next URLs
	req, _ := http.NewRequest("GET", m.url+actPath(a.ID)+"/campaigns?limit=2", nil)
	req.Header.Set("Authorization", "Bearer "+DemoToken)
	_, body = m.send(req)
	pg = decodeJSON[page](t, body)
	next, _ = url.Parse(pg.next())
	if len(pg.Data) != 2 || next.Query().Get("access_token") != DemoToken {
		t.Fatalf("got %d campaigns and next %q, want 2 and a next carrying the token", len(pg.Data), pg.next())
	}
}
