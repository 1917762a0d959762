package metasim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// micros parses a served decimal exactly, the way a consumer must.
func micros(t *testing.T, s string) int64 {
	t.Helper()
	ip, fp, _ := strings.Cut(s, ".")
	if len(fp) > 6 {
		t.Fatalf("got spend %q with more than 6 decimals", s)
	}
	i, err1 := strconv.ParseInt(ip, 10, 64)
	f, err2 := strconv.ParseInt((fp + "000000")[:6], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("got spend %q, want a plain decimal", s)
	}
	return i*1_000_000 + f
}

// str asserts a row value is a JSON string and returns it.
func str(t *testing.T, row map[string]any, k string) string {
	t.Helper()
	s, ok := row[k].(string)
	if !ok {
		t.Fatalf("got %s = %#v (%T), want a string", k, row[k], row[k])
	}
	return s
}

func actionsOf(t *testing.T, row map[string]any) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	raw, ok := row["actions"]
	if !ok {
		return out
	}
	list, ok := raw.([]any)
	if !ok || len(list) == 0 {
		t.Fatalf("got actions %#v, want a non-empty array or no key", raw)
	}
	for _, e := range list {
		m := e.(map[string]any)
		v, err := strconv.ParseInt(str(t, m, "value"), 10, 64)
		if err != nil || v == 0 {
			t.Fatalf("got action %v, want a non-zero integer string value", m)
		}
		out[str(t, m, "action_type")] = v
	}
	return out
}

func TestInsightsShapeAndTruth(t *testing.T) {
	m := newSim(t, Options{Seed: 11})
	w := m.s.World()
	sawNoActions := false
	for _, a := range w.Accounts {
		for _, level := range []string{"account", "campaign", "adset"} {
			rows, _ := m.allPages(actPath(a.ID)+"/insights", insightsParams(level, "2026-01-01", "2026-03-20"), 50)
			truth, err := m.s.Truth(a.ID, level, "2026-01-01", "2026-03-20")
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(truth) || len(rows) == 0 {
				t.Fatalf("%s %s: got %d rows, want %d (Truth), more than 0", a.ID, level, len(rows), len(truth))
			}
			prev := ""
			for i, r := range rows {
				tr := truth[i]
				if str(t, r, "account_id") != a.ID || str(t, r, "account_currency") != a.Currency {
					t.Fatalf("got row %v, want account_id %s currency %s", r, a.ID, a.Currency)
				}
				ds, de := str(t, r, "date_start"), str(t, r, "date_stop")
				if ds != de || ds != tr.Date || ds > "2026-03-15" {
					t.Fatalf("got dates %s..%s, want one day %s not after today", ds, de, tr.Date)
				}
				_, hasCamp := r["campaign_id"]
				_, hasAdSet := r["adset_id"]
				if hasCamp != (level != "account") || hasAdSet != (level == "adset") {
					t.Fatalf("%s row has campaign_id %v adset_id %v, want ids of its level only", level, hasCamp, hasAdSet)
				}
				key := ds + "/" + fmt.Sprint(r["campaign_id"], "/", r["adset_id"])
				if key <= prev {
					t.Fatalf("got row %s after %s, want order by date then object id", key, prev)
				}
				prev = key
				if got := str(t, r, "spend"); got != tr.Spend || micros(t, got) != tr.SpendMicros {
					t.Fatalf("got spend %s, want %s (%d micros)", got, tr.Spend, tr.SpendMicros)
				}
				if a.MinorDigits == 0 && strings.Contains(str(t, r, "spend"), ".") {
					t.Fatalf("got spend %s in %s, want no decimals", r["spend"], a.Currency)
				}
				if str(t, r, "impressions") != strconv.FormatInt(tr.Impressions, 10) || str(t, r, "clicks") != strconv.FormatInt(tr.Clicks, 10) {
					t.Fatalf("got impressions %v clicks %v, want %d %d", r["impressions"], r["clicks"], tr.Impressions, tr.Clicks)
				}
				acts := actionsOf(t, r)
				if _, ok := r["actions"]; !ok {
					sawNoActions = true
				}
				if fmt.Sprint(acts) != fmt.Sprint(tr.Actions) {
					t.Fatalf("got actions %v, want %v", acts, tr.Actions)
				}
				if acts["lead"] != acts["onsite_conversion.lead_grouped"]+acts["offsite_conversion.fb_pixel_lead"] {
					t.Fatalf("got lead %d, want lead_grouped %d + pixel %d", acts["lead"], acts["onsite_conversion.lead_grouped"], acts["offsite_conversion.fb_pixel_lead"])
				}
			}
		}
	}
	if !sawNoActions {
		t.Errorf("got every row with an actions key, want some rows without one")
	}
}

