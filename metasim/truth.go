package metasim

import (
	"fmt"
	"slices"
)

// TruthRow is one row the insights endpoint would serve now, with no filtering and every field:
// the values a consumer must end up with after collecting the same range.
type TruthRow struct {
	Date         string // YYYY-MM-DD in the account's timezone
	Level        string // account, campaign or adset
	AccountID    string // without act_
	CampaignID   string // "" at account level
	CampaignName string
	AdSetID      string // "" above ad-set level
	AdSetName    string
	Spend        string // exactly as served
	SpendMicros  int64  // the same amount in millionths of the currency unit
	Impressions  int64
	Clicks       int64
	Actions      map[string]int64 // non-zero action types only
}

// Truth returns the daily rows of one account at one level over [since, until] (YYYY-MM-DD)
// at the current restatement epoch and clock, in the answer's order (date, then object id).
func (s *Server) Truth(accountID, level, since, until string) ([]TruthRow, error) {
	a := s.w.lookupAccount(accountID)
	if a == nil {
		return nil, fmt.Errorf("metasim: unknown account %q", accountID)
	}
	if level != "account" && level != "campaign" && level != "adset" {
		return nil, fmt.Errorf("metasim: level %q is not account, campaign or adset", level)
	}
	d0, ok1 := parseDay(since)
	d1, ok2 := parseDay(until)
	if !ok1 || !ok2 || d1 < d0 {
		return nil, fmt.Errorf("metasim: bad range %q..%q", since, until)
	}
	q := &insightsQuery{acct: a, scope: a.adSets, level: level, since: d0, until: d1, step: 1}
	scale := int64(1)
	for range 6 - a.digits {
		scale *= 10
	}
	var out []TruthRow
	newRowSource(s.w, q, s.viewNow()).each(0, func(_ int, g *group, day, _ int64, m *metrics) bool {
		r := TruthRow{Date: dayString(day), Level: level, AccountID: a.id,
			Spend: formatMinor(m.spend, a.digits), SpendMicros: m.spend * scale,
			Impressions: m.impressions, Clicks: m.clicks, Actions: map[string]int64{}}
		if g.camp != nil {
			r.CampaignID, r.CampaignName = g.camp.id, g.camp.name
		}
		if g.adSet != nil {
			r.AdSetID, r.AdSetName = g.adSet.id, g.adSet.name
		}
		for i, v := range m.act {
			if v != 0 {
				r.Actions[actionNames[i]] = v
			}
		}
		out = append(out, r)
		return true
	})
	return out, nil
}

// ActionTypes lists every action type the simulator can serve, in the order rows carry them.
func ActionTypes() []string { return slices.Clone(actionNames[:]) }

// World is the generated structure, for tests and for the demo's bot traffic generator.
type World struct {
	AppID    string // the app whose page_activities edge is served
	UserID   string // what GET /me answers
	Accounts []Account
}

// Account is one ad account and the ids that belong to it.
type Account struct {
	ID                        string // without act_
	Name                      string
	Currency                  string
	MinorDigits               int
	Timezone                  string
	PageID                    string // the Facebook page its messaging ads open
	DatasetID                 string // Conversions API dataset accepting its events
	InstagramAccountID        string
	WhatsAppBusinessAccountID string
	Campaigns                 []Campaign
}

// Campaign is one campaign; CTX is SPEC.md's classification, for checking a consumer's.
type Campaign struct {
	ID              string
	AccountID       string
	Name            string
	Objective       string
	Status          string
	EffectiveStatus string
	CTX             bool
	AdSets          []AdSet
}

// AdSet is one ad set. FirstDay and LastDay bound its flight ("" LastDay: open-ended);
// AdsEffectiveStatus is the effective status of all its ads, which insights filtering sees.
type AdSet struct {
	ID                 string
	AccountID          string
	CampaignID         string
	Name               string
	DestinationType    string
	OptimizationGoal   string
	Status             string
	EffectiveStatus    string
	AdsEffectiveStatus string
	Messaging          bool
	FirstDay           string
	LastDay            string
	Ads                []Ad
}

// Ad is one ad; a bot's ad referral carries its ID.
type Ad struct {
	ID              string
	AccountID       string
	CampaignID      string
	AdSetID         string
	Name            string
	Status          string
	EffectiveStatus string
}

// World returns a fresh copy of the generated structure.
func (s *Server) World() World {
	out := World{AppID: s.w.appID, UserID: s.w.userID}
	for _, a := range s.w.accounts {
		acc := Account{ID: a.id, Name: a.name, Currency: a.currency, MinorDigits: a.digits,
			Timezone: a.tzName, PageID: a.pageID, DatasetID: a.datasetID,
			InstagramAccountID: a.igAccountID, WhatsAppBusinessAccountID: a.wabaID}
		for _, c := range a.campaigns {
			cp := Campaign{ID: c.id, AccountID: a.id, Name: c.name, Objective: c.objective,
				Status: c.status, EffectiveStatus: c.eff, CTX: c.ctx()}
			for _, as := range c.adSets {
				x := AdSet{ID: as.id, AccountID: a.id, CampaignID: c.id, Name: as.name,
					DestinationType: as.dest, OptimizationGoal: as.goal, Status: as.status,
					EffectiveStatus: as.eff, AdsEffectiveStatus: as.adEff,
					Messaging: messagingDestinations[as.dest], FirstDay: dayString(as.start)}
				if as.hasEnd {
					x.LastDay = dayString(as.end)
				}
				for _, d := range as.ads {
					x.Ads = append(x.Ads, Ad{ID: d.id, AccountID: a.id, CampaignID: c.id,
						AdSetID: as.id, Name: d.name, Status: d.status, EffectiveStatus: d.eff})
				}
				cp.AdSets = append(cp.AdSets, x)
			}
			acc.Campaigns = append(acc.Campaigns, cp)
		}
		out.Accounts = append(out.Accounts, acc)
	}
	return out
}
