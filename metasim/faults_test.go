package metasim

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFaultKindsAnswer(t *testing.T) {
	cases := []struct {
		kind              FaultKind
		status, code, sub int
		transient         bool
		msg               string
	}{
		{FaultThrottleApp, 400, 4, 0, true, "(#4)"},
		{FaultThrottleUser, 400, 17, 2446079, true, "(#17)"},
		{FaultThrottleRate, 400, 613, 1487742, true, "(#613)"},
		{FaultThrottleAccount, 400, 80000, 2446079, false, "too many calls"},
		{FaultUnknownError, 500, 1, 99, true, "An unknown error occurred"},
		{FaultServiceUnavailable, 500, 2, 0, true, "Service temporarily unavailable"},
		{FaultReduceData, 500, 1, 0, false, "Please reduce the amount of data you're asking for, then retry your request"},
		{FaultTooMuchData, 400, 100, 1487534, false, ""},
		{FaultSyncTimeout, 400, 100, 1504018, false, ""},
		{FaultTokenExpired, 400, 190, 463, false, "expired"},
		{FaultPermissionAdsRead, 403, 200, 0, false, "(#200) Requires ads_read permission"},
		{FaultPermission, 400, 10, 0, false, "(#10)"},
		{FaultNotFound, 400, 100, 33, false, "does not exist"},
	}
	m := newSim(t, Options{Seed: 6})
	a := m.s.World().Accounts[0]
	for _, tc := range cases {
		t.Run(string(tc.kind), func(t *testing.T) {
			id, err := m.s.AddFault(Fault{Kind: tc.kind, Account: "act_" + a.ID, Request: RequestInsights, Times: 1, RegainMinutes: 3})
			if err != nil {
				t.Fatal(err)
			}
			resp, body := m.get(actPath(a.ID)+"/insights", insightsParams("account", "2026-03-01", "2026-03-05"))
			ge := wantError(t, resp, body, tc.status, tc.code, tc.sub)
			if *ge.Error.IsTransient != tc.transient || !strings.Contains(ge.Error.Message, tc.msg) {
				t.Errorf("got transient %v message %q, want %v and %q", *ge.Error.IsTransient, ge.Error.Message, tc.transient, tc.msg)
			}
			if tc.kind == FaultThrottleAccount {
				u := readUsage(t, resp.Header)
				if eta := u.buc[a.ID][0]["estimated_time_to_regain_access"]; eta != any(float64(3)) {
					t.Errorf("got regain %v, want 3 minutes", eta)
				}
			}
			if m.s.FaultFired(id) != 1 {
				t.Errorf("got fired %d, want 1", m.s.FaultFired(id))
			}
			// Times: 1 — the retry gets through
			if resp, body := m.get(actPath(a.ID)+"/insights", insightsParams("account", "2026-03-01", "2026-03-05")); resp.StatusCode != 200 {
				t.Errorf("got HTTP %d %s on the retry, want 200", resp.StatusCode, truncate(body))
			}
			if !m.s.RemoveFault(id) {
				t.Errorf("got RemoveFault false, want true")
			}
			last := m.s.Requests()
			if lr := last[len(last)-2]; lr.Fault != tc.kind || lr.ErrorCode != tc.code {
				t.Errorf("got log %+v, want fault %s code %d", lr, tc.kind, tc.code)
			}
		})
	}
}

func TestFaultMatching(t *testing.T) {
	m := newSim(t, Options{Seed: 6, Faults: []Fault{
		{Kind: FaultServiceUnavailable, Request: RequestCampaigns},
		{Kind: FaultThrottleAccount, Level: "adset", RegainMinutes: 0},
	}})
	w := m.s.World()
	a := w.Accounts[0]
	resp, body := m.get(actPath(a.ID)+"/campaigns", nil)
	wantError(t, resp, body, 500, 2, 0)
	resp, body = m.get(actPath(a.ID)+"/campaigns", nil)
	wantError(t, resp, body, 500, 2, 0) // every call when Times is 0
	if resp, _ := m.get(actPath(a.ID)+"/adsets", nil); resp.StatusCode != 200 {
		t.Errorf("got HTTP %d for adsets, want 200: the rule is for campaigns", resp.StatusCode)
	}
	resp, body = m.get(actPath(a.ID)+"/insights", insightsParams("adset", "2026-03-01", "2026-03-02"))
	wantError(t, resp, body, 400, 80000, 2446079)
	if eta := readUsage(t, resp.Header).buc[a.ID][0]["estimated_time_to_regain_access"]; eta != any(float64(0)) {
		t.Errorf("got regain %v, want 0", eta)
	}
	if resp, _ := m.get(actPath(a.ID)+"/insights", insightsParams("campaign", "2026-03-01", "2026-03-02")); resp.StatusCode != 200 {
		t.Errorf("got HTTP %d at campaign level, want 200: the rule is for adset", resp.StatusCode)
	}
	m.s.ClearFaults()
	if _, err := m.s.AddFault(Fault{Kind: FaultPermission, Account: w.Accounts[1].ID}); err != nil {
		t.Fatal(err)
	}
	if resp, _ := m.get(actPath(a.ID), nil); resp.StatusCode != 200 {
		t.Errorf("got HTTP %d for another account, want 200", resp.StatusCode)
	}
	resp, body = m.get(actPath(w.Accounts[1].ID), nil)
	wantError(t, resp, body, 400, 10, 0)
	if _, err := m.s.AddFault(Fault{Kind: "made-up"}); err == nil {
		t.Errorf("got no error for an unknown kind, want one")
	}
	if _, err := New(Options{Faults: []Fault{{Kind: FaultSlow}}}); err == nil {
		t.Errorf("got no error for a Slow fault without Delay, want one")
	}
}

