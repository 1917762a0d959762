// Package synth loads a deterministic synthetic client — accounts, campaigns, ad sets, ads,
// daily insights at every level and logged bot events — into a store through the same window
// API the collector uses. Tests keep the generated truth to compute expected numbers on their
// own; benchmarks and browser tests use it for realistic data volumes.
package synth

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/leadlens/leadlens/store"
)

// Account describes one ad account of the synthetic client.
type Account struct {
	ID       string // digits, no act_
	Name     string
	Currency string
	Timezone string
}

// Spec describes a synthetic client. Zero values take small defaults.
type Spec struct {
	Name     string
	Slug     string
	Timezone string // the client's own setting; "" means the first account's
	Accounts []Account
	// CampaignsPerAccount, AdSetsPerCampaign and AdsPerAdSet size the object tree.
	CampaignsPerAccount int
	AdSetsPerCampaign   int
	AdsPerAdSet         int
	// Until is the last day with data; Days how many days end there.
	Until string
	Days  int
	// DeliveryPercent is the chance an ad set delivers on a day (100: every day).
	DeliveryPercent int
	// LoggedPercent is the chance that an attributed lead was also logged by the bot.
	LoggedPercent int
	// Odd adds, per day, one logged lead with an unknown ad, one without an ad, one
	// referral-attributed lead and one event that is not a lead.
	Odd bool
	// KeepTruth keeps every generated row and event in World (memory grows with the size).
	KeepTruth bool
	Seed      uint64
	// PageID is the client's Facebook page (default 100200300).
	PageID string
}

// Event is one logged event as generated.
type Event struct {
	Day         string
	Name        string
	AdID        string
	Attribution string // "", event or referral
}

// World is what was generated.
type World struct {
	Client    store.Client
	Campaigns []store.Campaign // IsCTX as SPEC's rule gives it
	AdSets    []store.AdSet    // IsCTX: the ad set's own destination
	Ads       []store.Ad
	// Rows holds every insights row by account id (KeepTruth only).
	Rows map[string][]store.InsightRow
	// Events holds every logged event (KeepTruth only).
	Events []Event
	// RowCount counts the insights rows stored, by level.
	RowCount map[string]int
	// EventCount counts the events stored.
	EventCount int
}

func (s *Spec) defaults() {
	if s.Name == "" {
		s.Name = "Synthetic"
	}
	if len(s.Accounts) == 0 {
		s.Accounts = []Account{{ID: "1001", Name: "Main", Currency: "USD", Timezone: "America/New_York"}}
	}
	if s.CampaignsPerAccount == 0 {
		s.CampaignsPerAccount = 4
	}
	if s.AdSetsPerCampaign == 0 {
		s.AdSetsPerCampaign = 2
	}
	if s.AdsPerAdSet == 0 {
		s.AdsPerAdSet = 2
	}
	if s.Days == 0 {
		s.Days = 30
	}
	if s.Until == "" {
		s.Until = time.Now().UTC().Format(store.DateLayout)
	}
	if s.DeliveryPercent == 0 {
		s.DeliveryPercent = 85
	}
	if s.PageID == "" {
		s.PageID = "100200300"
	}
}

// BenchSpec is the benchmark world: one account, 200 campaigns × 10 ad sets × 2 ads, 365 days of
// delivery every day (730,000 ad-set rows, 73,000 campaign rows) ending on until, with about a
// third of the attributed leads logged by the bot.
func BenchSpec(until string) Spec {
	return Spec{Name: "Benchmark", Slug: "bench", Accounts: []Account{{ID: "5005", Name: "Bench", Currency: "USD", Timezone: "America/New_York"}},
		CampaignsPerAccount: 200, AdSetsPerCampaign: 10, AdsPerAdSet: 2, Until: until, Days: 365,
		DeliveryPercent: 100, LoggedPercent: 30, Odd: true, Seed: 365}
}

