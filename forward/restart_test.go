package forward_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/leadlens/leadlens/forward"
	"github.com/leadlens/leadlens/metasim"
	"github.com/leadlens/leadlens/store"
)

// crashingStore is the real store whose MarkOutbox fails once recording a sent batch after
// `after` such commits, and then "kills the process" (cancels the forwarder): Meta has the
// batch, the database does not know.
type crashingStore struct {
	*store.DB
	mu      sync.Mutex
	after   int
	crashed bool
	kill    context.CancelFunc
}

func (s *crashingStore) MarkOutbox(ctx context.Context, ups []store.OutboxUpdate) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.crashed && len(ups) > 0 && ups[0].Status == store.OutboxSent {
		if s.after == 0 {
			s.crashed = true
			s.kill()
			return 0, errors.New("simulated crash before the commit")
		}
		s.after--
	}
	return s.DB.MarkOutbox(ctx, ups)
}

// runUntilDrained runs a fresh forwarder until the client has nothing pending, then stops it.
func (e *env) runUntilDrained(c store.Client) {
	e.t.Helper()
	f := e.forwarder("v21.0")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.Run(ctx); close(done) }()
	waitFor(e.t, "the outbox to drain", 20*time.Second, func() bool { return e.counts(c)[store.OutboxPending] == 0 })
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		e.t.Fatal("Run did not return after cancel")
	}
}

// checkOnceEach checks that every outbox item of c is sent and Meta counts each exactly once.
func (e *env) checkOnceEach(c store.Client, n, wantDuplicates int) {
	e.t.Helper()
	got := e.counts(c)
	if got[store.OutboxSent] != n || got[store.OutboxPending] != 0 || got[store.OutboxFailed] != 0 {
		e.t.Fatalf("got counts %v, want %d sent and nothing else", got, n)
	}
	if u := e.sim.UniqueEventCount(); u != n {
		e.t.Fatalf("Meta counts %d events, want %d", u, n)
	}
	if all := len(e.sim.Events()); all != n+wantDuplicates {
		e.t.Fatalf("Meta received %d events, want %d (%d resent and deduplicated)", all, n+wantDuplicates, wantDuplicates)
	}
	ids := map[string]bool{}
	for _, ev := range e.sim.Events() {
		ids[ev.EventID] = true
	}
	for id := range e.entries(c) {
		if !ids[forward.EventID(store.OutboxItem{ClientID: c.ID, EventID: id})] {
			e.t.Fatalf("outbox event %d never reached Meta", id)
		}
	}
}

func TestCrashBetweenMetaAnswerAndCommit(t *testing.T) {
	e := newEnv(t)
	c := e.client("Acme", 0)
	e.capi(c, 0, metasim.DemoToken)
	const n = 2500
	e.log(c, "1001", "", leads(n, time.Now().Add(-time.Minute))...)

	ctx, kill := context.WithCancel(context.Background())
	cs := &crashingStore{DB: e.db, after: 1, kill: kill}
	f := e.forwarder("v21.0", func(cfg *forward.Config) { cfg.Store = cs; cfg.BatchSize = 500 })
	done := make(chan struct{})
	go func() { f.Run(ctx); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the crashed forwarder did not return")
	}
	if got := e.counts(c); got[store.OutboxSent] != 500 || got[store.OutboxPending] != n-500 {
		t.Fatalf("after the crash: got %v, want 500 sent (first batch) and the rest pending", got)
	}
	if all := len(e.sim.Events()); all != 1000 {
		t.Fatalf("Meta received %d events before the crash, want 1000 (two batches)", all)
	}
	// A new process on the same database sends the rest; the batch Meta already had is sent
	// again with the same event ids and counted once.
	e.runUntilDrained(c)
	e.checkOnceEach(c, n, 500)
}

func TestShutdownFinishesTheBatchInFlight(t *testing.T) {
	e := newEnv(t)
	c := e.client("Acme", 0)
	e.capi(c, 0, metasim.DemoToken)
	const n = 1500
	e.log(c, "1001", "", leads(n, time.Now().Add(-time.Minute))...)
	slow, err := e.sim.AddFault(metasim.Fault{Kind: metasim.FaultSlow, Request: metasim.RequestEvents, Times: 1, Delay: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	f := e.forwarder("v21.0", func(cfg *forward.Config) { cfg.BatchSize = 500; cfg.Grace = 10 * time.Second })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.Run(ctx); close(done) }()
	waitFor(t, "the first request to be in flight", 10*time.Second, func() bool { return e.sim.FaultFired(slow) == 1 })
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	// The batch in flight was answered and recorded; no new request was started.
	if got := e.counts(c); got[store.OutboxSent] != 500 || got[store.OutboxPending] != n-500 {
		t.Fatalf("after shutdown: got %v, want the in-flight 500 sent and the rest pending", got)
	}
	if reqs := len(e.requests(metasim.RequestEvents)); reqs != 1 {
		t.Fatalf("got %d requests, want only the one in flight", reqs)
	}
	for _, x := range e.entries(c) {
		if x.Status == store.OutboxPending && x.Attempts != 0 {
			t.Fatalf("got a pending entry with %d attempts, want untouched ones", x.Attempts)
		}
	}
	e.runUntilDrained(c)
	e.checkOnceEach(c, n, 0)
}

func TestShutdownGraceExceededLeavesItemsPending(t *testing.T) {
	e := newEnv(t)
	c := e.client("Acme", 0)
	e.capi(c, 0, metasim.DemoToken)
	const n = 20
	e.log(c, "1001", "", leads(n, time.Now().Add(-time.Minute))...)
	slow, err := e.sim.AddFault(metasim.Fault{Kind: metasim.FaultSlow, Request: metasim.RequestEvents, Times: 1, Delay: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	f := e.forwarder("v21.0", func(cfg *forward.Config) { cfg.Grace = 50 * time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.Run(ctx); close(done) }()
	waitFor(t, "the request to be in flight", 10*time.Second, func() bool { return e.sim.FaultFired(slow) == 1 })
	start := time.Now()
	cancel()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not give up the request after its grace period")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("shutdown took %s, want about the 50ms grace", took)
	}
	if got := e.counts(c); got[store.OutboxPending] != n {
		t.Fatalf("got %v, want all %d still pending", got, n)
	}
	e.runUntilDrained(c)
	e.checkOnceEach(c, n, 0)
}