func TestDaysWithoutDelivery(t *testing.T) {
	m := newSim(t, Options{Seed: 5})
	a := m.s.World().Accounts[0]
	truth, err := m.s.Truth(a.ID, "adset", "2025-12-01", "2026-03-15")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, r := range truth {
		have[r.AdSetID+r.Date] = true
	}
	gaps := 0
	for _, c := range m.s.World().Accounts[0].Campaigns {
		for _, s := range c.AdSets {
			for d := int64(0); d < 105; d++ {
				day := dayString(dayNum(2025, 12, 1) + d)
				if day < s.FirstDay || (s.LastDay != "" && day > s.LastDay) || day > "2026-03-15" {
					continue
				}
				if !have[s.ID+day] {
					gaps++
				}
			}
		}
	}
	if gaps == 0 {
		t.Errorf("got a row for every flight day, want some days without delivery and no row")
	}
	// and the answer for a day before any delivery is empty with no paging at all
	resp, body := m.get(actPath(a.ID)+"/insights", insightsParams("adset", "2024-01-01", "2024-01-31"))
	p := decodeJSON[page](t, body)
	if resp.StatusCode != 200 || len(p.Data) != 0 || p.Paging != nil {
		t.Errorf("got HTTP %d %s, want 200 with empty data and no paging", resp.StatusCode, body)
	}
}

func TestLevelSumsAreExact(t *testing.T) {
	m := newSim(t, Options{Seed: 21, CampaignsPerAccount: 8, AdSetsPerCampaign: 4})
	a := m.s.World().Accounts[1]
	fetch := func(level string) []map[string]any {
		rows, _ := m.allPages(actPath(a.ID)+"/insights", insightsParams(level, "2026-01-15", "2026-03-15"), 50)
		return rows
	}
	type sums struct {
		spend, impr, clicks int64
		acts                map[string]int64
	}
	add := func(mp map[string]*sums, k string, r map[string]any) {
		s := mp[k]
		if s == nil {
			s = &sums{acts: map[string]int64{}}
			mp[k] = s
		}
		s.spend += micros(t, str(t, r, "spend"))
		n, _ := strconv.ParseInt(str(t, r, "impressions"), 10, 64)
		s.impr += n
		n, _ = strconv.ParseInt(str(t, r, "clicks"), 10, 64)
		s.clicks += n
		for at, v := range actionsOf(t, r) {
			s.acts[at] += v
		}
	}
	byCamp, byDay := map[string]*sums{}, map[string]*sums{}
	for _, r := range fetch("adset") {
		add(byCamp, str(t, r, "date_start")+"/"+str(t, r, "campaign_id"), r)
		add(byDay, str(t, r, "date_start"), r)
	}
	check := func(level string, rows []map[string]any, want map[string]*sums, key func(map[string]any) string) {
		if len(rows) != len(want) {
			t.Fatalf("%s: got %d rows, want %d (one per object-day with ad-set rows)", level, len(rows), len(want))
		}
		for _, r := range rows {
			got := map[string]*sums{}
			add(got, "k", r)
			w := want[key(r)]
			if w == nil {
				t.Fatalf("%s: got row %s with no ad-set rows", level, key(r))
			}
			g := got["k"]
			if g.spend != w.spend || g.impr != w.impr || g.clicks != w.clicks || fmt.Sprint(g.acts) != fmt.Sprint(w.acts) {
				t.Fatalf("%s %s: got %+v, want the ad-set sum %+v", level, key(r), *g, *w)
			}
		}
	}
	check("campaign", fetch("campaign"), byCamp, func(r map[string]any) string { return str(t, r, "date_start") + "/" + str(t, r, "campaign_id") })
	check("account", fetch("account"), byDay, func(r map[string]any) string { return str(t, r, "date_start") })
}

