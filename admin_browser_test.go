package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/leadlens/leadlens/internal/browsertest"
	"github.com/leadlens/leadlens/metasim"
	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
)

// adminServer is the real program (`leadlens serve` through run()) against a simulated Graph
// API on loopback, with one admin and no Meta token: the admin console has to set everything up.
type adminServer struct {
	url    string
	sim    *metasim.Server
	logs   *lockedBuffer
	db     string
	email  string
	passwd string
}

func startAdminServer(t *testing.T, extraEnv map[string]string) *adminServer {
	t.Helper()
	sim, err := metasim.New(metasim.DemoOptions())
	if err != nil {
		t.Fatal(err)
	}
	simURL, stopSim, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stopSim)
	dir := t.TempDir()
	s := &adminServer{sim: sim, db: filepath.Join(dir, "leadlens.db"), email: "admin@example.com", passwd: "correct-horse-battery"}
	db, err := store.Open(context.Background(), s.db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := secret.HashPassword(s.passwd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateUser(context.Background(), store.NewUser{Email: s.email, PasswordHash: hash, Role: store.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	env := map[string]string{
		"LEADLENS_ADDR":          "127.0.0.1:0",
		"LEADLENS_DB":            s.db,
		"LEADLENS_SECRET":        "admin-console-test-secret-0123456789",
		"META_GRAPH_URL":         simURL,
		"LEADLENS_BACKFILL_DAYS": "14",
		"LEADLENS_LOOKBACK_DAYS": "7",
		"LEADLENS_SCHEDULE":      "0 0 1 1 *", // never during the test
		"LEADLENS_LOG_LEVEL":     "debug",
	}
	for k, v := range extraEnv {
		env[k] = v
	}
	s.url, _, s.logs = startRun(t, []string{"serve"}, env)
	return s
}

// TestAdminConsoleInBrowser is the admin's whole first day in a real browser against the real
// server and the simulated Graph API: create a client with an ad account and its page, save
// the Meta token, test the connection, refresh and watch the run to its end, see the numbers on
// the dashboard; then an account whose token Meta rejects shows Meta's error and what to do.
func TestAdminConsoleInBrowser(t *testing.T) {
	b := browsertest.New(t, 90*time.Second)
	s := startAdminServer(t, nil)
	w := s.sim.World()
	acct, bad := w.Accounts[0], w.Accounts[1]

	b.Do("signing in",
		chromedp.Navigate(s.url+"/login?next=/admin/clients"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), s.email),
		chromedp.SendKeys(chromedp.CSS("#password"), s.passwd),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
	)
	b.WaitFor("the clients page", `document.querySelector('[data-testid="client-form"]') !== null`, 10*time.Second)

	// A client with an ad account and its page, the lead definition left at the default.
	b.Do("creating the client",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="client-name"]`), "Acme Dental"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="client-accounts"]`), "act_"+acct.ID),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="client-pages"]`), acct.PageID),
		chromedp.Click(chromedp.CSS(`[data-testid="client-create"]`)),
	)
	b.WaitFor("the client's page", `document.querySelector('[data-testid="client-heading"]') !== null && location.pathname === '/admin/clients/acme-dental'`, 10*time.Second)
	if got := browsertest.Eval[string](b, `document.querySelector('[data-testid="account-`+acct.ID+`"]').innerText`); !strings.Contains(got, "act_"+acct.ID) {
		t.Errorf("the client's page lists %q, want act_%s", got, acct.ID)
	}
	if got := browsertest.Eval[string](b, `document.querySelector('[data-testid="page-`+acct.PageID+`"]').innerText`); !strings.Contains(got, acct.PageID) {
		t.Errorf("the client's page lists page %q, want %s", got, acct.PageID)
	}
	b.Screenshot("client")

	// The Meta token: saved, never shown again, and tested against the simulator.
	b.Do("saving the token",
		chromedp.Navigate(s.url+"/admin/meta"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="token-input"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="token-input"]`), metasim.DemoToken),
		chromedp.Click(chromedp.CSS(`[data-testid="token-save"]`)),
	)
	b.WaitFor("the saved token", `document.querySelector('[data-testid="token-status"]') !== null && document.querySelector('[data-testid="token-status"]').innerText.includes('set')`+
		` && document.querySelector('[role="status"]') !== null`, 10*time.Second)
	if page := browsertest.Eval[string](b, `document.documentElement.outerHTML`); strings.Contains(page, metasim.DemoToken) {
		t.Errorf("the Meta connection page shows the token after saving it")
	}
	b.Do("testing the connection", chromedp.Click(chromedp.CSS(`[data-testid="meta-test"]`)))
	b.WaitFor("Meta's answer", `document.querySelector('[data-testid="meta-test-result"]') !== null`, 15*time.Second)
	if got := browsertest.Eval[string](b, `document.querySelector('[data-testid="meta-test-result"]').innerText`); !strings.Contains(got, "Leadlens Demo User") {
		t.Errorf("connection test: got %q, want the simulated user's name", got)
	}
	b.Screenshot("meta-connection")

	// Refresh now, slowed down by the simulator so the page is seen updating while it runs.
	if _, err := s.sim.AddFault(metasim.Fault{Kind: metasim.FaultSlow, Account: acct.ID, Request: metasim.RequestInsights, Delay: 900 * time.Millisecond, Times: 3}); err != nil {
		t.Fatal(err)
	}
	b.Do("pressing refresh now",
		chromedp.Navigate(s.url+"/admin/clients/acme-dental"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="refresh-client"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="refresh-client"]`)),
	)
	b.WaitFor("the run's page", `location.pathname.startsWith('/admin/runs/') && document.querySelector('[data-testid="run-progress"]') !== null`, 10*time.Second)
	runPath := browsertest.Eval[string](b, `location.pathname`)
	if status := browsertest.Eval[string](b, `document.querySelector('[data-testid="run-progress"]').dataset.status`); status != "running" {
		t.Fatalf("the run's page right after refresh: status %q, want running", status)
	}
	browsertest.Eval[bool](b, `(() => { window.__noReload = true; document.querySelector('[data-testid="run-progress"]').dataset.first = '1'; return true })()`)
	seen := map[string]bool{}
	deadline := time.Now().Add(40 * time.Second)
	for {
		st := browsertest.Eval[string](b, `(() => { const p = document.querySelector('[data-testid="run-progress"]'); `+
			`return p.dataset.status + ' ' + p.querySelector('[data-testid="progress-calls"]').textContent + ' ' + p.querySelector('[data-testid="progress-accounts"]').textContent })()`)
		seen[st] = true
		if !strings.HasPrefix(st, "running") {
			break
		}
		if time.Now().After(deadline) {
			b.Fail("waiting for the run to end", fmt.Errorf("still running after 40s; the panel showed %v", seen))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if status := browsertest.Eval[string](b, `document.querySelector('[data-testid="run-progress"]').dataset.status`); status != "succeeded" {
		t.Fatalf("the run ended %q, want succeeded (page: %s)", status, browsertest.Eval[string](b, `document.querySelector('[data-testid="run-progress"]').innerText`))
	}
	running := 0
	for st := range seen {
		if strings.HasPrefix(st, "running") {
			running++
		}
	}
	if running < 2 {
		t.Errorf("progress while running: saw %v, want the figures to change at least once before the end", seen)
	}
	if !browsertest.Eval[bool](b, `window.__noReload === true && document.querySelector('[data-testid="run-progress"]').dataset.first === undefined`) {
		t.Errorf("the progress was not swapped in place (the page reloaded, or the panel never changed)")
	}
	if got := browsertest.Eval[string](b, `document.querySelector('[data-testid="progress-accounts"]').textContent`); got != "1 / 1" {
		t.Errorf("accounts done at the end: got %q, want 1 / 1", got)
	}
	if rows := browsertest.Eval[string](b, `document.querySelector('[data-testid="progress-rows"]').textContent`); rows == "0" {
		t.Errorf("rows written: got 0, want some")
	}
	if browsertest.Eval[bool](b, `document.querySelector('[hx-trigger]') !== null`) {
		t.Errorf("the finished run's page still polls")
	}
	b.Screenshot("run")

	// The new data on the client's dashboard.
	b.Do("opening the dashboard", chromedp.Click(chromedp.CSS(`[data-testid="dashboard-acme-dental"]`)))
	b.WaitFor("the dashboard's tiles", `document.querySelector('[data-testid="tile-attributed"]') !== null`, 15*time.Second)
	leads := browsertest.Eval[string](b, `document.querySelector('[data-testid="tile-attributed"] .value').textContent.trim()`)
	if n, err := strconv.Atoi(strings.ReplaceAll(leads, ",", "")); err != nil || n <= 0 {
		t.Errorf("attributed leads on the dashboard: got %q, want a positive number", leads)
	}
	spend := browsertest.Eval[string](b, `document.querySelector('[data-testid="tile-spend"] .value').textContent.trim()`)
	if strings.Trim(spend, "0.$€¥,– ") == "" {
		t.Errorf("spend on the dashboard: got %q, want more than zero", spend)
	}
	b.Screenshot("dashboard")

	// A second account whose token Meta rejects: the run is partial and says why and what to do.
	if _, err := s.sim.AddFault(metasim.Fault{Kind: metasim.FaultTokenExpired, Account: bad.ID}); err != nil {
		t.Fatal(err)
	}
	b.Do("adding a second account",
		chromedp.Navigate(s.url+"/admin/clients/acme-dental"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="add-accounts-input"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="add-accounts-input"]`), "act_"+bad.ID),
		chromedp.Click(chromedp.CSS(`[data-testid="add-accounts-submit"]`)),
	)
	b.WaitFor("the second account", `document.querySelector('[data-testid="account-`+bad.ID+`"]') !== null`, 10*time.Second)
	b.Do("refreshing again", chromedp.Click(chromedp.CSS(`[data-testid="refresh-client"]`)))
	b.WaitFor("the partial run", `location.pathname.startsWith('/admin/runs/') && location.pathname !== '`+runPath+`' && `+
		`document.querySelector('[data-testid="run-progress"]').dataset.status === 'partial'`, 40*time.Second)
	row := `document.querySelector('[data-testid="run-account-` + bad.ID + `"]')`
	if got := browsertest.Eval[string](b, row+`.querySelector('[data-testid="account-error"]').innerText`); !strings.Contains(got, "Session has expired") {
		t.Errorf("the failed account's error: got %q, want Meta's message", got)
	}
	if got := browsertest.Eval[string](b, row+`.querySelector('[data-testid="account-advice"]').innerText`); !strings.Contains(got, "re-authenticate") {
		t.Errorf("the failed account's advice: got %q, want what to do", got)
	}
	if got := browsertest.Eval[string](b, `document.querySelector('[data-testid="run-account-`+acct.ID+`"] [data-testid="account-status"]').textContent`); got != "succeeded" {
		t.Errorf("the healthy account in the partial run: got %q, want succeeded", got)
	}
	b.Screenshot("failed-account")

	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("the pages reported errors (CSP violations included): %v", errs)
	}
	if strings.Contains(s.logs.String(), metasim.DemoToken) {
		t.Errorf("the server's log contains the Meta token")
	}
	if !strings.Contains(s.logs.String(), "admin: refresh requested") {
		t.Errorf("the refresh was not logged")
	}
}
