package graph_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/leadlens/leadlens/collector/graph"
)

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		base, version string
		wantVersion   string
		wantErr       string
	}{
		{"https://graph.facebook.com", "v21.0", "v21.0", ""},
		{"https://graph.facebook.com/", "21.0", "v21.0", ""},
		{"", "v20", "v20.0", ""},
		{"http://127.0.0.1:8080/proxy", " v19.0 ", "v19.0", ""},
		{"https://graph.facebook.com", "", "", "invalid Graph API version"},
		{"https://graph.facebook.com", "latest", "", "invalid Graph API version"},
		{"https://graph.facebook.com/v21.0", "v21.0", "", "must not include the API version"},
		{"graph.facebook.com", "v21.0", "", "scheme must be http or https"},
		{"ftp://graph.facebook.com", "v21.0", "", "scheme must be http or https"},
		{"https://", "v21.0", "", "no host"},
		{"https://graph.facebook.com?access_token=" + testToken, "v21.0", "", "must not carry a query"},
	}
	for _, tt := range tests {
		c, err := graph.New(graph.Config{BaseURL: tt.base, Version: tt.version, Token: testToken})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New(%q, %q): got error %v, want one containing %q", tt.base, tt.version, err, tt.wantErr)
			}
			if err != nil {
				assertNoToken(t, "New error", err.Error())
			}
			continue
		}
		if err != nil {
			t.Errorf("New(%q, %q): got error %v, want none", tt.base, tt.version, err)
			continue
		}
		if got := c.Version(); got != tt.wantVersion {
			t.Errorf("New(%q, %q).Version(): got %q, want %q", tt.base, tt.version, got, tt.wantVersion)
		}
	}
}

func TestMeAndAccount(t *testing.T) {
	f := newFake(t)
	f.on("GET /v21.0/me", f.ok("me.json"))
	f.on("GET /v21.0/act_"+acct, f.ok("account.json"))
	c := newClient(t, f, nil, nil)
	ctx := context.Background()

	me, err := c.Me(ctx)
	if err != nil {
		t.Fatalf("Me: %v", err)
	}
	if me.ID != "10158765432101234" || me.Name != "Ada Marketer" {
		t.Errorf("Me: got %+v, want id 10158765432101234 name Ada Marketer", me)
	}
	for _, id := range []string{acct, "act_" + acct} {
		a, err := c.Account(ctx, id)
		if err != nil {
			t.Fatalf("Account(%q): %v", id, err)
		}
		want := graph.AdAccount{ID: acct, Name: "Acme – Main", Currency: "USD", TimezoneName: "America/Los_Angeles"}
		if a != want {
			t.Errorf("Account(%q): got %+v, want %+v", id, a, want)
		}
	}
	reqs := f.requests()
	q, _ := url.ParseQuery(reqs[1].RawQuery)
	if got, want := q.Get("fields"), "id,name,currency,timezone_name"; got != want {
		t.Errorf("account fields: got %q, want %q", got, want)
	}
	if got := q.Get("access_token"); got != testToken {
		t.Errorf("access_token: got %q, want the configured token", got)
	}
	if got, want := reqs[0].Header.Get("User-Agent"), "leadlens/1.2.3"; got != want {
		t.Errorf("User-Agent: got %q, want %q", got, want)
	}

	if _, err := c.Account(ctx, "act_12x"); graph.KindOf(err) != graph.KindInvalidRequest {
		t.Errorf("Account(act_12x): got kind %v (%v), want invalid_request", graph.KindOf(err), err)
	}
	if got := len(f.requests()); got != 3 {
		t.Errorf("requests after an invalid id: got %d, want 3 (no request for the invalid id)", got)
	}
}

func TestCampaignsFollowsNextExactlyAcrossThreePages(t *testing.T) {
	f := newFake(t)
	path := "GET /v21.0/act_" + acct + "/campaigns"
	f.on(path, f.ok("campaigns_1.json"), f.ok("campaigns_2.json"), f.ok("campaigns_3.json"))
	var pages []graph.RequestInfo
	c := newClient(t, f, nil, func(cfg *graph.Config) {
		cfg.Hooks.AfterResponse = func(req graph.RequestInfo, res graph.Result) { pages = append(pages, req) }
	})

	var got []string
	err := c.Campaigns(context.Background(), "act_"+acct, func(cp graph.Campaign) error {
		got = append(got, cp.ID+" "+cp.Objective+" "+cp.Status)
		return nil
	})
	if err != nil {
		t.Fatalf("Campaigns: %v", err)
	}
	want := []string{
		"23854404676180548 OUTCOME_ENGAGEMENT ACTIVE",
		"23854404676180549 MESSAGES PAUSED",
		"23854404676180550 OUTCOME_TRAFFIC ACTIVE",
		"23854404676180551 OUTCOME_LEADS ARCHIVED",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("campaigns: got %q, want %q", got, want)
	}

	reqs := f.requests()
	if len(reqs) != 3 {
		t.Fatalf("requests: got %d, want 3", len(reqs))
	}
	q, _ := url.ParseQuery(reqs[0].RawQuery)
	if q.Get("limit") != "500" || q.Get("fields") != "id,name,objective,status,effective_status" {
		t.Errorf("first page query: got %q, want limit=500 and the campaign fields", reqs[0].RawQuery)
	}
	// Pages 2 and 3 are the next URLs byte for byte, token and parameter order included.
	for i, fixture := range []string{"campaigns_1.json", "campaigns_2.json"} {
		next := nextOf(t, f.fixture(fixture))
		u, _ := url.Parse(next)
		if reqs[i+1].Path != u.Path || reqs[i+1].RawQuery != u.RawQuery {
			t.Errorf("page %d: got %s?%s, want %s?%s", i+2, reqs[i+1].Path, reqs[i+1].RawQuery, u.Path, u.RawQuery)
		}
	}
	if len(pages) != 3 || pages[2].Page != 3 || pages[2].Path != "/act_"+acct+"/campaigns" || pages[2].AccountID != acct {
		t.Errorf("RequestInfo of page 3: got %+v, want Page 3, Path /act_%s/campaigns, AccountID %s", pages, acct, acct)
	}
	for _, p := range pages {
		assertNoToken(t, "RequestInfo.URL", p.URL)
	}
}

