package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// RestoreOptions tune Restore.
type RestoreOptions struct {
	// Now names the replaced database (<db>.replaced-<UTC time>); nil means time.Now.
	Now func() time.Time
}

// RestoreResult says what Restore did.
type RestoreResult struct {
	// Replaced is where the database that was replaced now is; "" when there was none.
	Replaced string
	// FromVersion is the backup's schema version; ToVersion the database's after Restore
	// (higher when the backup was migrated on the way in).
	FromVersion, ToVersion int64
	// Migrated lists the migrations applied to the restored copy.
	Migrated []Migration
}

// Restore puts the backup at from in place of the database at dbPath. It refuses while a server
// (anything holding the database's lock) uses dbPath, a file that is not a Leadlens database or
// fails the integrity check, and a backup with a newer schema than this binary. The database it
// replaces is kept beside it as <db>.replaced-<UTC time> (its WAL checkpointed into it first);
// an older backup is migrated after it is in place.
//
// The order keeps a complete database at dbPath at every moment: the backup is copied and
// checked beside the database first, the old file is hard-linked to its new name, and the copy
// is renamed over dbPath in one step.
func Restore(ctx context.Context, from, dbPath string, opts RestoreOptions) (RestoreResult, error) {
	var res RestoreResult
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	lock, err := LockDatabase(dbPath, "restore")
	if err != nil {
		return res, err
	}
	defer lock.Release()
	if err := checkRestoreSource(from, dbPath); err != nil {
		return res, err
	}
	tmp, err := copyToTemp(from, dbPath)
	if err != nil {
		return res, err
	}
	placed := false
	defer func() {
		if !placed {
			removeDB(tmp)
		}
	}()
	v, err := verifyDatabaseFile(ctx, tmp, from)
	if err != nil {
		return res, err
	}
	if latest := LatestSchemaVersion(); v > latest {
		return res, &SchemaTooNewError{Path: from, Version: v, Latest: latest}
	}
	res.FromVersion, res.ToVersion = v, v
	if err := syncFile(tmp); err != nil {
		return res, fmt.Errorf("store: restore: %w", err)
	}
	if _, err := os.Stat(dbPath); err == nil {
		res.Replaced = dbPath + ".replaced-" + now().UTC().Format("20060102T150405Z")
		if err := setAside(ctx, dbPath, res.Replaced); err != nil {
			return res, err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return res, fmt.Errorf("store: restore: %w", err)
	}
	if err := os.Rename(tmp, dbPath); err != nil {
		return res, fmt.Errorf("store: restore: %w", err)
	}
	placed = true
	if err := syncDir(filepath.Dir(dbPath)); err != nil {
		return res, fmt.Errorf("store: restore: %w", err)
	}
	if v < LatestSchemaVersion() {
		db, err := Open(ctx, dbPath, Options{NoMigrate: true})
		if err != nil {
			return res, err
		}
		res.Migrated, err = db.Migrate(ctx)
		if err == nil {
			res.ToVersion, err = db.appliedVersion(ctx, db.w)
		}
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return res, fmt.Errorf("store: restore: the backup is in place, but migrating it failed: %w", err)
		}
	}
	return res, nil
}

// checkRestoreSource refuses what cannot be a backup before anything is copied.
func checkRestoreSource(from, dbPath string) error {
	fi, err := os.Stat(from)
	if err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("store: restore: %s is not a file", from)
	}
	if same, err := sameFile(from, dbPath); err == nil && same {
		return fmt.Errorf("store: restore: %s is the database itself; give a backup file", from)
	}
	// A -wal beside the file holds commits the file alone lacks: it is a live database (or a
	// copy of one taken without its WAL), not a backup made by `leadlens backup`.
	if wi, err := os.Stat(from + "-wal"); err == nil && wi.Size() > 0 {
		return fmt.Errorf("store: restore: %s has a write-ahead log beside it (%s-wal): it is a live database, not a backup; make a backup of it with leadlens backup --db %s", from, from, from)
	}
	return nil
}

func sameFile(a, b string) (bool, error) {
	ai, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	bi, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(ai, bi), nil
}

// copyToTemp copies from into a new temporary file beside dbPath (same filesystem, so the
// final rename is atomic) and returns its path. The user's file is only ever read.
func copyToTemp(from, dbPath string) (string, error) {
	in, err := os.Open(from)
	if err != nil {
		return "", fmt.Errorf("store: restore: %w", err)
	}
	defer in.Close()
	out, err := os.CreateTemp(filepath.Dir(dbPath), "."+filepath.Base(dbPath)+".restore-*.tmp")
	if err != nil {
		return "", fmt.Errorf("store: restore: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(out.Name())
		return "", fmt.Errorf("store: restore: copying %s: %w", from, err)
	}
	if err := out.Close(); err != nil {
		os.Remove(out.Name())
		return "", fmt.Errorf("store: restore: %w", err)
	}
	return out.Name(), nil
}

// setAside keeps the current database as replaced: its WAL is checkpointed into the main file
// (so the kept file is complete on its own), then the file is hard-linked to the new name while
// it stays in place, and the WAL and shared-memory files are moved out of the way, so the
// restored file never meets the old database's WAL.
func setAside(ctx context.Context, dbPath, replaced string) error {
	checkpointed := checkpoint(ctx, dbPath) == nil
	if err := os.Link(dbPath, replaced); err != nil {
		// No hard links on this filesystem: a copy does as well, only slower.
		if err := copyFile(dbPath, replaced); err != nil {
			return fmt.Errorf("store: restore: keeping the replaced database: %w", err)
		}
	}
	if wi, err := os.Stat(dbPath + "-wal"); err == nil {
		if checkpointed || wi.Size() == 0 {
			err = os.Remove(dbPath + "-wal")
		} else {
			// The checkpoint failed (a damaged file, say): the WAL goes with the file it
			// belongs to, under the name SQLite looks for beside it.
			err = os.Rename(dbPath+"-wal", replaced+"-wal")
		}
		if err != nil {
			return fmt.Errorf("store: restore: %w", err)
		}
	}
	if err := os.Remove(dbPath + "-shm"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("store: restore: %w", err)
	}
	return syncDir(filepath.Dir(dbPath))
}

// checkpoint folds the WAL of the database at path into the main file and truncates it.
func checkpoint(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return err
	}
	defer db.Close()
	var busy, logFrames, done int
	if err := db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &done); err != nil {
		return err
	}
	if busy != 0 {
		return errors.New("store: checkpoint: the database is busy")
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
