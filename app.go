package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/leadlens/leadlens/backup"
	"github.com/leadlens/leadlens/collector"
	"github.com/leadlens/leadlens/events"
	"github.com/leadlens/leadlens/forward"
	"github.com/leadlens/leadlens/handlers"
	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
)

// app is the running product: everything `serve` and `demo` wire together.
type app struct {
	cfg config
	log *slog.Logger
	now func() time.Time
	db  *store.DB
	box *secret.Box
	// lock is the database's lock, held from before it is opened until after it is closed:
	// one server per database, and restore/migrate refuse while it is held.
	lock *store.Lock
	out  io.Writer // where the URL and first-run hints are printed
	// events is the event API's group-commit writer; closed after the HTTP server stops.
	events *events.Batcher
	// forwarder sends the outbox to Meta; stopped last, after its batch in flight.
	forwarder *forward.Forwarder
	// collector runs collection passes: on LEADLENS_SCHEDULE, and on demand.
	collector *collector.Service
	// backups makes scheduled backups (LEADLENS_BACKUP_SCHEDULE; nothing when it is empty).
	backups *backup.Scheduler
	// metrics is /metrics: the HTTP layer's, the collector's and the forwarder's counters.
	metrics *handlers.Metrics
	// onListening, when set, runs once the server listens, before serve waits for shutdown
	// (the demo's first collection, so /healthz answers during it).
	onListening func(ctx context.Context, url string)
}

// openApp takes the database's lock, opens the database (migrating it) and the secret box.
// Everything a person can get wrong is checked before the database is touched.
func openApp(ctx context.Context, cfg config, stdout, stderr io.Writer) (*app, error) {
	log := newLogger(&cfg, stderr)
	if err := dbDirExists(cfg.DB); err != nil {
		return nil, err
	}
	box, err := openBox(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.BackupSchedule != "" {
		if err := backup.PrepareDir(cfg.BackupDir); err != nil {
			return nil, err
		}
	}
	lock, err := store.LockDatabase(cfg.DB, "serve")
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, cfg.DB, store.Options{})
	if err != nil {
		lock.Release()
		return nil, err
	}
	a := &app{cfg: cfg, log: log, now: time.Now, db: db, box: box, lock: lock, out: stdout}
	a.events = events.NewBatcher(db, events.BatcherOptions{Log: log})
	fail := func(err error) (*app, error) {
		_ = a.events.Close(context.Background())
		db.Close()
		lock.Release()
		return nil, err
	}
	// Before the collector and the forwarder: they report to it (admin_wiring.go).
	a.metrics = handlers.NewMetrics(db, a.now, log)
	// A batch in flight at shutdown gets half the shutdown budget; the rest stays queued.
	a.forwarder, err = forward.New(forward.Config{Store: db, Box: box, GraphURL: cfg.GraphURL,
		APIVersion: cfg.APIVersion, Now: a.now, Log: log.With(slog.String("component", "forward")),
		AppVersion: version, Grace: cfg.ShutdownTimeout / 2, Observer: forwardObserver(a.metrics)})
	if err != nil {
		return fail(err)
	}
	if a.collector, err = newCollector(cfg, db, box, log, cfg.Schedule, a.metrics); err != nil {
		return fail(err)
	}
	a.backups, err = backup.New(backup.Config{Store: db, Dir: cfg.BackupDir, Keep: cfg.BackupKeep, Schedule: cfg.BackupSchedule,
		Log: log.With(slog.String("component", "backup")), Now: a.now})
	if err != nil {
		return fail(err)
	}
	return a, nil
}

// openBox builds the token sealer from LEADLENS_SECRET, or from the key file (LEADLENS_KEY_FILE,
// by default beside the database). A key file problem is one line naming the setting and the fix.
func openBox(cfg config) (*secret.Box, error) {
	if cfg.Secret != "" {
		return secret.NewBox(cfg.Secret)
	}
	box, err := secret.LoadOrCreateKeyFile(cfg.KeyFile)
	var kf *secret.KeyFileError
	if errors.As(err, &kf) {
		return nil, fmt.Errorf("LEADLENS_KEY_FILE %s %s; %s", kf.Path, kf.Problem, kf.Fix)
	}
	return box, err
}

func (a *app) close() {
	// Normally already closed by serve; closing again is a no-op. Events go before the database.
	if err := a.events.Close(context.Background()); err != nil {
		a.log.Error("closing the event writer", slog.Any("err", err))
	}
	if err := a.db.Close(); err != nil {
		a.log.Error("closing the database", slog.Any("err", err))
	}
	// Only with the database closed may another server (or a restore) have it.
	if err := a.lock.Release(); err != nil {
		a.log.Error("releasing the database lock", slog.Any("err", err))
	}
}

