package handlers

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leadlens/leadlens/internal/pagetest"
	"github.com/leadlens/leadlens/store"
)

// The expected numbers are worked out by hand from synth.Fixture's comment. The fixture's
// period is 1–3 Nov 2026 (custom), compared with 29–31 Oct.
const fixtureView = "/clients/acme?range=custom&since=2026-11-01&until=2026-11-03"

func TestDashboardNumbersCTXOnly(t *testing.T) {
	e, _, c := fixtureEnv(t)
	p := e.getPage(c, fixtureView)
	if p.Code != 200 {
		t.Fatalf("got %d, want 200:\n%s", p.Code, p.Body)
	}
	checks := []struct {
		tile string
		want []string
	}{
		{"tile-attributed", []string{"7"}},
		{"tile-logged", []string{"8"}},
		{"tile-match", []string{"114.3%"}},
		// Two currencies: one line each, never a sum.
		{"tile-spend", []string{"€21.25", "$18.50"}},
		{"tile-cpl", []string{"€5.31", "$6.17"}},
		{"tile-conversations", []string{"12"}},
		{"tile-conv-rate", []string{"58.3%"}},
	}
	for _, ch := range checks {
		if got := p.TileValues(ch.tile); strings.Join(got, "|") != strings.Join(ch.want, "|") {
			t.Errorf("%s: got %q, want %q", ch.tile, got, ch.want)
		}
	}
	// Against 29–31 Oct: 3 attributed, 1 logged, $4.00 and €6.00, 3 conversations.
	deltas := map[string]string{
		"tile-attributed": "+133.3%", "tile-logged": "+700.0%", "tile-spend": "+254.2%|+362.5%",
		"tile-match": "+81.0 pp", "tile-conversations": "+300.0%",
	}
	for tile, want := range deltas {
		if got := strings.Join(visibleDeltas(p, tile), "|"); got != want {
			t.Errorf("%s delta: got %q, want %q", tile, got, want)
		}
	}
	rows := map[string]string{
		"row-9003":         "WhatsApp EU EU|active|CTX|€21.25|7|4|1|+3|€5.31",
		"row-9001":         "Spring CTX US|active|CTX|$18.50|5|3|3|0|$6.17",
		"row-unattributed": "Not attributed in this view Logged leads without a known ad of this client, or whose ad is in a campaign that is not CTX|||–|0|0|4|–|–",
	}
	for id, want := range rows {
		if got := strings.Join(p.Row(id), "|"); got != want {
			t.Errorf("%s: got %q, want %q", id, got, want)
		}
	}
	if p.Has("row-9002") {
		t.Errorf("CTX only: the website campaign 9002 is on the page")
	}
	if got := p.TestID("lead-definition"); !strings.Contains(got, "onsite_conversion.lead_grouped") {
		t.Errorf("lead definition: got %q", got)
	}
	if got := p.TestID("timezone"); !strings.Contains(got, "America/New_York") {
		t.Errorf("timezone: got %q, want the first account's America/New_York", got)
	}
	if !p.Has("alert-currencies") {
		t.Errorf("two currencies: no note saying totals are per currency")
	}
}

func TestDashboardNumbersPerLevelAndEveryCampaign(t *testing.T) {
	e, _, c := fixtureEnv(t)
	tests := []struct {
		query string
		rows  map[string]string // row id → attributed|logged
		tiles [2]string         // attributed, logged
	}{
		{"&level=account", map[string]string{"row-1": "3|3", "row-2": "4|1", "row-unattributed": "0|4"}, [2]string{"7", "8"}},
		{"&level=adset", map[string]string{"row-8001": "3|2", "row-8002": "0|1", "row-8004": "4|1", "row-unattributed": "0|4"}, [2]string{"7", "8"}},
		{"&level=campaign&ctx=0", map[string]string{"row-9001": "3|3", "row-9002": "1|1", "row-9003": "4|1", "row-unattributed": "0|3"}, [2]string{"8", "8"}},
		{"&level=account&ctx=0", map[string]string{"row-1": "4|4", "row-2": "4|1", "row-unattributed": "0|3"}, [2]string{"8", "8"}},
	}
	for _, tc := range tests {
		p := e.getPage(c, fixtureView+tc.query)
		if p.Code != 200 {
			t.Fatalf("%s: got %d", tc.query, p.Code)
		}
		for id, want := range tc.rows {
			cells := p.Row(id)
			if got := cells[5] + "|" + cells[6]; got != want {
				t.Errorf("%s %s: attributed|logged got %q, want %q", tc.query, id, got, want)
			}
		}
		if got := [2]string{p.TileValues("tile-attributed")[0], p.TileValues("tile-logged")[0]}; got != tc.tiles {
			t.Errorf("%s: tiles got %v, want %v", tc.query, got, tc.tiles)
		}
	}
}

