package metasim

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestDeterminism(t *testing.T) {
	answers := func(seed uint64) [][]byte {
		m := newSim(t, Options{Seed: seed, HistoryDays: 400})
		host := strings.TrimPrefix(m.url, "http://")
		var out [][]byte
		for _, a := range m.s.World().Accounts {
			reqs := []struct {
				path string
				p    url.Values
			}{
				{actPath(a.ID), url.Values{"fields": {"id,name,currency,timezone_name"}}},
				{actPath(a.ID) + "/campaigns", url.Values{"fields": {"id,name,objective,status,effective_status"}, "limit": {"3"}}},
				{actPath(a.ID) + "/adsets", url.Values{"fields": {"id,name,campaign_id,destination_type,optimization_goal,status"}}},
				{actPath(a.ID) + "/ads", url.Values{"fields": {"id,name,adset_id,campaign_id,status"}}},
				{actPath(a.ID) + "/insights", insightsParams("adset", "2025-03-01", "2026-03-15")},
				{actPath(a.ID) + "/insights", insightsParams("campaign", "2026-01-01", "2026-03-15")},
				{actPath(a.ID) + "/insights", insightsParams("account", "2025-01-01", "2026-03-15")},
			}
			for _, r := range reqs {
				_, b := m.get(r.path, r.p)
				out = append(out, bytes.ReplaceAll(b, []byte(host), []byte("HOST")))
			}
		}
		return out
	}
	a, b, c := answers(42), answers(42), answers(43)
	differ := 0
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("answer %d: got different bytes for the same seed, want identical:\n%s\n%s", i, truncate(a[i]), truncate(b[i]))
		}
		if i < len(c) && !bytes.Equal(a[i], c[i]) {
			differ++
		}
	}
	if differ < len(a)-1 {
		t.Fatalf("got %d of %d answers differing for another seed, want nearly all", differ, len(a))
	}
}

func TestDemoWorldMix(t *testing.T) {
	s, err := New(DemoOptions())
	if err != nil {
		t.Fatal(err)
	}
	w := s.World()
	if len(w.Accounts) != 3 {
		t.Fatalf("got %d accounts, want 3", len(w.Accounts))
	}
	cur, obj, dest, status := map[string]int{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	messaging, other, ctx, notCTX, ads := 0, 0, 0, 0, 0
	for _, a := range w.Accounts {
		cur[a.Currency] = a.MinorDigits
		if a.PageID == "" || a.DatasetID == "" {
			t.Fatalf("got account %+v, want a page id and a dataset id", a)
		}
		if len(a.Campaigns) != 6 {
			t.Fatalf("got %d campaigns, want 6", len(a.Campaigns))
		}
		for _, c := range a.Campaigns {
			obj[c.Objective] = true
			status[c.Status] = true
			if c.CTX {
				ctx++
			} else {
				notCTX++
			}
			for _, as := range c.AdSets {
				dest[as.DestinationType] = true
				status[as.Status] = true
				if as.Messaging {
					messaging++
				} else {
					other++
				}
				for _, d := range as.Ads {
					ads++
					if d.AdSetID != as.ID || d.CampaignID != c.ID {
						t.Fatalf("got ad %+v, want it under ad set %s campaign %s", d, as.ID, c.ID)
					}
				}
			}
		}
	}
	if fmt.Sprint(cur) != "map[EUR:2 JPY:0 USD:2]" {
		t.Errorf("got currencies %v, want USD, EUR and JPY with 0 minor digits", cur)
	}
	for _, o := range []string{"OUTCOME_ENGAGEMENT", "OUTCOME_LEADS", "OUTCOME_SALES", "OUTCOME_TRAFFIC", "OUTCOME_AWARENESS", "MESSAGES", "LEAD_GENERATION"} {
		if !obj[o] {
			t.Errorf("got objectives %v, want %s among them", obj, o)
		}
	}
	for _, d := range []string{"MESSENGER", "WHATSAPP", "WEBSITE", "ON_AD", "UNDEFINED"} {
		if !dest[d] {
			t.Errorf("got destinations %v, want %s among them", dest, d)
		}
	}
	for _, st := range []string{"ACTIVE", "PAUSED", "ARCHIVED", "DELETED"} {
		if !status[st] {
			t.Errorf("got statuses %v, want %s among them", status, st)
		}
	}
	if messaging == 0 || other == 0 || ctx == 0 || notCTX == 0 || ads != 3*6*3*2 {
		t.Errorf("got %d messaging / %d other ad sets, %d CTX / %d other campaigns, %d ads; want both kinds and 108 ads", messaging, other, ctx, notCTX, ads)
	}
}
