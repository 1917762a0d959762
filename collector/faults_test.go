package collector

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadlens/leadlens/metasim"
	"github.com/leadlens/leadlens/store"
)

// restatedRun back-fills cleanly, restates the simulator, adds faults and runs again. It
// returns the second run and every account's rows as they were before it.
func restatedRun(t *testing.T, f *fixture, faults ...metasim.Fault) (RunResult, map[string]map[string][]store.InsightRow) {
	t.Helper()
	if res := f.run(Request{}); res.Status != store.RunSucceeded {
		t.Fatalf("clean first run: got %s (%s), want succeeded", res.Status, res.Error)
	}
	before := map[string]map[string][]store.InsightRow{}
	for _, a := range f.world.Accounts {
		before[a.ID] = f.rows(a.ID, f.backfillSpan(a))
	}
	f.sim.Restate()
	f.sim.ResetLog()
	for _, flt := range faults {
		if _, err := f.sim.AddFault(flt); err != nil {
			t.Fatal(err)
		}
	}
	return f.run(Request{}), before
}

// assertUnchanged checks an account holds exactly the rows it held before.
func (f *fixture) assertUnchanged(acct string, before map[string][]store.InsightRow) {
	f.t.Helper()
	a := f.world.Accounts[slices.IndexFunc(f.world.Accounts, func(x metasim.Account) bool { return x.ID == acct })]
	after := f.rows(acct, f.backfillSpan(a))
	for _, lv := range store.Levels {
		if !slices.EqualFunc(before[lv], after[lv], func(x, y store.InsightRow) bool { return rowKey(x) == rowKey(y) }) {
			f.t.Errorf("account %s level %s: the store changed (%d rows before, %d after), want it untouched", acct, lv, len(before[lv]), len(after[lv]))
		}
	}
}

