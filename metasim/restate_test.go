package metasim

import (
	"bytes"
	"testing"
	"time"
)

func truthByKey(t *testing.T, s *Server, acct, level, since, until string) map[string]TruthRow {
	t.Helper()
	rows, err := s.Truth(acct, level, since, until)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]TruthRow{}
	for _, r := range rows {
		out[r.Date+"/"+r.CampaignID+"/"+r.AdSetID] = r
	}
	return out
}

func TestRestatementWindow(t *testing.T) {
	m := newSim(t, Options{Seed: 13, CampaignsPerAccount: 10})
	a := m.s.World().Accounts[0]
	// today is 2026-03-15: 2026-02-16 is the oldest day inside the 28-day window
	const oldUntil, inSince = "2026-02-15", "2026-02-16"
	oldBody := func() []byte {
		_, b := m.get(actPath(a.ID)+"/insights", insightsParams("adset", "2026-01-01", oldUntil))
		return b
	}
	b0 := oldBody()
	t0 := truthByKey(t, m.s, a.ID, "adset", "2026-01-01", "2026-03-15")
	changed, vanished, changedOldest := 0, 0, 0
	for range 4 {
		m.s.Restate()
		if b := oldBody(); !bytes.Equal(b, b0) {
			t.Fatalf("got a different answer for days before %s after Restate, want byte-identical", inSince)
		}
		t1 := truthByKey(t, m.s, a.ID, "adset", "2026-01-01", "2026-03-15")
		for k, r0 := range t0 {
			r1, ok := t1[k]
			if r0.Date <= oldUntil {
				if !ok || r1.Spend != r0.Spend || r1.Impressions != r0.Impressions {
					t.Fatalf("%s: got %+v, want unchanged %+v (older than 28 days)", k, r1, r0)
				}
				continue
			}
			switch {
			case !ok:
				vanished++
			case r1.Spend != r0.Spend || r1.Actions["link_click"] != r0.Actions["link_click"]:
				changed++
				if r0.Date == inSince {
					changedOldest++
				}
			}
		}
	}
	if changed == 0 || vanished == 0 || changedOldest == 0 {
		t.Fatalf("got %d changed, %d vanished, %d changed on %s inside the window, want all > 0", changed, vanished, changedOldest, inSince)
	}
	// sums follow: campaign and account rows equal the new ad-set rows exactly
	ad := truthByKey(t, m.s, a.ID, "adset", inSince, "2026-03-15")
	camp := map[string]int64{}
	day := map[string]int64{}
	for _, r := range ad {
		camp[r.Date+"/"+r.CampaignID] += r.SpendMicros
		day[r.Date] += r.SpendMicros
	}
	for _, r := range truthByKey(t, m.s, a.ID, "campaign", inSince, "2026-03-15") {
		if camp[r.Date+"/"+r.CampaignID] != r.SpendMicros {
			t.Fatalf("campaign %s %s: got %d, want the ad-set sum %d", r.CampaignID, r.Date, r.SpendMicros, camp[r.Date+"/"+r.CampaignID])
		}
	}
	for _, r := range truthByKey(t, m.s, a.ID, "account", inSince, "2026-03-15") {
		if day[r.Date] != r.SpendMicros {
			t.Fatalf("account %s: got %d, want the ad-set sum %d", r.Date, r.SpendMicros, day[r.Date])
		}
	}
}

func TestRestatementStableWithinEpochAndByInterval(t *testing.T) {
	m := newSim(t, Options{Seed: 13, RestatementInterval: 6 * time.Hour})
	a := m.s.World().Accounts[1]
	get := func() []byte {
		_, b := m.get(actPath(a.ID)+"/insights", insightsParams("campaign", "2026-02-20", "2026-03-14"))
		return b
	}
	e0, b0 := m.s.Epoch(), get()
	m.clock.Advance(time.Minute)
	if e, b := m.s.Epoch(), get(); e != e0 || !bytes.Equal(b, b0) {
		t.Fatalf("got epoch %d and a different answer a minute later, want epoch %d and the same answer", e, e0)
	}
	m.clock.Advance(6 * time.Hour)
	if e, b := m.s.Epoch(), get(); e != e0+1 || bytes.Equal(b, b0) {
		t.Fatalf("got epoch %d (answer changed: %v) after one interval, want %d and a restated answer", e, !bytes.Equal(b, b0), e0+1)
	}
	m.s.Restate()
	if e := m.s.Epoch(); e != e0+2 {
		t.Fatalf("got epoch %d after Restate, want %d", e, e0+2)
	}
}
