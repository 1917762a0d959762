package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/leadlens/leadlens/collector/graph"
	"github.com/leadlens/leadlens/store"
)

// Progress is a snapshot of a run, live while it runs: good enough for a page that polls it
// every second. Counts cover the whole run; Accounts are in the order they are read.
type Progress struct {
	RunID         int64
	Trigger       string
	StartedBy     string
	Status        string // store.RunRunning, RunSucceeded, RunPartial, RunFailed, RunCancelled
	Error         string // why the run failed, partly failed or was cancelled
	APIVersion    string
	StartedAt     time.Time
	FinishedAt    time.Time // zero while running
	AccountsTotal int
	AccountsDone  int // finished, whatever the outcome
	Calls         int64
	Rows          int64
	ThrottleWaits int
	ThrottleWait  time.Duration
	Accounts      []AccountProgress
}

// RunResult is the final Progress of a run.
type RunResult = Progress

// Duration is how long the run took, or has been running at now.
func (p Progress) Duration(now time.Time) time.Duration {
	if p.FinishedAt.IsZero() {
		return now.Sub(p.StartedAt)
	}
	return p.FinishedAt.Sub(p.StartedAt)
}

// Failed lists the accounts that failed.
func (p Progress) Failed() []AccountProgress {
	var out []AccountProgress
	for _, a := range p.Accounts {
		if a.Status == store.RunFailed {
			out = append(out, a)
		}
	}
	return out
}

// AccountProgress is one ad account's part of a run.
type AccountProgress struct {
	AccountID     string // Meta's numeric id, without act_
	Name          string
	Status        string // store.RunPending, RunRunning, RunSucceeded, RunFailed, RunCancelled
	Step          string // e.g. "campaigns", "insights adset 2026-10-01..2026-10-28 page 3"
	Plan          string // e.g. "incremental 2026-10-01..2026-10-29 in 1 window(s)"
	Since, Until  string // the span of the plan
	Rows          int64  // rows stored (committed windows)
	Calls         int64  // Graph API HTTP attempts
	ThrottleWaits int    // pacing pauses and throttling retries
	ThrottleWait  time.Duration
	Retries       int    // retries of transient failures (not throttling)
	LastWait      string // the reason of the latest wait
	Error         string // what went wrong, as Meta said it
	Advice        string // what a person should do about it
	ErrorCode     int    // Meta's error code, 0 when none
	StartedAt     time.Time
	FinishedAt    time.Time
}

// ActID is the id as Meta writes it, act_<id>.
func (a AccountProgress) ActID() string { return "act_" + a.AccountID }

// run is one pass in progress.
type run struct {
	s      *Service
	id     int64
	req    Request
	client *graph.Client
	done   chan struct{} // closed when the run is recorded finished

	mu       sync.Mutex
	p        Progress // run-level fields; Accounts are built from states
	accounts []*acctState
	byID     map[string]*acctState
}

// acctState is one account's live state; its fields are guarded by run.mu.
type acctState struct {
	acct store.AdAccount
	p    AccountProgress
	page int             // page of the current paged request, 0 when none
	lctx context.Context // carries the log attributes run_id and account
}

