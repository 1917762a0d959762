package events

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/leadlens/leadlens/store"
)

// Store is what the batcher writes to; *store.DB satisfies it.
type Store interface {
	InsertEventBatches(ctx context.Context, batches []store.EventBatch) ([]store.BatchResult, error)
}

// ErrClosed is returned by Submit once Close has begun.
var ErrClosed = errors.New("events: the event writer is shut down")

// BatcherOptions tune a Batcher. The zero value is fine.
type BatcherOptions struct {
	// MaxBatches bounds the requests written in one transaction (default 256).
	MaxBatches int
	// MaxEvents bounds the events written in one transaction (default 4096); a single larger
	// request is still written, alone.
	MaxEvents int
	// Log receives write failures; nil discards.
	Log *slog.Logger
}

// Batcher is group commit for the event API. Requests are handed to one writer goroutine; it
// takes every request waiting, writes them in one transaction (a savepoint each, so a failing
// request is rolled back alone), commits — one fsync — and only then answers each submitter.
// There is no timer: an idle writer takes a request at once, and requests that arrive while a
// commit is in flight form the next group, so batches grow with load and latency does not.
type Batcher struct {
	st         Store
	log        *slog.Logger
	maxBatches int
	maxEvents  int

	in   chan *pending
	mu   sync.RWMutex // held for reading while sending on in; Close takes it to close in
	shut bool
	done chan struct{}

	commits, batches, events atomic.Int64
}

// pending is one submitted request waiting for its commit.
type pending struct {
	batch store.EventBatch
	res   store.BatchResult
	err   error
	done  chan struct{}
}

// NewBatcher starts a batcher writing to st. Close it to stop.
func NewBatcher(st Store, opts BatcherOptions) *Batcher {
	if opts.MaxBatches <= 0 {
		opts.MaxBatches = 256
	}
	if opts.MaxEvents <= 0 {
		opts.MaxEvents = 4096
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	b := &Batcher{
		st:         st,
		log:        opts.Log,
		maxBatches: opts.MaxBatches,
		maxEvents:  opts.MaxEvents,
		in:         make(chan *pending, opts.MaxBatches),
		done:       make(chan struct{}),
	}
	go b.run()
	return b
}

// Submit writes one request's events and returns once they are committed (or failed). The
// result is all or nothing: an error means nothing of the batch was stored — except when ctx
// ends first, in which case the batch may still be committed (a retry with the same event_id
// is then answered as a duplicate).
func (b *Batcher) Submit(ctx context.Context, batch store.EventBatch) (store.BatchResult, error) {
	p := &pending{batch: batch, done: make(chan struct{})}
	b.mu.RLock()
	if b.shut {
		b.mu.RUnlock()
		return store.BatchResult{}, ErrClosed
	}
	select {
	case b.in <- p:
	case <-ctx.Done():
		b.mu.RUnlock()
		return store.BatchResult{}, ctx.Err()
	}
	b.mu.RUnlock()
	select {
	case <-p.done:
		return p.res, p.err
	case <-ctx.Done():
		return store.BatchResult{}, ctx.Err()
	}
}

// Close stops taking requests, writes every request already submitted, and returns when the
// writer has finished or ctx ends. Call it after the HTTP server has stopped accepting, so
// every request that will be acknowledged is committed first. Close may be called more than once.
func (b *Batcher) Close(ctx context.Context) error {
	b.mu.Lock()
	if !b.shut {
		b.shut = true
		close(b.in)
	}
	b.mu.Unlock()
	select {
	case <-b.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// BatcherStats are counters since the batcher started.
type BatcherStats struct {
	Commits int64 // transactions written
	Batches int64 // requests written
	Events  int64 // events in those requests
}

// Stats returns the batcher's counters; Batches/Commits is the mean group size.
func (b *Batcher) Stats() BatcherStats {
	return BatcherStats{Commits: b.commits.Load(), Batches: b.batches.Load(), Events: b.events.Load()}
}

func (b *Batcher) run() {
	defer close(b.done)
	for p := range b.in {
		group := []*pending{p}
		n := len(p.batch.Events)
		open := true
	gather:
		for len(group) < b.maxBatches && n < b.maxEvents {
			select {
			case q, ok := <-b.in:
				if !ok {
					open = false
					break gather
				}
				group = append(group, q)
				n += len(q.batch.Events)
			default:
				break gather
			}
		}
		b.write(group, n)
		if !open {
			return
		}
	}
}

// write commits one group and answers its submitters. It runs on its own context: one
// request going away must not abort the others' transaction.
func (b *Batcher) write(group []*pending, events int) {
	batches := make([]store.EventBatch, len(group))
	for i, p := range group {
		batches[i] = p.batch
	}
	results, err := b.st.InsertEventBatches(context.Background(), batches)
	if err == nil && len(results) != len(group) {
		err = errors.New("events: the store answered a different number of batches")
	}
	if err != nil {
		b.log.Error("writing events failed", slog.Int("requests", len(group)), slog.Int("events", events), slog.Any("err", err))
	} else {
		b.commits.Add(1)
		b.batches.Add(int64(len(group)))
		b.events.Add(int64(events))
	}
	for i, p := range group {
		if err != nil {
			p.err = err
		} else {
			p.res, p.err = results[i], results[i].Err
		}
		close(p.done)
	}
}
