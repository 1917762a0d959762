package handlers

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// keyedLimiter is a token bucket per key (an IP, an email), forgotten after a quiet spell so
// the map cannot grow without bound.
type keyedLimiter struct {
	mu      sync.Mutex
	every   time.Duration
	burst   int
	buckets map[string]*bucket
	now     func() time.Time
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newKeyedLimiter(every time.Duration, burst int, now func() time.Time) *keyedLimiter {
	return &keyedLimiter{every: every, burst: burst, buckets: map[string]*bucket{}, now: now}
}

func (k *keyedLimiter) get(key string) *rate.Limiter {
	now := k.now()
	if now.Sub(k.swept) > 10*time.Minute {
		// A bucket idle for burst×every is full again: dropping it changes nothing.
		idle := time.Duration(k.burst) * k.every
		for key, b := range k.buckets {
			if now.Sub(b.seen) > idle {
				delete(k.buckets, key)
			}
		}
		k.swept = now
	}
	b, ok := k.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(rate.Every(k.every), k.burst)}
		k.buckets[key] = b
	}
	b.seen = now
	return b.lim
}

// allow takes one token for key, or reports how long until one is available.
func (k *keyedLimiter) allow(key string) (bool, time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	lim := k.get(key)
	now := k.now()
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// blocked reports, without taking a token, whether key has none left and how long it waits.
func (k *keyedLimiter) blocked(key string) (bool, time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	lim := k.get(key)
	now := k.now()
	if lim.TokensAt(now) >= 1 {
		return false, 0
	}
	r := lim.ReserveN(now, 1)
	d := r.DelayFrom(now)
	r.CancelAt(now)
	return true, d
}
