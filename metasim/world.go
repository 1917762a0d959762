package metasim

import (
	"fmt"
	"math"
	"strconv"
	"time"
	_ "time/tzdata" // account timezones must resolve on machines without a zoneinfo database
)

// openEnd is the flight end of an ad set that runs until further notice.
const openEnd = math.MaxInt64 / 4

// world is the generated structure: accounts, campaigns, ad sets and ads with their flights and
// delivery parameters. It is built once by New and never written afterwards, so every request
// may read it without locking. Daily values are not stored: cells.go computes them on demand.
type world struct {
	seed         uint64
	anchor       int64 // the clock's UTC date at New, as a day number
	historyStart int64 // first day with any delivery
	appID        string
	userID       string
	accounts     []*account
	accountByID  map[string]*account
	campaignByID map[string]*campaign
	adSetByID    map[string]*adSet
	adByID       map[string]*ad
	datasetByID  map[string]*account
}

type account struct {
	idx         int
	id          string // numeric, without act_
	name        string
	currency    string
	tzName      string
	loc         *time.Location
	digits      int
	perUSD      int64
	pageID      string
	datasetID   string
	igAccountID string
	wabaID      string
	campaigns   []*campaign
	adSets      []*adSet // in id order
	ads         []*ad    // in id order
}

type campaign struct {
	id        string
	name      string
	objective string
	status    string
	eff       string
	created   int64
	acct      *account
	adSets    []*adSet
}

type adSet struct {
	id       string
	key      uint64 // hash input for this ad set's cells
	name     string
	dest     string
	goal     string
	prof     profile
	status   string
	eff      string
	adEff    string // effective status every ad of this ad set has
	camp     *campaign
	acct     *account
	ads      []*ad
	start    int64 // first day of the flight
	end      int64 // last day of the flight, openEnd when open-ended
	hasEnd   bool
	budget   int64 // daily budget in the account's minor units
	week     int   // index into weekFactors
	cpm      int64 // US cents per 1000 impressions
	ctr      int64 // clicks per 10000 impressions
	convRate int64 // per mille: conversations per click, link clicks per click, …
	leadRate int64 // per mille: leads per conversation / landing page view / click
	viewPct  int64 // per mille of conversions attributed to 1-day view
	dark     int   // per mille of days without delivery
}

type ad struct {
	id     string
	name   string
	status string
	eff    string
	adSet  *adSet
}

// dayNum is a calendar date as days since 1970-01-01; dates compare and step as integers.
func dayNum(y int, m time.Month, d int) int64 {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// dayOf is the calendar date of instant t in loc.
func dayOf(t time.Time, loc *time.Location) int64 {
	y, m, d := t.In(loc).Date()
	return dayNum(y, m, d)
}

// dayString formats a day number as YYYY-MM-DD.
func dayString(d int64) string {
	return time.Unix(d*86400, 0).UTC().Format(time.DateOnly)
}

// parseDay reads YYYY-MM-DD strictly.
func parseDay(s string) (int64, bool) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, false
	}
	return t.Unix() / 86400, true
}

// weekday of a day number, Sunday = 0 (1970-01-01 was a Thursday).
func weekday(d int64) int {
	return int(((d % 7) + 7 + 4) % 7)
}

// effective statuses inherited from a parent that is not ACTIVE, as Meta reports them.
func inherited(parentStatus, pausedName string) string {
	if parentStatus == "PAUSED" {
		return pausedName
	}
	return parentStatus
}

