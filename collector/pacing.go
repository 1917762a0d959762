package collector

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/leadlens/leadlens/collector/graph"
)

// Pacing slows requests down before Meta throttles them, reading the usage headers of the
// latest answer about the same ad account (graph.Client.LastUsage). Zero fields take defaults.
type Pacing struct {
	SoftPercent float64       // usage above which requests pause SoftPause (default 85)
	HardPercent float64       // usage above which requests pause HardPause (default 95)
	SoftPause   time.Duration // default 1s, up to twice that just below HardPercent
	HardPause   time.Duration // default 10s, up to twice that at 100% and beyond: seconds, not minutes
	// UsageMaxAge ignores usage older than this: a figure from long ago says nothing about
	// now (default 10 minutes).
	UsageMaxAge time.Duration
}

func (p *Pacing) defaults() {
	if p.SoftPercent <= 0 {
		p.SoftPercent = 85
	}
	if p.HardPercent <= 0 {
		p.HardPercent = 95
	}
	if p.SoftPause <= 0 {
		p.SoftPause = time.Second
	}
	if p.HardPause <= 0 {
		p.HardPause = 10 * time.Second
	}
	if p.UsageMaxAge <= 0 {
		p.UsageMaxAge = 10 * time.Minute
	}
}

// Pause is how long to wait before a request when the highest usage figure is pct percent:
// nothing below SoftPercent; SoftPause growing to twice that as pct nears HardPercent;
// HardPause growing to twice that as pct reaches 100. The further past, the longer the pause,
// so a busy account slows smoothly instead of hitting the wall.
func (p Pacing) Pause(pct float64) time.Duration {
	scale := func(d time.Duration, from, to float64) time.Duration {
		f := 1.0
		if to > from {
			f += min(1, (pct-from)/(to-from))
		}
		return time.Duration(float64(d) * f)
	}
	switch {
	case pct >= p.HardPercent:
		return scale(p.HardPause, p.HardPercent, 100)
	case pct >= p.SoftPercent:
		return scale(p.SoftPause, p.SoftPercent, p.HardPercent)
	}
	return 0
}

// RetryPolicy bounds retries of failed requests; it configures a graph.DefaultRetrier.
type RetryPolicy struct {
	MaxAttempts   int           // attempts per request, the first included (default 5)
	BaseDelay     time.Duration // first backoff bound (default 1s)
	MaxDelay      time.Duration // cap of the backoff term (default 1 minute)
	MaxRetryAfter time.Duration // longest throttling estimate waited out (default 15 minutes)
	// RegainUnit is how long one minute of Meta's estimated_time_to_regain_access is waited:
	// time.Minute (the default) in production; tests shrink it to keep to milliseconds.
	RegainUnit time.Duration
}

func (r *RetryPolicy) defaults() {
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = graph.DefaultMaxAttempts
	}
	if r.BaseDelay <= 0 {
		r.BaseDelay = graph.DefaultBaseDelay
	}
	if r.MaxDelay <= 0 {
		r.MaxDelay = graph.DefaultMaxDelay
	}
	if r.MaxRetryAfter <= 0 {
		r.MaxRetryAfter = graph.DefaultMaxRetryAfter
	}
	if r.RegainUnit <= 0 {
		r.RegainUnit = time.Minute
	}
}

// retrier is graph.DefaultRetrier with Meta's estimate scaled by RegainUnit. The wait is never
// longer than Meta's estimate plus the backoff bound (SPEC), and an estimate of 0 backs off for
// seconds (BaseDelay doubling), not minutes.
type retrier struct {
	def  graph.DefaultRetrier
	unit time.Duration
}

func (r RetryPolicy) retrier() graph.Retrier {
	return retrier{def: graph.DefaultRetrier{MaxAttempts: r.MaxAttempts, BaseDelay: r.BaseDelay,
		MaxDelay: r.MaxDelay, MaxRetryAfter: r.MaxRetryAfter}, unit: r.RegainUnit}
}

// Retry implements graph.Retrier.
func (r retrier) Retry(ctx context.Context, attempt int, err error) (time.Duration, bool) {
	wait, ok := r.def.Retry(ctx, attempt, err)
	var e *graph.Error
	if ok && r.unit != time.Minute && errors.As(err, &e) && e.Kind == graph.KindThrottled && e.RetryAfter > 0 {
		scaled := time.Duration(float64(e.RetryAfter) / float64(time.Minute) * float64(r.unit))
		wait = wait - e.RetryAfter + scaled
	}
	return wait, ok
}