// Load generates the client of spec into db. The database must not hold a client with the same
// slug.
func Load(ctx context.Context, db *store.DB, spec Spec) (*World, error) {
	spec.defaults()
	until, err := time.Parse(store.DateLayout, spec.Until)
	if err != nil {
		return nil, fmt.Errorf("synth: until %q: %w", spec.Until, err)
	}
	since := until.AddDate(0, 0, -(spec.Days - 1)).Format(store.DateLayout)
	ids := make([]string, 0, len(spec.Accounts))
	for _, a := range spec.Accounts {
		ids = append(ids, a.ID)
	}
	c, err := db.CreateClient(ctx, store.NewClient{Name: spec.Name, Slug: spec.Slug, Timezone: spec.Timezone,
		AdAccounts: ids, Pages: []string{spec.PageID}})
	if err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	w := &World{Client: c, Rows: map[string][]store.InsightRow{}, RowCount: map[string]int{}}
	r := rand.New(rand.NewPCG(spec.Seed, spec.Seed^0x5eed))
	var events []Event
	for ai, a := range spec.Accounts {
		if err := db.UpdateAdAccountMeta(ctx, a.ID, a.Name, a.Currency, a.Timezone); err != nil {
			return nil, fmt.Errorf("synth: %w", err)
		}
		set := objects(ai, a, spec)
		if err := db.UpsertObjects(ctx, a.ID, set); err != nil {
			return nil, fmt.Errorf("synth: %w", err)
		}
		w.Campaigns = append(w.Campaigns, set.Campaigns...)
		w.AdSets = append(w.AdSets, set.AdSets...)
		w.Ads = append(w.Ads, set.Ads...)
		ev, err := loadInsights(ctx, db, w, r, a, set, spec, since, until)
		if err != nil {
			return nil, err
		}
		events = append(events, ev...)
		if err := db.RecordAccountOutcome(ctx, a.ID, db.Now(), ""); err != nil {
			return nil, fmt.Errorf("synth: %w", err)
		}
	}
	if spec.Odd {
		for d := 0; d < spec.Days; d++ {
			day := until.AddDate(0, 0, -d).Format(store.DateLayout)
			events = append(events,
				Event{Day: day, Name: "lead_submitted", AdID: "999999999999", Attribution: "event"},
				Event{Day: day, Name: "lead_submitted"},
				Event{Day: day, Name: "page_view", AdID: w.Ads[d%len(w.Ads)].ID, Attribution: "event"})
			if len(w.Ads) > 0 {
				events = append(events, Event{Day: day, Name: "lead_submitted", AdID: w.Ads[(d*7)%len(w.Ads)].ID, Attribution: "referral"})
			}
		}
	}
	if err := InsertEvents(ctx, db, c.ID, spec.PageID, events); err != nil {
		return nil, err
	}
	w.EventCount = len(events)
	if spec.KeepTruth {
		w.Events = events
	}
	return w, nil
}

// objects builds an account's tree: every fourth campaign sends traffic to a website (not CTX),
// every fifth is a legacy MESSAGES campaign whose ad sets send to a website (CTX by objective),
// the rest open Messenger or WhatsApp — except their last ad set, which sends to a website, so
// a CTX campaign can hold a non-CTX ad set.
func objects(ai int, a Account, spec Spec) store.ObjectSet {
	var set store.ObjectSet
	for ci := 0; ci < spec.CampaignsPerAccount; ci++ {
		cid := fmt.Sprintf("23%03d%07d", ai, ci)
		c := store.Campaign{ID: cid, AccountID: a.ID, Name: fmt.Sprintf("%s campaign %d", a.Name, ci+1),
			Objective: "OUTCOME_ENGAGEMENT", Status: "ACTIVE", EffectiveStatus: "ACTIVE"}
		kind := "ctx"
		switch {
		case ci%4 == 3:
			kind, c.Objective = "web", "OUTCOME_TRAFFIC"
		case ci%5 == 4:
			kind, c.Objective = "legacy", "MESSAGES"
		}
		if ci%3 == 2 {
			c.Status, c.EffectiveStatus = "PAUSED", "PAUSED"
		}
		c.IsCTX = kind != "web"
		set.Campaigns = append(set.Campaigns, c)
		for si := 0; si < spec.AdSetsPerCampaign; si++ {
			sid := fmt.Sprintf("24%03d%07d%02d", ai, ci, si)
			dest := "MESSENGER"
			if si%2 == 1 {
				dest = "WHATSAPP"
			}
			if kind != "ctx" || (si == spec.AdSetsPerCampaign-1 && si > 0) {
				dest = "WEBSITE"
			}
			s := store.AdSet{ID: sid, AccountID: a.ID, CampaignID: cid, Name: fmt.Sprintf("%s / ad set %d", c.Name, si+1),
				DestinationType: dest, OptimizationGoal: "CONVERSATIONS", Status: c.Status, EffectiveStatus: c.EffectiveStatus,
				IsCTX: store.IsMessagingDestination(dest)}
			set.AdSets = append(set.AdSets, s)
			for di := 0; di < spec.AdsPerAdSet; di++ {
				set.Ads = append(set.Ads, store.Ad{ID: fmt.Sprintf("25%03d%07d%02d%02d", ai, ci, si, di), AccountID: a.ID,
					AdSetID: sid, CampaignID: cid, Name: fmt.Sprintf("ad %d", di+1), Status: "ACTIVE"})
			}
		}
	}
	return set
}