// begin starts a run, or returns the one in progress (running=true).
func (s *Service) begin(ctx context.Context, req Request) (r *run, running bool, err error) {
	if err := req.validate(); err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != nil {
		return s.current, true, nil
	}
	if s.base.Err() != nil {
		return nil, false, errors.New("collector: stopped")
	}
	accts, err := s.resolve(ctx, req)
	if err != nil {
		return nil, false, err
	}
	r = &run{s: s, req: req, done: make(chan struct{}), byID: map[string]*acctState{}}
	r.client, err = graph.New(graph.Config{
		BaseURL: s.cfg.GraphURL, Version: s.cfg.APIVersion, Token: "", HTTP: s.cfg.HTTP,
		Timeout: s.cfg.RequestTimeout, Now: s.cfg.Now, Logger: s.log, AppVersion: s.cfg.AppVersion,
		Retrier: s.cfg.Retry.retrier(),
		Hooks: graph.Hooks{
			BeforeRequest: r.beforeRequest,
			AfterResponse: r.afterResponse,
			OnRetry:       r.onRetry,
		},
	})
	if err != nil {
		return nil, false, fmt.Errorf("collector: %w", err)
	}
	ids := make([]string, len(accts))
	for i, a := range accts {
		ids[i] = a.ID
	}
	rec, err := s.db.CreateRun(ctx, store.NewRun{Trigger: req.Trigger, StartedBy: req.StartedBy, ClientID: req.ClientID,
		AccountIDs: normalizedIDs(req.AccountIDs), Since: req.Since, Until: req.Until, APIVersion: r.client.Version(), Pending: ids})
	if err != nil {
		return nil, false, err
	}
	r.id = rec.ID
	r.p = Progress{RunID: rec.ID, Trigger: req.Trigger, StartedBy: req.StartedBy, Status: store.RunRunning,
		APIVersion: r.client.Version(), StartedAt: rec.StartedAt, AccountsTotal: len(accts)}
	for _, a := range accts {
		st := &acctState{acct: a, p: AccountProgress{AccountID: a.ID, Name: a.Name, Status: store.RunPending}}
		st.lctx = withLogAttrs(context.Background(), slog.Int64("run_id", r.id), slog.String("account", a.ActID()))
		r.accounts = append(r.accounts, st)
		r.byID[a.ID] = st
	}
	s.current = r
	s.passes.Add(1)
	return r, false, nil
}

