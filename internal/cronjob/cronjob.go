// Package cronjob is what serve's two schedules (collection passes, backups) share: one
// function on a robfig/cron spec, a tick skipped while the previous run still goes, a panic
// recovered and logged, cron's messages in slog, and a bounded stop that waits for the run in
// progress.
package cronjob

import (
	"context"
	"log/slog"
	"sync"

	"github.com/robfig/cron/v3"
)

// Logging says how a schedule's cron talks: Prefix starts its routine and error messages
// ("cron: "), Skip (at SkipLevel) is logged when a tick is skipped because the previous run is
// still going.
type Logging struct {
	Log       *slog.Logger
	Prefix    string
	Skip      string
	SkipLevel slog.Level
}

// New returns a cron, not started, that runs fn on spec. The spec must be valid (callers
// check it first with a message of their own); the parse error is returned as is.
func New(spec string, l Logging, fn func()) (*cron.Cron, error) {
	lg := logger(l)
	c := cron.New(cron.WithLogger(lg), cron.WithChain(cron.Recover(lg), cron.SkipIfStillRunning(lg)))
	if _, err := c.AddFunc(spec, fn); err != nil {
		return nil, err
	}
	return c, nil
}

// Stop stops c (nil: nothing was scheduled), then calls cancel so the run in progress ends,
// and waits for the cron's running jobs and for runs, or for ctx. It returns ctx.Err() when
// ctx ended first.
func Stop(ctx context.Context, c *cron.Cron, cancel context.CancelFunc, runs *sync.WaitGroup) error {
	cancel()
	done := make(chan struct{})
	go func() {
		if c != nil {
			<-c.Stop().Done()
		}
		runs.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// logger sends robfig/cron's messages to slog.
type logger Logging

// Info implements cron.Logger; cron's routine chatter (wake, run, schedule) goes to debug.
func (l logger) Info(msg string, kv ...any) {
	if msg == "skip" {
		l.Log.Log(context.Background(), l.SkipLevel, l.Skip, kv...)
		return
	}
	l.Log.Debug(l.Prefix+msg, kv...)
}

// Error implements cron.Logger.
func (l logger) Error(err error, msg string, kv ...any) {
	l.Log.Error(l.Prefix+msg, append(kv, "err", err)...)
}
