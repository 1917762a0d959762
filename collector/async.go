package collector

import (
	"context"
	"fmt"
	"time"

	"github.com/leadlens/leadlens/collector/graph"
)

// async reads one level of one window through an async report job: submit, poll the status
// with a growing interval (bounded by Async.MaxWait), then stream the results into b. A job
// that ends Failed or Skipped (expired) is submitted once more; a second such end fails the
// account. Results are read only after the status said Job Completed: reading earlier answers
// 2601, and on a failed job 2601 is not transient.
func (p *pass) async(ctx context.Context, b *batcher, level string, w Window) error {
	q := graph.InsightsQuery{Level: graph.Level(level), Since: w.SinceString(), Until: w.UntilString(), Limit: p.s.cfg.PageLimit}
	base := fmt.Sprintf("insights %s %s async job", level, w)
	var last graph.JobStatus
	for attempt := 1; attempt <= 2; attempt++ {
		p.step(ctx, base+" submitted", false)
		id, err := p.c.SubmitInsightsJob(ctx, p.id, q)
		if err != nil {
			return err
		}
		last, err = p.waitJob(ctx, id, base)
		if err != nil {
			return err
		}
		if last.Completed() {
			p.step(ctx, base+" results", false)
			return p.c.JobInsights(ctx, id, b.add(ctx, level))
		}
		p.s.log.WarnContext(ctx, "collector: async report job ended without results", "job", id, "status", last.Status,
			"level", level, "window", w.String(), "attempt", attempt)
	}
	return &adviceError{
		msg: fmt.Sprintf("Meta's async report job for %s insights %s ended %q twice", level, w, last.Status),
		advice: "Meta could not build the report; run the collection again later, or collect a shorter range " +
			"(leadlens collect --since … --until …)",
	}
}

// waitJob polls a job until it completed, failed or was skipped. The first read waits
// Async.PollBase, each later one twice as long up to PollMax; after MaxWait it gives up.
func (p *pass) waitJob(ctx context.Context, id, step string) (graph.JobStatus, error) {
	pol := p.s.cfg.Async
	interval := pol.PollBase
	start := time.Now()
	for {
		if err := sleep(ctx, interval); err != nil {
			return graph.JobStatus{}, err
		}
		st, err := p.c.JobStatus(ctx, id)
		if err != nil {
			return graph.JobStatus{}, err
		}
		if st.Completed() || st.Failed() {
			return st, nil
		}
		p.step(ctx, fmt.Sprintf("%s %s %d%%", step, st.Status, st.PercentComplete), false)
		if time.Since(start) >= pol.MaxWait {
			return st, &adviceError{
				msg:    fmt.Sprintf("Meta's async report job %s did not finish within %s (last status %q, %d%%)", id, pol.MaxWait, st.Status, st.PercentComplete),
				advice: "Meta is slow to build reports right now; the next run tries again, or collect a shorter range",
			}
		}
		interval = min(interval*2, pol.PollMax)
	}
}
