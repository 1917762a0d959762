package handlers

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadlens/leadlens/events"
	"github.com/leadlens/leadlens/internal/synth"
	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
)

// The world of the isolation matrix (isolation_test.go): two clients whose names, ids and
// numbers are distinctive strings, so any answer that shows one client's data to a caller of
// the other is caught by a plain substring search.

// isoNow is the matrix's clock: 4 Nov 2026, afternoon in New York. Both clients' data is on
// 2 Nov, inside every default period.
var isoNow = time.Date(2026, 11, 4, 18, 0, 0, 0, time.UTC)

// isoClient is one client of the world and the ids the matrix puts into URLs for it.
type isoClient struct {
	key                     string // "A" or "B"
	c                       store.Client
	name, slug              string
	account, spareAccount   string // the spare is removed by the admin's requests
	page, sparePage         string
	campaign, campaignName  string
	adset, adsetName, ad    string
	spend, leads            int64  // micro-units, count
	spendText               string // "1234.56", as the CSV writes it
	runID, spareUserID      int64
	spareKeyID, spareLinkID int64
	viewerEmail             string
	markers                 []string // strings no answer meant for the other client may contain
	logo                    []byte
}

// isoPrincipalKind is how a matrix caller proves who it is.
type isoPrincipalKind int

const (
	isoAnonymous   isoPrincipalKind = iota
	isoAdmin                        // a signed-in admin: every client
	isoMember                       // a signed-in member: every client, read-only
	isoViewer                       // a signed-in viewer of one client
	isoShare                        // a valid share link of one client (unlocked when protected)
	isoShareLocked                  // a protected link whose password was not given
	isoShareGone                    // an expired or revoked link
	isoAPIKey                       // a client's event API key
)

// isoPrincipal is one caller of the matrix.
type isoPrincipal struct {
	name     string
	kind     isoPrincipalKind
	of       *isoClient // the one client of a viewer, link or key
	http     *http.Client
	token    string // a share link's token, for /s/{token}
	password string // a share link's password, for /s/{token}/unlock
	bounded  bool   // a share link with a bounded range
	// bearer is sent as Authorization: Bearer on every request: an API key, or a share token
	// (which must not work as one).
	bearer string
}

func (p *isoPrincipal) isUser() bool {
	return p.kind == isoAdmin || p.kind == isoMember || p.kind == isoViewer
}

// sees reports whether c's data may appear in answers to p.
func (p *isoPrincipal) sees(c *isoClient) bool {
	switch p.kind {
	case isoAdmin, isoMember:
		return true
	case isoViewer, isoShare, isoAPIKey:
		return p.of == c
	}
	return false
}

// isoWorld is the server, its clients and its callers.
type isoWorld struct {
	t          *testing.T
	e          *testEnv
	a, b       *isoClient
	principals []*isoPrincipal
	ip         atomic.Int64 // a fresh client address per request, so rate limits stay out of the way
}

func newIsoWorld(t *testing.T) *isoWorld {
	t.Helper()
	clock := &testClock{t: isoNow.Add(-48 * time.Hour)}
	e := newClockEnv(t, clock, func(d *Deps) {
		b := events.NewBatcher(d.Store, events.BatcherOptions{Log: d.Log})
		t.Cleanup(func() { b.Close(context.Background()) })
		d.Events = b
		d.Metrics = NewMetrics(d.Store, d.Now, d.Log)
		d.Config.TrustProxy = true
	})
	w := &isoWorld{t: t, e: e}
	w.a = &isoClient{key: "A", name: "AA-ALPHA-CLIENT-NAME", slug: "aa-alpha", account: "333000333", spareAccount: "333000334",
		page: "444000444", sparePage: "444000445", campaign: "555000551", campaignName: "AA-ALPHA-SECRET-CAMPAIGN",
		adset: "555000552", adsetName: "AA-ALPHA-SECRET-ADSET", ad: "555000553", spend: 1_234_560_000, leads: 24680,
		viewerEmail: "viewer-a@alpha.example"}
	w.b = &isoClient{key: "B", name: "ZZ-BRAVO-CLIENT-NAME", slug: "zz-bravo", account: "777000777", spareAccount: "777000778",
		page: "888000888", sparePage: "888000889", campaign: "666000661", campaignName: "ZZ-BRAVO-SECRET-CAMPAIGN",
		adset: "666000662", adsetName: "ZZ-BRAVO-SECRET-ADSET", ad: "666000663", spend: 7_777_770_000, leads: 13579,
		viewerEmail: "viewer-b@bravo.example"}
	for _, c := range []*isoClient{w.a, w.b} {
		w.loadClient(c)
	}
	// A's bot logged a lead with B's ad id: A's pages must not resolve it to B's campaign.
	if err := synth.InsertEvents(context.Background(), e.db, w.a.c.ID, w.a.page, []synth.Event{
		{Day: "2026-11-02", Name: "lead_submitted", AdID: w.a.ad, Attribution: "event"},
		{Day: "2026-11-02", Name: "lead_submitted", AdID: w.b.ad, Attribution: "event"}}); err != nil {
		t.Fatal(err)
	}
	w.principals = w.makePrincipals(clock)
	clock.Set(isoNow)
	return w
}

