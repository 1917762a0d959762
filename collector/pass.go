package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/leadlens/leadlens/collector/graph"
	"github.com/leadlens/leadlens/store"
)

// pass reads one ad account within a run.
type pass struct {
	s      *Service
	r      *run
	st     *acctState
	c      *graph.Client // the run's client with this account's token
	id     string        // numeric account id
	levels []string
}

// collectAccount reads one account and records its outcome; it never returns an error: a
// failed account is reported in the run and the other accounts go on.
func (s *Service) collectAccount(ctx context.Context, r *run, st *acctState) {
	ctx = withLogAttrs(ctx, slog.String("account", st.acct.ActID()))
	started := s.cfg.Now()
	r.update(st, func(p *AccountProgress) {
		p.Status, p.StartedAt, p.Step = store.RunRunning, started, "starting"
	})
	r.persist(ctx, st)
	p := &pass{s: s, r: r, st: st, id: st.acct.ID, levels: store.Levels}
	err := func() (err error) {
		// A bug must cost one account, not the process: the worker goroutine is outside
		// cron's recover. Open window loads are aborted by their own defers on the way.
		defer func() {
			if v := recover(); v != nil {
				s.log.ErrorContext(ctx, "collector: panic while reading the account", "panic", v, "stack", string(debug.Stack()))
				err = &adviceError{msg: fmt.Sprintf("internal error: %v", v),
					advice: "this is a bug in Leadlens; report it with the log lines of this run"}
			}
		}()
		return p.run(ctx)
	}()
	now := s.cfg.Now()
	// Bookkeeping after a cancelled pass must still reach the store.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	switch {
	case err == nil:
		r.update(st, func(p *AccountProgress) { p.Status, p.Step, p.FinishedAt = store.RunSucceeded, "done", now })
		if rerr := s.db.RecordAccountOutcome(bctx, p.id, now, ""); rerr != nil {
			s.log.WarnContext(ctx, "collector: cannot record the account's success", "err", rerr)
		}
		s.log.InfoContext(ctx, "collector: account done", "rows", st.rows(r), "duration", now.Sub(started).Round(time.Millisecond))
	case ctx.Err() != nil:
		var step string
		r.update(st, func(p *AccountProgress) {
			step = p.Step
			p.Status, p.FinishedAt, p.Error = store.RunCancelled, now, "cancelled: the run was stopped"
		})
		s.log.InfoContext(ctx, "collector: account cancelled", "step", step)
	default:
		text, advice, code := describe(err)
		r.update(st, func(p *AccountProgress) {
			p.Status, p.FinishedAt, p.Error, p.Advice, p.ErrorCode = store.RunFailed, now, text, advice, code
		})
		if rerr := s.db.RecordAccountOutcome(bctx, p.id, now, err.Error()); rerr != nil {
			s.log.WarnContext(ctx, "collector: cannot record the account's failure", "err", rerr)
		}
		s.log.WarnContext(ctx, "collector: account failed", "err", text, "advice", advice)
	}
	r.persist(bctx, st)
}

func (st *acctState) rows(r *run) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return st.p.Rows
}

// describe splits an error into what happened, what to do (from any Advice() in its chain)
// and Meta's error code.
func describe(err error) (text, advice string, code int) {
	text = err.Error()
	var a interface{ Advice() string }
	if errors.As(err, &a) {
		advice = a.Advice()
		if advice != "" {
			text = strings.Replace(text, " — "+advice, "", 1)
		}
	}
	var ge *graph.Error
	if errors.As(err, &ge) {
		code = ge.Code
	}
	return text, advice, code
}

// step names what the account is doing now; persist writes it to the store when it is a
// boundary worth keeping.
func (p *pass) step(ctx context.Context, name string, persist bool) {
	p.r.update(p.st, func(ap *AccountProgress) { ap.Step = name })
	p.r.mu.Lock()
	p.st.page = 0
	p.r.mu.Unlock()
	if persist {
		p.r.persist(ctx, p.st)
	}
}

