package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"modernc.org/sqlite"
)

// Online backups. A copy is taken on a connection of its own, never the writer: under WAL a
// reader does not block the writer, so the server keeps committing events and windows while the
// copy reads one snapshot. By default the copy is SQLite's online backup API in a single step
// (sqlite3_backup_step(-1)): every page of one read transaction, consistent, and with no restart
// when another connection writes (stepping in chunks would restart on every commit of a busy
// server and might never finish). Compact uses VACUUM INTO instead: a smaller, defragmented file,
// at several times the time and CPU (docs/benchmarks.md#backup).
//
// The copy is written to a temporary file beside the destination, turned into a self-contained
// single file (journal_mode=DELETE: no -wal to forget when it is copied elsewhere), checked
// (integrity_check, and the schema version must be the source's), fsynced, and only then renamed
// into place, so the destination is a complete, checked backup or does not exist.

// Backup triggers, recorded in the backups table.
const (
	BackupTriggerCLI      = "cli"
	BackupTriggerSchedule = "schedule"
)

// Backup statuses as recorded. (The schema also allows 'running'; Leadlens records a backup
// once it has ended, so a copy never carries a 'running' row of itself.)
const (
	BackupSucceeded = "succeeded"
	BackupFailed    = "failed"
)

// BackupOptions tune Backup.
type BackupOptions struct {
	// Trigger is recorded with the backup: BackupTriggerCLI or BackupTriggerSchedule.
	Trigger string
	// Overwrite replaces an existing file at the destination; without it Backup refuses
	// (an error wrapping fs.ErrExist).
	Overwrite bool
	// Compact writes the copy with VACUUM INTO: smaller, slower.
	Compact bool
}

// BackupRecord is one backup as recorded in the live database.
type BackupRecord struct {
	ID            int64
	Path          string
	Trigger       string
	Status        string // BackupSucceeded or BackupFailed
	SizeBytes     int64
	SchemaVersion int64
	Error         string
	StartedAt     time.Time
	FinishedAt    time.Time
}

// Duration is how long the backup took.
func (b BackupRecord) Duration() time.Duration { return b.FinishedAt.Sub(b.StartedAt) }

// Backup copies the database, as of one moment, to dest while it stays in use, checks the
// copy, and records the outcome (succeeded or failed, with the error) in the backups table.
func (db *DB) Backup(ctx context.Context, dest string, opts BackupOptions) (BackupRecord, error) {
	rec := BackupRecord{Path: dest, Trigger: opts.Trigger, StartedAt: db.now()}
	if abs, err := filepath.Abs(dest); err == nil {
		rec.Path = abs
	}
	err := db.backup(ctx, rec.Path, opts, &rec)
	rec.FinishedAt = db.now()
	rec.Status = BackupSucceeded
	if err != nil {
		rec.Status, rec.Error, rec.SizeBytes = BackupFailed, err.Error(), 0
	}
	// Recorded even when the backup failed or its context ended: the admin page shows failures.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	id, rerr := db.recordBackup(rctx, rec)
	rec.ID = id
	if err != nil {
		return rec, err
	}
	return rec, rerr
}

func (db *DB) backup(ctx context.Context, dest string, opts BackupOptions, rec *BackupRecord) error {
	if !opts.Overwrite {
		if _, err := os.Lstat(dest); err == nil {
			return fmt.Errorf("store: backup: %s already exists: %w", dest, fs.ErrExist)
		}
	}
	version, err := db.appliedVersion(ctx, db.r)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".*.tmp")
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	tmpPath := tmp.Name()
	tmp.Close() // VACUUM INTO and the backup API both accept an empty file, 0600 from CreateTemp
	ok := false
	defer func() {
		if !ok {
			removeDB(tmpPath)
		}
	}()
	if opts.Compact {
		err = db.vacuumInto(ctx, tmpPath)
	} else {
		err = db.copyPages(ctx, tmpPath)
	}
	if err != nil {
		return err
	}
	got, err := verifyDatabaseFile(ctx, tmpPath, "the copy")
	if err != nil {
		return fmt.Errorf("store: backup: the copy failed its check: %w", err)
	}
	if got != version {
		return fmt.Errorf("store: backup: the copy has schema version %d, the database %d", got, version)
	}
	if err := syncFile(tmpPath); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if !opts.Overwrite {
		// A file that appeared meanwhile (another backup to the same name) is not replaced.
		if _, err := os.Lstat(dest); err == nil {
			return fmt.Errorf("store: backup: %s already exists: %w", dest, fs.ErrExist)
		}
	}
	if err := os.Rename(tmpPath, dest); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	ok = true
	if err := syncDir(filepath.Dir(dest)); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	fi, err := os.Stat(dest)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	rec.SizeBytes, rec.SchemaVersion = fi.Size(), version
	return nil
}