// loadClient stores a client with two ad accounts (one spare), two pages, one campaign with one
// ad set and one ad, one day of insights at every level, a logo, a run, a spare user, a spare
// API key and a spare share link.
func (w *isoWorld) loadClient(c *isoClient) {
	t, db, ctx := w.t, w.e.db, context.Background()
	t.Helper()
	var err error
	c.c, err = db.CreateClient(ctx, store.NewClient{Name: c.name, Slug: c.slug, AdAccounts: []string{c.account, c.spareAccount},
		Pages: []string{c.page, c.sparePage}})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.UpdateAdAccountMeta(ctx, c.account, c.key+c.key+"-ACCOUNT-"+c.account, "USD", "America/New_York"))
	must(db.UpsertObjects(ctx, c.account, store.ObjectSet{
		Campaigns: []store.Campaign{{ID: c.campaign, Name: c.campaignName, Objective: "OUTCOME_ENGAGEMENT", Status: "ACTIVE", EffectiveStatus: "ACTIVE"}},
		AdSets: []store.AdSet{{ID: c.adset, CampaignID: c.campaign, Name: c.adsetName, DestinationType: "MESSENGER",
			Status: "ACTIVE", EffectiveStatus: "ACTIVE"}},
		Ads: []store.Ad{{ID: c.ad, AdSetID: c.adset, CampaignID: c.campaign, AccountID: c.account}}}))
	row := func(level, id string) store.InsightRow {
		r := store.InsightRow{Level: level, Date: "2026-11-02", ObjectID: id, SpendMicros: c.spend, Impressions: 100000, Clicks: 5000,
			Actions: map[string]int64{store.ActionLeadGrouped: c.leads, store.ActionConversationsStarted: c.leads + 1}}
		if level != "account" {
			r.CampaignID = c.campaign
		}
		if level == "adset" {
			r.AdSetID = c.adset
		}
		return r
	}
	load, err := db.BeginWindow(ctx, c.account, "2026-10-01", "2026-11-04")
	must(err)
	must(load.Add(ctx, []store.InsightRow{row("adset", c.adset), row("campaign", c.campaign), row("account", c.account)}))
	_, err = load.Commit(ctx, store.Levels, 0)
	must(err)
	must(db.RecordAccountOutcome(ctx, c.account, db.Now(), ""))
	// A PNG signature and the client's name: the bytes are the marker.
	c.logo = append([]byte("\x89PNG\r\n\x1a\n"), []byte(c.key+c.key+"-LOGO-BYTES-"+c.slug)...)
	must(db.SetClientLogo(ctx, c.c.ID, c.logo, "image/png"))
	run, err := db.CreateRun(ctx, store.NewRun{Trigger: store.TriggerManual, StartedBy: "iso", ClientID: c.c.ID, Pending: []string{c.account}})
	must(err)
	c.runID = run.ID
	hash, err := secret.HashPassword("spare-user-password")
	must(err)
	u, err := db.CreateUser(ctx, store.NewUser{Email: "spare-" + strings.ToLower(c.key) + "@" + c.slug + ".example", PasswordHash: hash,
		Role: store.RoleViewer, ClientID: c.c.ID})
	must(err)
	c.spareUserID = u.ID
	_, k, err := db.CreateAPIKey(ctx, c.c.ID, "spare", "iso")
	must(err)
	c.spareKeyID = k.ID
	_, l, err := db.CreateShareLink(ctx, store.NewShareLink{ClientID: c.c.ID, Label: "spare"})
	must(err)
	c.spareLinkID = l.ID
	c.spendText = fmt.Sprintf("%d.%02d", c.spend/1_000_000, c.spend/10_000%100)
	c.markers = []string{c.name, c.slug, c.account, c.spareAccount, c.key + c.key + "-ACCOUNT", c.page, c.sparePage,
		c.campaign, c.campaignName, c.adset, c.adsetName, c.ad, c.spendText, groupedDollars(c.spendText),
		strconv.FormatInt(c.leads, 10), grouped(c.leads), c.viewerEmail, u.Email, string(c.logo[8:]), k.Prefix, l.Prefix}
}

// groupedDollars writes "7777.77" as the pages do: "7,777.77".
func groupedDollars(s string) string {
	whole, frac, _ := strings.Cut(s, ".")
	n, _ := strconv.ParseInt(whole, 10, 64)
	return grouped(n) + "." + frac
}