// run is the pass: token, account fields, objects, then every planned window.
func (p *pass) run(ctx context.Context) error {
	token, source, err := p.s.tokenFor(ctx, p.st.acct)
	if err != nil {
		return err
	}
	p.c = p.r.client.WithToken(token)
	p.s.log.DebugContext(ctx, "collector: token chosen", "source", source)

	p.step(ctx, "account", false)
	info, err := p.c.Account(ctx, p.id)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(info.TimezoneName)
	if err != nil || info.TimezoneName == "" {
		return &adviceError{msg: fmt.Sprintf("Meta reports the timezone %q for this ad account, which Leadlens does not know", info.TimezoneName),
			advice: "report it with the account id; dates cannot be placed without the account's timezone"}
	}
	if err := p.s.db.UpdateAdAccountMeta(ctx, p.id, info.Name, info.Currency, info.TimezoneName); err != nil {
		return err
	}
	p.r.update(p.st, func(ap *AccountProgress) { ap.Name = info.Name })

	if err := p.objects(ctx); err != nil {
		return err
	}

	plan, err := p.plan(ctx, Date(p.s.cfg.Now(), loc))
	if err != nil {
		return err
	}
	p.r.update(p.st, func(ap *AccountProgress) {
		ap.Plan = plan.String()
		if len(plan.Windows) > 0 {
			span := plan.Span()
			ap.Since, ap.Until = span.SinceString(), span.UntilString()
		}
	})
	p.s.log.InfoContext(ctx, "collector: plan", "plan", plan.String(), "timezone", info.TimezoneName)
	for _, w := range plan.Windows {
		if err := p.window(ctx, w); err != nil {
			return err
		}
	}
	return nil
}

// objects reads campaigns, ad sets and ads (every status) and stores them with SPEC's CTX rule.
func (p *pass) objects(ctx context.Context) error {
	var set store.ObjectSet
	p.step(ctx, "campaigns", true)
	if err := p.c.Campaigns(ctx, p.id, func(c graph.Campaign) error {
		set.Campaigns = append(set.Campaigns, store.Campaign{ID: c.ID, Name: c.Name, Objective: c.Objective,
			Status: c.Status, EffectiveStatus: c.EffectiveStatus})
		return nil
	}); err != nil {
		return err
	}
	p.step(ctx, "ad sets", false)
	if err := p.c.AdSets(ctx, p.id, func(a graph.AdSet) error {
		set.AdSets = append(set.AdSets, store.AdSet{ID: a.ID, CampaignID: a.CampaignID, Name: a.Name,
			DestinationType: a.DestinationType, OptimizationGoal: a.OptimizationGoal, Status: a.Status})
		return nil
	}); err != nil {
		return err
	}
	p.step(ctx, "ads", false)
	if err := p.c.Ads(ctx, p.id, func(a graph.Ad) error {
		set.Ads = append(set.Ads, store.Ad{ID: a.ID, AdSetID: a.AdSetID, CampaignID: a.CampaignID, Name: a.Name, Status: a.Status})
		return nil
	}); err != nil {
		return err
	}
	return p.s.db.UpsertObjects(ctx, p.id, set)
}

// plan decides the account's windows from the request and the days already stored.
func (p *pass) plan(ctx context.Context, today time.Time) (Plan, error) {
	in := PlanInput{Today: today, LookbackDays: p.s.cfg.LookbackDays, BackfillDays: p.s.cfg.BackfillDays,
		ChunkDays: p.s.cfg.ChunkDays, Since: p.r.req.Since, Until: p.r.req.Until,
		ForceBackfill: p.r.req.Trigger == store.TriggerBackfill}
	if in.Since == "" {
		days, err := p.s.db.DaysRead(ctx, p.id)
		if err != nil {
			return Plan{}, err
		}
		count := map[string]int{}
		for _, d := range days {
			count[d.Date]++
		}
		in.AnyRead = len(days) > 0
		in.Read = map[string]bool{}
		for d, n := range count {
			in.Read[d] = n >= len(p.levels)
		}
	}
	return PlanWindows(in)
}

