package main

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/leadlens/leadlens/backup"
	"github.com/leadlens/leadlens/store"
)

// cmdBackup makes a consistent copy of the database, beside a running server or not, checks it
// and records it in the database (so the admin page lists it).
func cmdBackup(ctx context.Context, e env) error {
	var cfg config
	fs := newFlagSet("backup", e.stderr)
	finish := registerCommon(fs, e.getenv, &cfg)
	to := fs.String("to", "", "the backup file to write; default: a new leadlens-<UTC time>.db in LEADLENS_BACKUP_DIR")
	force := fs.Bool("force", false, "replace the file named by --to if it exists")
	compact := fs.Bool("compact", false, "write a compacted copy (VACUUM INTO): smaller, several times slower")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if err := finish(); err != nil {
		return err
	}
	if err := dbDirExists(cfg.DB); err != nil {
		return err
	}
	if _, err := os.Stat(cfg.DB); err != nil {
		return fmt.Errorf("LEADLENS_DB %s does not exist: there is nothing to back up; check the path", cfg.DB)
	}
	dest := *to
	if dest == "" {
		if err := backup.PrepareDir(cfg.BackupDir); err != nil {
			return err
		}
		dest = filepath.Join(cfg.BackupDir, backup.FileName(time.Now()))
	} else if fi, err := os.Stat(filepath.Dir(dest)); err != nil || !fi.IsDir() {
		return usagef("--to %s: directory %s does not exist; create it or choose another file", dest, filepath.Dir(dest))
	}
	// NoMigrate: a backup is what one takes before an upgrade, so it must not upgrade anything.
	db, err := store.Open(ctx, cfg.DB, store.Options{NoMigrate: true})
	if err != nil {
		return err
	}
	defer db.Close()
	rec, err := db.Backup(ctx, dest, store.BackupOptions{Trigger: store.BackupTriggerCLI, Overwrite: *force, Compact: *compact})
	if errors.Is(err, iofs.ErrExist) {
		return fmt.Errorf("backup: %s already exists; choose another file, or pass --force to replace it", rec.Path)
	}
	if err != nil && rec.Status == store.BackupSucceeded {
		// The copy is in place and checked; only its record (what /admin lists) is missing.
		return fmt.Errorf("backed up to %s (copy checked), but could not record it in the database, so /admin and doctor will not list it: %w", rec.Path, err)
	}
	if err != nil {
		return fmt.Errorf("backup failed (nothing was written to %s): %w", rec.Path, err)
	}
	fmt.Fprintf(e.stdout, "Backed up %s to %s\n  %s, schema version %d, integrity check ok, in %s\n",
		cfg.DB, rec.Path, humanBytes(rec.SizeBytes), rec.SchemaVersion, rec.Duration().Round(time.Millisecond))
	fmt.Fprintf(e.stdout, "Keep the key with it: stored Meta tokens open only with %s.\n", keyDescription(cfg))
	return nil
}

// cmdRestore puts a backup in place of the database, keeping the one it replaces.
func cmdRestore(ctx context.Context, e env) error {
	var cfg config
	fs := newFlagSet("restore", e.stderr)
	finish := registerCommon(fs, e.getenv, &cfg)
	from := fs.String("from", "", "the backup file to restore (required)")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if *from == "" {
		return usagef("restore: --from is required: the backup file to restore (e.g. --from /var/lib/leadlens/backups/leadlens-20260102T033000Z.db)")
	}
	if err := finish(); err != nil {
		return err
	}
	if err := dbDirExists(cfg.DB); err != nil {
		return err
	}
	res, err := store.Restore(ctx, *from, cfg.DB, store.RestoreOptions{})
	if err != nil {
		if res.FromVersion == 0 {
			return fmt.Errorf("restore refused: %w", err)
		}
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(e.stdout, "Restored %s into %s (schema version %d)\n", *from, cfg.DB, res.FromVersion)
	if res.Replaced != "" {
		fmt.Fprintf(e.stdout, "The database it replaced is kept as %s\n", res.Replaced)
	}
	if len(res.Migrated) > 0 {
		names := make([]string, len(res.Migrated))
		for i, m := range res.Migrated {
			names[i] = filepath.Base(m.Name)
		}
		fmt.Fprintf(e.stdout, "The backup was made by an older Leadlens: migrated it from schema version %d to %d (%s)\n",
			res.FromVersion, res.ToVersion, strings.Join(names, ", "))
	}
	fmt.Fprintf(e.stdout, "Stored Meta tokens open only with the key they were sealed with (%s); `leadlens doctor` checks it.\n", keyDescription(cfg))
	return nil
}

// keyDescription says where this configuration's sealing key is.
func keyDescription(cfg config) string {
	if cfg.Secret != "" {
		return "LEADLENS_SECRET"
	}
	return "the key file " + cfg.KeyFile
}

// humanBytes renders a size for people: 512 B, 3.4 MB, 1.2 GB.
func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