// loadInsights generates and stores an account's rows over the whole period in one window:
// ad-set rows drawn at random, campaign and account rows their sums (as Meta's are).
func loadInsights(ctx context.Context, db *store.DB, w *World, r *rand.Rand, a Account, set store.ObjectSet, spec Spec,
	since string, until time.Time) ([]Event, error) {
	load, err := db.BeginWindow(ctx, a.ID, since, until.Format(store.DateLayout))
	if err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = load.Abort()
		}
	}()
	adsOf := map[string][]string{}
	for _, ad := range set.Ads {
		adsOf[ad.AdSetID] = append(adsOf[ad.AdSetID], ad.ID)
	}
	unit := int64(10_000) // a cent
	if a.Currency == "JPY" || a.Currency == "KRW" {
		unit = 1_000_000
	}
	var events []Event
	var batch []store.InsightRow
	flush := func(force bool) error {
		if len(batch) < 5000 && !force {
			return nil
		}
		if err := load.Add(ctx, batch); err != nil {
			return fmt.Errorf("synth: %w", err)
		}
		for _, row := range batch {
			w.RowCount[row.Level]++
		}
		if spec.KeepTruth {
			w.Rows[a.ID] = append(w.Rows[a.ID], batch...)
		}
		batch = batch[:0]
		return nil
	}
	for d := spec.Days - 1; d >= 0; d-- {
		date := until.AddDate(0, 0, -d).Format(store.DateLayout)
		acct := store.InsightRow{Level: "account", Date: date, ObjectID: a.ID, Actions: map[string]int64{}}
		delivered := false
		for _, c := range set.Campaigns {
			camp := store.InsightRow{Level: "campaign", Date: date, ObjectID: c.ID, CampaignID: c.ID, Actions: map[string]int64{}}
			some := false
			for _, s := range set.AdSets {
				if s.CampaignID != c.ID || r.IntN(100) >= spec.DeliveryPercent {
					continue
				}
				row := adSetDay(r, s, c, date, unit)
				add(&camp, row)
				batch = append(batch, row)
				some = true
				for i := int64(0); i < row.Actions[store.ActionLeadGrouped]; i++ {
					if r.IntN(100) < spec.LoggedPercent {
						ads := adsOf[s.ID]
						events = append(events, Event{Day: date, Name: "lead_submitted", AdID: ads[r.IntN(len(ads))], Attribution: "event"})
					}
				}
			}
			if some {
				add(&acct, camp)
				batch = append(batch, camp)
				delivered = true
			}
			if err := flush(false); err != nil {
				return nil, err
			}
		}
		if delivered {
			batch = append(batch, acct)
		}
	}
	if err := flush(true); err != nil {
		return nil, err
	}
	if _, err := load.Commit(ctx, store.Levels, 0); err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	ok = true
	return events, nil
}

// adSetDay draws one ad set's day. Messaging ad sets start conversations and get messaging
// leads; website ones get pixel leads.
func adSetDay(r *rand.Rand, s store.AdSet, c store.Campaign, date string, unit int64) store.InsightRow {
	impr := int64(50 + r.IntN(2000))
	clicks := impr / int64(20+r.IntN(20))
	row := store.InsightRow{Level: "adset", Date: date, ObjectID: s.ID, CampaignID: c.ID, AdSetID: s.ID,
		SpendMicros: int64(1+r.IntN(500)) * unit, Impressions: impr, Clicks: clicks,
		Actions: map[string]int64{store.ActionLinkClick: clicks}}
	if s.IsCTX {
		conv := int64(r.IntN(7))
		leads := int64(0)
		if conv > 0 {
			leads = int64(r.IntN(int(conv) + 1))
		}
		row.Actions[store.ActionConversationsStarted] = conv
		row.Actions[store.ActionFirstReply] = conv / 2
		row.Actions[store.ActionMessagingConnection] = conv + int64(r.IntN(2))
		row.Actions[store.ActionLeadGrouped] = leads
		row.Actions[store.ActionLead] = leads
	} else {
		pixel := int64(r.IntN(3))
		row.Actions[store.ActionPixelLead] = pixel
		row.Actions[store.ActionLead] = pixel
	}
	for k, v := range row.Actions {
		if v == 0 {
			delete(row.Actions, k)
		}
	}
	return row
}

func add(dst *store.InsightRow, src store.InsightRow) {
	dst.SpendMicros += src.SpendMicros
	dst.Impressions += src.Impressions
	dst.Clicks += src.Clicks
	for k, v := range src.Actions {
		dst.Actions[k] += v
	}
}

// InsertEvents writes logged events of a client with plain SQL on a connection of its own: the
// event API's store is not this package's concern, and the table's shape is the schema's.
func InsertEvents(ctx context.Context, db *store.DB, clientID int64, pageID string, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	conn, err := sql.Open("sqlite", "file:"+db.Path()+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
	if err != nil {
		return fmt.Errorf("synth: events: %w", err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("synth: events: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // committed below
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO lead_events (client_id, page_id, psid, event_name, event_time, event_day,
		received_at, ad_id, attribution) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("synth: events: %w", err)
	}
	defer stmt.Close()
	for i, e := range events {
		at := e.Day + "T12:00:00.000Z"
		if _, err := stmt.ExecContext(ctx, clientID, pageID, fmt.Sprintf("psid%d", i), e.Name, at, e.Day, at, e.AdID, e.Attribution); err != nil {
			return fmt.Errorf("synth: events: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("synth: events: %w", err)
	}
	return nil
}
