package graph_test

import (
	"context"
	"testing"
	"time"

	"github.com/leadlens/leadlens/collector/graph"
)

func TestDefaultRetrier(t *testing.T) {
	half := func() float64 { return 0.5 }
	r := graph.DefaultRetrier{MaxAttempts: 4, BaseDelay: time.Second, MaxDelay: 5 * time.Second, MaxRetryAfter: 10 * time.Minute, Rand: half}
	ctx := context.Background()
	transient := &graph.Error{Kind: graph.KindTransient}
	tests := []struct {
		name    string
		attempt int
		err     error
		wait    time.Duration
		ok      bool
	}{
		{"transient 1", 1, transient, 500 * time.Millisecond, true},
		{"transient 2", 2, transient, time.Second, true},
		{"transient 3", 3, transient, 2 * time.Second, true},
		{"bounded", 4, transient, 0, false},
		{"network", 1, &graph.Error{Kind: graph.KindNetwork}, 500 * time.Millisecond, true},
		{"decode", 1, &graph.Error{Kind: graph.KindDecode}, 500 * time.Millisecond, true},
		{"decode field", 1, &graph.Error{Kind: graph.KindDecode, Field: "spend"}, 0, false},
		{"throttled unknown wait has a floor", 1, &graph.Error{Kind: graph.KindThrottled}, time.Second, true},
		{"throttled honours RetryAfter", 2, &graph.Error{Kind: graph.KindThrottled, RetryAfter: 3 * time.Minute}, 3*time.Minute + time.Second, true},
		{"throttled beyond MaxRetryAfter", 1, &graph.Error{Kind: graph.KindThrottled, RetryAfter: time.Hour}, 0, false},
		{"auth", 1, &graph.Error{Kind: graph.KindAuth}, 0, false},
		{"permission", 1, &graph.Error{Kind: graph.KindPermission}, 0, false},
		{"not found", 1, &graph.Error{Kind: graph.KindNotFound}, 0, false},
		{"invalid", 1, &graph.Error{Kind: graph.KindInvalidRequest}, 0, false},
		{"too large", 1, &graph.Error{Kind: graph.KindDataTooLarge}, 0, false},
		{"canceled", 1, &graph.Error{Kind: graph.KindCanceled}, 0, false},
	}
	for _, tt := range tests {
		wait, ok := r.Retry(ctx, tt.attempt, tt.err)
		if wait != tt.wait || ok != tt.ok {
			t.Errorf("%s: got %v, %v, want %v, %v", tt.name, wait, ok, tt.wait, tt.ok)
		}
	}

	// Backoff is capped at MaxDelay; full jitter stays below the cap.
	capped := graph.DefaultRetrier{MaxAttempts: 50, BaseDelay: time.Second, MaxDelay: 5 * time.Second, Rand: func() float64 { return 0.999 }}
	if wait, _ := capped.Retry(ctx, 40, transient); wait > 5*time.Second || wait < 4*time.Second {
		t.Errorf("capped backoff at attempt 40: got %v, want just under 5s", wait)
	}

	// The zero value works: defaults, real jitter.
	var zero graph.DefaultRetrier
	for attempt := 1; attempt < graph.DefaultMaxAttempts; attempt++ {
		wait, ok := zero.Retry(ctx, attempt, transient)
		limit := graph.DefaultBaseDelay << (attempt - 1)
		if !ok || wait < 0 || wait >= limit {
			t.Errorf("zero value, attempt %d: got %v, %v, want ok and 0 ≤ wait < %v", attempt, wait, ok, limit)
		}
	}
	if _, ok := zero.Retry(ctx, graph.DefaultMaxAttempts, transient); ok {
		t.Errorf("zero value at DefaultMaxAttempts: got ok, want stop")
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, ok := zero.Retry(done, 1, transient); ok {
		t.Errorf("canceled context: got ok, want stop")
	}
}
