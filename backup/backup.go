// Package backup runs scheduled backups of the live database inside `leadlens serve`: on a cron
// schedule (LEADLENS_BACKUP_SCHEDULE), into a directory (LEADLENS_BACKUP_DIR), keeping the
// newest N files it made (LEADLENS_BACKUP_KEEP). The copy itself, its check and its record are
// store.DB.Backup's; this package decides when, where and what to prune.
package backup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/leadlens/leadlens/internal/cronjob"
	"github.com/leadlens/leadlens/store"
)

// DefaultKeep is LEADLENS_BACKUP_KEEP's default: a week of daily backups.
const DefaultKeep = 7

// ExampleSchedule is the example every message about LEADLENS_BACKUP_SCHEDULE gives.
const ExampleSchedule = "30 3 * * *"

// fileLayout names backups by their UTC start, so names sort in time order.
const fileLayout = "20060102T150405Z"

// nameRE matches the files this package makes, and only those: pruning never touches anything
// else a person put in the directory.
var nameRE = regexp.MustCompile(`^leadlens-[0-9]{8}T[0-9]{6}Z\.db$`)

// FileName is the name of a backup started at t: leadlens-20260102T033000Z.db.
func FileName(t time.Time) string { return "leadlens-" + t.UTC().Format(fileLayout) + ".db" }

// ValidateSchedule checks a backup cron spec and says how to fix it.
func ValidateSchedule(spec string) error {
	if _, err := cron.ParseStandard(spec); err != nil {
		return fmt.Errorf("LEADLENS_BACKUP_SCHEDULE %q is not a cron schedule (%v); write five fields, minute hour day month weekday, e.g. %q for 03:30 every day, or @daily; leave it empty for no scheduled backups",
			spec, err, ExampleSchedule)
	}
	return nil
}

// PrepareDir creates the backup directory (0700: backups hold sealed tokens and people's ids)
// and checks that files can be made in it.
func PrepareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("LEADLENS_BACKUP_DIR %q cannot be created (%v); create it, writable by the user Leadlens runs as, or choose another directory", dir, errors.Unwrap(err))
	}
	f, err := os.CreateTemp(dir, ".leadlens-probe-*")
	if err != nil {
		return fmt.Errorf("LEADLENS_BACKUP_DIR %q is not writable (%v); make it writable by the user Leadlens runs as, or choose another directory", dir, errors.Unwrap(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// Prune removes the oldest backups this package named in dir beyond the newest keep, and
// returns what it removed.
func Prune(dir string, keep int) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("backup: prune: %w", err)
	}
	var ours []string
	for _, e := range entries {
		if e.Type().IsRegular() && nameRE.MatchString(e.Name()) {
			ours = append(ours, e.Name())
		}
	}
	slices.Sort(ours) // time order
	var removed []string
	for len(ours) > max(keep, 1) {
		p := filepath.Join(dir, ours[0])
		if err := os.Remove(p); err != nil {
			return removed, fmt.Errorf("backup: prune: %w", err)
		}
		removed = append(removed, p)
		ours = ours[1:]
	}
	return removed, nil
}

// Config configures a Scheduler.
type Config struct {
	Store    *store.DB
	Dir      string // where backups go; created by New
	Keep     int    // newest backups kept (DefaultKeep when 0)
	Schedule string // cron spec; "" schedules nothing
	Log      *slog.Logger
	Now      func() time.Time
}

// Scheduler makes backups on a schedule. Its methods are safe for concurrent use.
type Scheduler struct {
	cfg    Config
	base   context.Context // cancelled by Stop: a backup in progress ends
	cancel context.CancelFunc
	mu     sync.Mutex
	cron   *cron.Cron
	runs   sync.WaitGroup
}

// New checks cfg, prepares the directory and returns a Scheduler; nothing runs until Start.
func New(cfg Config) (*Scheduler, error) {
	if cfg.Store == nil {
		return nil, errors.New("backup: Config.Store is required")
	}
	if cfg.Keep <= 0 {
		cfg.Keep = DefaultKeep
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Schedule != "" {
		if err := ValidateSchedule(cfg.Schedule); err != nil {
			return nil, err
		}
		if err := PrepareDir(cfg.Dir); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Scheduler{cfg: cfg, base: ctx, cancel: cancel}, nil
}

// Start schedules backups (nothing when the schedule is empty). A tick while a backup runs is
// skipped; a panic in one is logged and recovered.
func (s *Scheduler) Start() error {
	if s.cfg.Schedule == "" {
		return nil
	}
	c, err := cronjob.New(s.cfg.Schedule, cronjob.Logging{Log: s.cfg.Log, Prefix: "backup cron: ",
		Skip: "backup: scheduled backup skipped: the previous one is still running", SkipLevel: slog.LevelWarn}, s.scheduled)
	if err != nil {
		return ValidateSchedule(s.cfg.Schedule)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cron != nil {
		return errors.New("backup: already started")
	}
	s.cron = c
	c.Start()
	s.cfg.Log.Info("backup: schedule started", "schedule", s.cfg.Schedule, "dir", s.cfg.Dir, "keep", s.cfg.Keep)
	return nil
}

func (s *Scheduler) scheduled() {
	if _, err := s.Run(s.base); err != nil {
		s.cfg.Log.Error("backup: scheduled backup failed", "err", err)
	}
}

// Run makes one backup into the directory now, then prunes older ones beyond Keep (only after
// a backup succeeded: a failing disk never costs the backups already made).
func (s *Scheduler) Run(ctx context.Context) (store.BackupRecord, error) {
	s.runs.Add(1)
	defer s.runs.Done()
	dest := filepath.Join(s.cfg.Dir, FileName(s.cfg.Now()))
	rec, err := s.cfg.Store.Backup(ctx, dest, store.BackupOptions{Trigger: store.BackupTriggerSchedule})
	if err != nil {
		return rec, err
	}
	s.cfg.Log.Info("backup: done", "path", rec.Path, "bytes", rec.SizeBytes, "took", rec.Duration().Round(time.Millisecond))
	removed, err := Prune(s.cfg.Dir, s.cfg.Keep)
	for _, p := range removed {
		s.cfg.Log.Info("backup: removed an old backup", "path", p, "keep", s.cfg.Keep)
	}
	return rec, err
}

// Stop ends the schedule and the backup in progress (its temporary file is removed and it is
// recorded failed), waiting for it or for ctx.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	c := s.cron
	s.cron = nil
	s.mu.Unlock()
	if err := cronjob.Stop(ctx, c, s.cancel, &s.runs); err != nil {
		return fmt.Errorf("backup: the backup in progress did not stop in time: %w", err)
	}
	return nil
}