func newWorld(o Options) (*world, error) {
	w := &world{
		seed:         o.Seed,
		anchor:       dayOf(o.Now(), time.UTC),
		accountByID:  map[string]*account{},
		campaignByID: map[string]*campaign{},
		adSetByID:    map[string]*adSet{},
		adByID:       map[string]*ad{},
		datasetByID:  map[string]*account{},
	}
	w.historyStart = w.anchor - int64(o.HistoryDays) + 1
	r := newRNG(o.Seed, 0x77, 0, 0)
	w.appID = strconv.FormatUint(100000000000000+r.next()%899999999999999, 10)
	w.userID = strconv.FormatUint(1000000000000000+r.next()%8999999999999999, 10)
	// Object ids grow in creation order so that id order equals (campaign, ad set) order.
	next := uint64(23850000000000000) + (mix(o.Seed)%900_000)*1_000_000_000
	newID := func() string {
		next += 10007 + r.next()%40000
		return strconv.FormatUint(next, 10)
	}
	seen := map[string]bool{}
	for ai := range o.Accounts {
		t := accountTemplates[ai%len(accountTemplates)]
		loc, err := time.LoadLocation(t.timezone)
		if err != nil {
			return nil, fmt.Errorf("metasim: timezone %s: %w", t.timezone, err)
		}
		a := &account{idx: ai, name: t.name, currency: t.currency, tzName: t.timezone, loc: loc,
			digits: t.digits, perUSD: t.perUSD}
		if ai >= len(accountTemplates) {
			a.name = fmt.Sprintf("%s #%d", t.name, ai/len(accountTemplates)+1)
		}
		for a.id == "" || seen[a.id] {
			a.id = strconv.FormatUint(100000000000000+r.next()%899999999999999, 10)
		}
		seen[a.id] = true
		a.pageID = strconv.FormatUint(100000000000000+r.next()%899999999999999, 10)
		a.datasetID = strconv.FormatUint(1000000000000000+r.next()%8999999999999999, 10)
		a.igAccountID = strconv.FormatUint(17841400000000000+r.next()%99999999999, 10)
		a.wabaID = strconv.FormatUint(100000000000000+r.next()%899999999999999, 10)
		w.accounts = append(w.accounts, a)
		w.accountByID[a.id] = a
		w.datasetByID[a.datasetID] = a
		for ci := range o.CampaignsPerAccount {
			w.addCampaign(a, ci, o, &r, newID)
		}
	}
	return w, nil
}

func (w *world) addCampaign(a *account, ci int, o Options, r *rng, newID func() string) {
	c := &campaign{id: newID(), acct: a,
		objective: campaignRotation[(ci+a.idx*3)%len(campaignRotation)]}
	c.name = fmt.Sprintf("%s – %s", campaignThemes[(ci+a.idx)%len(campaignThemes)], shortObjective(c.objective))
	if ci >= len(campaignThemes) {
		c.name += fmt.Sprintf(" %d", ci/len(campaignThemes)+1)
	}
	c.status = "ACTIVE" // every account's first campaign runs, so every account has data
	if ci > 0 {
		c.status = campaignStatuses[(ci-1+a.idx*3)%len(campaignStatuses)]
	}
	c.eff = c.status
	a.campaigns = append(a.campaigns, c)
	w.campaignByID[c.id] = c
	plan := objectivePlans[c.objective]
	c.created = w.anchor + 1
	for si := range o.AdSetsPerCampaign {
		s := w.newAdSet(a, c, ci, si, plan, o, r, newID)
		c.created = min(c.created, s.start-3)
	}
}