func TestFaultProbabilityIsSeeded(t *testing.T) {
	run := func() string {
		m := newSim(t, Options{Seed: 99, Faults: []Fault{{Kind: FaultUnknownError, Probability: 0.3}}})
		var b strings.Builder
		for range 60 {
			resp, _ := m.get("/v21.0/me", nil)
			if resp.StatusCode == 500 {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b := run(), run()
	n := strings.Count(a, "x")
	if a != b || n < 5 || n > 35 {
		t.Fatalf("got %s and %s, want the same sequence with about 30%% failures", a, b)
	}
}

func TestSyncTimeoutOnlyForLongWindows(t *testing.T) {
	m := newSim(t, Options{Seed: 6, AsyncPolls: AsyncImmediate,
		Faults: []Fault{{Kind: FaultSyncTimeout, MinWindowDays: 31}}})
	a := m.s.World().Accounts[0]
	resp, body := m.get(actPath(a.ID)+"/insights", insightsParams("adset", "2025-12-01", "2026-03-15"))
	wantError(t, resp, body, 400, 100, 1504018)
	// the same range split in windows of at most 31 days gets through
	for _, r := range [][2]string{{"2025-12-01", "2025-12-31"}, {"2026-01-01", "2026-01-31"}, {"2026-02-01", "2026-03-03"}, {"2026-03-04", "2026-03-15"}} {
		if resp, body := m.get(actPath(a.ID)+"/insights", insightsParams("adset", r[0], r[1])); resp.StatusCode != 200 {
			t.Fatalf("%v: got HTTP %d %s, want 200", r, resp.StatusCode, truncate(body))
		}
	}
	// and so does the async path with the long window
	id := m.submit(actPath(a.ID)+"/insights", insightsParams("adset", "2025-12-01", "2026-03-15"))
	if st := m.status(id); st.Status != JobCompleted {
		t.Fatalf("got %s, want Job Completed", st.Status)
	}
	if resp, body := m.get("/v21.0/"+id+"/insights", nil); resp.StatusCode != 200 {
		t.Fatalf("got HTTP %d %s for async results, want 200", resp.StatusCode, truncate(body))
	}
}

func TestSlowFaultHonoursContext(t *testing.T) {
	m := newSim(t, Options{Seed: 6})
	long, _ := m.s.AddFault(Fault{Kind: FaultSlow, Delay: 3 * time.Second, Request: RequestMe})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", m.url+"/v21.0/me?access_token="+DemoToken, nil)
	start := time.Now()
	if _, err := m.client.Do(req); err == nil {
		t.Fatalf("got an answer within 50ms, want the client to time out")
	}
	// the server noticed and moved on: the log gets the entry with status 0 long before 3s
	deadline := time.Now().Add(2 * time.Second)
	for {
		reqs := m.s.Requests()
		if len(reqs) == 1 && reqs[0].Status == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("got log %+v after 2s, want one entry with status 0 once the client left", reqs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("got the handler finishing after %v, want it to stop when the client left", el)
	}
	m.s.RemoveFault(long)
	if _, err := m.s.AddFault(Fault{Kind: FaultSlow, Delay: 100 * time.Millisecond, Request: RequestMe}); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if resp, _ := m.get("/v21.0/me", nil); resp.StatusCode != 200 || time.Since(start) < 100*time.Millisecond {
		t.Fatalf("got HTTP %d after %v, want 200 after at least the delay", resp.StatusCode, time.Since(start))
	}
}

func TestCorruptBodies(t *testing.T) {
	m := newSim(t, Options{Seed: 6})
	a := m.s.World().Accounts[0]
	_, good := m.get(actPath(a.ID)+"/insights", insightsParams("adset", "2026-03-01", "2026-03-10"))
	for _, kind := range []FaultKind{FaultMalformedJSON, FaultTruncatedJSON} {
		if _, err := m.s.AddFault(Fault{Kind: kind, Times: 1}); err != nil {
			t.Fatal(err)
		}
		resp, body := m.get(actPath(a.ID)+"/insights", insightsParams("adset", "2026-03-01", "2026-03-10"))
		var v any
		if resp.StatusCode != 200 || json.Unmarshal(body, &v) == nil {
			t.Fatalf("%s: got HTTP %d and a decodable body, want 200 and invalid JSON", kind, resp.StatusCode)
		}
		if kind == FaultTruncatedJSON && (!bytes.HasPrefix(good, body) || len(body) == 0 || len(body) >= len(good)) {
			t.Fatalf("got %d bytes, want a non-empty strict prefix of the %d-byte answer", len(body), len(good))
		}
	}
}

func TestAddFaultConcurrently(t *testing.T) {
	m := newSim(t, Options{Seed: 6})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			id, _ := m.s.AddFault(Fault{Kind: FaultUnknownError, Request: RequestMe, Probability: 0.5})
			if i%2 == 0 {
				m.s.RemoveFault(id)
			}
		}()
		go func() {
			defer wg.Done()
			resp, err := m.client.Get(m.url + "/v21.0/me?access_token=" + DemoToken)
			if err == nil {
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	if got := m.s.CallCount(RequestMe); got != 8 {
		t.Fatalf("got %d me calls counted, want 8", got)
	}
}