// window reads one window at every level into one load and commits it; any failure aborts the
// load, leaving the stored window as it was.
func (p *pass) window(ctx context.Context, w Window) (err error) {
	load, err := p.s.db.BeginWindow(ctx, p.id, w.SinceString(), w.UntilString())
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			if aerr := load.Abort(); aerr != nil {
				p.s.log.WarnContext(ctx, "collector: cannot drop a staged window", "window", w.String(), "err", aerr)
			}
		}
	}()
	b := &batcher{load: load, size: p.s.cfg.BatchRows, perLevel: map[string]int{}}
	for _, lv := range p.levels {
		p.step(ctx, fmt.Sprintf("insights %s %s", lv, w), false)
		if err := p.fetch(ctx, b, lv, w); err != nil {
			return fmt.Errorf("insights %s %s: %w", lv, w, err)
		}
		if err := b.flush(ctx); err != nil {
			return err
		}
	}
	res, err := load.Commit(ctx, p.levels, p.r.id)
	if err != nil {
		return err
	}
	committed = true
	for _, lv := range p.levels {
		p.s.obs.RowsWritten(lv, b.perLevel[lv])
	}
	p.r.update(p.st, func(ap *AccountProgress) { ap.Rows += res.RowsWritten })
	p.step(ctx, "stored "+w.String(), true)
	p.s.log.InfoContext(ctx, "collector: window stored", "window", w.String(), "rows", res.RowsWritten, "replaced", res.RowsRemoved)
	return nil
}

// fetch streams one level of one window into b. Meta's "too much data" splits the window in
// halves, down to a day; a day still too large goes through an async job.
func (p *pass) fetch(ctx context.Context, b *batcher, level string, w Window) error {
	if a := p.s.cfg.Async.WindowDays; a > 0 && w.Days() > a {
		return p.async(ctx, b, level, w)
	}
	q := graph.InsightsQuery{Level: graph.Level(level), Since: w.SinceString(), Until: w.UntilString(), Limit: p.s.cfg.PageLimit}
	err := p.c.Insights(ctx, p.id, q, b.add(ctx, level))
	if graph.KindOf(err) != graph.KindDataTooLarge {
		return err
	}
	if w.Days() == 1 {
		p.s.log.InfoContext(ctx, "collector: one day is too much data for a sync request; using an async job", "level", level, "window", w.String())
		return p.async(ctx, b, level, w)
	}
	mid := addDays(w.Since, w.Days()/2-1)
	p.s.log.InfoContext(ctx, "collector: too much data; splitting the window", "level", level, "window", w.String())
	if err := p.fetch(ctx, b, level, Window{w.Since, mid}); err != nil {
		return err
	}
	return p.fetch(ctx, b, level, Window{addDays(mid, 1), w.Until})
}

// batcher stages rows in transactions of size rows, so memory stays flat however large the
// window and the single writer is never held for the length of a fetch.
type batcher struct {
	load     *store.WindowLoad
	size     int
	buf      []store.InsightRow
	perLevel map[string]int
}

func (b *batcher) add(ctx context.Context, level string) func(graph.InsightRow) error {
	return func(r graph.InsightRow) error {
		row, err := toStoreRow(level, r)
		if err != nil {
			return err
		}
		b.buf = append(b.buf, row)
		b.perLevel[level]++
		if len(b.buf) >= b.size {
			return b.flush(ctx)
		}
		return nil
	}
}

func (b *batcher) flush(ctx context.Context) error {
	if len(b.buf) == 0 {
		return nil
	}
	err := b.load.Add(ctx, b.buf)
	clear(b.buf)
	b.buf = b.buf[:0]
	return err
}

// toStoreRow turns a Graph row of a level into a stored row.
func toStoreRow(level string, r graph.InsightRow) (store.InsightRow, error) {
	row := store.InsightRow{Level: level, Date: r.DateStart, CampaignID: r.CampaignID, AdSetID: r.AdSetID,
		SpendMicros: r.SpendMicros, Impressions: r.Impressions, Clicks: r.Clicks}
	switch level {
	case store.Levels[0]:
		row.ObjectID, row.CampaignID, row.AdSetID = r.AccountID, "", ""
	case store.Levels[1]:
		row.ObjectID, row.AdSetID = r.CampaignID, ""
	default:
		row.ObjectID = r.AdSetID
	}
	if row.ObjectID == "" {
		return row, &graph.Error{Kind: graph.KindDecode, Field: level + " id",
			Message: fmt.Sprintf("an insights row of %s has no %s id", r.DateStart, level)}
	}
	if r.DateStop != r.DateStart {
		return row, &graph.Error{Kind: graph.KindDecode, Field: "date_stop",
			Message: fmt.Sprintf("row %s..%s spans more than one day although time_increment=1 was asked", r.DateStart, r.DateStop)}
	}
	if len(r.Actions) > 0 {
		row.Actions = make(map[string]int64, len(r.Actions))
		for _, a := range r.Actions {
			row.Actions[a.Type] += a.Value
		}
	}
	return row, nil
}