// handler builds the HTTP layer.
func (a *app) handler() *handlers.Handler {
	return handlers.New(handlers.Deps{
		Store:   a.db,
		Log:     a.log,
		Now:     a.now,
		Version: version,
		Events:  a.events,
		// Forwarding admin page: the forwarder's version rule and wake-up, the token sealer,
		// the event-name table.
		Forwarding:      a.forwarder,
		Sealer:          a.box,
		ForwardingNames: forwardingNames(),
		// Admin console: "refresh now" and its progress, Meta connection tests, /metrics.
		Refresher:  refresher{a.collector},
		MetaTester: a.metaTester(),
		Metrics:    a.metrics,
		Config: handlers.Config{
			MaxBodyBytes:  a.cfg.MaxBodyBytes,
			SecureCookies: a.cfg.secureCookies(),
			TrustProxy:    a.cfg.TrustProxy,
			BaseURL:       a.cfg.BaseURL,
			APIVersion:    a.cfg.APIVersion,
			GraphURL:      a.cfg.GraphURL,
			MetricsToken:  a.cfg.MetricsToken,
			EnvTokenSet:   a.cfg.AccessToken != "",
			LookbackDays:  a.cfg.LookbackDays,
			// /admin lists the latest backups and says how they are scheduled.
			BackupSchedule: a.cfg.BackupSchedule,
			BackupDir:      a.cfg.BackupDir,
			BackupKeep:     a.cfg.BackupKeep,
		},
	})
}

// serve listens on cfg.Addr and serves until ctx ends, then shuts down in order: the HTTP
// server (finishing in-flight requests, bounded), then background work.
func (a *app) serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("LEADLENS_ADDR %q: cannot listen (%v); choose a free port, or stop the program that uses it", a.cfg.Addr, errors.Unwrap(err))
	}
	h := a.handler()
	srv := &http.Server{
		Handler:           h.Routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	url := "http://" + displayAddr(ln.Addr())
	fmt.Fprintf(a.out, "Leadlens %s listening on %s\n", version, url)
	if n, err := a.db.CountUsers(ctx); err == nil && n == 0 {
		fmt.Fprintf(a.out, "No users yet. Create the first admin:\n  leadlens users add --db %s --email you@example.com --role admin\n", a.cfg.DB)
	}
	a.log.Info("listening", slog.String("url", url), slog.String("db", a.cfg.DB))
	// The collector settles what a dead process left (staging, 'running' runs), then schedules.
	if err := a.collector.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	defer func() { // after an early return; on shutdown it was stopped in order below
		c, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
		defer cancel()
		a.stopCollector(c)
		a.stopBackups(c)
	}()
	if err := a.backups.Start(); err != nil {
		ln.Close()
		return err
	}

	// The forwarder runs on its own context so that shutdown stops it last (STYLE habit 1).
	fctx, stopForwarder := context.WithCancel(context.WithoutCancel(ctx))
	forwarderDone := make(chan struct{})
	go func() { defer close(forwarderDone); a.forwarder.Run(fctx) }()
	defer func() { stopForwarder(); <-forwarderDone }() // Run returns within its grace

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if a.onListening != nil {
		a.onListening(ctx, url)
	}
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		a.log.Warn("http shutdown did not finish in time", slog.Any("err", err))
	}
	// Then the collector: the pass in progress is cancelled, its open windows aborted and its
	// run recorded cancelled, before the process goes. A backup in progress ends too (its
	// temporary file removed, recorded failed); it only reads, so its place in the order is
	// only that it ends before the database closes.
	a.stopCollector(sctx)
	a.stopBackups(sctx)
	// Only now, with no request left to accept, flush the event writer: every event a bot was
	// (or is about to be) answered 200 for is committed before the process ends.
	if err := a.events.Close(sctx); err != nil {
		a.log.Error("event writer did not finish in time", slog.Any("err", err))
	}
	// Last, the forwarder: it starts no new request and records the batch in flight; what it
	// did not send stays in the outbox for the next start.
	stopForwarder()
	select {
	case <-forwarderDone:
	case <-sctx.Done():
		a.log.Error("event forwarder did not finish in time; unsent events stay queued")
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	a.log.Info("stopped")
	return nil
}

// stopBackups ends the backup schedule and a backup in progress.
func (a *app) stopBackups(ctx context.Context) {
	if err := a.backups.Stop(ctx); err != nil {
		a.log.Error("backup did not stop in time", slog.Any("err", err))
	}
}

// displayAddr turns a listener address into something a browser can open.
func displayAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() {
		if ok {
			return fmt.Sprintf("localhost:%d", tcp.Port)
		}
		return addr.String()
	}
	return addr.String()
}
