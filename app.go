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
	out io.Writer // where the URL and first-run hints are printed
}

// openApp opens the database (migrating it) and the secret box.
func openApp(ctx context.Context, cfg config, stdout, stderr io.Writer) (*app, error) {
	log := newLogger(&cfg, stderr)
	if err := dbDirExists(cfg.DB); err != nil {
		return nil, err
	}
	box, err := openBox(cfg)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, cfg.DB, store.Options{})
	if err != nil {
		return nil, err
	}
	return &app{cfg: cfg, log: log, now: time.Now, db: db, box: box, out: stdout}, nil
}

// openBox builds the token sealer from LEADLENS_SECRET, or from the key file beside the database.
func openBox(cfg config) (*secret.Box, error) {
	if cfg.Secret != "" {
		return secret.NewBox(cfg.Secret)
	}
	return secret.LoadOrCreateKeyFile(cfg.KeyFile)
}

func (a *app) close() {
	if err := a.db.Close(); err != nil {
		a.log.Error("closing the database", slog.Any("err", err))
	}
}

// handler builds the HTTP layer.
func (a *app) handler() *handlers.Handler {
	return handlers.New(handlers.Deps{
		Store:   a.db,
		Log:     a.log,
		Now:     a.now,
		Version: version,
		Config: handlers.Config{
			MaxBodyBytes:  a.cfg.MaxBodyBytes,
			SecureCookies: a.cfg.secureCookies(),
			TrustProxy:    a.cfg.TrustProxy,
			BaseURL:       a.cfg.BaseURL,
			APIVersion:    a.cfg.APIVersion,
			GraphURL:      a.cfg.GraphURL,
			MetricsToken:  a.cfg.MetricsToken,
		},
	})
}

// serve listens on cfg.Addr and serves until ctx ends, then shuts down in order: the HTTP
// server (finishing in-flight requests, bounded), then background work.
func (a *app) serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("LEADLENS_ADDR %q: cannot listen: %w", a.cfg.Addr, err)
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

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
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
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	a.log.Info("stopped")
	return nil
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
