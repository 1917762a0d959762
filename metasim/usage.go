package metasim

import (
	"math"
	"net/http"
	"sync"
	"time"
)

// usage counts calls per ad account and for the whole app over a sliding window of the
// injected clock. Utilisation is calls-in-window / budget; it rises with every call and falls
// as calls leave the window, which is what the usage headers report.
type usage struct {
	mu        sync.Mutex
	window    time.Duration
	budget    int
	appBudget int
	enforce   bool
	accounts  map[string]*callWindow
	app       callWindow
}

// callWindow holds the instants of recent calls, oldest first.
type callWindow struct{ at []time.Time }

func (cw *callWindow) prune(now time.Time, window time.Duration) {
	cut := now.Add(-window)
	i := 0
	for i < len(cw.at) && !cw.at[i].After(cut) {
		i++
	}
	if i > 0 {
		cw.at = append(cw.at[:0], cw.at[i:]...)
	}
}

// regain is how long until the oldest call leaves the window, in whole minutes rounded up.
func (cw *callWindow) regain(now time.Time, window time.Duration) int {
	if len(cw.at) == 0 {
		return 0
	}
	d := cw.at[0].Add(window).Sub(now)
	return int(math.Ceil(d.Minutes()))
}

func newUsage(o Options) *usage {
	return &usage{window: o.UsageWindow, budget: o.CallBudget, appBudget: o.AppCallBudget,
		enforce: o.EnforceLimits, accounts: map[string]*callWindow{}}
}

// admit records a call for acct (nil for calls not tied to an account). With enforcement on, a
// call that would take the account or the app past its budget is refused and not recorded.
func (u *usage) admit(acct *account, now time.Time) *graphError {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.app.prune(now, u.window)
	var cw *callWindow
	if acct != nil {
		cw = u.accounts[acct.id]
		if cw == nil {
			cw = &callWindow{}
			u.accounts[acct.id] = cw
		}
		cw.prune(now, u.window)
	}
	if u.enforce {
		if cw != nil && len(cw.at)+1 > u.budget {
			return errAccountThrottled(cw.regain(now, u.window))
		}
		if len(u.app.at)+1 > u.appBudget {
			return errAppThrottled()
		}
	}
	u.app.at = append(u.app.at, now)
	if cw != nil {
		cw.at = append(cw.at, now)
	}
	return nil
}

// usageFigures is what the headers of one answer report.
type usageFigures struct {
	acctPct  float64
	appPct   float64
	resetSec int
}

func (u *usage) figures(acct *account, now time.Time) usageFigures {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.app.prune(now, u.window)
	f := usageFigures{appPct: 100 * float64(len(u.app.at)) / float64(u.appBudget)}
	if acct != nil {
		if cw := u.accounts[acct.id]; cw != nil {
			cw.prune(now, u.window)
			f.acctPct = 100 * float64(len(cw.at)) / float64(u.budget)
			if len(cw.at) > 0 {
				f.resetSec = int(math.Ceil(cw.at[0].Add(u.window).Sub(now).Seconds()))
			}
		}
	}
	return f
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// setHeaders writes the four usage headers of graph-api.md onto h. A throttling answer passes
// its error so the headers show the figure at or past 100% and the regain estimate.
func (u *usage) setHeaders(h http.Header, acct *account, kind RequestKind, now time.Time, ge *graphError) {
	f := u.figures(acct, now)
	regain := 0
	if ge != nil {
		switch ge.code {
		case 80000, 80004, 17, 613:
			f.acctPct = max(f.acctPct, 100)
			regain = max(ge.regain, 0)
		case 4:
			f.appPct = max(f.appPct, 100)
		}
	}
	acctInt := int64(math.Round(f.acctPct))
	appInt := int64(math.Round(f.appPct))
	buc := object{}
	if acct != nil {
		typ := "ads_management"
		switch kind {
		case RequestInsights, RequestAsyncSubmit, RequestAsyncStatus, RequestAsyncResults:
			typ = "ads_insights"
		}
		buc = object{{acct.id, []object{{
			{"type", typ},
			{"call_count", acctInt},
			{"total_cputime", acctInt * 6 / 10},
			{"total_time", acctInt * 7 / 10},
			{"estimated_time_to_regain_access", regain},
		}}}}
	}
	h.Set("x-business-use-case-usage", string(appendJSON(nil, buc)))
	h.Set("x-ad-account-usage", string(appendJSON(nil, object{
		{"acc_id_util_pct", round2(f.acctPct)},
		{"reset_time_duration", f.resetSec},
		{"ads_api_access_tier", "standard_access"},
	})))
	h.Set("x-fb-ads-insights-throttle", string(appendJSON(nil, object{
		{"app_id_util_pct", round2(f.appPct)},
		{"acc_id_util_pct", round2(f.acctPct)},
		{"ads_api_access_tier", "standard_access"},
	})))
	h.Set("x-app-usage", string(appendJSON(nil, object{
		{"call_count", appInt},
		{"total_time", appInt * 7 / 10},
		{"total_cputime", appInt * 6 / 10},
	})))
}
