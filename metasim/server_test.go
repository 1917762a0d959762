package metasim

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestAccountFieldsAndTokenPlaces(t *testing.T) {
	m := newSim(t, Options{Seed: 7})
	w := m.s.World()
	a := w.Accounts[0]
	resp, body := m.get(actPath(a.ID), url.Values{"fields": {"id,name,currency,timezone_name"}})
	if resp.StatusCode != 200 {
		t.Fatalf("got HTTP %d %s, want 200", resp.StatusCode, body)
	}
	got := decodeJSON[map[string]any](t, body)
	want := map[string]any{"id": "act_" + a.ID, "name": a.Name, "currency": a.Currency, "timezone_name": a.Timezone}
	if len(got) != len(want) {
		t.Fatalf("got %v, want exactly %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %v, want %v", k, got[k], v)
		}
	}
	// only the requested fields
	_, body = m.get(actPath(a.ID), url.Values{"fields": {"currency"}})
	if got := decodeJSON[map[string]any](t, body); len(got) != 1 || got["currency"] != a.Currency {
		t.Errorf("got %v, want only currency %s", got, a.Currency)
	}
	// a field the node lacks
	resp, body = m.get(actPath(a.ID), url.Values{"fields": {"id,bogus"}})
	wantError(t, resp, body, 400, 100, 0)

	for _, scheme := range []string{"Bearer ", "OAuth "} {
		req, _ := http.NewRequest("GET", m.url+"/v19.0/me", nil)
		req.Header.Set("Authorization", scheme+DemoToken)
		resp, body := m.send(req)
		me := decodeJSON[map[string]any](t, body)
		if resp.StatusCode != 200 || me["id"] != w.UserID || me["name"] == "" {
			t.Errorf("%sheader: got HTTP %d %s, want 200 with id %s and a name", scheme, resp.StatusCode, body, w.UserID)
		}
	}
	reqs := m.s.Requests()
	last := reqs[len(reqs)-1]
	if last.Version != "v19.0" || last.Kind != RequestMe || last.AuthVia != "header" || strings.Contains(last.Query, DemoToken) {
		t.Errorf("got log entry %+v, want version v19.0, kind me, auth via header, no token", last)
	}
}

func TestAuthErrors(t *testing.T) {
	m := newSim(t, Options{Seed: 7})
	a := m.s.World().Accounts[0]
	resp, body := m.get(actPath(a.ID), url.Values{"access_token": {"nope"}})
	ge := wantError(t, resp, body, 400, 190, 0)
	if ge.Error.Type != "OAuthException" {
		t.Errorf("got type %q, want OAuthException", ge.Error.Type)
	}
	resp, body = m.get(actPath(a.ID), url.Values{"access_token": {"-"}})
	wantError(t, resp, body, 400, 104, 0)
	resp, body = m.get(actPath("999999999999999"), nil)
	wantError(t, resp, body, 400, 100, 33)
	resp, body = m.get("/v21.0/act_999999999999999/insights", nil)
	wantError(t, resp, body, 400, 100, 33)
	for _, lr := range m.s.Requests() {
		if strings.Contains(lr.Query, "nope") || lr.Params.Get("access_token") != "" {
			t.Errorf("got token in log entry %+v, want it removed", lr)
		}
	}
}

func TestListsAndNodes(t *testing.T) {
	m := newSim(t, Options{Seed: 3})
	a := m.s.World().Accounts[1]
	var wantAds, wantAdSets int
	for _, c := range a.Campaigns {
		wantAdSets += len(c.AdSets)
		for _, s := range c.AdSets {
			wantAds += len(s.Ads)
		}
	}
	rows, _ := m.allPages(actPath(a.ID)+"/ads", url.Values{"fields": {"id,name,adset_id,campaign_id,status"}, "limit": {"5"}}, 100)
	if len(rows) != wantAds {
		t.Fatalf("got %d ads, want %d", len(rows), wantAds)
	}
	for _, r := range rows {
		if len(r) != 5 || r["adset_id"] == "" || r["campaign_id"] == "" {
			t.Fatalf("got ad %v, want id,name,adset_id,campaign_id,status", r)
		}
	}
	rows, _ = m.allPages(actPath(a.ID)+"/adsets", url.Values{"fields": {"id,name,campaign_id,destination_type,optimization_goal,status"}}, 100)
	if len(rows) != wantAdSets {
		t.Fatalf("got %d ad sets, want %d (all statuses)", len(rows), wantAdSets)
	}
	rows, _ = m.allPages(actPath(a.ID)+"/campaigns", url.Values{"fields": {"id,name,objective,status,effective_status"}, "effective_status": {`["ACTIVE"]`}}, 100)
	for _, r := range rows {
		if r["effective_status"] != "ACTIVE" {
			t.Errorf("got %v, want only ACTIVE campaigns", r)
		}
	}
	c := a.Campaigns[0]
	resp, body := m.get("/v21.0/"+c.ID, url.Values{"fields": {"name,objective"}})
	if got := decodeJSON[map[string]any](t, body); resp.StatusCode != 200 || got["name"] != c.Name || got["objective"] != c.Objective {
		t.Errorf("got %v, want campaign %s %s", got, c.Name, c.Objective)
	}
	resp, body = m.get("/v21.0/act_"+a.ID+"/nosuchedge", nil)
	wantError(t, resp, body, 400, 100, 0)
	resp, body = m.get("/v21.0/a/b/c", nil)
	wantError(t, resp, body, 400, 2500, 0)
}

func TestStartServesLoopbackOnly(t *testing.T) {
	u, stop := Start(Options{Seed: 1})
	defer stop()
	if !strings.HasPrefix(u, "http://127.0.0.1:") || strings.Contains(u, "/v") {
		t.Fatalf("got base URL %q, want http://127.0.0.1:PORT without a version", u)
	}
	resp, err := http.Get(u + "/v21.0/me?access_token=" + DemoToken)
	if err != nil {
		t.Fatalf("GET /me: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("got HTTP %d, want 200", resp.StatusCode)
	}
	stop()
	stop() // twice is harmless
	if _, err := http.Get(u + "/v21.0/me"); err == nil {
		t.Fatalf("got an answer after stop, want a refused connection")
	}
}

func TestMyAccountsAndMethods(t *testing.T) {
	m := newSim(t, Options{Seed: 5, Accounts: 4})
	rows, pages := m.allPages("/v21.0/me/adaccounts", url.Values{"fields": {"id,name,currency"}, "limit": {"3"}}, 5)
	if len(rows) != 4 || pages != 2 || rows[0]["id"] != "act_"+m.s.World().Accounts[0].ID {
		t.Fatalf("got %d accounts in %d pages (%v), want 4 in 2 with act_ ids", len(rows), pages, rows)
	}
	resp, body := m.do("DELETE", actPath(m.s.World().Accounts[0].ID), nil, "", "")
	if ge := wantError(t, resp, body, 400, 100, 33); !strings.Contains(ge.Error.Message, "Unsupported delete request") {
		t.Errorf("got %q, want Unsupported delete request", ge.Error.Message)
	}
	if got := m.s.CallCounts()[RequestMe]; got != 2 {
		t.Errorf("got %d me calls, want 2", got)
	}
	m.s.ResetLog()
	if n := len(m.s.Requests()); n != 0 || m.s.CallCount(RequestMe) != 0 {
		t.Errorf("got %d entries after ResetLog, want 0", n)
	}
}
