package synth

import (
	"context"
	"fmt"

	"github.com/leadlens/leadlens/store"
)

// Fixture is a small hand-made world whose numbers tests write out by hand:
//
//	client "acme": account 1 "US" (USD, America/New_York), account 2 "EU" (EUR, Europe/Berlin)
//	  campaign 9001 "Spring CTX"  (account 1, CTX)     ad sets 8001 MESSENGER (ad 7001), 8002 WEBSITE (ad 7002)
//	  campaign 9002 "Site traffic" (account 1, not CTX) ad set  8003 WEBSITE (ad 7003)
//	  campaign 9003 "WhatsApp EU" (account 2, CTX)     ad set  8004 WHATSAPP (ad 7004)
//	client "other": account 3 "Other" (USD), campaign 9009, ad set 8009, ad 7009
//
// Ad-set days (spend, leads_grouped, conversations, impressions, clicks); campaign and account
// rows are their sums, as Meta's are:
//
//	2026-10-30  8001 4.00 1 1 40 2 | 8004 6.00€ 2 2 60 3
//	2026-11-01  8001 10.00 2 3 100 5 | 8002 5.00 0 0 50 2 | 8003 7.00 1 0 70 3 | 8004 20.00€ 4 6 200 10
//	2026-11-02  8001 3.50 1 2 30 1 | 8004 1.25€ 0 1 10 1
//	2026-11-03  8003 2.00 0 0 20 1
//	2026-11-04  8001 99.00 9 9 900 90
//
// Logged events of acme (lead_submitted unless said): 10-30 ad 7004; 11-01 ad 7001, ad 7009 (the
// other client's ad), page_view on 7001 (not a lead); 11-02 ad 7001, unknown ad 999, ad 7002;
// 11-03 ad 7003, ad 7004 (referral-attributed), no ad. The other client logs one lead on 11-01.
type Fixture struct {
	Acme, Other store.Client
}