func TestAdSetsAndAds(t *testing.T) {
	f := newFake(t)
	f.on("GET /v21.0/act_"+acct+"/adsets", f.ok("adsets.json"))
	f.on("GET /v21.0/act_"+acct+"/ads", f.ok("ads.json"))
	c := newClient(t, f, nil, nil)
	var sets []graph.AdSet
	if err := c.AdSets(context.Background(), acct, func(s graph.AdSet) error { sets = append(sets, s); return nil }); err != nil {
		t.Fatalf("AdSets: %v", err)
	}
	want := graph.AdSet{ID: "23854404706320548", Name: "Messenger – lookalike", CampaignID: "23854404676180548",
		DestinationType: "MESSENGER", OptimizationGoal: "CONVERSATIONS", Status: "PAUSED"}
	if len(sets) != 2 || sets[0] != want {
		t.Errorf("ad sets: got %+v, want 2 starting with %+v", sets, want)
	}
	var ads []graph.Ad
	if err := c.Ads(context.Background(), acct, func(a graph.Ad) error { ads = append(ads, a); return nil }); err != nil {
		t.Fatalf("Ads: %v", err)
	}
	wantAd := graph.Ad{ID: "23854404706320600", Name: "Ad A", AdSetID: "23854404706320548", CampaignID: "23854404676180548", Status: "ACTIVE"}
	if len(ads) != 1 || ads[0] != wantAd {
		t.Errorf("ads: got %+v, want [%+v]", ads, wantAd)
	}
	reqs := f.requests()
	q0, _ := url.ParseQuery(reqs[0].RawQuery)
	q1, _ := url.ParseQuery(reqs[1].RawQuery)
	if got, want := q0.Get("fields"), "id,name,campaign_id,destination_type,optimization_goal,status"; got != want {
		t.Errorf("adsets fields: got %q, want %q", got, want)
	}
	if got, want := q1.Get("fields"), "id,name,adset_id,campaign_id,status"; got != want {
		t.Errorf("ads fields: got %q, want %q", got, want)
	}
}

func TestCallbackErrorStopsStream(t *testing.T) {
	f := newFake(t)
	f.on("GET /v21.0/act_"+acct+"/campaigns", f.ok("campaigns_1.json"), f.ok("campaigns_2.json"), f.ok("campaigns_3.json"))
	c := newClient(t, f, nil, nil)
	stop := errors.New("stop")
	n := 0
	err := c.Campaigns(context.Background(), acct, func(graph.Campaign) error { n++; return stop })
	if !errors.Is(err, stop) {
		t.Errorf("error: got %v, want the callback's error", err)
	}
	if n != 1 || len(f.requests()) != 1 {
		t.Errorf("after stop: got %d rows and %d requests, want 1 and 1", n, len(f.requests()))
	}
}

func TestRepeatedNextURLIsAnError(t *testing.T) {
	f := newFake(t)
	loop := `{"data":[{"id":"1","name":"x"}],"paging":{"next":"` + "%s" + `"}}`
	f.on("GET /v21.0/act_"+acct+"/ads", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, loop, f.srv.URL+"/v21.0/act_"+acct+"/ads?access_token="+testToken+"&after=A")
	})
	c := newClient(t, f, nil, nil)
	n := 0
	err := c.Ads(context.Background(), acct, func(graph.Ad) error { n++; return nil })
	if graph.KindOf(err) != graph.KindDecode || graph.IsRetryable(err) {
		t.Errorf("looping next: got %v (retryable %v), want a non-retryable decode error", err, graph.IsRetryable(err))
	}
	if n != 2 {
		t.Errorf("rows before the loop was noticed: got %d, want 2", n)
	}
	assertNoToken(t, "error", err.Error())
}
