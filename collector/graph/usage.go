package graph

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// The usage headers Meta sends with answers; each holds a JSON object.
const (
	headerBUC              = "X-Business-Use-Case-Usage"
	headerAdAccountUsage   = "X-Ad-Account-Usage"
	headerInsightsThrottle = "X-Fb-Ads-Insights-Throttle"
	headerAppUsage         = "X-App-Usage"
)

// Usage is what Meta's usage headers said. Figures are percentages of a limit (near 100 means
// throttling is close). A part is nil (or empty) when its header was absent or malformed.
type Usage struct {
	At               time.Time         // when the answer arrived (Config.Now); zero for an empty Usage
	BusinessUseCase  []BUCUsage        // x-business-use-case-usage, one entry per object and use case
	AdAccount        *AdAccountUsage   // x-ad-account-usage
	InsightsThrottle *InsightsThrottle // x-fb-ads-insights-throttle
	App              *AppUsage         // x-app-usage
}

// BUCUsage is one entry of x-business-use-case-usage.
type BUCUsage struct {
	ID           string  // the header's key: the business object (ad account) id
	Type         string  // use case, e.g. "ads_insights", "ads_management"
	CallCount    float64 // percent of the call-count limit
	TotalCPUTime float64 // percent of the CPU-time limit
	TotalTime    float64 // percent of the total-time limit
	// EstimatedTimeToRegainAccess is Meta's estimate (sent in minutes) of how long calls of
	// this use case stay blocked; 0 when not blocked.
	EstimatedTimeToRegainAccess time.Duration
}

// AdAccountUsage is x-ad-account-usage.
type AdAccountUsage struct {
	AccIDUtilPct      float64       // percent of the ad account's limit
	ResetTimeDuration time.Duration // sent in seconds: when the figure resets
	AdsAPIAccessTier  string        // e.g. "standard_access"
}

// InsightsThrottle is x-fb-ads-insights-throttle.
type InsightsThrottle struct {
	AppIDUtilPct     float64 // percent of the app's insights limit
	AccIDUtilPct     float64 // percent of the ad account's insights limit
	AdsAPIAccessTier string
}

// AppUsage is x-app-usage.
type AppUsage struct {
	CallCount    float64 // percent of the app's call limit
	TotalTime    float64 // percent of the app's time limit
	TotalCPUTime float64 // percent of the app's CPU limit
}

// UsageFigure is one named utilisation percentage, e.g. {"buc.798085168510957.ads_insights.call_count", 95}.
type UsageFigure struct {
	Name    string  // dotted name: header part, object id and use case when any, figure
	Percent float64 // utilisation, 0–100 (may exceed 100 while blocked)
}

// IsZero reports whether no usage header was seen.
func (u Usage) IsZero() bool {
	return len(u.BusinessUseCase) == 0 && u.AdAccount == nil && u.InsightsThrottle == nil && u.App == nil
}

// Figures lists every utilisation percentage, named for metrics and logs.
func (u Usage) Figures() []UsageFigure {
	var fs []UsageFigure
	for _, b := range u.BusinessUseCase {
		p := "buc." + b.ID + "." + b.Type + "."
		fs = append(fs, UsageFigure{p + "call_count", b.CallCount},
			UsageFigure{p + "total_cputime", b.TotalCPUTime}, UsageFigure{p + "total_time", b.TotalTime})
	}
	if a := u.AdAccount; a != nil {
		fs = append(fs, UsageFigure{"ad_account.acc_id_util_pct", a.AccIDUtilPct})
	}
	if t := u.InsightsThrottle; t != nil {
		fs = append(fs, UsageFigure{"insights_throttle.app_id_util_pct", t.AppIDUtilPct},
			UsageFigure{"insights_throttle.acc_id_util_pct", t.AccIDUtilPct})
	}
	if a := u.App; a != nil {
		fs = append(fs, UsageFigure{"app.call_count", a.CallCount},
			UsageFigure{"app.total_time", a.TotalTime}, UsageFigure{"app.total_cputime", a.TotalCPUTime})
	}
	return fs
}

