package metasim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// RequestKind names what a request asks for; faults, the request log and call counters use it.
type RequestKind string

// Request kinds.
const (
	RequestAccount        RequestKind = "account"         // GET /act_<id>
	RequestCampaigns      RequestKind = "campaigns"       // GET /act_<id>/campaigns, GET /<campaign_id>
	RequestAdSets         RequestKind = "adsets"          // GET /act_<id>/adsets, GET /<adset_id>
	RequestAds            RequestKind = "ads"             // GET /act_<id>/ads, GET /<ad_id>
	RequestInsights       RequestKind = "insights"        // GET …/insights (sync)
	RequestAsyncSubmit    RequestKind = "async-submit"    // POST …/insights
	RequestAsyncStatus    RequestKind = "async-status"    // GET /<report_run_id>
	RequestAsyncResults   RequestKind = "async-results"   // GET /<report_run_id>/insights
	RequestMe             RequestKind = "me"              // GET /me, GET /me/adaccounts
	RequestEvents         RequestKind = "events"          // POST /<dataset_id>/events
	RequestPageActivities RequestKind = "page_activities" // POST /<app_id>/page_activities
	RequestUnknown        RequestKind = "unknown"         // anything else
)

// FaultKind is what an injected fault does to a matching request.
type FaultKind string

// Fault kinds. Error kinds answer in the Graph envelope with the code, subcode and HTTP status
// noted; the others change how (or whether) the normal answer arrives.
const (
	FaultThrottleApp        FaultKind = "throttle-app"        // code 4, HTTP 400, transient
	FaultThrottleUser       FaultKind = "throttle-user"       // code 17 subcode 2446079, transient
	FaultThrottleRate       FaultKind = "throttle-613"        // code 613 subcode 1487742, transient
	FaultThrottleAccount    FaultKind = "throttle-account"    // code 80000 subcode 2446079; RegainMinutes in the BUC header
	FaultUnknownError       FaultKind = "unknown-error"       // HTTP 500, code 1 subcode 99, transient
	FaultServiceUnavailable FaultKind = "service-unavailable" // HTTP 500, code 2, transient
	FaultReduceData         FaultKind = "reduce-data"         // HTTP 500, code 1 "Please reduce the amount of data…"
	FaultTooMuchData        FaultKind = "too-much-data"       // code 100 subcode 1487534
	FaultSyncTimeout        FaultKind = "sync-timeout"        // code 100 subcode 1504018; see MinWindowDays
	FaultSlow               FaultKind = "slow"                // waits Delay (real time, honouring the request context), then answers normally
	FaultTokenExpired       FaultKind = "token-expired"       // code 190 subcode 463
	FaultPermissionAdsRead  FaultKind = "permission-ads-read" // code 200 "(#200) Requires ads_read permission", HTTP 403
	FaultPermission         FaultKind = "permission"          // code 10, HTTP 400
	FaultNotFound           FaultKind = "not-found"           // code 100 subcode 33
	FaultMalformedJSON      FaultKind = "malformed-json"      // HTTP 200 with a body that is not JSON
	FaultTruncatedJSON      FaultKind = "truncated-json"      // HTTP 200 with the real body cut off half way
	FaultJobFailed          FaultKind = "job-failed"          // at async-submit: the job ends in Job Failed
	FaultJobSkipped         FaultKind = "job-skipped"         // at async-submit: the job ends in Job Skipped
	FaultError              FaultKind = "error"               // any envelope: Status, Code, Subcode, Message, Transient
)

