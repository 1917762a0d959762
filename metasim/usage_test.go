package metasim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"
)

type usageHeaders struct {
	buc      map[string][]map[string]any
	acct     map[string]any
	throttle map[string]any
	app      map[string]float64
}

func readUsage(t *testing.T, h http.Header) usageHeaders {
	t.Helper()
	var u usageHeaders
	for name, dst := range map[string]any{
		"x-business-use-case-usage": &u.buc, "x-ad-account-usage": &u.acct,
		"x-fb-ads-insights-throttle": &u.throttle, "x-app-usage": &u.app,
	} {
		v := h.Get(name)
		if err := json.Unmarshal([]byte(v), dst); err != nil {
			t.Fatalf("header %s = %q: got %v, want a JSON object", name, v, err)
		}
	}
	return u
}

func TestUsageHeadersRiseAndFall(t *testing.T) {
	m := newSim(t, Options{Seed: 2, CallBudget: 40, AppCallBudget: 100, UsageWindow: time.Hour})
	a := m.s.World().Accounts[0]
	var prev float64 = -1
	for i := range 10 {
		resp, _ := m.get(actPath(a.ID)+"/insights", insightsParams("account", "2026-03-01", "2026-03-10"))
		u := readUsage(t, resp.Header)
		pct := u.acct["acc_id_util_pct"].(float64)
		if pct <= prev {
			t.Fatalf("call %d: got acc_id_util_pct %v after %v, want it rising", i, pct, prev)
		}
		prev = pct
		if got := u.buc[a.ID][0]["call_count"]; got != any(float64(int((float64(i+1)*100/40)+0.5))) || u.buc[a.ID][0]["type"] != "ads_insights" {
			t.Fatalf("call %d: got BUC call_count %v, want %d%%", i, got, int((float64(i+1)*100/40)+0.5))
		}
		if u.throttle["acc_id_util_pct"] != any(pct) || u.app["call_count"] < 0 {
			t.Fatalf("got throttle %v app %v, want acc pct %v", u.throttle, u.app, pct)
		}
	}
	if prev != 25 {
		t.Fatalf("got %v%% after 10 of 40 calls, want 25", prev)
	}
	// errors carry the headers too
	resp, body := m.get(actPath(a.ID), url.Values{"fields": {"nope"}})
	wantError(t, resp, body, 400, 100, 0)
	if u := readUsage(t, resp.Header); u.acct["acc_id_util_pct"].(float64) != 27.5 {
		t.Fatalf("got %v on an error answer, want 27.5 (errors count and carry headers)", u.acct)
	}
	resp, _ = m.get("/v21.0/me", nil)
	if u := readUsage(t, resp.Header); u.app["call_count"] != 12 || len(u.buc) != 0 {
		t.Fatalf("got app usage %v BUC %v, want 12%% (12 of 100 calls) and no account", u.app, u.buc)
	}
	m.clock.Advance(61 * time.Minute)
	resp, _ = m.get("/v21.0/me", nil)
	if u := readUsage(t, resp.Header); u.app["call_count"] != 1 {
		t.Fatalf("got app usage %v an hour later, want 1%% (this call only)", u.app)
	}
	resp, _ = m.get(actPath(a.ID), nil)
	if u := readUsage(t, resp.Header); u.acct["acc_id_util_pct"].(float64) != 2.5 {
		t.Fatalf("got %v an hour later, want 2.5 (one call in the window)", u.acct)
	}
}

func TestUsageEnforcement(t *testing.T) {
	m := newSim(t, Options{Seed: 2, CallBudget: 5, AppCallBudget: 100, EnforceLimits: true})
	w := m.s.World()
	a, b := w.Accounts[0], w.Accounts[1]
	for i := range 5 {
		if resp, body := m.get(actPath(a.ID), nil); resp.StatusCode != 200 {
			t.Fatalf("call %d: got HTTP %d %s, want 200 within budget", i, resp.StatusCode, body)
		}
		m.clock.Advance(time.Minute)
	}
	resp, body := m.get(actPath(a.ID)+"/insights", nil)
	wantError(t, resp, body, 400, 80000, 2446079)
	u := readUsage(t, resp.Header)
	eta := u.buc[a.ID][0]["estimated_time_to_regain_access"]
	if eta != any(float64(55)) || u.acct["acc_id_util_pct"].(float64) < 100 {
		t.Fatalf("got regain %v min and util %v, want 55 min (oldest call leaves the hour) and >= 100", eta, u.acct["acc_id_util_pct"])
	}
	if resp, _ := m.get(actPath(b.ID), nil); resp.StatusCode != 200 {
		t.Fatalf("got HTTP %d for another account, want 200: limits are per account", resp.StatusCode)
	}
	m.clock.Advance(55 * time.Minute)
	if resp, body := m.get(actPath(a.ID), nil); resp.StatusCode != 200 {
		t.Fatalf("got HTTP %d %s after the estimate passed, want 200", resp.StatusCode, body)
	}

	// the app budget
	m2 := newSim(t, Options{Seed: 2, CallBudget: 100, AppCallBudget: 3, EnforceLimits: true})
	for range 3 {
		m2.get("/v21.0/me", nil)
	}
	resp, body = m2.get("/v21.0/me", nil)
	wantError(t, resp, body, 400, 4, 0)
}