func (w *world) newAdSet(a *account, c *campaign, ci, si int, plan []adSetKind, o Options, r *rng, newID func() string) *adSet {
	// rotations rather than draws decide kinds and statuses, so even the demo world is sure to
	// carry every destination family and every status
	k := plan[(si+ci+a.idx)%len(plan)]
	if si == 0 {
		k = plan[0] // every campaign's first ad set has the objective's leading kind
	}
	s := &adSet{id: newID(), camp: c, acct: a, dest: k.dest, goal: k.goal, prof: k.prof}
	id, _ := strconv.ParseUint(s.id, 10, 64)
	s.key = mix(id ^ w.seed)
	s.name = fmt.Sprintf("%s – %s", destinationLabels[k.dest], audiences[(si+r.intn(len(audiences)))%len(audiences)])
	// Status: propagated from a campaign that is archived or deleted; free otherwise.
	switch {
	case c.status == "ARCHIVED" || c.status == "DELETED":
		s.status = c.status
	case si == 0 && c.status == "ACTIVE":
		s.status = "ACTIVE"
	default:
		s.status = adSetStatuses[(si-1+ci+a.idx)%len(adSetStatuses)]
	}
	s.eff = s.status
	if c.status != "ACTIVE" {
		s.eff = inherited(c.status, "CAMPAIGN_PAUSED")
	}
	switch {
	case c.status != "ACTIVE":
		s.adEff = inherited(c.status, "CAMPAIGN_PAUSED")
	case s.status != "ACTIVE":
		s.adEff = inherited(s.status, "ADSET_PAUSED")
	case si > 0 && (si+ci+a.idx)%7 == 3:
		s.adEff = "WITH_ISSUES" // still delivers; hidden by a filter that forgets to list it
	default:
		s.adEff = "ACTIVE"
	}
	s.budget = dailyBudgetsUSDCents[r.intn(len(dailyBudgetsUSDCents))] * int64(800+r.intn(400)) / 1000 * a.perUSD / 100
	s.week = r.intn(len(weekFactors))
	s.cpm = int64(400 + r.intn(2000))
	s.ctr = int64(60 + r.intn(300))
	s.convRate = int64(250 + r.intn(350))
	s.viewPct = int64(50 + r.intn(200))
	s.dark = 20 + r.intn(100)
	switch k.prof {
	case profMessaging:
		s.leadRate = int64(80 + r.intn(270))
	case profWebsite:
		s.leadRate = int64(20 + r.intn(70))
		if c.objective == objTraffic {
			s.leadRate = int64(r.intn(10))
		}
	default:
		s.leadRate = int64(60 + r.intn(100))
	}
	h := int64(o.HistoryDays)
	delivering := s.adEff == "ACTIVE" || s.adEff == "WITH_ISSUES"
	s.end = openEnd
	switch {
	case delivering && si > 0 && r.intn(12) == 0:
		s.start = w.anchor + 2 + int64(r.intn(5)) // scheduled: no delivery yet
	case delivering:
		s.start = w.anchor - int64(r.intn(int(h)+1))
		if r.intn(2) == 0 {
			s.start = w.anchor - h - int64(r.intn(200)) // always-on since before the history
		}
		if r.intn(6) == 0 {
			s.end, s.hasEnd = w.anchor+5+int64(r.intn(60)), true
		}
	default:
		// stopped objects keep their past delivery, often a long one
		s.end, s.hasEnd = w.anchor-1-int64(r.intn(int(max(1, h/2)))), true
		s.start = s.end - 14 - int64(r.intn(int(h)))
	}
	c.adSets = append(c.adSets, s)
	a.adSets = append(a.adSets, s)
	w.adSetByID[s.id] = s
	for di := range o.AdsPerAdSet {
		d := &ad{id: newID(), adSet: s, name: fmt.Sprintf("%s – Ad %d", s.name, di+1), status: "ACTIVE", eff: s.adEff}
		if s.status == "ARCHIVED" || s.status == "DELETED" {
			d.status = s.status
		}
		s.ads = append(s.ads, d)
		a.ads = append(a.ads, d)
		w.adByID[d.id] = d
	}
	return s
}

func shortObjective(o string) string {
	switch o {
	case objEngagement:
		return "Engagement"
	case objLeads:
		return "Leads"
	case objSales:
		return "Sales"
	case objTraffic:
		return "Traffic"
	case objAwareness:
		return "Awareness"
	case objAppPromotion:
		return "App installs"
	case objMessages:
		return "Messages (legacy)"
	case objLeadGen:
		return "Lead ads (legacy)"
	}
	return o
}

// ctx reports whether a campaign counts as click-to-message under SPEC.md's rule.
func (c *campaign) ctx() bool {
	if c.objective == objMessages {
		return true
	}
	for _, s := range c.adSets {
		if messagingDestinations[s.dest] {
			return true
		}
	}
	return false
}

// lookupAccount accepts an id with or without act_.
func (w *world) lookupAccount(id string) *account {
	if len(id) > 4 && id[:4] == "act_" {
		id = id[4:]
	}
	return w.accountByID[id]
}
