package store

import (
	"context"
	"testing"
)

func TestUpsertObjectsClassifiesCTX(t *testing.T) {
	db := openTest(t)
	seedAccount(t, db)
	ctx := context.Background()
	set := ObjectSet{
		Campaigns: []Campaign{
			{ID: "c-msg", Name: "Messenger", Objective: "OUTCOME_ENGAGEMENT", Status: "ACTIVE"},
			{ID: "c-web", Name: "Website", Objective: "OUTCOME_TRAFFIC", Status: "ACTIVE"},
			{ID: "c-legacy", Name: "Legacy", Objective: "MESSAGES", Status: "PAUSED"},
			{ID: "c-wa", Name: "WhatsApp mix", Objective: "OUTCOME_LEADS", Status: "ACTIVE"},
		},
		AdSets: []AdSet{
			{ID: "s1", CampaignID: "c-msg", DestinationType: "MESSENGER"},
			{ID: "s2", CampaignID: "c-web", DestinationType: "WEBSITE"},
			{ID: "s3", CampaignID: "c-web", DestinationType: "UNDEFINED"},
			{ID: "s4", CampaignID: "c-wa", DestinationType: "WEBSITE"},
			{ID: "s5", CampaignID: "c-wa", DestinationType: "MESSAGING_INSTAGRAM_DIRECT_WHATSAPP"},
		},
		Ads: []Ad{{ID: "ad1", AdSetID: "s1", CampaignID: "c-msg"}},
	}
	if err := db.UpsertObjects(ctx, "1", set); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"c-msg": true, "c-web": false, "c-legacy": true, "c-wa": true}
	cs, err := db.Campaigns(ctx, "1")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.IsCTX != want[c.ID] {
			t.Errorf("campaign %s IsCTX = %v, want %v", c.ID, c.IsCTX, want[c.ID])
		}
	}
	// The messaging ad set moves to the web campaign: both flags follow.
	set.AdSets = []AdSet{{ID: "s1", CampaignID: "c-web", DestinationType: "MESSENGER"}}
	if err := db.UpsertObjects(ctx, "1", set); err != nil {
		t.Fatal(err)
	}
	c, _ := db.CampaignByID(ctx, "c-web")
	m, _ := db.CampaignByID(ctx, "c-msg")
	if !c.IsCTX || m.IsCTX {
		t.Fatalf("after move: c-web CTX=%v c-msg CTX=%v, want true, false", c.IsCTX, m.IsCTX)
	}
	if a, err := db.AdByID(ctx, "ad1"); err != nil || a.AdSetID != "s1" {
		t.Fatalf("ad: got %+v %v", a, err)
	}
}