// sourceConn opens a connection of the backup's own on the database: not the writer (the
// server keeps writing) and not the query-only readers (VACUUM INTO writes its target).
func (db *DB) sourceConn(ctx context.Context) (*sql.DB, *sql.Conn, error) {
	src, err := sql.Open("sqlite", "file:"+db.path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, nil, fmt.Errorf("store: backup: %w", err)
	}
	src.SetMaxOpenConns(1)
	conn, err := src.Conn(ctx)
	if err != nil {
		src.Close()
		return nil, nil, fmt.Errorf("store: backup: %w", err)
	}
	return src, conn, nil
}

// copyPages copies every page of one snapshot with SQLite's online backup API, in one step.
func (db *DB) copyPages(ctx context.Context, dest string) error {
	src, conn, err := db.sourceConn(ctx)
	if err != nil {
		return err
	}
	defer src.Close()
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		bc, ok := dc.(interface {
			NewBackup(string) (*sqlite.Backup, error)
		})
		if !ok {
			return errors.New("the SQLite driver has no backup API")
		}
		b, err := bc.NewBackup(dest)
		if err != nil {
			return err
		}
		for more := true; more; {
			if more, err = b.Step(-1); err != nil {
				_ = b.Finish()
				return err
			}
		}
		return b.Finish()
	})
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return nil
}

// vacuumInto writes a compacted copy of one snapshot.
func (db *DB) vacuumInto(ctx context.Context, dest string) error {
	src, conn, err := db.sourceConn(ctx)
	if err != nil {
		return err
	}
	defer src.Close()
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `VACUUM INTO ?`, dest); err != nil {
		return fmt.Errorf("store: backup: VACUUM INTO: %w", err)
	}
	return nil
}

func (db *DB) recordBackup(ctx context.Context, b BackupRecord) (int64, error) {
	var id int64
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO backups (path, trigger, status, size_bytes, schema_version, error, started_at, finished_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, b.Path, b.Trigger, b.Status, b.SizeBytes, b.SchemaVersion, b.Error,
			FormatTime(b.StartedAt), FormatTime(b.FinishedAt))
		if err != nil {
			return fmt.Errorf("store: record backup: %w", err)
		}
		id, err = res.LastInsertId()
		return err
	})
	return id, err
}

// Backups lists the latest recorded backups, newest first (limit 0 means 20).
func (db *DB) Backups(ctx context.Context, limit int) ([]BackupRecord, error) {
	if limit <= 0 {
		limit = 20
	}
	rows, err := db.r.QueryContext(ctx, `SELECT id, path, trigger, status, size_bytes, schema_version, error, started_at, finished_at
		FROM backups ORDER BY started_at DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: backups: %w", err)
	}
	defer rows.Close()
	var out []BackupRecord
	for rows.Next() {
		var b BackupRecord
		var started string
		var finished sql.NullString
		if err := rows.Scan(&b.ID, &b.Path, &b.Trigger, &b.Status, &b.SizeBytes, &b.SchemaVersion, &b.Error, &started, &finished); err != nil {
			return nil, fmt.Errorf("store: backups: %w", err)
		}
		b.StartedAt, _ = ParseTime(started)
		b.FinishedAt = nullTime(finished)
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: backups: %w", err)
	}
	return out, nil
}

// LastSuccessfulBackup is the newest backup that succeeded, or ErrNotFound.
func (db *DB) LastSuccessfulBackup(ctx context.Context) (BackupRecord, error) {
	var b BackupRecord
	var started string
	var finished sql.NullString
	err := db.r.QueryRowContext(ctx, `SELECT id, path, trigger, status, size_bytes, schema_version, error, started_at, finished_at
		FROM backups WHERE status = 'succeeded' ORDER BY started_at DESC, id DESC LIMIT 1`).Scan(
		&b.ID, &b.Path, &b.Trigger, &b.Status, &b.SizeBytes, &b.SchemaVersion, &b.Error, &started, &finished)
	if errors.Is(err, sql.ErrNoRows) {
		return b, ErrNotFound
	}
	if err != nil {
		return b, fmt.Errorf("store: last backup: %w", err)
	}
	b.StartedAt, _ = ParseTime(started)
	b.FinishedAt = nullTime(finished)
	return b, nil
}

// removeDB removes a database file and the -wal and -shm SQLite may have made beside it.
func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		_ = os.Remove(path + suffix)
	}
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