// AsyncPolicy shapes async report jobs. Zero fields take defaults.
type AsyncPolicy struct {
	// WindowDays, when > 0, sends every (level, window) longer than this many days through an
	// async job instead of a sync request. 0: only a single day Meta finds too large goes async.
	WindowDays int
	PollBase   time.Duration // first wait before reading the job's status (default 1s)
	PollMax    time.Duration // the wait doubles up to this (default 30s)
	MaxWait    time.Duration // a job not done after this fails the account (default 30 minutes)
}

func (a *AsyncPolicy) defaults() {
	if a.PollBase <= 0 {
		a.PollBase = time.Second
	}
	if a.PollMax <= 0 {
		a.PollMax = 30 * time.Second
	}
	if a.MaxWait <= 0 {
		a.MaxWait = 30 * time.Minute
	}
}

// pace runs before every HTTP attempt (graph's BeforeRequest hook): when the latest usage for
// the account passed the soft limit it waits, counting and logging the wait.
func (r *run) pace(ctx context.Context, info graph.RequestInfo) error {
	u := r.client.LastUsageOverall()
	if info.AccountID != "" {
		u = r.client.LastUsage(info.AccountID)
	}
	if u.IsZero() || r.s.cfg.Now().Sub(u.At) > r.s.cfg.Pacing.UsageMaxAge {
		return nil
	}
	pct := u.Max()
	d := r.s.cfg.Pacing.Pause(pct)
	if d <= 0 {
		return nil
	}
	reason := fmt.Sprintf("usage %.0f%% ≥ %.0f%%", pct, r.s.cfg.Pacing.SoftPercent)
	if pct >= r.s.cfg.Pacing.HardPercent {
		reason = fmt.Sprintf("usage %.0f%% ≥ %.0f%%", pct, r.s.cfg.Pacing.HardPercent)
	}
	r.recordWait(ctx, info.AccountID, "pacing: "+reason, d, true)
	return sleep(ctx, d)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// beforeRequest is graph's BeforeRequest hook: note the page, then pace.
func (r *run) beforeRequest(ctx context.Context, info graph.RequestInfo) error {
	if st := r.state(info.AccountID); st != nil {
		r.mu.Lock()
		st.page = info.Page
		r.mu.Unlock()
	}
	return r.pace(ctx, info)
}

// afterResponse is graph's AfterResponse hook: count the call.
func (r *run) afterResponse(info graph.RequestInfo, res graph.Result) {
	result := "ok"
	if res.Err != nil {
		result = res.Kind.String()
	}
	r.s.obs.GraphCall(info.Op, result, res.Duration)
	r.mu.Lock()
	if st := r.state(info.AccountID); st != nil {
		st.p.Calls++
	} else {
		r.p.Calls++
	}
	r.mu.Unlock()
}

// onRetry is graph's OnRetry hook: a throttling error's wait counts as a throttle wait, any
// other retry as a retry; both are logged with the reason.
func (r *run) onRetry(info graph.RequestInfo, err error, wait time.Duration) {
	kind := graph.KindOf(err)
	reason := fmt.Sprintf("%s: %s page %d attempt %d", kind, info.Op, info.Page, info.Attempt)
	if kind == graph.KindThrottled {
		var e *graph.Error
		if errors.As(err, &e) {
			reason += fmt.Sprintf(" (code %d", e.Code)
			if e.RetryAfter > 0 {
				reason += fmt.Sprintf(", Meta's estimate %s", e.RetryAfter)
			}
			reason += ")"
		}
		r.recordWait(context.Background(), info.AccountID, reason, wait, true)
		return
	}
	r.recordWait(context.Background(), info.AccountID, "retry after "+reason, wait, false)
}

// recordWait counts a wait in the account's progress and logs it with its reason.
func (r *run) recordWait(ctx context.Context, accountID, reason string, d time.Duration, throttle bool) {
	lctx := ctx
	st := r.state(accountID)
	r.mu.Lock()
	if st != nil {
		lctx = st.lctx
		st.p.LastWait = fmt.Sprintf("%s (%s)", reason, d.Round(time.Millisecond))
		if throttle {
			st.p.ThrottleWaits++
			st.p.ThrottleWait += d
		} else {
			st.p.Retries++
		}
	}
	r.mu.Unlock()
	if throttle {
		label := "throttled"
		if strings.HasPrefix(reason, "pacing") {
			label = "pacing"
		}
		r.s.obs.ThrottleWait(label, d)
	}
	r.s.log.InfoContext(lctx, "collector: waiting", "reason", reason, "wait", d.Round(time.Millisecond))
}