func TestDashboardDrillDown(t *testing.T) {
	e, _, c := fixtureEnv(t)
	list := e.getPage(c, fixtureView)
	link := pagetest.Find(pagetest.Find(list.Root, "row-9001"), "drill")
	if link == nil {
		t.Fatal("campaign row 9001 has no drill-down link")
	}
	href, _ := pagetest.Attr(link, "href")
	if !strings.HasPrefix(href, "/clients/acme/campaigns/9001?") || !strings.Contains(href, "since=2026-11-01") {
		t.Fatalf("drill-down link got %q, want the campaign with the same period", href)
	}
	p := e.getPage(c, href)
	if p.Code != 200 {
		t.Fatalf("drill-down: got %d", p.Code)
	}
	if got := p.TestID("heading"); !strings.HasPrefix(got, "Spring CTX") {
		t.Errorf("heading got %q", got)
	}
	if got := strings.Join(p.TileValues("tile-spend"), "|"); got != "$18.50" {
		t.Errorf("spend got %q, want $18.50", got)
	}
	if got := strings.Join(p.TileValues("tile-logged"), "|"); got != "3" {
		t.Errorf("logged got %q, want 3", got)
	}
	if got := strings.Join(p.Row("row-8002"), "|"); got != "Website retarget|active|not CTX|$5.00|0|0|1|−1|–" {
		t.Errorf("ad set 8002 got %q", got)
	}
	if p.Has("row-unattributed") || p.Has("level-adset") {
		t.Errorf("a drill-down has no unattributed row and no level choice")
	}
	back, _ := pagetest.Attr(pagetest.Find(p.Root, "crumb-client"), "href")
	if !strings.HasPrefix(back, "/clients/acme?") || !strings.Contains(back, "level=campaign") {
		t.Errorf("breadcrumb got %q, want the client's page at campaign level", back)
	}
	// Another client's campaign, and one that does not exist: 404.
	for _, path := range []string{"/clients/acme/campaigns/9009", "/clients/acme/campaigns/123"} {
		if code, _ := e.get(c, path); code != 404 {
			t.Errorf("%s: got %d, want 404", path, code)
		}
	}
}

func TestDashboardComparisonOffAndPresets(t *testing.T) {
	e, _, c := fixtureEnv(t)
	p := e.getPage(c, fixtureView+"&compare=0")
	if len(visibleDeltas(p, "tile-attributed")) != 0 {
		t.Errorf("compare=0: deltas are shown")
	}
	// Today is 4 Nov in New York: last 7 days are 28 Oct – 3 Nov, before them 21–27 Oct.
	p = e.getPage(c, "/clients/acme?range=last_7d")
	if got := p.TestID("range-text"); !strings.Contains(got, "28 Oct 2026 – 3 Nov 2026 (7 days)") || !strings.Contains(got, "21 Oct 2026 – 27 Oct 2026") {
		t.Errorf("last_7d range text got %q", got)
	}
	// Default: last 28 days, CTX only, campaign level, compare on.
	p = e.getPage(c, "/clients/acme")
	if got := p.TestID("range-text"); !strings.Contains(got, "7 Oct 2026 – 3 Nov 2026 (28 days)") {
		t.Errorf("default range text got %q", got)
	}
	for _, id := range []string{"range-last_28d", "level-campaign", "ctx-on"} {
		if cur, _ := pagetest.Attr(pagetest.Find(p.Root, id), "aria-current"); cur != "true" {
			t.Errorf("default: %s is not the current choice", id)
		}
	}
	// The provisional days are explained under the leads chart.
	if got := pagetest.Text(pagetest.Find(pagetest.Find(p.Root, "chart-leads"), "chart-note")); !strings.Contains(got, "from 2026-10-07 on are provisional") {
		t.Errorf("provisional note got %q", got)
	}
}

