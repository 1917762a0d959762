package forward_test

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadlens/leadlens/collector/graph"
	"github.com/leadlens/leadlens/forward"
	"github.com/leadlens/leadlens/metasim"
	"github.com/leadlens/leadlens/store"
)

// clock is a settable clock for the forwarder (the simulator keeps real time).
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestRetryTransientAndThrottled(t *testing.T) {
	faults := []struct {
		kind metasim.FaultKind
		code int
		want graph.Kind
	}{
		{metasim.FaultUnknownError, 1, graph.KindTransient},
		{metasim.FaultServiceUnavailable, 2, graph.KindTransient},
		{metasim.FaultThrottleApp, 4, graph.KindThrottled},
		{metasim.FaultThrottleUser, 17, graph.KindThrottled},
		{metasim.FaultThrottleAccount, 80000, graph.KindThrottled},
	}
	for _, fc := range faults {
		t.Run(string(fc.kind), func(t *testing.T) {
			e := newEnv(t)
			c := e.client("Acme", 0)
			e.capi(c, 0, metasim.DemoToken)
			// Two faults in a row: the second retry waits twice as long as the first.
			if _, err := e.sim.AddFault(metasim.Fault{Kind: fc.kind, Request: metasim.RequestEvents, Times: 2}); err != nil {
				t.Fatal(err)
			}
			ids := e.log(c, "1001", "", leads(3, time.Now().Add(-time.Minute))...)
			clk := &clock{t: time.Now()}
			var mu sync.Mutex
			outcomes := map[string]int{}
			var kinds []graph.Kind
			f := e.forwarder("v21.0", func(cfg *forward.Config) {
				cfg.Now = clk.now
				cfg.Backoff = forward.Backoff{Base: time.Minute, Max: time.Hour, Rand: func() float64 { return 0 }}
				cfg.Observer = forward.Observer{
					Outcome: func(mode, status string, n int) { mu.Lock(); outcomes[mode+" "+status] += n; mu.Unlock() },
					Request: func(mode string, k graph.Kind, _ time.Duration) { mu.Lock(); kinds = append(kinds, k); mu.Unlock() },
				}
			})

			for attempt, wait := range []time.Duration{30 * time.Second, time.Minute} {
				start := clk.now()
				if st := e.pass(f); st.Retried != 3 || st.Sent != 0 {
					t.Fatalf("attempt %d: got %+v, want 3 retried", attempt+1, st)
				}
				got := e.entries(c)[ids[0]]
				if got.Status != store.OutboxPending || got.Attempts != attempt+1 || !got.NextAttemptAt.Equal(start.Add(wait).Truncate(time.Millisecond)) ||
					!strings.Contains(got.LastError, "code "+strconv.Itoa(fc.code)) {
					t.Fatalf("attempt %d: got %s, %d attempts, next %s, %q; want pending, %d attempts, next at +%s, naming code %d",
						attempt+1, got.Status, got.Attempts, got.NextAttemptAt.Sub(start), got.LastError, attempt+1, wait, fc.code)
				}
				// Not due before the backoff has passed.
				clk.add(wait - time.Second)
				if st := e.pass(f); st.Requests != 0 {
					t.Fatalf("attempt %d: got %d requests before the backoff passed, want 0", attempt+1, st.Requests)
				}
				clk.add(time.Second)
			}
			if st := e.pass(f); st.Sent != 3 {
				t.Fatalf("got %+v, want 3 sent after the faults passed", st)
			}
			if got := e.entries(c)[ids[2]]; got.Status != store.OutboxSent || got.Attempts != 3 {
				t.Fatalf("got %s after %d attempts, want sent after 3", got.Status, got.Attempts)
			}
			if n, all := e.sim.UniqueEventCount(), len(e.sim.Events()); n != 3 || all != 3 {
				t.Fatalf("Meta got %d events (%d unique), want 3 once each", all, n)
			}
			mu.Lock()
			defer mu.Unlock()
			if outcomes["capi retried"] != 6 || outcomes["capi sent"] != 3 {
				t.Fatalf("observer got %v, want 6 retried and 3 sent", outcomes)
			}
			if len(kinds) != 3 || kinds[0] != fc.want || kinds[1] != fc.want || kinds[2] != graph.KindNone {
				t.Fatalf("observer got request kinds %v, want %s twice then none", kinds, fc.want)
			}
		})
	}
}