// Fault is one injection rule. Empty matchers match everything; a rule fires for its first
// Times matching calls when Times > 0, with Probability (seeded, so reproducible) when
// Probability > 0, on every matching call when both are zero, or with Probability until it has
// fired Times times when both are set.
type Fault struct {
	Kind FaultKind
	// Account matches the ad account id (with or without act_); "" matches any request.
	Account string
	// Request matches the request kind. "" matches every kind, except that FaultSyncTimeout,
	// FaultTooMuchData and FaultReduceData then match only sync insights (the cure is async or a
	// smaller window), and the job faults only async-submit.
	Request RequestKind
	// Level matches insights requests (and async jobs) of that level.
	Level       string
	Times       int
	Probability float64
	// RegainMinutes is estimated_time_to_regain_access for FaultThrottleAccount (0 allowed).
	RegainMinutes int
	// Delay is the wait of FaultSlow.
	Delay time.Duration
	// MinWindowDays, when > 0, restricts the rule to insights requests whose time range is longer
	// than that many days, so a consumer that splits its window gets through.
	MinWindowDays int
	// Status, Code, Subcode, Message and Transient describe the answer of FaultError.
	Status    int
	Code      int
	Subcode   int
	Message   string
	Transient bool
}

func (f Fault) validate() error {
	switch f.Kind {
	case FaultThrottleApp, FaultThrottleUser, FaultThrottleRate, FaultThrottleAccount,
		FaultUnknownError, FaultServiceUnavailable, FaultReduceData, FaultTooMuchData,
		FaultSyncTimeout, FaultTokenExpired, FaultPermissionAdsRead, FaultPermission,
		FaultNotFound, FaultMalformedJSON, FaultTruncatedJSON, FaultJobFailed, FaultJobSkipped:
	case FaultSlow:
		if f.Delay <= 0 {
			return fmt.Errorf("fault %s needs a Delay", f.Kind)
		}
	case FaultError:
		if f.Code == 0 || f.Message == "" {
			return fmt.Errorf("fault %s needs Code and Message", f.Kind)
		}
	default:
		return fmt.Errorf("unknown fault kind %q", f.Kind)
	}
	if f.Times < 0 || f.Probability < 0 || f.Probability > 1 || f.RegainMinutes < 0 || f.MinWindowDays < 0 {
		return fmt.Errorf("fault %s: negative count or probability out of 0..1", f.Kind)
	}
	return nil
}

// faultRule is a Fault with its bookkeeping.
type faultRule struct {
	id    int
	f     Fault
	fired int
}

// faultSet holds the rules of one server; its own lock keeps AddFault safe during requests.
type faultSet struct {
	mu     sync.Mutex
	rules  []*faultRule
	nextID int
	rnd    *rand.Rand
}

func newFaultSet(seed uint64) *faultSet {
	return &faultSet{rnd: rand.New(rand.NewPCG(seed, 0xfa017))}
}

func (fs *faultSet) add(f Fault) (int, error) {
	if err := f.validate(); err != nil {
		return 0, fmt.Errorf("metasim: %w", err)
	}
	if len(f.Account) > 4 && f.Account[:4] == "act_" {
		f.Account = f.Account[4:]
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.nextID++
	fs.rules = append(fs.rules, &faultRule{id: fs.nextID, f: f})
	return fs.nextID, nil
}

// matches reports whether rule f applies to call c (before firing odds).
func (f *Fault) matches(c *call) bool {
	if f.Account != "" && (c.acct == nil || c.acct.id != f.Account) {
		return false
	}
	if f.Level != "" && c.level != f.Level {
		return false
	}
	switch {
	case f.Request != "":
		if f.Request != c.kind {
			return false
		}
	case f.Kind == FaultSyncTimeout || f.Kind == FaultTooMuchData || f.Kind == FaultReduceData:
		if c.kind != RequestInsights {
			return false
		}
	case f.Kind == FaultJobFailed || f.Kind == FaultJobSkipped:
		if c.kind != RequestAsyncSubmit {
			return false
		}
	}
	if f.MinWindowDays > 0 && c.windowDays <= f.MinWindowDays {
		return false
	}
	return true
}

// fire returns the rules that fire for c, in the order they were added, counting each firing.
func (fs *faultSet) fire(c *call) []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var out []Fault
	for _, r := range fs.rules {
		if !r.f.matches(c) {
			continue
		}
		if r.f.Times > 0 && r.fired >= r.f.Times {
			continue
		}
		if r.f.Probability > 0 && fs.rnd.Float64() >= r.f.Probability {
			continue
		}
		r.fired++
		out = append(out, r.f)
	}
	return out
}