// Max returns the highest utilisation percentage of any figure, 0 when none was seen.
func (u Usage) Max() float64 {
	m := 0.0
	for _, f := range u.Figures() {
		m = max(m, f.Percent)
	}
	return m
}

// RegainAccess returns the longest estimated_time_to_regain_access of any entry (0 = not blocked
// or unknown).
func (u Usage) RegainAccess() time.Duration {
	var d time.Duration
	for _, b := range u.BusinessUseCase {
		d = max(d, b.EstimatedTimeToRegainAccess)
	}
	return d
}

// regainFor is RegainAccess restricted to accountID's entries when the header has any.
func (u Usage) regainFor(accountID string) time.Duration {
	var d time.Duration
	found := false
	for _, b := range u.BusinessUseCase {
		if accountID != "" && b.ID == accountID {
			found = true
			d = max(d, b.EstimatedTimeToRegainAccess)
		}
	}
	if found {
		return d
	}
	return u.RegainAccess()
}

func (u Usage) clone() Usage {
	u.BusinessUseCase = slices.Clone(u.BusinessUseCase)
	if u.AdAccount != nil {
		a := *u.AdAccount
		u.AdAccount = &a
	}
	if u.InsightsThrottle != nil {
		t := *u.InsightsThrottle
		u.InsightsThrottle = &t
	}
	if u.App != nil {
		a := *u.App
		u.App = &a
	}
	return u
}

// parseUsage reads the usage headers of one answer. A malformed header is reported to bad
// and left out.
func parseUsage(h http.Header, at time.Time, bad func(header string, err error)) Usage {
	u := Usage{At: at}
	if v := h.Get(headerBUC); v != "" {
		var raw map[string][]struct {
			Type         string    `json:"type"`
			CallCount    flexFloat `json:"call_count"`
			TotalCPUTime flexFloat `json:"total_cputime"`
			TotalTime    flexFloat `json:"total_time"`
			Regain       flexFloat `json:"estimated_time_to_regain_access"`
		}
		if err := json.Unmarshal([]byte(v), &raw); err != nil {
			bad(headerBUC, err)
		} else {
			for id, entries := range raw {
				for _, e := range entries {
					u.BusinessUseCase = append(u.BusinessUseCase, BUCUsage{
						ID: strings.TrimPrefix(id, "act_"), Type: e.Type,
						CallCount: float64(e.CallCount), TotalCPUTime: float64(e.TotalCPUTime), TotalTime: float64(e.TotalTime),
						EstimatedTimeToRegainAccess: time.Duration(float64(e.Regain) * float64(time.Minute)),
					})
				}
			}
			sortBUC(u.BusinessUseCase)
		}
	}
	if v := h.Get(headerAdAccountUsage); v != "" {
		var raw struct {
			Acc   flexFloat `json:"acc_id_util_pct"`
			Reset flexFloat `json:"reset_time_duration"`
			Tier  string    `json:"ads_api_access_tier"`
		}
		if err := json.Unmarshal([]byte(v), &raw); err != nil {
			bad(headerAdAccountUsage, err)
		} else {
			u.AdAccount = &AdAccountUsage{AccIDUtilPct: float64(raw.Acc),
				ResetTimeDuration: time.Duration(float64(raw.Reset) * float64(time.Second)), AdsAPIAccessTier: raw.Tier}
		}
	}
	if v := h.Get(headerInsightsThrottle); v != "" {
		var raw struct {
			App  flexFloat `json:"app_id_util_pct"`
			Acc  flexFloat `json:"acc_id_util_pct"`
			Tier string    `json:"ads_api_access_tier"`
		}
		if err := json.Unmarshal([]byte(v), &raw); err != nil {
			bad(headerInsightsThrottle, err)
		} else {
			u.InsightsThrottle = &InsightsThrottle{AppIDUtilPct: float64(raw.App), AccIDUtilPct: float64(raw.Acc), AdsAPIAccessTier: raw.Tier}
		}
	}
	if v := h.Get(headerAppUsage); v != "" {
		var raw struct {
			Calls flexFloat `json:"call_count"`
			Time  flexFloat `json:"total_time"`
			CPU   flexFloat `json:"total_cputime"`
		}
		if err := json.Unmarshal([]byte(v), &raw); err != nil {
			bad(headerAppUsage, err)
		} else {
			u.App = &AppUsage{CallCount: float64(raw.Calls), TotalTime: float64(raw.Time), TotalCPUTime: float64(raw.CPU)}
		}
	}
	if u.IsZero() {
		return Usage{}
	}
	return u
}

