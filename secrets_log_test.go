package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadlens/leadlens/metasim"
	"github.com/leadlens/leadlens/store"
)

// TestSecretsNeverLogged runs a whole installation at debug level — the CLI, the server, a
// collection against the simulated Graph API, the event API, forwarding, share links — with
// every secret a person or bot hands Leadlens, then searches everything logged for each of them.
func TestSecretsNeverLogged(t *testing.T) {
	const (
		adminPW      = "Adm1n-pass-Quokka-7781"
		wrongPW      = "Wr0ng-pass-Wombat-9902"
		metaToken    = "EAAsecretMETAquokkaTOKEN0123456789"
		fwdToken     = "EAAsecretFORWARDwombatTOKEN9876543"
		sealKey      = "leadlens-secret-key-Platypus-55"
		sharePW      = "share-pass-Echidna-3141"
		metricsToken = "metrics-Tok-Numbat-2718"
		wrongKey     = "llk_WRONGkeyThatIsNotStoredAnywhere00000000000"
	)
	sim, err := metasim.New(metasim.Options{Seed: 5, Accounts: 1, CampaignsPerAccount: 2, HistoryDays: 40, Tokens: []string{metaToken}})
	if err != nil {
		t.Fatal(err)
	}
	simURL, stopSim, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer stopSim()
	acct := sim.World().Accounts[0]
	dbPath := filepath.Join(t.TempDir(), "ll.db")
	envm := map[string]string{"LEADLENS_DB": dbPath, "LEADLENS_SECRET": sealKey, "META_GRAPH_URL": simURL, "META_API_VERSION": "v21.0",
		"LEADLENS_LOG_LEVEL": "debug", "LEADLENS_ADDR": "127.0.0.1:0", "LEADLENS_BACKFILL_DAYS": "30", "LEADLENS_METRICS_TOKEN": metricsToken}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	logs := &lockedBuffer{}
	cli := func(stdin string, extra map[string]string, args ...string) string {
		t.Helper()
		var out lockedBuffer
		getenv := func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return envm[k]
		}
		if err := runEnv(ctx, append([]string{"leadlens"}, args...), env{getenv: getenv, stdin: strings.NewReader(stdin), stdout: &out, stderr: logs}); err != nil {
			t.Fatalf("leadlens %s: %v\n%s", strings.Join(args, " "), err, logs.String())
		}
		return out.String()
	}
	cli("", nil, "clients", "add", "--name", "Acme", "--ad-account", "act_"+acct.ID, "--page", acct.PageID)
	cli(adminPW+"\n", nil, "users", "add", "--email", "admin@example.com", "--role", "admin")
	apiKey := regexp.MustCompile(`llk_[A-Za-z0-9_-]{20,}`).FindString(cli("", nil, "apikeys", "create", "--client", "acme"))
	if apiKey == "" {
		t.Fatal("apikeys create printed no key")
	}
	// A collection from the command line with the token in META_ACCESS_TOKEN.
	cli("", map[string]string{"META_ACCESS_TOKEN": metaToken}, "collect", "--client", "acme")

	base, stopServe, serveLogs := startRun(t, []string{"serve"}, envm)
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	send := func(c *http.Client, method, path, ctype, body string, hdr ...string) (int, string, *http.Response) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if method == http.MethodPost {
			req.Header.Set("Origin", base)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp
	}
	const form = "application/x-www-form-urlencoded"
	post := func(c *http.Client, path string, v url.Values) (int, string, *http.Response) {
		t.Helper()
		return send(c, http.MethodPost, path, form, v.Encode())
	}
	cookie := func(resp *http.Response, name string) string {
		for _, ck := range resp.Cookies() {
			if ck.Name == name {
				return ck.Value
			}
		}
		return ""
	}

	// Sign-in: a wrong password, then the right one.
	if code, _, _ := post(browser, "/login", url.Values{"email": {"admin@example.com"}, "password": {wrongPW}}); code != 401 {
		t.Fatalf("wrong password: got %d, want 401", code)
	}
	code, _, resp := post(browser, "/login", url.Values{"email": {"admin@example.com"}, "password": {adminPW}})
	session := cookie(resp, "leadlens_session")
	if code != 303 || session == "" {
		t.Fatalf("sign-in: got %d with session %q, want 303 and a session", code, session)
	}
	// The installation's Meta token, entered on the admin page, tested, and used by a refresh.
	if code, _, _ := post(browser, "/admin/meta/token", url.Values{"token": {metaToken}}); code != 303 {
		t.Fatalf("saving the Meta token: got %d, want 303", code)
	}
	post(browser, "/admin/meta/test", nil)
	code, _, resp = post(browser, "/admin/refresh", url.Values{"client": {"acme"}})
	runID, _ := strconv.ParseInt(strings.TrimPrefix(resp.Header.Get("Location"), "/admin/runs/"), 10, 64)
	if code != 303 || runID == 0 {
		t.Fatalf("refresh: got %d to %q, want 303 to the run", code, resp.Header.Get("Location"))
	}
	db, err := store.Open(ctx, dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pollFor(t, "the refresh to finish", func() bool {
		run, err := db.RunByID(ctx, runID)
		return err == nil && run.Status != store.RunRunning
	})
	// Forwarding to Meta with its own token, then events with the API key in the query string,
	// the header and the form body, and with a wrong key.
	if code, body, _ := post(browser, "/admin/clients/acme/forwarding", url.Values{"mode": {"capi"}, "dataset_id": {acct.DatasetID}, "token": {fwdToken}}); code != 303 {
		t.Fatalf("forwarding settings: got %d\n%.400s", code, body)
	}
	event := `{"custom_events":[{"_eventName":"lead_submitted"}],"advertiser_tracking_enabled":1,"application_tracking_enabled":1,` +
		`"page_id":"` + acct.PageID + `","page_scoped_user_id":"42","logging_source":"messenger_bot","logging_target":"page"}`
	bot := &http.Client{Timeout: 20 * time.Second}
	for _, tc := range []struct {
		path, ctype, body string
		hdr               []string
		want              int
	}{
		{"/api/v1/page_activities?access_token=" + apiKey, "application/json", event, nil, 200},
		{"/v21.0/123/page_activities", "application/json", event, []string{"Authorization", "Bearer " + apiKey}, 200},
		{"/api/v1/page_activities", form, url.Values{"access_token": {apiKey}, "page_id": {acct.PageID}, "page_scoped_user_id": {"7"},
			"custom_events": {`[{"_eventName":"lead_submitted"}]`}, "advertiser_tracking_enabled": {"1"}, "application_tracking_enabled": {"1"},
			"logging_source": {"messenger_bot"}, "logging_target": {"page"}}.Encode(), nil, 200},
		{"/api/v1/page_activities?access_token=" + wrongKey, "application/json", event, nil, 401},
	} {
		if code, body, _ := send(bot, http.MethodPost, tc.path, tc.ctype, tc.body, tc.hdr...); code != tc.want {
			t.Fatalf("event API %s: got %d, want %d\n%s", tc.path[:min(len(tc.path), 40)], code, tc.want, body)
		}
	}
	pollFor(t, "the forwarder to try the events", func() bool {
		entries, err := db.OutboxEntries(ctx, 1, "", 10)
		return err == nil && len(entries) > 0 && entries[0].Attempts > 0
	})

	// A protected share link, opened with a wrong password and the right one.
	code, body, _ := post(browser, "/admin/clients/acme/share-links", url.Values{"label": {"owner"}, "password": {sharePW}})
	shareToken := regexp.MustCompile(`/s/(lls_[A-Za-z0-9_-]+)`).FindStringSubmatch(body)
	if code != 200 || shareToken == nil {
		t.Fatalf("creating a share link: got %d, want the page with the link", code)
	}
	link := "/s/" + shareToken[1]
	visitor := &http.Client{Timeout: 20 * time.Second, CheckRedirect: browser.CheckRedirect}
	visitor.Jar, _ = cookiejar.New(nil)
	if code, _, _ := send(visitor, http.MethodGet, link, "", ""); code != 401 {
		t.Fatalf("the protected link: got %d, want 401", code)
	}
	post(visitor, link+"/unlock", url.Values{"password": {wrongPW}})
	_, _, resp = post(visitor, link+"/unlock", url.Values{"password": {sharePW}, "next": {link + "/export.csv"}})
	proof := cookie(resp, "leadlens_share")
	for _, p := range []string{link, link + "/export.csv", link + "/no-such-page", link + "x"} {
		send(visitor, http.MethodGet, p, "", "")
	}
	if code, _, _ := send(visitor, http.MethodGet, link, "", ""); code != 200 || proof == "" {
		t.Fatalf("the unlocked link: got %d (proof %v), want 200", code, proof != "")
	}
	send(bot, http.MethodGet, "/metrics", "", "", "Authorization", "Bearer "+metricsToken)
	send(bot, http.MethodGet, "/metrics", "", "", "Authorization", "Bearer "+metricsToken+"x")
	post(browser, "/logout", nil)
	if err := stopServe(); err != nil {
		t.Fatalf("serve: %v", err)
	}

	all := logs.String() + serveLogs.String()
	// The capture is real: requests, the run and the share link's route are in it.
	for _, want := range []string{"level=DEBUG", "route=/s/{token}/unlock", "route=/api/v1/page_activities", "signed in"} {
		if !strings.Contains(all, want) {
			t.Fatalf("the captured logs lack %q: the test would prove nothing\n%.2000s", want, all)
		}
	}
	for name, s := range map[string]string{"admin password": adminPW, "wrong password": wrongPW, "Meta token": metaToken,
		"forwarding token": fwdToken, "LEADLENS_SECRET": sealKey, "API key": apiKey, "wrong API key": wrongKey,
		"share token": shareToken[1], "share password": sharePW, "share unlock proof": proof, "session cookie": session,
		"metrics token": metricsToken} {
		if i := strings.Index(all, s); i >= 0 {
			t.Errorf("the %s appears in the logs: …%s…", name, all[max(0, i-200):min(len(all), i+len(s)+50)])
		}
	}
}

// pollFor polls cond for up to 30 s.
func pollFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
