package main

import (
	"context"
	"fmt"

	"github.com/leadlens/leadlens/store"
)

// cmdServe runs the dashboard, the event API and the scheduled collector.
func cmdServe(ctx context.Context, e env) error {
	var cfg config
	fs := newFlagSet("serve", e.stderr)
	finish := registerCommon(fs, e.getenv, &cfg)
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if err := finish(); err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, e.stdout, e.stderr)
	if err != nil {
		return err
	}
	defer a.close()
	return a.serve(ctx)
}

// cmdMigrate applies pending schema migrations and reports what it did.
func cmdMigrate(ctx context.Context, e env) error {
	var cfg config
	fs := newFlagSet("migrate", e.stderr)
	finish := registerCommon(fs, e.getenv, &cfg)
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if err := finish(); err != nil {
		return err
	}
	if err := dbDirExists(cfg.DB); err != nil {
		return err
	}
	// Never under a running server: a newer binary's schema would change beneath the older one.
	lock, err := store.LockDatabase(cfg.DB, "migrate")
	if err != nil {
		return err
	}
	defer lock.Release()
	db, err := store.Open(ctx, cfg.DB, store.Options{NoMigrate: true})
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	cur, _, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(e.stdout, "%s: schema is up to date (version %d)\n", cfg.DB, cur)
		return nil
	}
	for _, m := range applied {
		fmt.Fprintf(e.stdout, "applied %s\n", m.Name)
	}
	fmt.Fprintf(e.stdout, "%s: schema now at version %d\n", cfg.DB, cur)
	return nil
}