func TestFaults(t *testing.T) {
	type outcome struct {
		status        string   // the run's status
		failed        bool     // the first account fails (others succeed)
		errorCode     int      // its Meta error code
		advice        []string // substrings of its advice or error
		throttleWaits int      // at least this many throttle waits in the run
		throttleWait  time.Duration
		retries       int // at least this many retries in the run
	}
	tests := []struct {
		name   string
		faults func(acct string) []metasim.Fault
		mod    func(*Config)
		want   outcome
		check  func(t *testing.T, f *fixture, acct string)
	}{
		{name: "throttle app (4)", faults: func(string) []metasim.Fault {
			return []metasim.Fault{{Kind: metasim.FaultThrottleApp, Request: metasim.RequestInsights, Times: 2}}
		}, want: outcome{status: store.RunSucceeded, throttleWaits: 2}},
		{name: "throttle user (17)", faults: func(string) []metasim.Fault {
			return []metasim.Fault{{Kind: metasim.FaultThrottleUser, Request: metasim.RequestInsights, Times: 2}}
		}, want: outcome{status: store.RunSucceeded, throttleWaits: 2}},
		{name: "throttle rate (613)", faults: func(string) []metasim.Fault {
			return []metasim.Fault{{Kind: metasim.FaultThrottleRate, Request: metasim.RequestCampaigns, Times: 2}}
		}, want: outcome{status: store.RunSucceeded, throttleWaits: 2}},
		{name: "throttle account (80000), regain 0", faults: func(a string) []metasim.Fault {
			return []metasim.Fault{{Kind: metasim.FaultThrottleAccount, Account: a, Request: metasim.RequestInsights, Times: 3}}
		}, want: outcome{status: store.RunSucceeded, throttleWaits: 3}},
		{name: "throttle account (80000), regain 1 minute", faults: func(a string) []metasim.Fault {
			return []metasim.Fault{{Kind: metasim.FaultThrottleAccount, Account: a, Request: metasim.RequestInsights, Times: 2, RegainMinutes: 1}}
		}, want: outcome{status: store.RunSucceeded, throttleWaits: 2, throttleWait: 10 * time.Millisecond}},
		{name: "throttle estimate beyond the bound", faults: func(a string) []metasim.Fault {
			return []metasim.Fault{{Kind: metasim.FaultThrottleAccount, Account: a, Request: metasim.RequestInsights, RegainMinutes: 30}}
		}, want: outcome{status: store.RunPartial, failed: true, errorCode: 80000, advice: []string{"wait about 30m0s"}}},
		{name: "transient unknown error (1/99)", faults: func(string) []metasim.Fault {
			return []metasim.Fault{{Kind: metasim.FaultUnknownError, Request: metasim.RequestInsights, Times: 2}}
		}, want: outcome{status: store.RunSucceeded, retries: 2}},
		{name: "transient service unavailable (2)", faults: func(string) []metasim.Fault {
			return []metasim.Fault{{Kind: metasim.FaultServiceUnavailable, Times: 3}}
		}, want: outcome{status: store.RunSucceeded, retries: 3}},
		{name: "too many transient errors", faults: func(a string) []metasim.Fault {
			return []metasim.Fault{{Kind: metasim.FaultUnknownError, Account: a, Request: metasim.RequestInsights, Level: "adset"}}
		}, want: outcome{status: store.RunPartial, failed: true, errorCode: 1, advice: []string{"retry later"}, retries: 3}},
		{name: "slow answer beyond the request timeout, once", faults: func(string) []metasim.Fault {
			return []metasim.Fault{{Kind: metasim.FaultSlow, Request: metasim.RequestInsights, Times: 1, Delay: time.Second}}
		}, mod: func(c *Config) { c.RequestTimeout = 150 * time.Millisecond },
			want: outcome{status: store.RunSucceeded, retries: 1}},
		{name: "slow answers every time", faults: func(a string) []metasim.Fault {
			return []metasim.Fault{{Kind: metasim.FaultSlow, Account: a, Request: metasim.RequestAccount, Delay: time.Second}}
		}, mod: func(c *Config) { c.RequestTimeout = 100 * time.Millisecond },
			want: outcome{status: store.RunPartial, failed: true, advice: []string{"no complete answer within 100ms", "check network access"}, retries: 3}},
		{name: "truncated JSON", faults: func(string) []metasim.Fault {
			return []metasim.Fault{{Kind: metasim.FaultTruncatedJSON, Request: metasim.RequestInsights, Times: 2}}
		}, want: outcome{status: store.RunSucceeded, retries: 2}},
		{name: "malformed JSON", faults: func(string) []metasim.Fault {
			return []metasim.Fault{{Kind: metasim.FaultMalformedJSON, Request: metasim.RequestAdSets, Times: 1}}
		}, want: outcome{status: store.RunSucceeded, retries: 1}},
		{name: "expired token", faults: func(a string) []metasim.Fault {
			return []metasim.Fault{{Kind: metasim.FaultTokenExpired, Account: a}}
		}, want: outcome{status: store.RunPartial, failed: true, errorCode: 190, advice: []string{"re-authenticate"}},
			check: func(t *testing.T, f *fixture, acct string) {
				if n := f.sim.CallCount(metasim.RequestAccount); n != 2 {
					t.Errorf("account reads: got %d, want 2 (the expired token is not retried)", n)
				}
				stored, err := f.db.AdAccount(context.Background(), acct)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(stored.LastError, "re-authenticate") || !strings.Contains(stored.LastError, "Session has expired") {
					t.Errorf("stored last error: got %q, want what Meta said and what to do", stored.LastError)
				}
			}},
		{name: "permission ads_read (200)", faults: func(a string) []metasim.Fault {
			return []metasim.Fault{{Kind: metasim.FaultPermissionAdsRead, Account: a, Request: metasim.RequestInsights}}
		}, want: outcome{status: store.RunPartial, failed: true, errorCode: 200, advice: []string{"grant ads_read"}}},
		{name: "permission (10)", faults: func(a string) []metasim.Fault {
			return []metasim.Fault{{Kind: metasim.FaultPermission, Account: a, Request: metasim.RequestCampaigns}}
		}, want: outcome{status: store.RunPartial, failed: true, errorCode: 10, advice: []string{"grant", "Business Settings"}}},
		{name: "too much data splits the window", faults: func(string) []metasim.Fault {
			return []metasim.Fault{{Kind: metasim.FaultTooMuchData, MinWindowDays: 10}}
		}, want: outcome{status: store.RunSucceeded}, check: func(t *testing.T, f *fixture, _ string) {
			for _, r := range f.sim.Requests() {
				if r.Kind == metasim.RequestInsights && r.Status == 200 && timeRange(t, r).Days() > 10 {
					t.Errorf("a %d-day window answered 200 despite the fault", timeRange(t, r).Days())
				}
			}
			if n := f.sim.CallCount(metasim.RequestAsyncSubmit); n != 0 {
				t.Errorf("async jobs: got %d, want 0 (splitting suffices)", n)
			}
		}},
		{name: "reduce the amount of data splits too", faults: func(string) []metasim.Fault {
			return []metasim.Fault{{Kind: metasim.FaultReduceData, MinWindowDays: 20}, {Kind: metasim.FaultSyncTimeout, MinWindowDays: 12}}
		}, want: outcome{status: store.RunSucceeded}},
		{name: "one day too large goes async", faults: func(a string) []metasim.Fault {
			return []metasim.Fault{{Kind: metasim.FaultTooMuchData, Account: a, Level: "adset"}}
		}, want: outcome{status: store.RunSucceeded}, check: func(t *testing.T, f *fixture, acct string) {
			if n := len(f.insightRequests(acct, 0)) - 57 - 2; n != 29 { // 57 sync adset halvings, 2 other levels
				t.Errorf("async submissions: got %d, want 29 (one per day of the lookback)", n)
			}
		}},
		{name: "a failed async job is submitted again", faults: func(a string) []metasim.Fault {
			return []metasim.Fault{{Kind: metasim.FaultTooMuchData, Account: a, Level: "adset"},
				{Kind: metasim.FaultJobFailed, Account: a, Times: 1}}
		}, want: outcome{status: store.RunSucceeded}, check: func(t *testing.T, f *fixture, _ string) {
			if n := f.sim.CallCount(metasim.RequestAsyncSubmit); n != 30 {
				t.Errorf("async submissions: got %d, want 30 (29 days + 1 resubmission)", n)
			}
		}},
		{name: "async jobs skipped twice fail the account", faults: func(a string) []metasim.Fault {
			return []metasim.Fault{{Kind: metasim.FaultTooMuchData, Account: a, Level: "adset"},
				{Kind: metasim.FaultJobSkipped, Account: a}}
		}, want: outcome{status: store.RunPartial, failed: true, advice: []string{`ended "Job Skipped" twice`, "run the collection again later"}}},
		{name: "long windows through async jobs by config", mod: func(c *Config) { c.Async.WindowDays = 7 },
			want: outcome{status: store.RunSucceeded}, check: func(t *testing.T, f *fixture, _ string) {
				if n, s := f.sim.CallCount(metasim.RequestAsyncSubmit), f.sim.CallCount(metasim.RequestInsights); n != 6 || s != 0 {
					t.Errorf("got %d async jobs and %d sync requests, want 6 (2 accounts × 3 levels) and 0", n, s)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// two accounts keep 22 cases quick
			f := newFixture(t, metasim.Options{Seed: 7, Accounts: 2, CampaignsPerAccount: 4}, tc.mod)
			x := f.world.Accounts[0].ID
			var faults []metasim.Fault
			if tc.faults != nil {
				faults = tc.faults(x)
			}
			res, before := restatedRun(t, f, faults...)
			if res.Status != tc.want.status {
				t.Errorf("run status: got %s (%s), want %s", res.Status, res.Error, tc.want.status)
			}
			for _, a := range f.world.Accounts {
				ap := f.account(res, a.ID)
				if a.ID == x && tc.want.failed {
					if ap.Status != store.RunFailed {
						t.Errorf("account %s: got %s, want failed", a.ID, ap.Status)
					}
					if ap.ErrorCode != tc.want.errorCode {
						t.Errorf("account %s error code: got %d, want %d (%s)", a.ID, ap.ErrorCode, tc.want.errorCode, ap.Error)
					}
					for _, s := range tc.want.advice {
						if !strings.Contains(ap.Error+" "+ap.Advice, s) {
							t.Errorf("account %s: got error %q advice %q, want %q in them", a.ID, ap.Error, ap.Advice, s)
						}
					}
					f.assertUnchanged(a.ID, before[a.ID])
					continue
				}
				if ap.Status != store.RunSucceeded {
					t.Errorf("account %s: got %s (%s), want succeeded", a.ID, ap.Status, ap.Error)
				}
				f.assertTruth(a.ID, f.backfillSpan(a))
			}
			retries := 0
			for _, a := range res.Accounts {
				retries += a.Retries
			}
			if res.ThrottleWaits < tc.want.throttleWaits || res.ThrottleWait < tc.want.throttleWait || retries < tc.want.retries {
				t.Errorf("waits: got %d throttle waits (%v) and %d retries, want at least %d (%v) and %d",
					res.ThrottleWaits, res.ThrottleWait, retries, tc.want.throttleWaits, tc.want.throttleWait, tc.want.retries)
			}
			if tc.check != nil {
				tc.check(t, f, x)
			}
			if n, err := f.db.CleanStaleLoads(context.Background()); err != nil || n != 0 {
				t.Errorf("staged rows left behind: got %d (%v), want 0", n, err)
			}
		})
	}
}
