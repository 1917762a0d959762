package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadlens/leadlens/collector"
	"github.com/leadlens/leadlens/handlers"
	"github.com/leadlens/leadlens/internal/pagetest"
	"github.com/leadlens/leadlens/internal/synth"
	"github.com/leadlens/leadlens/metasim"
	"github.com/leadlens/leadlens/money"
	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
)

// The ground-truth test: a simulated Graph API world is collected by the real collector over
// real HTTP, a bot's leads are logged, and every number of the dashboard and of the CSV — at each
// level, for CTX only and every campaign, and for the comparison period — is checked against
// sums computed here from the simulator's truth API and the logged events, without the store.

const (
	truthSince   = "2026-02-15" // the period: 28 days
	truthUntil   = "2026-03-14"
	truthCSince  = "2026-01-18" // the comparison period: the 28 days before
	truthCUntil  = "2026-02-14"
	truthLeadKey = store.ActionLeadGrouped
)

// truthWorld is what the test knows independently of the store.
type truthWorld struct {
	world    metasim.World
	rows     map[string][]metasim.TruthRow // by level, over both periods
	currency map[string]string             // account → currency
	ctx      map[string]bool               // campaign → CTX
	adsetCTX map[string]bool               // ad set → messaging destination
	ad       map[string]metasim.Ad
	events   []synth.Event
}

// sums are an object's numbers over a period.
type sums struct {
	spend, leads, convs, logged int64
	currency                    string
}

type truthEnv struct {
	t      *testing.T
	db     *store.DB
	dbPath string
	srv    *httptest.Server
	web    *http.Client
	truth  truthWorld
	client store.Client
}