func normalizedIDs(ids []string) []string {
	var out []string
	for _, id := range ids {
		if n, err := store.NormalizeAccountID(id); err == nil && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// resolve lists the accounts a request covers.
func (s *Service) resolve(ctx context.Context, req Request) ([]store.AdAccount, error) {
	if len(req.AccountIDs) == 0 {
		if req.ClientID != 0 {
			if _, err := s.db.ClientByID(ctx, req.ClientID); errors.Is(err, store.ErrNotFound) {
				return nil, badRequest("there is no client with id %d", req.ClientID)
			}
		}
		return s.db.AdAccounts(ctx, req.ClientID)
	}
	var out []store.AdAccount
	for _, raw := range req.AccountIDs {
		id, err := store.NormalizeAccountID(raw)
		if err != nil {
			return nil, badRequest("%v", err)
		}
		if slices.ContainsFunc(out, func(a store.AdAccount) bool { return a.ID == id }) {
			continue
		}
		a, err := s.db.AdAccount(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, badRequest("ad account act_%s is not attached to any client; add it first (leadlens clients add … --ad-account act_%s)", id, id)
		}
		if err != nil {
			return nil, err
		}
		if req.ClientID != 0 && a.ClientID != req.ClientID {
			return nil, badRequest("ad account act_%s does not belong to the chosen client", id)
		}
		out = append(out, a)
	}
	return out, nil
}

// execute runs the accounts of r, a few at a time, and records the outcome.
func (s *Service) execute(parent context.Context, r *run) {
	defer s.passes.Done()
	// Deferred, so that even a panic (recovered by cron's wrapper) does not leave the service
	// believing a run is in progress forever.
	defer func() {
		s.mu.Lock()
		s.current, s.last = nil, r
		s.mu.Unlock()
		close(r.done)
	}()
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	defer context.AfterFunc(s.base, cancel)()
	ctx = withLogAttrs(ctx, slog.Int64("run_id", r.id))
	s.log.InfoContext(ctx, "collector: run started", "trigger", r.req.Trigger, "accounts", len(r.accounts),
		"since", r.req.Since, "until", r.req.Until)

	work := make(chan *acctState)
	var wg sync.WaitGroup
	for range min(s.cfg.Concurrency, len(r.accounts)) {
		wg.Go(func() {
			for st := range work {
				s.collectAccount(ctx, r, st)
			}
		})
	}
feed:
	for _, st := range r.accounts {
		select {
		case work <- st:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()

	p := r.finish(s.cfg.Now())
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer fcancel()
	for _, st := range r.accounts {
		if st.p.Status == store.RunCancelled {
			r.persist(fctx, st)
		}
	}
	if err := s.db.FinishRun(fctx, r.id, store.RunTotals{Status: p.Status, GraphCalls: p.Calls, RowsWritten: p.Rows,
		ThrottleWaitMS: p.ThrottleWait.Milliseconds(), Error: p.Error}); err != nil {
		s.log.ErrorContext(ctx, "collector: cannot record the end of the run", "err", err)
	}
	d := p.Duration(p.FinishedAt)
	s.obs.RunFinished(p.Status, d)
	level := slog.LevelInfo
	if p.Status != store.RunSucceeded {
		level = slog.LevelWarn
	}
	s.log.Log(ctx, level, "collector: run finished", "status", p.Status, "accounts", p.AccountsTotal,
		"rows", p.Rows, "calls", p.Calls, "throttle_waits", p.ThrottleWaits, "duration", d.Round(time.Millisecond), "error", p.Error)
}

// finish settles the run's status from its accounts: cancelled when the pass was stopped
// before every account was read, succeeded when every account succeeded, failed when none
// did, partial otherwise.
func (r *run) finish(now time.Time) Progress {
	r.mu.Lock()
	ok, failed, cancelled := 0, []string{}, false
	for _, st := range r.accounts {
		switch st.p.Status {
		case store.RunPending, store.RunRunning:
			st.p.Status = store.RunCancelled
			st.p.FinishedAt = now
			cancelled = true
		case store.RunCancelled:
			cancelled = true
		case store.RunSucceeded:
			ok++
		case store.RunFailed:
			failed = append(failed, st.p.ActID()+": "+st.p.Error)
		}
	}
	switch {
	case cancelled:
		r.p.Status, r.p.Error = store.RunCancelled, "cancelled before every account was read"
	case len(failed) == 0:
		r.p.Status = store.RunSucceeded
	case ok == 0:
		r.p.Status = store.RunFailed
	default:
		r.p.Status = store.RunPartial
	}
	if len(failed) > 0 {
		msg := fmt.Sprintf("%d of %d accounts failed: %s", len(failed), len(r.accounts), strings.Join(failed, "; "))
		if r.p.Error != "" {
			msg = r.p.Error + "; " + msg
		}
		r.p.Error = truncate(msg, 2000)
	}
	r.p.FinishedAt = now
	r.mu.Unlock()
	return r.snapshot()
}

// snapshot copies the run's progress.
func (r *run) snapshot() Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.p
	p.Accounts = make([]AccountProgress, len(r.accounts))
	// r.p.Calls holds the calls not tied to an account; the rest is summed from the accounts.
	p.Calls, p.Rows, p.ThrottleWaits, p.ThrottleWait, p.AccountsDone = r.p.Calls, 0, 0, 0, 0
	for i, st := range r.accounts {
		a := st.p
		if st.page > 0 && a.Status == store.RunRunning {
			a.Step = fmt.Sprintf("%s page %d", a.Step, st.page)
		}
		p.Accounts[i] = a
		p.Calls += a.Calls
		p.Rows += a.Rows
		p.ThrottleWaits += a.ThrottleWaits
		p.ThrottleWait += a.ThrottleWait
		switch a.Status {
		case store.RunSucceeded, store.RunFailed, store.RunCancelled:
			p.AccountsDone++
		}
	}
	return p
}

// update changes an account's progress under the lock.
func (r *run) update(st *acctState, fn func(p *AccountProgress)) {
	r.mu.Lock()
	fn(&st.p)
	r.mu.Unlock()
}

// persist writes an account's progress to run_accounts (at step boundaries, not per row).
func (r *run) persist(ctx context.Context, st *acctState) {
	r.mu.Lock()
	p := st.p
	r.mu.Unlock()
	err := r.s.db.UpdateRunAccount(ctx, store.RunAccount{RunID: r.id, AccountID: p.AccountID, Status: p.Status,
		Step: p.Step, Since: p.Since, Until: p.Until, GraphCalls: p.Calls, RowsWritten: p.Rows,
		ThrottleWaitMS: p.ThrottleWait.Milliseconds(), Error: p.Error, ErrorCode: p.ErrorCode, Advice: p.Advice,
		StartedAt: p.StartedAt, FinishedAt: p.FinishedAt})
	if err != nil {
		r.s.log.WarnContext(st.lctx, "collector: cannot record progress", "err", err)
	}
}

// state returns the account's state, nil for calls not tied to one of the run's accounts.
func (r *run) state(accountID string) *acctState { return r.byID[accountID] }

// Current returns the live progress of the run in progress, if any.
func (s *Service) Current() (Progress, bool) {
	s.mu.Lock()
	r := s.current
	s.mu.Unlock()
	if r == nil {
		return Progress{}, false
	}
	return r.snapshot(), true
}

// Progress returns a run's progress: live for the run in progress, from memory for the latest
// finished one, else as recorded in the store (per-account figures as last persisted).
func (s *Service) Progress(runID int64) (Progress, bool) {
	s.mu.Lock()
	cur, last := s.current, s.last
	s.mu.Unlock()
	for _, r := range []*run{cur, last} {
		if r != nil && r.id == runID {
			return r.snapshot(), true
		}
	}
	rec, err := s.db.RunByID(context.Background(), runID)
	if err != nil {
		return Progress{}, false
	}
	return fromRecord(rec), true
}

func fromRecord(rec store.Run) Progress {
	p := Progress{RunID: rec.ID, Trigger: rec.Trigger, StartedBy: rec.StartedBy, Status: rec.Status, Error: rec.Error,
		APIVersion: rec.APIVersion, StartedAt: rec.StartedAt, FinishedAt: rec.FinishedAt, AccountsTotal: len(rec.Accounts),
		Calls: rec.GraphCalls, Rows: rec.RowsWritten, ThrottleWait: time.Duration(rec.ThrottleWaitMS) * time.Millisecond}
	for _, a := range rec.Accounts {
		ap := AccountProgress{AccountID: a.AccountID, Status: a.Status, Step: a.Step, Since: a.Since, Until: a.Until,
			Rows: a.RowsWritten, Calls: a.GraphCalls, ThrottleWait: time.Duration(a.ThrottleWaitMS) * time.Millisecond,
			Error: a.Error, Advice: a.Advice, ErrorCode: a.ErrorCode, StartedAt: a.StartedAt, FinishedAt: a.FinishedAt}
		switch a.Status {
		case store.RunSucceeded, store.RunFailed, store.RunCancelled:
			p.AccountsDone++
		}
		p.Accounts = append(p.Accounts, ap)
	}
	return p
}

// Run performs one pass and returns when it is over. While another run is in progress it
// returns that run's progress with ErrRunInProgress. A pass cancelled by ctx (or Stop) is
// recorded cancelled and returns its result with a nil error: the result says what happened.
func (s *Service) Run(ctx context.Context, req Request) (RunResult, error) {
	r, running, err := s.begin(ctx, req)
	if err != nil {
		return RunResult{}, err
	}
	if running {
		return r.snapshot(), ErrRunInProgress
	}
	s.execute(ctx, r)
	return r.snapshot(), nil
}

// Trigger starts a pass in the background (the admin's "refresh now") and returns its id; while
// another run is in progress it returns that run's id with alreadyRunning. The pass outlives
// ctx (a web request); Stop cancels it.
func (s *Service) Trigger(ctx context.Context, req Request) (runID int64, alreadyRunning bool, err error) {
	r, running, err := s.begin(ctx, req)
	if err != nil {
		return 0, false, err
	}
	if !running {
		go s.execute(s.base, r)
	}
	return r.id, running, nil
}

// Wait blocks until run runID (the current or a finished one) has finished, or ctx ends.
func (s *Service) Wait(ctx context.Context, runID int64) error {
	s.mu.Lock()
	r := s.current
	s.mu.Unlock()
	if r == nil || r.id != runID {
		return nil
	}
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
