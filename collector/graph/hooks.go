package graph

import (
	"context"
	"time"
)

// Hooks let the collector pace, meter and report calls. Every field is optional. Hooks run on
// the goroutine making the call, so concurrent calls run them concurrently.
type Hooks struct {
	// BeforeRequest runs before every HTTP attempt (retries and each page included). A pacer
	// may wait here honouring ctx; a non-nil error aborts the call and is returned wrapped.
	BeforeRequest func(ctx context.Context, req RequestInfo) error
	// AfterResponse runs after every HTTP attempt with its outcome, failed ones included.
	AfterResponse func(req RequestInfo, res Result)
	// OnRetry runs when a failed attempt will be retried, before waiting wait.
	OnRetry func(req RequestInfo, err error, wait time.Duration)
}

// Operation names used in RequestInfo.Op.
const (
	OpMe             = "me"
	OpAccount        = "account"
	OpCampaigns      = "campaigns"
	OpAdSets         = "adsets"
	OpAds            = "ads"
	OpInsights       = "insights"
	OpSubmitJob      = "insights_job_submit"
	OpJobStatus      = "insights_job_status"
	OpJobInsights    = "insights_job_results"
	OpConversions    = "conversions"
	OpPageActivities = "page_activities"
)

// RequestInfo describes one HTTP attempt. It never carries the access token.
type RequestInfo struct {
	Op        string // one of the Op constants
	Method    string
	Path      string // path below the version, e.g. "/act_1/insights"
	URL       string // the full URL with secrets redacted
	AccountID string // ad account id without act_ when the call concerns one, else ""
	Page      int    // 1-based page number for paged edges, 0 otherwise
	Attempt   int    // 1-based attempt number of this request
}

// Result is the outcome of one HTTP attempt.
type Result struct {
	Status   int           // HTTP status; 0 when no answer arrived
	Kind     Kind          // KindNone on success
	Err      error         // the attempt's error, nil on success
	Duration time.Duration // from sending the request to reading (and decoding) the body
	Bytes    int           // body size read
	Rows     int           // rows decoded on a paged answer
	Usage    Usage         // the usage headers of this answer
}
