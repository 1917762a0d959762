package metasim

import (
	"fmt"
	"log/slog"
	"time"
)

// DemoToken is the access token a simulator accepts when Options.Tokens is empty. It is not a
// secret: it only opens the loopback simulator.
const DemoToken = "EAAmetasimDEMOtoken0000"

// Limits and windows of the Graph API as graph-api.md states them.
const (
	// DefaultLimit is the page size when a request sends no limit.
	DefaultLimit = 25
	// MaxLimit is the largest page size served; larger limits are clamped to it.
	MaxLimit = 500
	// RestatementDays is how many days (today included) may still change between epochs.
	RestatementDays = 28
	// MaxHistoryMonths is how far back a time_range may start.
	MaxHistoryMonths = 37
	// MaxEventsPerRequest is the most events one Conversions API request may carry.
	MaxEventsPerRequest = 1000
	// LastPageActivitiesVersion is the last Graph API major version serving page_activities.
	LastPageActivitiesVersion = 20
	// DefaultVersion is the version assumed for a path without a v{N}.0 prefix.
	DefaultVersion = 21
)

// Options shape one simulator. The zero value is valid: zero fields take the defaults listed on
// each field (the demo world's shape), so tests set only what they care about.
type Options struct {
	// Seed makes the world: the same seed, sizes and clock give byte-identical answers.
	Seed uint64
	// Accounts is the number of ad accounts (default 3, at most 1000).
	Accounts int
	// CampaignsPerAccount (default 6), AdSetsPerCampaign (default 3), AdsPerAdSet (default 2).
	CampaignsPerAccount int
	AdSetsPerCampaign   int
	AdsPerAdSet         int
	// HistoryDays is how many days back from the clock's date at New delivery exists
	// (default 180, at most 1500).
	HistoryDays int
	// Now is the injected clock (default time.Now). Dates, restatement, usage windows, job
	// times and event ages all follow it; only the Slow fault's delay uses real time.
	Now func() time.Time
	// RestatementInterval, when > 0, moves the restatement epoch every interval of the clock,
	// on top of the manual Restate counter.
	RestatementInterval time.Duration
	// Tokens are the accepted access tokens (default: DemoToken only).
	Tokens []string
	// CallBudget is the calls one ad account may make per UsageWindow before it is at 100%
	// (default 300). AppCallBudget is the same for the whole app (default 4 × CallBudget).
	CallBudget    int
	AppCallBudget int
	// UsageWindow is the sliding window of the usage figures (default one hour).
	UsageWindow time.Duration
	// EnforceLimits answers throttling errors (80000 for an account, 4 for the app) once a call
	// would take utilisation past 100%. Off, the headers still rise but nothing is refused.
	EnforceLimits bool
	// AsyncPolls is how many status reads of an async job answer a not-finished state before it
	// reports Job Completed (default 3, which shows Not Started, Started, Running). Use
	// AsyncImmediate for a job that is complete at its first status read.
	AsyncPolls int
	// Faults are injected from the start; more can be added with Server.AddFault.
	Faults []Fault
	// Logger receives one debug line per request (never the token); nil discards.
	Logger *slog.Logger
	// MaxLogEntries bounds the request log (default 100000); the oldest half is dropped when full.
	MaxLogEntries int
}

// AsyncImmediate as Options.AsyncPolls makes async jobs complete at their first status read.
const AsyncImmediate = -1

// DemoOptions is the small world `leadlens demo` serves: three accounts in USD/Los Angeles,
// EUR/Berlin and JPY/Tokyo, six campaigns each with three ad sets of two ads, 180 days of
// history, an hourly restatement epoch and enforced (but generous) rate limits.
func DemoOptions() Options {
	return Options{
		Seed:                20260101,
		Accounts:            3,
		CampaignsPerAccount: 6,
		AdSetsPerCampaign:   3,
		AdsPerAdSet:         2,
		HistoryDays:         180,
		RestatementInterval: time.Hour,
		CallBudget:          300,
		UsageWindow:         time.Hour,
		EnforceLimits:       true,
		AsyncPolls:          3,
	}
}

// withDefaults fills zero fields and rejects values that cannot make a world.
func (o Options) withDefaults() (Options, error) {
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	def(&o.Accounts, 3)
	def(&o.CampaignsPerAccount, 6)
	def(&o.AdSetsPerCampaign, 3)
	def(&o.AdsPerAdSet, 2)
	def(&o.HistoryDays, 180)
	def(&o.CallBudget, 300)
	def(&o.AppCallBudget, 4*o.CallBudget)
	def(&o.AsyncPolls, 3)
	def(&o.MaxLogEntries, 100000)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.UsageWindow == 0 {
		o.UsageWindow = time.Hour
	}
	if len(o.Tokens) == 0 {
		o.Tokens = []string{DemoToken}
	}
	switch {
	case o.Accounts < 0 || o.Accounts > 1000:
		return o, fmt.Errorf("metasim: Accounts %d out of range 1..1000", o.Accounts)
	case o.CampaignsPerAccount < 0 || o.CampaignsPerAccount > 5000:
		return o, fmt.Errorf("metasim: CampaignsPerAccount %d out of range 1..5000", o.CampaignsPerAccount)
	case o.AdSetsPerCampaign < 0 || o.AdSetsPerCampaign > 500:
		return o, fmt.Errorf("metasim: AdSetsPerCampaign %d out of range 1..500", o.AdSetsPerCampaign)
	case o.AdsPerAdSet < 0 || o.AdsPerAdSet > 50:
		return o, fmt.Errorf("metasim: AdsPerAdSet %d out of range 1..50", o.AdsPerAdSet)
	case o.HistoryDays < 0 || o.HistoryDays > 1500:
		return o, fmt.Errorf("metasim: HistoryDays %d out of range 1..1500", o.HistoryDays)
	case o.CallBudget < 0 || o.AppCallBudget < 0:
		return o, fmt.Errorf("metasim: call budgets must be positive")
	case o.UsageWindow < 0 || o.RestatementInterval < 0:
		return o, fmt.Errorf("metasim: durations must not be negative")
	case o.AsyncPolls < AsyncImmediate:
		return o, fmt.Errorf("metasim: AsyncPolls %d invalid", o.AsyncPolls)
	}
	if o.Accounts*o.CampaignsPerAccount*o.AdSetsPerCampaign > 2_000_000 {
		return o, fmt.Errorf("metasim: world too large")
	}
	if o.AsyncPolls == AsyncImmediate {
		o.AsyncPolls = 0
	}
	for i, f := range o.Faults {
		if err := f.validate(); err != nil {
			return o, fmt.Errorf("metasim: Faults[%d]: %w", i, err)
		}
	}
	return o, nil
}
