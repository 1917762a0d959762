package handlers

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/leadlens/leadlens/internal/browsertest"
	"github.com/leadlens/leadlens/internal/synth"
)

// demoSpec is a demo-sized client: two ad accounts in two currencies, 12 campaigns × 3 ad sets
// each, 120 days up to yesterday, most attributed leads also logged by the bot.
func demoSpec(until string) synth.Spec {
	return synth.Spec{Name: "Demo Dental", Slug: "demo", Until: until, Days: 120,
		Accounts: []synth.Account{
			{ID: "4001", Name: "Demo US", Currency: "USD", Timezone: "America/New_York"},
			{ID: "4002", Name: "Demo EU", Currency: "EUR", Timezone: "Europe/Berlin"},
		},
		CampaignsPerAccount: 6, AdSetsPerCampaign: 3, AdsPerAdSet: 2, LoggedPercent: 70, Odd: true, Seed: 7}
}

// TestDashboardInBrowser signs in through the real login page, opens the dashboard, checks that
// every chart drew its series under the strict CSP, changes the date range and the level (htmx
// swaps, no reload), drills into a campaign, downloads the CSV and saves screenshots.
func TestDashboardInBrowser(t *testing.T) {
	b := browsertest.New(t, 60*time.Second)
	e := newTestEnv(t)
	ny, _ := time.LoadLocation("America/New_York")
	yesterday := time.Now().In(ny).AddDate(0, 0, -1).Format("2006-01-02")
	if _, err := synth.Load(context.Background(), e.db, demoSpec(yesterday)); err != nil {
		t.Fatal(err)
	}
	pw := e.addUser("marketer@example.com", "member", 0)

	b.Do("signing in",
		chromedp.Navigate(e.srv.URL+"/login?next=/"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "marketer@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
	)
	b.WaitFor("the overview", `document.querySelector('[data-testid="client-demo"]') !== null`, 10*time.Second)
	if got := browsertest.Eval[string](b, `document.querySelector('[data-testid="client-demo"] polyline').getAttribute('points')`); got == "" {
		t.Errorf("overview: the sparkline has no points")
	}

	b.Do("opening the dashboard", chromedp.Click(chromedp.CSS(`[data-testid="client-demo"] a`)))
	chartsDrawn := `document.querySelectorAll('[data-chart][data-series-count]').length === 3 && ` +
		`Array.from(document.querySelectorAll('[data-chart]')).every(el => el.querySelector('canvas'))`
	b.WaitFor("three charts with canvases", chartsDrawn, 15*time.Second)
	// Leads: attributed + logged; spend: spend + CPL per currency (USD, EUR); top: attributed + logged.
	series := browsertest.Eval[string](b, `Array.from(document.querySelectorAll('[data-chart]')).map(el => el.dataset.chart + '=' + el.dataset.seriesCount + '/' + el.dataset.expectedSeries).join(' ')`)
	if want := "leads=2/2 spend=4/4 top=2/2"; series != want {
		t.Errorf("series drawn/expected: got %q, want %q", series, want)
	}
	if got := browsertest.Eval[string](b, `document.querySelector('[data-testid="tile-spend"]').innerText`); !strings.Contains(got, "$") || !strings.Contains(got, "€") {
		t.Errorf("spend tile got %q, want a line per currency", got)
	}
	b.Screenshot("dashboard")

	// A date range preset: htmx swaps the dashboard and pushes the URL; the page is not reloaded
	// (the marker on window survives).
	browsertest.Eval[bool](b, `window.__leadlensMarker = true`)
	b.Do("choosing the last 7 days", chromedp.Click(chromedp.CSS(`[data-testid="range-last_7d"]`)))
	b.WaitFor("the 7-day view", `location.search.includes('range=last_7d') && `+
		`document.querySelector('[data-testid="range-text"]').textContent.includes('(7 days)') && `+
		`document.querySelector('[data-testid="range-last_7d"]').getAttribute('aria-current') === 'true' && `+chartsDrawn, 15*time.Second)
	if !browsertest.Eval[bool](b, `window.__leadlensMarker === true`) {
		t.Errorf("changing the range reloaded the page instead of swapping the dashboard")
	}
	if got := browsertest.Eval[int](b, `JSON.parse(document.querySelector('[data-chart="leads"]').dataset.chartOptions).xAxis[0].data.length`); got != 7 {
		t.Errorf("leads chart after choosing 7 days: got %d dates, want 7", got)
	}

	b.Do("showing ad sets", chromedp.Click(chromedp.CSS(`[data-testid="level-adset"]`)))
	b.WaitFor("the ad-set table", `location.search.includes('level=adset') && `+
		`document.querySelector('#table-caption').textContent.startsWith('Ad sets') && `+chartsDrawn, 15*time.Second)
	if n := browsertest.Eval[int](b, `document.querySelectorAll('[data-testid="table"] tbody tr').length`); n < 20 {
		t.Errorf("ad-set table: got %d rows, want at least 20", n)
	}

	b.Do("showing campaigns", chromedp.Click(chromedp.CSS(`[data-testid="level-campaign"]`)))
	// Wait for htmx to finish swapping and settling as well: a click on a link that is being
	// replaced lands on a detached node and goes nowhere.
	b.WaitFor("the campaign table", `location.search.includes('level=campaign') && document.querySelector('[data-testid="drill"]') !== null && `+
		`document.querySelector('#table-caption').textContent.startsWith('Campaigns') && `+
		`document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added') === null && `+chartsDrawn, 15*time.Second)
	campaign := browsertest.Eval[string](b, `document.querySelector('[data-testid="drill"]').textContent.trim()`)
	b.Do("drilling into a campaign", chromedp.Click(chromedp.CSS(`[data-testid="drill"]`)))
	b.WaitFor("the campaign page", `location.pathname.includes('/clients/demo/campaigns/') && `+
		`document.querySelector('[data-testid="crumb-client"]') !== null && `+chartsDrawn, 15*time.Second)
	if got := browsertest.Eval[string](b, `document.querySelector('[data-testid="heading"]').textContent`); !strings.Contains(got, campaign) {
		t.Errorf("drill-down heading got %q, want the campaign %q", got, campaign)
	}
	if got := browsertest.Eval[string](b, `document.querySelector('#table-caption').textContent`); !strings.HasPrefix(got, "Ad sets") {
		t.Errorf("drill-down table caption got %q, want ad sets", got)
	}
	b.Screenshot("campaign")

	// The CSV: fetched by the page with its session, then compared with what a second session
	// downloads over plain HTTP.
	// The sticky top bar covers the breadcrumb of a scrolled page: back to the top first.
	browsertest.Eval[bool](b, `(() => { window.scrollTo(0, 0); return true; })()`)
	b.Do("back to the client", chromedp.Click(chromedp.CSS(`[data-testid="crumb-client"]`)))
	b.WaitFor("the client page", `!location.pathname.includes('/campaigns/') && document.querySelector('[data-testid="export"]') !== null`, 15*time.Second)
	href := browsertest.Eval[string](b, `document.querySelector('[data-testid="export"]').getAttribute('href')`)
	if !strings.Contains(href, "range=last_7d") || !strings.Contains(href, "level=campaign") || !strings.Contains(href, "ctx=1") {
		t.Errorf("export link got %q, want the current view", href)
	}
	csv := browsertest.Eval[string](b, `fetch(document.querySelector('[data-testid="export"]').href).then(r => r.ok ? r.text() : 'HTTP ' + r.status)`)
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) < 8 || !strings.HasPrefix(lines[0], "date,level,account_id,campaign_id,") {
		t.Fatalf("CSV downloaded in the browser: got %d lines starting %q", len(lines), lines[0])
	}
	other := e.login("marketer@example.com", pw)
	resp, err := other.Get(e.srv.URL + href)
	if err != nil {
		t.Fatal(err)
	}
	direct, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(direct) != csv {
		t.Errorf("the browser's CSV and a direct download differ (%d and %d bytes)", len(csv), len(direct))
	}

	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("the pages reported errors (CSP violations included): %v", errs)
	}
}
