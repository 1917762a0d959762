package forward

import (
	"strings"
	"testing"
	"time"

	"github.com/leadlens/leadlens/collector/graph"
	"github.com/leadlens/leadlens/store"
)

func TestSkipReason(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	item := func(name, value, currency string, age time.Duration) store.OutboxItem {
		return store.OutboxItem{Name: name, Value: value, Currency: currency, EventTime: now.Add(-age)}
	}
	tests := []struct {
		name string
		it   store.OutboxItem
		mode string
		want string // "" = sent; else a part of the reason
	}{
		{"lead", item("lead_submitted", "", "", time.Hour), store.ForwardCAPI, ""},
		{"exactly 7 days", item("lead_submitted", "", "", MaxEventAge), store.ForwardCAPI, ""},
		{"older than 7 days", item("lead_submitted", "", "", MaxEventAge+time.Second), store.ForwardCAPI, "older than 7 days"},
		{"older than 7 days, legacy", item("lead_submitted", "", "", 8*24*time.Hour), store.ForwardLegacy, "older than 7 days"},
		{"purchase", item("fb_mobile_purchase", "5", "USD", 0), store.ForwardCAPI, ""},
		{"purchase without currency", item("fb_mobile_purchase", "5", "", 0), store.ForwardCAPI, "Purchase needs both"},
		{"purchase without value", item("fb_mobile_purchase", "", "USD", 0), store.ForwardCAPI, "Purchase needs both"},
		{"registration", item("fb_mobile_complete_registration", "", "", 0), store.ForwardCAPI, `no Conversions API event for "fb_mobile_complete_registration"`},
		{"custom name", item("booked_call", "", "", 0), store.ForwardCAPI, `no Conversions API event for "booked_call"`},
		{"custom name, legacy", item("booked_call", "", "", 0), store.ForwardLegacy, ""},
		{"bot stopped, legacy", item("fb_messenger_bot_stopped", "", "", 0), store.ForwardLegacy, "Meta's own event"},
		{"bad value", item("fb_mobile_add_to_cart", "1,5", "EUR", 0), store.ForwardCAPI, "not a number"},
	}
	for _, tc := range tests {
		got := skipReason(tc.it, tc.mode, now)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, m := range Mappings() {
		if got, ok := CAPIName(m.Name); !ok || got.CAPIName != m.CAPIName {
			t.Errorf("%s: got %v %v, want %s", m.Name, got, ok, m.CAPIName)
		}
	}
}

func TestEventID(t *testing.T) {
	if got := EventID(store.OutboxItem{ClientID: 3, EventID: 42}); got != "leadlens-3-42" {
		t.Errorf("got %q, want leadlens-3-42", got)
	}
	if got := EventID(store.OutboxItem{ClientID: 3, EventID: 42, IdemKey: "lead-1"}); got != "lead-1" {
		t.Errorf("got %q, want the bot's lead-1", got)
	}
}

func TestLegacyRefusal(t *testing.T) {
	for v, allowed := range map[string]bool{"v20.0": true, "v19.0": true, "20.0": true, "v21.0": false, "v24.0": false, "latest": false} {
		if got := LegacyRefusal(v); (got == "") != allowed {
			t.Errorf("%s: got %q, want allowed=%v", v, got, allowed)
		}
	}
}

func TestBackoffAndRetryAfter(t *testing.T) {
	b := Backoff{Base: time.Second, Max: 10 * time.Second, Rand: func() float64 { return 0 }}
	for attempt, want := range map[int]time.Duration{1: 500 * time.Millisecond, 2: time.Second, 3: 2 * time.Second, 5: 5 * time.Second, 50: 5 * time.Second} {
		if got := b.Delay(attempt); got != want {
			t.Errorf("attempt %d: got %s, want %s", attempt, got, want)
		}
	}
	b.Rand = func() float64 { return 0.999 }
	if got := b.Delay(50); got >= 10*time.Second || got < 9*time.Second {
		t.Errorf("capped with jitter: got %s, want just under 10s", got)
	}
	s := &sender{f: &Forwarder{backoff: Backoff{Base: time.Second, Max: time.Hour, Rand: func() float64 { return 0 }}}}
	items := []store.OutboxItem{{Attempts: 0}, {Attempts: 3}}
	if got := s.wait(items, &graph.Error{Kind: graph.KindTransient}); got != 4*time.Second {
		t.Errorf("by the most-tried item: got %s, want 4s", got)
	}
	if got := s.wait(items, &graph.Error{Kind: graph.KindThrottled, RetryAfter: 10 * time.Minute}); got != 10*time.Minute {
		t.Errorf("Meta's estimate: got %s, want 10m", got)
	}
}