func TestDashboardBadParametersName400(t *testing.T) {
	e, _, c := fixtureEnv(t)
	tests := map[string]string{
		"range=yesterday":                                "range",
		"range=custom&until=2026-11-03":                  "since",
		"range=custom&since=2026-11-01":                  "until",
		"range=custom&since=1.11.2026&until=2026-11-03":  "since",
		"range=custom&since=2026-11-03&until=2026-11-01": "until",
		"range=custom&since=2020-01-01&until=2026-11-01": "since",
		"range=last_7d&since=2026-11-01":                 "since",
		"level=ad":                                       "level",
		"level=campaign&level=adset":                     "level",
		"ctx=yes":                                        "ctx",
		"compare=true":                                   "compare",
		"sort=ctr":                                       "sort",
		"dir=up":                                         "dir",
		"page=0":                                         "page",
	}
	for _, path := range []string{"/clients/acme", "/clients/acme/export.csv", "/clients/acme/campaigns/9001"} {
		for query, param := range tests {
			p := e.getPage(c, path+"?"+query)
			if p.Code != 400 {
				t.Errorf("%s?%s: got %d, want 400", path, query, p.Code)
				continue
			}
			if got := p.TestID("error"); !strings.Contains(got, "The "+param+" parameter") {
				t.Errorf("%s?%s: got %q, want a message naming %s", path, query, got, param)
			}
		}
	}
}

func TestDashboardScope(t *testing.T) {
	e, f, _ := fixtureEnv(t)
	pw := e.addUser("viewer@example.com", "viewer", f.Other.ID)
	v := e.login("viewer@example.com", pw)
	for _, path := range []string{"/clients/acme", "/clients/acme/campaigns/9001", "/clients/acme/export.csv", "/clients/acme/campaigns/9009"} {
		if code, _ := e.get(v, path); code != 404 {
			t.Errorf("viewer of another client, %s: got %d, want 404", path, code)
		}
	}
	if code, _ := e.get(v, "/clients/other?range=custom&since=2026-11-01&until=2026-11-03"); code != 200 {
		t.Errorf("viewer's own client: got %d, want 200", code)
	}
	// The viewer's own client cannot reach acme's campaign through its own slug either.
	if code, _ := e.get(v, "/clients/other/campaigns/9001"); code != 404 {
		t.Errorf("acme's campaign under the viewer's slug: got %d, want 404", code)
	}
	anon := e.client()
	resp, err := anon.Get(e.srv.URL + "/clients/acme/export.csv")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("anonymous export: got %d, want 303 to the login page", resp.StatusCode)
	}
}

func TestDashboardEmptyStates(t *testing.T) {
	e, f, c := fixtureEnv(t)
	ctx := context.Background()
	// No data in range.
	if p := e.getPage(c, "/clients/acme?range=custom&since=2026-09-01&until=2026-09-05"); !p.Has("empty-no-data") {
		t.Errorf("a period without data: no empty-no-data state (HTTP %d)", p.Code)
	}
	// No ad accounts.
	if _, err := e.db.CreateClient(ctx, store.NewClient{Name: "Bare"}); err != nil {
		t.Fatal(err)
	}
	if p := e.getPage(c, "/clients/bare"); !p.Has("empty-no-accounts") {
		t.Errorf("a client without accounts: no empty-no-accounts state (HTTP %d)", p.Code)
	}
	// Never synced.
	if _, err := e.db.CreateClient(ctx, store.NewClient{Name: "Fresh", AdAccounts: []string{"act_77"}}); err != nil {
		t.Fatal(err)
	}
	p := e.getPage(c, "/clients/fresh")
	if !p.Has("empty-never-synced") || !strings.Contains(p.TestID("last-sync"), "never") {
		t.Errorf("never synced: got no empty-never-synced state or last sync %q", p.TestID("last-sync"))
	}
	// The first sync running.
	run, err := e.db.CreateRun(ctx, store.NewRun{Trigger: store.TriggerManual, AccountIDs: []string{"77"}})
	if err != nil {
		t.Fatal(err)
	}
	p = e.getPage(c, "/clients/fresh")
	if !p.Has("empty-syncing") || !p.Has("running") {
		t.Errorf("first sync running: no empty-syncing state or running badge")
	}
	// The first sync failed: the reason is on the page.
	if err := e.db.FinishRun(ctx, run.ID, store.RunTotals{Status: "failed"}); err != nil {
		t.Fatal(err)
	}
	reason := "Meta answered code 190: the access token expired. Re-authenticate and save a new token."
	if err := e.db.RecordAccountOutcome(ctx, "77", fixtureNow.Add(-time.Hour), reason); err != nil {
		t.Fatal(err)
	}
	p = e.getPage(c, "/clients/fresh")
	if !p.Has("empty-sync-failed") || !strings.Contains(p.TestID("empty-sync-failed"), reason) {
		t.Errorf("first sync failed: got no empty-sync-failed state with the reason")
	}
	// A failed sync after data: the numbers stay, with the reason above them.
	if err := e.db.RecordAccountOutcome(ctx, "1", fixtureNow.Add(-3*time.Hour), ""); err != nil {
		t.Fatal(err)
	}
	if err := e.db.RecordAccountOutcome(ctx, "1", fixtureNow.Add(-time.Hour), "(#17) User request limit reached"); err != nil {
		t.Fatal(err)
	}
	p = e.getPage(c, fixtureView)
	if !p.Has("alert-sync-failed") || !strings.Contains(p.TestID("alert-sync-failed"), "User request limit reached") || !p.Has("tile-attributed") {
		t.Errorf("failed sync with data: want the alert with the reason and the tiles")
	}
	if got := p.TestID("last-sync"); !strings.Contains(got, "3 hours ago") {
		t.Errorf("last sync got %q, want 3 hours ago", got)
	}
	_ = f
}