func TestTimeRangeErrors(t *testing.T) {
	m := newSim(t, Options{Seed: 1})
	a := m.s.World().Accounts[0]
	path := actPath(a.ID) + "/insights"
	// 37 months before 2026-03-15 is 2023-02-15: that start is allowed, a day earlier is not.
	resp, body := m.get(path, insightsParams("account", "2023-02-15", "2023-02-20"))
	if resp.StatusCode != 200 {
		t.Fatalf("got HTTP %d %s for a start exactly 37 months back, want 200", resp.StatusCode, body)
	}
	resp, body = m.get(path, insightsParams("account", "2023-02-14", "2023-02-20"))
	ge := wantError(t, resp, body, 400, 3018, 0)
	if !strings.Contains(ge.Error.Message, "37 months") {
		t.Errorf("got message %q, want it to mention 37 months", ge.Error.Message)
	}
	resp, body = m.get(path, insightsParams("account", "2026-03-10", "2026-03-01"))
	ge = wantError(t, resp, body, 400, 100, 0)
	if !strings.Contains(ge.Error.Message, "time_range") {
		t.Errorf("got message %q, want it to name time_range", ge.Error.Message)
	}
	p := insightsParams("account", "x", "y")
	p.Set("time_range", `{"since":"2026-03-01"`)
	resp, body = m.get(path, p)
	ge = wantError(t, resp, body, 400, 100, 0)
	if !strings.Contains(ge.Error.Message, "time_range") {
		t.Errorf("got message %q, want it to name time_range", ge.Error.Message)
	}
	p = insightsParams("account", "2026-03-01", "2026-03-02")
	p.Set("fields", "spend,reach_of_mars")
	resp, body = m.get(path, p)
	wantError(t, resp, body, 400, 100, 0)
	p.Set("fields", "spend")
	p.Set("level", "galaxy")
	resp, body = m.get(path, p)
	wantError(t, resp, body, 400, 100, 0)
}

func TestFilteringQuirk(t *testing.T) {
	m := newSim(t, DemoOptions())
	w := m.s.World()
	var nonActive, withIssues int
	status := map[string]string{}
	for _, a := range w.Accounts {
		for _, c := range a.Campaigns {
			for _, s := range c.AdSets {
				status[s.ID] = s.AdsEffectiveStatus
			}
		}
	}
	countByStatus := func(rows []map[string]any) map[string]int {
		out := map[string]int{}
		for _, r := range rows {
			out[status[str(t, r, "adset_id")]]++
		}
		return out
	}
	for _, a := range w.Accounts {
		base := insightsParams("adset", "2025-10-01", "2026-03-15")
		all, _ := m.allPages(actPath(a.ID)+"/insights", base, 50)
		c := countByStatus(all)
		for st, n := range c {
			if st != "ACTIVE" {
				nonActive += n
			}
		}
		withIssues += c["WITH_ISSUES"]

		// any filter at all hides every ad set whose ads are not ACTIVE
		p := insightsParams("adset", "2025-10-01", "2026-03-15")
		p.Set("filtering", `[{"field":"campaign.objective","operator":"NOT_IN","value":["NONE"]}]`)
		some, _ := m.allPages(actPath(a.ID)+"/insights", p, 50)
		if got := countByStatus(some); len(got) > 1 || got["ACTIVE"] != c["ACTIVE"] {
			t.Errorf("%s: got %v with an unrelated filter, want only the %d ACTIVE rows", a.ID, got, c["ACTIVE"])
		}
		// the collector's full list brings everything back
		p.Set("filtering", `[{"field":"ad.effective_status","operator":"IN","value":["ACTIVE","PAUSED","DELETED","ARCHIVED","CAMPAIGN_PAUSED","ADSET_PAUSED","IN_PROCESS","WITH_ISSUES"]}]`)
		full, _ := m.allPages(actPath(a.ID)+"/insights", p, 50)
		if len(full) != len(all) {
			t.Errorf("%s: got %d rows with the full status list, want %d as without filtering", a.ID, len(full), len(all))
		}
		// a list that forgets WITH_ISSUES loses those ad sets
		p.Set("filtering", `[{"field":"ad.effective_status","operator":"IN","value":["ACTIVE","PAUSED","DELETED","ARCHIVED","CAMPAIGN_PAUSED","ADSET_PAUSED"]}]`)
		part, _ := m.allPages(actPath(a.ID)+"/insights", p, 50)
		if len(part) != len(all)-c["WITH_ISSUES"] {
			t.Errorf("%s: got %d rows without WITH_ISSUES, want %d", a.ID, len(part), len(all)-c["WITH_ISSUES"])
		}
	}
	if nonActive == 0 || withIssues == 0 {
		t.Fatalf("got %d non-active and %d WITH_ISSUES rows in the demo world, want both > 0 so the quirk is exercised", nonActive, withIssues)
	}
	p := insightsParams("adset", "2026-03-01", "2026-03-02")
	p.Set("filtering", `[{"field":"spend_color","operator":"IN","value":["red"]}]`)
	resp, body := m.get(actPath(w.Accounts[0].ID)+"/insights", p)
	wantError(t, resp, body, 400, 100, 0)
	p.Set("filtering", `not json`)
	resp, body = m.get(actPath(w.Accounts[0].ID)+"/insights", p)
	if ge := wantError(t, resp, body, 400, 100, 0); !strings.Contains(ge.Error.Message, "filtering") {
		t.Errorf("got %q, want the message to name filtering", ge.Error.Message)
	}
}

