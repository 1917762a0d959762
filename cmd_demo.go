package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// cmdDemo runs the whole product against the built-in simulated Graph API.
func cmdDemo(ctx context.Context, e env) error {
	var cfg config
	fs := newFlagSet("demo", e.stderr)
	finish := registerCommon(fs, e.getenv, &cfg)
	dbSet := e.getenv("LEADLENS_DB") != ""
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if !dbSet && !flagGiven(fs, "db") {
		dir, err := os.MkdirTemp("", "leadlens-demo-")
		if err != nil {
			return fmt.Errorf("demo: temporary directory: %w", err)
		}
		defer os.RemoveAll(dir)
		cfg.DB = filepath.Join(dir, "leadlens.db")
		cfg.KeyFile = ""
	}
	if err := finish(); err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, e.stdout, e.stderr)
	if err != nil {
		return err
	}
	defer a.close()
	fmt.Fprintf(e.stdout, "Leadlens demo: database %s\n", cfg.DB)
	return a.serve(ctx)
}