func sortBUC(bs []BUCUsage) {
	slices.SortFunc(bs, func(a, b BUCUsage) int {
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return strings.Compare(a.Type, b.Type)
	})
}

// merge returns old updated with every part present in u. BUC entries are replaced per id.
func merge(old, u Usage) Usage {
	if u.IsZero() {
		return old
	}
	old = old.clone()
	old.At = u.At
	if len(u.BusinessUseCase) > 0 {
		ids := map[string]bool{}
		for _, b := range u.BusinessUseCase {
			ids[b.ID] = true
		}
		old.BusinessUseCase = slices.DeleteFunc(old.BusinessUseCase, func(b BUCUsage) bool { return ids[b.ID] })
		old.BusinessUseCase = append(old.BusinessUseCase, u.BusinessUseCase...)
		sortBUC(old.BusinessUseCase)
	}
	if u.AdAccount != nil {
		a := *u.AdAccount
		old.AdAccount = &a
	}
	if u.InsightsThrottle != nil {
		t := *u.InsightsThrottle
		old.InsightsThrottle = &t
	}
	if u.App != nil {
		a := *u.App
		old.App = &a
	}
	return old
}

// maxJobs bounds the report-run → account map; it only improves per-account usage attribution.
const maxJobs = 1024

// shared is the state every Client derived from one New shares.
type shared struct {
	mu        sync.Mutex
	overall   Usage
	byAccount map[string]Usage
	jobs      map[string]string // report_run_id → ad account id
}

func (s *shared) observe(accountID string, u Usage) {
	if u.IsZero() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.overall = merge(s.overall, u)
	if accountID != "" {
		own := u
		own.BusinessUseCase = slices.DeleteFunc(slices.Clone(u.BusinessUseCase), func(b BUCUsage) bool { return b.ID != accountID })
		s.byAccount[accountID] = merge(s.byAccount[accountID], own)
	}
	// BUC entries name their own account: credit them there too.
	for _, b := range u.BusinessUseCase {
		if b.ID == accountID {
			continue
		}
		only := Usage{At: u.At, BusinessUseCase: []BUCUsage{b}}
		s.byAccount[b.ID] = merge(s.byAccount[b.ID], only)
	}
}

func (s *shared) rememberJob(id, accountID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.jobs) >= maxJobs {
		clear(s.jobs)
	}
	s.jobs[id] = accountID
}

func (s *shared) jobAccount(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jobs[id]
}

// LastUsage returns the latest usage Meta reported for an ad account (id with or without
// act_): each header part as last seen on an answer about that account, plus BUC entries
// naming it from any answer. It is zero when nothing was seen yet.
func (c *Client) LastUsage(accountID string) Usage {
	id := strings.TrimPrefix(strings.TrimSpace(accountID), "act_")
	c.shared.mu.Lock()
	defer c.shared.mu.Unlock()
	return c.shared.byAccount[id].clone()
}

// LastUsageOverall returns the latest usage across all answers: each header part as last seen
// on any answer, BUC entries per object. Clients made by WithToken/WithRetrier share it.
func (c *Client) LastUsageOverall() Usage {
	c.shared.mu.Lock()
	defer c.shared.mu.Unlock()
	return c.shared.overall.clone()
}