func TestAuthErrorStopsOneClientOnly(t *testing.T) {
	e := newEnv(t)
	a := e.client("Acme", 0)
	b := e.client("Beta", 1)
	e.capi(a, 0, badToken)
	e.capi(b, 1, metasim.DemoToken)
	aIDs := e.log(a, "1001", "", leads(3, time.Now())...)
	e.log(b, "2002", "", leads(2, time.Now())...)
	var stopped atomic.Int64
	f := e.forwarder("v21.0", func(cfg *forward.Config) {
		cfg.Observer.Stopped = func(id int64, _ string) { stopped.Store(id) }
	})

	if st := e.pass(f); st.Sent != 2 {
		t.Fatalf("got %+v, want Beta's 2 sent", st)
	}
	cfg, err := e.db.Forwarding(t.Context(), a.ID)
	if err != nil || !cfg.Stopped() || !strings.HasPrefix(cfg.StoppedReason, "Meta refused the token: ") ||
		!strings.Contains(cfg.StoppedReason, "re-enter the token in Admin → Forwarding") {
		t.Fatalf("got %+v %v, want Acme stopped saying Meta refused the token and what to do", cfg, err)
	}
	if stopped.Load() != a.ID {
		t.Fatalf("observer saw client %d stopped, want %d", stopped.Load(), a.ID)
	}
	got := e.entries(a)[aIDs[0]]
	if got.Status != store.OutboxPending || !strings.Contains(got.Response, "code 190") {
		t.Fatalf("got %s with answer %q, want pending with Meta's 190 answer", got.Status, got.Response)
	}
	if b := e.counts(b); b[store.OutboxSent] != 2 {
		t.Fatalf("Beta: got %v, want 2 sent", b)
	}
	// Stopped: nothing of Acme is tried again.
	before := len(e.requests(metasim.RequestEvents))
	if st := e.pass(f); st.Due != 0 || len(e.requests(metasim.RequestEvents)) != before {
		t.Fatalf("got %+v and %d new requests while stopped, want nothing", st, len(e.requests(metasim.RequestEvents))-before)
	}
	// The token re-entered: the same items go out.
	e.capi(a, 0, metasim.DemoToken)
	if st := e.pass(f); st.Sent != 3 {
		t.Fatalf("got %+v after re-entering the token, want 3 sent", st)
	}
	if c := e.counts(a); c[store.OutboxSent] != 3 || c[store.OutboxPending] != 0 || c[store.OutboxFailed] != 0 {
		t.Fatalf("Acme: got %v, want 3 sent", c)
	}
	// Neither token is ever written down in the clear.
	texts := e.logs.String() + cfg.StoppedReason
	for _, x := range e.entries(a) {
		texts += x.LastError + x.Response
	}
	for _, tok := range []string{badToken, metasim.DemoToken} {
		if strings.Contains(texts, tok) {
			t.Fatalf("a token appears in logs or stored texts")
		}
	}
}

func TestPermissionAndUnknownDatasetStop(t *testing.T) {
	e := newEnv(t)
	a := e.client("Acme", 0)
	b := e.client("Beta", 1)
	e.capi(a, 0, metasim.DemoToken)
	e.setForwarding(b, store.ForwardCAPI, "4242", "", metasim.DemoToken) // no such dataset
	if _, err := e.sim.AddFault(metasim.Fault{Kind: metasim.FaultPermission, Request: metasim.RequestEvents, Times: 1}); err != nil {
		t.Fatal(err)
	}
	e.log(a, "1", "", leads(1, time.Now())...)
	e.log(b, "2", "", leads(1, time.Now())...)
	e.pass(e.forwarder("v21.0"))
	for _, tc := range []struct {
		c    store.Client
		want string
	}{{a, "Meta refused the request for lack of"}, {b, "Meta does not know dataset 4242"}} {
		cfg, _ := e.db.Forwarding(t.Context(), tc.c.ID)
		if !cfg.Stopped() || !strings.Contains(cfg.StoppedReason, tc.want) {
			t.Errorf("%s: got stopped=%v %q, want stopped mentioning %q", tc.c.Name, cfg.Stopped(), cfg.StoppedReason, tc.want)
		}
	}
}