func TestDashboardHTMXPartialAndSorting(t *testing.T) {
	e, _, c := fixtureEnv(t)
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+fixtureView+"&level=adset&sort=name&dir=asc", nil)
	req.Header.Set("HX-Request", "true")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(b)
	if resp.StatusCode != 200 || strings.Contains(body, "<html") || !strings.Contains(body, `id="dashboard"`) {
		t.Fatalf("htmx request: got %d, want the dashboard body without the page frame", resp.StatusCode)
	}
	if !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "HX-Request") {
		t.Errorf("Vary got %q, want HX-Request in it", resp.Header.Values("Vary"))
	}
	p := pagetest.Parse(t, resp.StatusCode, body)
	var names []string
	for _, r := range pagetest.FindAll(p.Root, "table") {
		for _, th := range pagetest.FindTag(r, "th") {
			if s, _ := pagetest.Attr(th, "scope"); s == "row" {
				names = append(names, strings.Fields(pagetest.Text(th))[0])
			}
		}
	}
	if got := strings.Join(names, ","); got != "Messenger,Website,WhatsApp,Not" {
		t.Errorf("sorted by name: got %s, want Messenger,Website,WhatsApp then the unattributed row", got)
	}
}

func TestExportCSV(t *testing.T) {
	e, _, c := fixtureEnv(t)
	resp, err := c.Get(e.srv.URL + "/clients/acme/export.csv?range=custom&since=2026-11-01&until=2026-11-03&level=campaign")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("got %d %q, want 200 text/csv", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if got, want := resp.Header.Get("Content-Disposition"), `attachment; filename="acme_campaign_2026-11-01_2026-11-03.csv"`; got != want {
		t.Errorf("Content-Disposition got %q, want %q", got, want)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 9 || lines[2] != "2026-11-01,campaign,1,9001,Spring CTX,,,true,USD,15.00,150,7,2,3,1" {
		t.Errorf("got %d lines:\n%s\nwant 9 with the CTX campaigns (CTX only by default)", len(lines), b)
	}
}

func TestOverview(t *testing.T) {
	e, f, c := fixtureEnv(t)
	p := e.getPage(c, "/")
	if p.Code != 200 {
		t.Fatalf("got %d", p.Code)
	}
	// Last 28 days before 4 Nov, CTX only: everything in the fixture but 4 Nov.
	if got := strings.Join(p.Row("client-acme"), "|"); !strings.HasPrefix(got, "Acme|10|9|90.0%|€27.25 $22.50|€4.54 $5.63|") {
		t.Errorf("acme got %q", got)
	}
	if !strings.Contains(p.Body, "<polyline points=") {
		t.Errorf("no sparkline")
	}
	if got := pagetest.Text(pagetest.Find(pagetest.Find(p.Root, "client-acme"), "freshness")); got != "never synced" && got != "synced" && !strings.HasPrefix(got, "synced") {
		t.Errorf("freshness got %q", got)
	}
	pw := e.addUser("v@example.com", "viewer", f.Other.ID)
	p = e.getPage(e.login("v@example.com", pw), "/")
	if p.Has("client-acme") || !p.Has("client-other") {
		t.Errorf("viewer's overview: want only their client")
	}
}