// makePrincipals signs in the users and makes the keys and links; the clock stands two days
// before isoNow, so a link can be made that has expired by then.
func (w *isoWorld) makePrincipals(clock *testClock) []*isoPrincipal {
	t, e, db, ctx := w.t, w.e, w.e.db, context.Background()
	t.Helper()
	link := func(n store.NewShareLink) (string, store.ShareLink) {
		t.Helper()
		tok, l, err := db.CreateShareLink(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		return tok, l
	}
	a := w.a
	var ps []*isoPrincipal
	add := func(p *isoPrincipal) *isoPrincipal {
		if p.http == nil {
			p.http = e.client()
		}
		ps = append(ps, p)
		return p
	}
	add(&isoPrincipal{name: "anonymous", kind: isoAnonymous})
	for _, u := range []struct {
		name, email, role string
		of                *isoClient
	}{{"admin", "admin@iso.example", "admin", nil}, {"member", "member@iso.example", "member", nil},
		{"viewer of A", a.viewerEmail, "viewer", a}, {"viewer of B", w.b.viewerEmail, "viewer", w.b}} {
		var clientID int64
		kind := isoAdmin
		switch u.role {
		case "member":
			kind = isoMember
		case "viewer":
			kind, clientID = isoViewer, u.of.c.ID
		}
		pw := e.addUser(u.email, u.role, clientID)
		add(&isoPrincipal{name: u.name, kind: kind, of: u.of, http: e.login(u.email, pw)})
	}
	tok, _ := link(store.NewShareLink{ClientID: a.c.ID, Label: "open"})
	add(&isoPrincipal{name: "share link of A", kind: isoShare, of: a, token: tok, bearer: tok})
	tok, _ = link(store.NewShareLink{ClientID: a.c.ID, RangeMode: store.RangeFixed, RangeSince: "2026-11-01", RangeUntil: "2026-11-03"})
	add(&isoPrincipal{name: "fixed-range link of A", kind: isoShare, of: a, token: tok, bearer: tok})
	tok, _ = link(store.NewShareLink{ClientID: a.c.ID, RangeMode: store.RangeBounded, RangeSince: "2026-10-20", RangeUntil: "2026-11-03"})
	add(&isoPrincipal{name: "bounded link of A", kind: isoShare, of: a, token: tok, bearer: tok, bounded: true})
	const linkPW = "alpha-link-password"
	tok, _ = link(store.NewShareLink{ClientID: a.c.ID, Password: linkPW, AllowEmbed: true})
	unlocked := add(&isoPrincipal{name: "protected link of A, unlocked", kind: isoShare, of: a, token: tok, password: linkPW, bearer: tok})
	add(&isoPrincipal{name: "protected link of A, locked", kind: isoShareLocked, of: a, token: tok, bearer: tok})
	tok, _ = link(store.NewShareLink{ClientID: a.c.ID, ExpiresAt: isoNow.Add(-24 * time.Hour)})
	add(&isoPrincipal{name: "expired link of A", kind: isoShareGone, of: a, token: tok, bearer: tok})
	tok, rl := link(store.NewShareLink{ClientID: a.c.ID})
	if err := db.RevokeShareLink(ctx, a.c.ID, rl.ID); err != nil {
		t.Fatal(err)
	}
	add(&isoPrincipal{name: "revoked link of A", kind: isoShareGone, of: a, token: tok, bearer: tok})
	// B's link, for the other direction: nothing of A may show through it.
	tok, _ = link(store.NewShareLink{ClientID: w.b.c.ID})
	add(&isoPrincipal{name: "share link of B", kind: isoShare, of: w.b, token: tok, bearer: tok})
	key, _, err := db.CreateAPIKey(ctx, a.c.ID, "bot", "iso")
	if err != nil {
		t.Fatal(err)
	}
	add(&isoPrincipal{name: "API key of A", kind: isoAPIKey, of: a, bearer: key})
	// The protected link's principal unlocks it once, as a browser would.
	clock.Set(isoNow)
	if code, _, _ := w.do(t, unlocked, http.MethodPost, "/s/"+unlocked.token+"/unlock", "application/x-www-form-urlencoded",
		url.Values{"password": {linkPW}}.Encode()); code != http.StatusSeeOther {
		t.Fatalf("unlocking the protected link: got %d, want 303", code)
	}
	return ps
}

// do sends one request as p from a fresh client address, same-origin like a page of ours, and
// returns the status, the body and the headers.
func (w *isoWorld) do(t testing.TB, p *isoPrincipal, method, path, contentType, body string) (int, string, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, w.e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	n := w.ip.Add(1)
	req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255))
	if method != http.MethodGet && method != http.MethodHead {
		req.Header.Set("Origin", w.e.srv.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if p.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+p.bearer)
	}
	resp, err := p.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}