// AddFault adds an injection rule at run time and returns its id for RemoveFault and FaultFired.
func (s *Server) AddFault(f Fault) (int, error) { return s.faults.add(f) }

// RemoveFault removes rule id and reports whether it existed.
func (s *Server) RemoveFault(id int) bool {
	fs := s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, r := range fs.rules {
		if r.id == id {
			fs.rules = append(fs.rules[:i], fs.rules[i+1:]...)
			return true
		}
	}
	return false
}

// ClearFaults removes every rule.
func (s *Server) ClearFaults() {
	s.faults.mu.Lock()
	s.faults.rules = nil
	s.faults.mu.Unlock()
}

// FaultFired tells how many times rule id has fired (0 for an unknown id).
func (s *Server) FaultFired(id int) int {
	fs := s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, r := range fs.rules {
		if r.id == id {
			return r.fired
		}
	}
	return 0
}

// applyFaults runs the firing rules for c: slow ones wait, job ones mark c, body ones mark the
// answer for corruption, and the first error-kind rule becomes the answer.
func applyFaults(ctx context.Context, c *call, fired []Fault) *graphError {
	for _, f := range fired {
		switch f.Kind {
		case FaultSlow:
			t := time.NewTimer(f.Delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
			c.fault = f.Kind
		case FaultJobFailed, FaultJobSkipped:
			c.jobOutcome = f.Kind
			c.fault = f.Kind
		case FaultMalformedJSON, FaultTruncatedJSON:
			if c.corrupt == "" {
				c.corrupt = f.Kind
				c.fault = f.Kind
			}
		default:
			c.fault = f.Kind
			return faultError(f)
		}
	}
	return nil
}

func faultError(f Fault) *graphError {
	var e *graphError
	switch f.Kind {
	case FaultThrottleApp:
		e = errAppThrottled()
	case FaultThrottleUser:
		e = gerr(17, 2446079, "(#17) User request limit reached")
		e.transient = true
	case FaultThrottleRate:
		e = gerr(613, 1487742, "(#613) Calls to this api have exceeded the rate limit.")
		e.transient = true
	case FaultThrottleAccount:
		e = errAccountThrottled(f.RegainMinutes)
	case FaultUnknownError:
		e = gerr(1, 99, "An unknown error occurred")
		e.status, e.transient = 500, true
	case FaultServiceUnavailable:
		e = gerr(2, 0, "Service temporarily unavailable")
		e.status, e.transient = 500, true
	case FaultReduceData:
		e = gerr(1, 0, "Please reduce the amount of data you're asking for, then retry your request")
		e.status = 500
	case FaultTooMuchData:
		e = gerr(100, 1487534, "(#100) Too much data was requested in a single call. Please reduce the time range, the number of fields or the limit, or use an asynchronous request.")
	case FaultSyncTimeout:
		e = gerr(100, 1504018, "(#100) The request was timed out due to too much data. Please try again with a shorter time range, fewer fields, or use an asynchronous request.")
	case FaultTokenExpired:
		e = gerr(190, 463, "Error validating access token: Session has expired on Thursday, 01-Jan-26 00:00:00 PST. The current time is Friday, 02-Jan-26 00:00:00 PST.")
	case FaultPermissionAdsRead:
		e = gerr(200, 0, "(#200) Requires ads_read permission")
		e.status = 403
	case FaultPermission:
		e = gerr(10, 0, "(#10) Application does not have permission for this action")
	case FaultNotFound:
		e = errNoObject("get", "0")
	case FaultError:
		e = gerr(f.Code, f.Subcode, "%s", f.Message)
		e.transient = f.Transient
		if f.Status != 0 {
			e.status = f.Status
		}
	}
	return e
}