func TestNodeInsightsAndAllDays(t *testing.T) {
	m := newSim(t, Options{Seed: 9})
	a := m.s.World().Accounts[0]
	c := a.Campaigns[0]
	rows, _ := m.allPages("/v21.0/"+c.ID+"/insights", insightsParams("adset", "2026-02-01", "2026-03-15"), 20)
	ids := map[string]bool{}
	for _, s := range c.AdSets {
		ids[s.ID] = true
	}
	for _, r := range rows {
		if !ids[str(t, r, "adset_id")] {
			t.Fatalf("got ad set %v under campaign %s, want only its own", r["adset_id"], c.ID)
		}
	}
	s := c.AdSets[0]
	p := insightsParams("adset", "2026-02-01", "2026-03-15")
	p.Del("time_increment")
	_, body := m.get("/v21.0/"+s.ID+"/insights", p)
	pg := decodeJSON[page](t, body)
	if len(pg.Data) != 1 || pg.Data[0]["date_start"] != "2026-02-01" || pg.Data[0]["date_stop"] != "2026-03-15" {
		t.Fatalf("got %s, want one all_days row 2026-02-01..2026-03-15", truncate(body))
	}
	var sum int64
	for _, r := range rows {
		if r["adset_id"] == s.ID {
			sum += micros(t, str(t, r, "spend"))
		}
	}
	if got := micros(t, str(t, pg.Data[0], "spend")); got != sum {
		t.Errorf("got all_days spend %d micros, want the daily sum %d", got, sum)
	}
	if !slices.Contains(ActionTypes(), "onsite_conversion.lead_grouped") {
		t.Errorf("got ActionTypes %v, want lead_grouped among them", ActionTypes())
	}
}

func TestDatesInAccountTimezone(t *testing.T) {
	m := newSim(t, Options{Seed: 3})
	// 20:00 UTC on the 15th is already the 16th in Tokyo and still the 15th in Los Angeles
	m.clock.Advance(8 * time.Hour)
	w := m.s.World()
	last := map[string]string{}
	for _, a := range w.Accounts {
		rows, _ := m.allPages(actPath(a.ID)+"/insights", insightsParams("account", "2026-03-10", "2026-03-20"), 5)
		if len(rows) == 0 {
			t.Fatalf("%s: got no rows, want some", a.Timezone)
		}
		last[a.Timezone] = str(t, rows[len(rows)-1], "date_start")
	}
	if last["Asia/Tokyo"] != "2026-03-16" || last["America/Los_Angeles"] != "2026-03-15" {
		t.Fatalf("got last days %v, want 2026-03-16 in Tokyo and 2026-03-15 in Los Angeles", last)
	}
	if _, err := m.s.Truth("act_1", "adset", "2026-03-01", "2026-03-02"); err == nil {
		t.Errorf("got no error for an unknown account, want one")
	}
	if _, err := m.s.Truth(w.Accounts[0].ID, "adset", "2026-03-02", "2026-03-01"); err == nil {
		t.Errorf("got no error for a reversed range, want one")
	}
}