// LoadFixture stores the Fixture world.
func LoadFixture(ctx context.Context, db *store.DB) (*Fixture, error) {
	acme, err := db.CreateClient(ctx, store.NewClient{Name: "Acme", Slug: "acme", AdAccounts: []string{"act_1", "act_2"}, Pages: []string{"111"}})
	if err != nil {
		return nil, fmt.Errorf("synth: fixture: %w", err)
	}
	other, err := db.CreateClient(ctx, store.NewClient{Name: "Other", Slug: "other", AdAccounts: []string{"act_3"}, Pages: []string{"333"}})
	if err != nil {
		return nil, fmt.Errorf("synth: fixture: %w", err)
	}
	type day struct {
		date                      string
		adset                     string
		spend, leads, conv, im, c int64
	}
	campaignOf := map[string]string{"8001": "9001", "8002": "9001", "8003": "9002", "8004": "9003", "8009": "9009"}
	accountOf := map[string]string{"9001": "1", "9002": "1", "9003": "2", "9009": "3"}
	days := []day{
		{"2026-10-30", "8001", 4_000_000, 1, 1, 40, 2}, {"2026-10-30", "8004", 6_000_000, 2, 2, 60, 3},
		{"2026-11-01", "8001", 10_000_000, 2, 3, 100, 5}, {"2026-11-01", "8002", 5_000_000, 0, 0, 50, 2},
		{"2026-11-01", "8003", 7_000_000, 1, 0, 70, 3}, {"2026-11-01", "8004", 20_000_000, 4, 6, 200, 10},
		{"2026-11-02", "8001", 3_500_000, 1, 2, 30, 1}, {"2026-11-02", "8004", 1_250_000, 0, 1, 10, 1},
		{"2026-11-03", "8003", 2_000_000, 0, 0, 20, 1},
		{"2026-11-04", "8001", 99_000_000, 9, 9, 900, 90},
		{"2026-11-01", "8009", 1_000_000, 1, 1, 10, 1},
	}
	accounts := []Account{{"1", "US", "USD", "America/New_York"}, {"2", "EU", "EUR", "Europe/Berlin"}, {"3", "Other", "USD", "America/New_York"}}
	sets := map[string]store.ObjectSet{
		"1": {Campaigns: []store.Campaign{
			{ID: "9001", Name: "Spring CTX", Objective: "OUTCOME_ENGAGEMENT", Status: "ACTIVE", EffectiveStatus: "ACTIVE"},
			{ID: "9002", Name: "Site traffic", Objective: "OUTCOME_TRAFFIC", Status: "PAUSED", EffectiveStatus: "PAUSED"}},
			AdSets: []store.AdSet{
				{ID: "8001", CampaignID: "9001", Name: "Messenger lookalike", DestinationType: "MESSENGER", Status: "ACTIVE", EffectiveStatus: "ACTIVE"},
				{ID: "8002", CampaignID: "9001", Name: "Website retarget", DestinationType: "WEBSITE", Status: "ACTIVE", EffectiveStatus: "ACTIVE"},
				{ID: "8003", CampaignID: "9002", Name: "Site visitors", DestinationType: "WEBSITE", Status: "PAUSED", EffectiveStatus: "PAUSED"}},
			Ads: []store.Ad{{ID: "7001", AdSetID: "8001", CampaignID: "9001"}, {ID: "7002", AdSetID: "8002", CampaignID: "9001"},
				{ID: "7003", AdSetID: "8003", CampaignID: "9002"}}},
		"2": {Campaigns: []store.Campaign{{ID: "9003", Name: "WhatsApp EU", Objective: "OUTCOME_ENGAGEMENT", Status: "ACTIVE", EffectiveStatus: "ACTIVE"}},
			AdSets: []store.AdSet{{ID: "8004", CampaignID: "9003", Name: "WhatsApp DE", DestinationType: "WHATSAPP", Status: "ACTIVE", EffectiveStatus: "ACTIVE"}},
			Ads:    []store.Ad{{ID: "7004", AdSetID: "8004", CampaignID: "9003"}}},
		"3": {Campaigns: []store.Campaign{{ID: "9009", Name: "Other CTX", Status: "ACTIVE", EffectiveStatus: "ACTIVE"}},
			AdSets: []store.AdSet{{ID: "8009", CampaignID: "9009", Name: "Other set", DestinationType: "MESSENGER", Status: "ACTIVE", EffectiveStatus: "ACTIVE"}},
			Ads:    []store.Ad{{ID: "7009", AdSetID: "8009", CampaignID: "9009"}}},
	}
	for _, a := range accounts {
		if err := db.UpdateAdAccountMeta(ctx, a.ID, a.Name, a.Currency, a.Timezone); err != nil {
			return nil, fmt.Errorf("synth: fixture: %w", err)
		}
		set := sets[a.ID]
		for i := range set.Ads {
			set.Ads[i].AccountID = a.ID
		}
		if err := db.UpsertObjects(ctx, a.ID, set); err != nil {
			return nil, fmt.Errorf("synth: fixture: %w", err)
		}
		var rows []store.InsightRow
		camps := map[string]*store.InsightRow{}
		accts := map[string]*store.InsightRow{}
		var order []string
		for _, d := range days {
			cid := campaignOf[d.adset]
			if accountOf[cid] != a.ID {
				continue
			}
			r := store.InsightRow{Level: "adset", Date: d.date, ObjectID: d.adset, CampaignID: cid, AdSetID: d.adset,
				SpendMicros: d.spend, Impressions: d.im, Clicks: d.c,
				Actions: map[string]int64{store.ActionLeadGrouped: d.leads, store.ActionConversationsStarted: d.conv, store.ActionLinkClick: d.c}}
			rows = append(rows, r)
			ck := d.date + "/" + cid
			if camps[ck] == nil {
				camps[ck] = &store.InsightRow{Level: "campaign", Date: d.date, ObjectID: cid, CampaignID: cid, Actions: map[string]int64{}}
				order = append(order, ck)
			}
			add(camps[ck], r)
			if accts[d.date] == nil {
				accts[d.date] = &store.InsightRow{Level: "account", Date: d.date, ObjectID: a.ID, Actions: map[string]int64{}}
				order = append(order, d.date)
			}
			add(accts[d.date], r)
		}
		for _, k := range order {
			if c, ok := camps[k]; ok {
				rows = append(rows, *c)
			} else {
				rows = append(rows, *accts[k])
			}
		}
		load, err := db.BeginWindow(ctx, a.ID, "2026-10-25", "2026-11-05")
		if err != nil {
			return nil, fmt.Errorf("synth: fixture: %w", err)
		}
		if err := load.Add(ctx, rows); err != nil {
			return nil, fmt.Errorf("synth: fixture: %w", err)
		}
		if _, err := load.Commit(ctx, store.Levels, 0); err != nil {
			return nil, fmt.Errorf("synth: fixture: %w", err)
		}
	}
	acmeEvents := []Event{
		{Day: "2026-10-30", Name: "lead_submitted", AdID: "7004", Attribution: "event"},
		{Day: "2026-11-01", Name: "lead_submitted", AdID: "7001", Attribution: "event"},
		{Day: "2026-11-01", Name: "lead_submitted", AdID: "7009", Attribution: "event"},
		{Day: "2026-11-01", Name: "page_view", AdID: "7001", Attribution: "event"},
		{Day: "2026-11-02", Name: "lead_submitted", AdID: "7001", Attribution: "event"},
		{Day: "2026-11-02", Name: "lead_submitted", AdID: "999", Attribution: "event"},
		{Day: "2026-11-02", Name: "lead_submitted", AdID: "7002", Attribution: "event"},
		{Day: "2026-11-03", Name: "lead_submitted", AdID: "7003", Attribution: "event"},
		{Day: "2026-11-03", Name: "lead_submitted", AdID: "7004", Attribution: "referral"},
		{Day: "2026-11-03", Name: "lead_submitted"},
	}
	if err := InsertEvents(ctx, db, acme.ID, "111", acmeEvents); err != nil {
		return nil, err
	}
	if err := InsertEvents(ctx, db, other.ID, "333", []Event{{Day: "2026-11-01", Name: "lead_submitted", AdID: "7009", Attribution: "event"}}); err != nil {
		return nil, err
	}
	return &Fixture{Acme: acme, Other: other}, nil
}
