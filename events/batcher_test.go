package events

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadlens/leadlens/store"
)

// fakeStore is a Store whose InsertEventBatches is a function field.
type fakeStore struct {
	insert func(ctx context.Context, batches []store.EventBatch) ([]store.BatchResult, error)
}

func (f *fakeStore) InsertEventBatches(ctx context.Context, b []store.EventBatch) ([]store.BatchResult, error) {
	return f.insert(ctx, b)
}

// echo answers every batch with ids derived from its PSID, so answers can be matched to asks.
func echo(batches []store.EventBatch) []store.BatchResult {
	out := make([]store.BatchResult, len(batches))
	for i, b := range batches {
		var id int64
		fmt.Sscan(b.PSID, &id)
		out[i].Events = []store.EventResult{{ID: id}}
	}
	return out
}

func TestBatcherGroupsConcurrentSubmitters(t *testing.T) {
	release := make(chan struct{})
	var calls, maxGroup, firstGroup atomic.Int64
	st := &fakeStore{insert: func(_ context.Context, b []store.EventBatch) ([]store.BatchResult, error) {
		if calls.Add(1) == 1 {
			firstGroup.Store(int64(len(b)))
			<-release // hold the first commit so the others queue behind it
		}
		if n := int64(len(b)); n > maxGroup.Load() {
			maxGroup.Store(n)
		}
		return echo(b), nil
	}}
	b := NewBatcher(st, BatcherOptions{MaxBatches: 64})
	defer b.Close(context.Background())

	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 1; i <= n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := b.Submit(ctx, store.EventBatch{PSID: fmt.Sprint(i), Events: make([]store.NewEvent, 1)})
			if err != nil {
				errs <- err
				return
			}
			if res.Events[0].ID != int64(i) {
				errs <- fmt.Errorf("submitter %d got the answer for %d", i, res.Events[0].ID)
			}
		}()
	}
	// Wait until every submitter is queued or in the held commit (which may have taken more
	// than one, when several arrived before the writer started), then let the writer go.
	deadline := time.Now().Add(10 * time.Second)
	for int64(len(b.in))+firstGroup.Load() < n && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st1 := b.Stats()
	if st1.Batches != n || st1.Commits >= n || maxGroup.Load() < 2 {
		t.Fatalf("got %d requests in %d commits (largest group %d), want %d requests in fewer commits", st1.Batches, st1.Commits, maxGroup.Load(), n)
	}
}

func TestBatcherStoreErrorAnswersTheGroup(t *testing.T) {
	boom := errors.New("disk full")
	st := &fakeStore{insert: func(_ context.Context, b []store.EventBatch) ([]store.BatchResult, error) {
		return nil, boom
	}}
	b := NewBatcher(st, BatcherOptions{})
	defer b.Close(context.Background())
	if _, err := b.Submit(context.Background(), store.EventBatch{}); !errors.Is(err, boom) {
		t.Fatalf("got %v, want the store's error", err)
	}
}

func TestBatcherCloseFlushesAndRefuses(t *testing.T) {
	release := make(chan struct{})
	var written atomic.Int64
	st := &fakeStore{insert: func(_ context.Context, b []store.EventBatch) ([]store.BatchResult, error) {
		<-release
		written.Add(int64(len(b)))
		return echo(b), nil
	}}
	b := NewBatcher(st, BatcherOptions{})
	const n = 20
	var wg sync.WaitGroup
	var ok atomic.Int64
	for i := 1; i <= n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := b.Submit(context.Background(), store.EventBatch{PSID: fmt.Sprint(i)}); err == nil {
				ok.Add(1)
			}
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(b.in) < n-1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	closed := make(chan error, 1)
	go func() { closed <- b.Close(context.Background()) }()
	// Close waits for the held commit and the queued requests.
	select {
	case err := <-closed:
		t.Fatalf("Close returned %v before the submitted requests were written", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return within 10s")
	}
	wg.Wait()
	if ok.Load() != n || written.Load() != n {
		t.Fatalf("got %d answered and %d written, want %d of each", ok.Load(), written.Load(), n)
	}
	if _, err := b.Submit(context.Background(), store.EventBatch{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Submit after Close: got %v, want ErrClosed", err)
	}
	if err := b.Close(context.Background()); err != nil {
		t.Fatalf("second Close: got %v, want nil", err)
	}
}

func TestBatcherRealStoreFailingRequestAlone(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "ll.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.CreateClient(ctx, store.NewClient{Name: "Acme", Pages: []string{"111"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateClient(ctx, store.NewClient{Name: "Other", Pages: []string{"222"}}); err != nil {
		t.Fatal(err)
	}
	b := NewBatcher(db, BatcherOptions{})
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	const n = 40
	var wg sync.WaitGroup
	results := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			page := "111"
			if i%10 == 3 {
				page = "222" // another client's page: refused, alone
			}
			_, results[i] = b.Submit(ctx, store.EventBatch{ClientID: c.ID, PageID: page, PSID: fmt.Sprint(i + 1),
				Events: []store.NewEvent{{Name: "lead_submitted", EventTime: at, IdemKey: fmt.Sprint("e", i)}}})
		}()
	}
	wg.Wait()
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for i, err := range results {
		if wantFail := i%10 == 3; wantFail != errors.Is(err, store.ErrForeignPage) || (!wantFail && err != nil) {
			t.Errorf("request %d: got %v, want failure=%v", i, err, wantFail)
		}
	}
	evs, err := db.LeadEvents(ctx, c.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != n-4 {
		t.Fatalf("got %d stored events, want %d", len(evs), n-4)
	}
}
