package graph

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// Retrier decides whether a failed HTTP attempt is repeated. The client consults it after
// every failed attempt of a single request — one page of a paged edge, never the whole
// stream — with attempt = the number of attempts made so far (1 after the first failure).
// It returns how long to wait before the next attempt; the client sleeps honouring ctx.
// Implementations must be safe for concurrent use.
type Retrier interface {
	Retry(ctx context.Context, attempt int, err error) (wait time.Duration, ok bool)
}

// RetrierFunc adapts a function to Retrier.
type RetrierFunc func(ctx context.Context, attempt int, err error) (time.Duration, bool)

// Retry calls f.
func (f RetrierFunc) Retry(ctx context.Context, attempt int, err error) (time.Duration, bool) {
	return f(ctx, attempt, err)
}

// Defaults of DefaultRetrier's zero fields.
const (
	DefaultMaxAttempts   = 5
	DefaultBaseDelay     = time.Second
	DefaultMaxDelay      = time.Minute
	DefaultMaxRetryAfter = 15 * time.Minute
)

// DefaultRetrier retries what IsRetryable allows — transient, throttled, network and
// unreadable answers — at most MaxAttempts attempts in all, with exponential backoff and full
// jitter: the n-th wait is uniform in [0, min(MaxDelay, BaseDelay·2ⁿ⁻¹)). A throttling error
// waits at least BaseDelay; when it carries RetryAfter (Meta's estimated_time_to_regain_access)
// the wait is RetryAfter plus that jitter, and a RetryAfter beyond MaxRetryAfter is not waited
// out at all (the error is returned for the caller to report). Auth, permission, not-found,
// invalid-request and data-too-large errors are never retried. The zero value is ready to use.
type DefaultRetrier struct {
	MaxAttempts   int            // attempts in all, first included; default DefaultMaxAttempts
	BaseDelay     time.Duration  // default DefaultBaseDelay
	MaxDelay      time.Duration  // cap on the backoff term; default DefaultMaxDelay
	MaxRetryAfter time.Duration  // longest throttling estimate to wait out; default DefaultMaxRetryAfter
	Rand          func() float64 // uniform in [0,1); default math/rand/v2.Float64
}

// Retry implements Retrier.
func (r DefaultRetrier) Retry(ctx context.Context, attempt int, err error) (time.Duration, bool) {
	if ctx.Err() != nil || !IsRetryable(err) {
		return 0, false
	}
	maxAttempts := r.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	if attempt >= maxAttempts {
		return 0, false
	}
	base, maxDelay, maxAfter := r.BaseDelay, r.MaxDelay, r.MaxRetryAfter
	if base <= 0 {
		base = DefaultBaseDelay
	}
	if maxDelay <= 0 {
		maxDelay = DefaultMaxDelay
	}
	if maxAfter <= 0 {
		maxAfter = DefaultMaxRetryAfter
	}
	backoff := base
	for i := 1; i < attempt && backoff < maxDelay; i++ {
		backoff *= 2
	}
	backoff = min(backoff, maxDelay)
	rnd := r.Rand
	if rnd == nil {
		rnd = rand.Float64
	}
	wait := time.Duration(rnd() * float64(backoff))
	if KindOf(err) == KindThrottled {
		var e *Error
		if errors.As(err, &e) && e.RetryAfter > 0 {
			if e.RetryAfter > maxAfter {
				return 0, false
			}
			return e.RetryAfter + wait, true
		}
		wait = max(wait, base)
	}
	return wait, true
}