func newTruthEnv(t *testing.T) *truthEnv {
	t.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	clock := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	sim, err := metasim.New(metasim.Options{Seed: 11, Now: now, AsyncPolls: metasim.AsyncImmediate})
	if err != nil {
		t.Fatal(err)
	}
	simURL, stop, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	dbPath := filepath.Join(t.TempDir(), "ll.db")
	db, err := store.Open(ctx, dbPath, store.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w := sim.World()
	var accounts, pages []string
	for _, a := range w.Accounts {
		accounts = append(accounts, "act_"+a.ID)
		pages = append(pages, a.PageID)
	}
	c, err := db.CreateClient(ctx, store.NewClient{Name: "Truth", Slug: "truth", AdAccounts: accounts, Pages: pages})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := collector.New(collector.Config{Store: db, GraphURL: simURL, APIVersion: "v21.0", Token: metasim.DemoToken, Now: now,
		Log:    slog.New(slog.DiscardHandler),
		Pacing: collector.Pacing{SoftPause: time.Millisecond, HardPause: 2 * time.Millisecond},
		Retry:  collector.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond, RegainUnit: 5 * time.Millisecond},
		Async:  collector.AsyncPolicy{PollBase: time.Millisecond, PollMax: 4 * time.Millisecond, MaxWait: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	res, err := svc.Run(runCtx, collector.Request{Trigger: store.TriggerCLI, ClientID: c.ID, Since: truthCSince, Until: truthUntil})
	if err != nil {
		t.Fatalf("collecting: %v", err)
	}
	if res.Status != store.RunSucceeded {
		t.Fatalf("collecting: got status %s, want succeeded: %+v", res.Status, res)
	}
	stopCtx, cancelStop := context.WithTimeout(ctx, 10*time.Second)
	defer cancelStop()
	if err := svc.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}

	tw := truthWorld{world: w, rows: map[string][]metasim.TruthRow{}, currency: map[string]string{}, ctx: map[string]bool{},
		adsetCTX: map[string]bool{}, ad: map[string]metasim.Ad{}}
	for _, a := range w.Accounts {
		tw.currency[a.ID] = a.Currency
		for _, cp := range a.Campaigns {
			tw.ctx[cp.ID] = cp.CTX
			for _, s := range cp.AdSets {
				tw.adsetCTX[s.ID] = s.Messaging
				for _, ad := range s.Ads {
					tw.ad[ad.ID] = ad
				}
			}
		}
		for _, lv := range store.Levels {
			rows, err := sim.Truth(a.ID, lv, truthCSince, truthUntil)
			if err != nil {
				t.Fatal(err)
			}
			tw.rows[lv] = append(tw.rows[lv], rows...)
		}
	}
	// The bot: a lead for every ad on every third day of both periods, plus an unknown ad and
	// one without an ad every week.
	day, _ := time.Parse(store.DateLayout, truthCSince)
	end, _ := time.Parse(store.DateLayout, truthUntil)
	for i := 0; !day.After(end); i, day = i+1, day.AddDate(0, 0, 1) {
		d := day.Format(store.DateLayout)
		for _, a := range w.Accounts {
			for _, cp := range a.Campaigns {
				for _, s := range cp.AdSets {
					for j, ad := range s.Ads {
						if (i+j)%3 == 0 {
							tw.events = append(tw.events, synth.Event{Day: d, Name: "lead_submitted", AdID: ad.ID, Attribution: "event"})
						}
					}
				}
			}
		}
		if i%7 == 0 {
			tw.events = append(tw.events, synth.Event{Day: d, Name: "lead_submitted", AdID: "404404404", Attribution: "event"},
				synth.Event{Day: d, Name: "lead_submitted"}, synth.Event{Day: d, Name: "add_to_cart", AdID: w.Accounts[0].Campaigns[0].AdSets[0].Ads[0].ID})
		}
	}
	if err := synth.InsertEvents(ctx, db, c.ID, w.Accounts[0].PageID, tw.events); err != nil {
		t.Fatal(err)
	}

	h := handlers.New(handlers.Deps{Store: db, Now: now, Version: "test"})
	srv := httptest.NewServer(h.Routes())
	t.Cleanup(srv.Close)
	e := &truthEnv{t: t, db: db, dbPath: dbPath, srv: srv, truth: tw, client: c}
	e.web = e.signIn()
	return e
}

// signIn creates an admin and signs in through the login form.
func (e *truthEnv) signIn() *http.Client {
	e.t.Helper()
	hash, err := secret.HashPassword("correct-horse-battery")
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.db.CreateUser(context.Background(), store.NewUser{Email: "ann@example.com", PasswordHash: hash, Role: "admin"}); err != nil {
		e.t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/login",
		strings.NewReader(url.Values{"email": {"ann@example.com"}, "password": {"correct-horse-battery"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		e.t.Fatalf("signing in: got %d, want 200 after the redirect", resp.StatusCode)
	}
	return c
}

func (e *truthEnv) get(path string) (int, []byte) {
	e.t.Helper()
	resp, err := e.web.Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// expected sums the truth at a level over since..until: per object, and the period's totals
// (key ""), with CTX only as a campaign filter at every level. Logged leads come from the
// events: on the row of the event's ad at the level when the ad (and, with CTX only, its
// campaign) counts; otherwise on the unattributed row (key "-").
func (tw truthWorld) expected(level string, ctxOnly bool, since, until string) map[string]*sums {
	out := map[string]*sums{}
	get := func(k, cur string) *sums {
		s := out[k]
		if s == nil {
			s = &sums{currency: cur}
			out[k] = s
		}
		return s
	}
	source := level
	if level == "account" && ctxOnly {
		source = "campaign"
	}
	for _, r := range tw.rows[source] {
		if r.Date < since || r.Date > until || ctxOnly && !tw.ctx[r.CampaignID] {
			continue
		}
		key := map[string]string{"account": r.AccountID, "campaign": r.CampaignID, "adset": r.AdSetID}[level]
		for _, k := range []string{key, "total " + tw.currency[r.AccountID]} {
			s := get(k, tw.currency[r.AccountID])
			s.spend += r.SpendMicros
			s.leads += r.Actions[truthLeadKey]
			s.convs += r.Actions[store.ActionConversationsStarted]
		}
	}
	for _, ev := range tw.events {
		if ev.Name != "lead_submitted" || ev.Day < since || ev.Day > until {
			continue
		}
		get("", "").logged++
		ad, known := tw.ad[ev.AdID]
		if !known || ctxOnly && !tw.ctx[ad.CampaignID] {
			get("-", "").logged++
			continue
		}
		key := map[string]string{"account": ad.AccountID, "campaign": ad.CampaignID, "adset": ad.AdSetID}[level]
		get(key, tw.currency[ad.AccountID]).logged++
	}
	return out
}

func TestDashboardAndCSVMatchSimulatorTruth(t *testing.T) {
	e := newTruthEnv(t)
	t.Logf("truth: %d account, %d campaign, %d ad-set rows; %d events", len(e.truth.rows["account"]), len(e.truth.rows["campaign"]),
		len(e.truth.rows["adset"]), len(e.truth.events))
	for _, ctxOnly := range []bool{true, false} {
		for _, level := range store.Levels {
			name := fmt.Sprintf("%s ctx=%v", level, ctxOnly)
			want := e.truth.expected(level, ctxOnly, truthSince, truthUntil)
			e.checkPage(name, level, ctxOnly, want, e.truth.expected(level, ctxOnly, truthCSince, truthCUntil))
			e.checkCSV(name, level, ctxOnly, want)
		}
	}
}

// checkPage compares the tiles (with their comparison values) and every table row.
func (e *truthEnv) checkPage(name, level string, ctxOnly bool, want, prev map[string]*sums) {
	t := e.t
	path := fmt.Sprintf("/clients/truth?range=custom&since=%s&until=%s&level=%s&ctx=%s", truthSince, truthUntil, level, map[bool]string{true: "1", false: "0"}[ctxOnly])
	code, body := e.get(path)
	p := pagetest.Parse(t, code, string(body))
	if code != 200 {
		t.Fatalf("%s: got %d", name, code)
	}
	var leads, prevLeads int64
	var spend, spendDeltas []string
	for _, cur := range []string{"EUR", "JPY", "USD"} {
		if s := want["total "+cur]; s != nil {
			leads += s.leads
			spend = append(spend, money.Display(s.spend, cur))
			spendDeltas = append(spendDeltas, "was "+money.Display(prev["total "+cur].spend, cur))
		}
		if s := prev["total "+cur]; s != nil {
			prevLeads += s.leads
		}
	}
	if got, w := p.TileValues("tile-attributed")[0], money.Group(strconv.FormatInt(leads, 10)); got != w {
		t.Errorf("%s: attributed leads tile got %s, want %s", name, got, w)
	}
	if got, w := p.TileValues("tile-logged")[0], money.Group(strconv.FormatInt(want[""].logged, 10)); got != w {
		t.Errorf("%s: logged leads tile got %s, want %s", name, got, w)
	}
	if got := strings.Join(p.TileValues("tile-spend"), " "); got != strings.Join(spend, " ") {
		t.Errorf("%s: spend tile got %q, want %q", name, got, strings.Join(spend, " "))
	}
	deltas := p.TileDeltas("tile-attributed")
	if w := "was " + money.Group(strconv.FormatInt(prevLeads, 10)); len(deltas) != 1 || !strings.HasSuffix(deltas[0], w) {
		t.Errorf("%s: attributed leads comparison got %q, want it to end %q", name, deltas, w)
	}
	if w := "was " + money.Group(strconv.FormatInt(prev[""].logged, 10)); !strings.HasSuffix(p.TileDeltas("tile-logged")[0], w) {
		t.Errorf("%s: logged leads comparison got %q, want it to end %q", name, p.TileDeltas("tile-logged"), w)
	}
	for i, d := range p.TileDeltas("tile-spend") {
		if i >= len(spendDeltas) || !strings.HasSuffix(d, spendDeltas[i]) {
			t.Errorf("%s: spend comparison %d got %q, want it to end %q", name, i, d, spendDeltas)
		}
	}
	rows := 0
	for key, s := range want {
		if key == "" || strings.HasPrefix(key, "total ") {
			continue
		}
		id := "row-" + key
		if key == "-" {
			id = "row-unattributed"
		}
		cells := p.Row(id)
		if cells == nil {
			t.Errorf("%s: no row %s", name, id)
			continue
		}
		rows++
		w := []string{money.Group(strconv.FormatInt(s.leads, 10)), money.Group(strconv.FormatInt(s.logged, 10))}
		if key != "-" {
			w = append(w, money.Display(s.spend, s.currency), money.Group(strconv.FormatInt(s.convs, 10)))
		}
		got := []string{cells[5], cells[6]}
		if key != "-" {
			got = append(got, cells[3], cells[4])
		}
		if strings.Join(got, " ") != strings.Join(w, " ") {
			t.Errorf("%s: %s (attributed logged [spend conversations]) got %q, want %q", name, id, got, w)
		}
	}
	if got := len(pagetest.FindTag(pagetest.Find(p.Root, "table"), "tr")) - 1; got != rows {
		t.Errorf("%s: the table has %d rows, want %d", name, got, rows)
	}
}

// checkCSV compares the web export's per-object sums with the truth, and its bytes with the
// CLI's for the same view.
func (e *truthEnv) checkCSV(name, level string, ctxOnly bool, want map[string]*sums) {
	t := e.t
	code, web := e.get(fmt.Sprintf("/clients/truth/export.csv?range=custom&since=%s&until=%s&level=%s&ctx=%s",
		truthSince, truthUntil, level, map[bool]string{true: "1", false: "0"}[ctxOnly]))
	if code != 200 {
		t.Fatalf("%s: export got %d", name, code)
	}
	args := []string{"leadlens", "export", "--client", "truth", "--level", level, "--since", truthSince, "--until", truthUntil}
	if ctxOnly {
		args = append(args, "--ctx-only")
	}
	var cli bytes.Buffer
	err := runEnv(context.Background(), args, env{getenv: func(k string) string {
		return map[string]string{"LEADLENS_DB": e.dbPath}[k]
	}, stdin: strings.NewReader(""), stdout: &cli, stderr: io.Discard})
	if err != nil {
		t.Fatalf("%s: leadlens export: %v", name, err)
	}
	if !bytes.Equal(cli.Bytes(), web) {
		t.Errorf("%s: the CLI's CSV (%d bytes) and the web's (%d bytes) differ", name, cli.Len(), len(web))
	}
	recs, err := csv.NewReader(bytes.NewReader(web)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	got := map[string]*sums{}
	for _, r := range recs[1:] {
		key := map[string]string{"account": r[2], "campaign": r[3], "adset": r[5]}[level]
		if key == "" {
			key = "-"
		}
		s := got[key]
		if s == nil {
			s = &sums{currency: r[8]}
			got[key] = s
		}
		s.spend += parseMicros(t, r[9])
		s.leads += atoi(t, r[12])
		s.convs += atoi(t, r[13])
		s.logged += atoi(t, r[14])
	}
	for key, w := range want {
		if key == "" || strings.HasPrefix(key, "total ") {
			continue
		}
		g := got[key]
		if g == nil {
			t.Errorf("%s: CSV has no rows for %s", name, key)
			continue
		}
		if *g != *w {
			t.Errorf("%s: CSV sums of %s got %+v, want %+v", name, key, *g, *w)
		}
		delete(got, key)
	}
	for key, g := range got {
		if g.spend != 0 || g.leads != 0 || g.logged != 0 || g.convs != 0 {
			t.Errorf("%s: CSV has %s with %+v, which the truth does not", name, key, *g)
		}
	}
}

// parseMicros reads a plain decimal exactly.
func parseMicros(t *testing.T, s string) int64 {
	t.Helper()
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 6 {
		t.Fatalf("%q has more than 6 decimals", s)
	}
	n, err := strconv.ParseInt(whole+frac+strings.Repeat("0", 6-len(frac)), 10, 64)
	if err != nil {
		t.Fatalf("spend %q: %v", s, err)
	}
	return n
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}
