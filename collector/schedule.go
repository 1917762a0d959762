package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/robfig/cron/v3"

	"github.com/leadlens/leadlens/internal/cronjob"
	"github.com/leadlens/leadlens/store"
)

// DefaultSchedule is LEADLENS_SCHEDULE's default: every three hours at 17 minutes past, off
// the round hours when every other integration calls Meta.
const DefaultSchedule = "17 */3 * * *"

// ValidateSchedule checks a cron spec (five fields, or a descriptor such as @hourly) and says
// how to fix it.
func ValidateSchedule(spec string) error {
	if _, err := cron.ParseStandard(spec); err != nil {
		return fmt.Errorf("LEADLENS_SCHEDULE %q is not a cron schedule (%v); write five fields, minute hour day month weekday, e.g. %q for every three hours, or @hourly",
			spec, err, DefaultSchedule)
	}
	return nil
}

// Start prepares the store for passes — staging left by a process that died mid-pass is
// dropped and runs it left 'running' are recorded cancelled — then schedules passes on
// Config.Schedule (nothing when it is empty). Call it once, before any pass runs.
func (s *Service) Start(ctx context.Context) error {
	if n, err := s.db.CleanStaleLoads(ctx); err != nil {
		return err
	} else if n > 0 {
		s.log.InfoContext(ctx, "collector: dropped staged rows of an interrupted pass", "rows", n)
	}
	if n, err := s.db.MarkInterruptedRuns(ctx); err != nil {
		return err
	} else if n > 0 {
		s.log.WarnContext(ctx, "collector: runs interrupted by a stop of the process marked cancelled", "runs", n)
	}
	if s.cfg.Schedule == "" {
		return nil
	}
	c, err := cronjob.New(s.cfg.Schedule, cronjob.Logging{Log: s.log, Prefix: "cron: ",
		Skip: "collector: scheduled run skipped: the previous one is still running", SkipLevel: slog.LevelInfo}, s.scheduled)
	if err != nil {
		return ValidateSchedule(s.cfg.Schedule)
	}
	s.mu.Lock()
	if s.cron != nil {
		s.mu.Unlock()
		return errors.New("collector: already started")
	}
	s.cron = c
	s.mu.Unlock()
	c.Start()
	s.log.InfoContext(ctx, "collector: schedule started", "schedule", s.cfg.Schedule)
	return nil
}

// scheduled is the cron job: one pass of every account. A run already in progress (a manual
// one) makes it skip this tick.
func (s *Service) scheduled() {
	res, err := s.Run(s.base, Request{Trigger: store.TriggerSchedule, StartedBy: "schedule"})
	switch {
	case errors.Is(err, ErrRunInProgress):
		s.log.Info("collector: scheduled run skipped: another run is in progress", "run_id", res.RunID)
	case err != nil:
		s.log.Error("collector: scheduled run could not start", "err", err)
	}
}

// Stop ends the schedule, cancels the pass in progress (its open windows are aborted and it is
// recorded cancelled) and waits for it, or for ctx to end.
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	c := s.cron
	s.cron = nil
	s.mu.Unlock()
	if err := cronjob.Stop(ctx, c, s.cancel, &s.passes); err != nil {
		return fmt.Errorf("collector: the run in progress did not stop in time: %w", err)
	}
	return nil
}
