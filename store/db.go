// Package store keeps Leadlens's data in one SQLite file (modernc.org/sqlite, no cgo).
//
// Writes go through a single connection, so SQLite's one-writer rule is honoured by the pool
// rather than by busy retries; reads use a separate pool that sees committed data under WAL.
// Every public method is one transaction. Migrations are embedded and applied by Open.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"runtime"
	"time"

	"modernc.org/sqlite" // also registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrNotFound is returned when the asked-for row does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a write would break a uniqueness rule (a slug, an email, …).
var ErrConflict = errors.New("store: already exists")

// Options tune Open. The zero value is fine.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ReadConns bounds the read pool; 0 means max(4, GOMAXPROCS).
	ReadConns int
	// NoMigrate opens without applying migrations (used by restore checks and tooling); the
	// schema version is still checked against the binary's.
	NoMigrate bool
	// BusyTimeout is SQLite's busy_timeout, how long one attempt waits for another process's
	// lock; 0 means 10s. (Tests shorten it.)
	BusyTimeout time.Duration
}

// DB is the Leadlens database.
type DB struct {
	w    *sql.DB // exactly one connection: every write
	r    *sql.DB // read pool
	now  func() time.Time
	path string
}

// dsn builds a modernc DSN. busy_timeout covers other processes (a backup, the CLI next to a
// running server); _txlock=immediate takes the write lock at BEGIN so a read-then-write
// transaction never fails to upgrade.
func dsn(path string, readOnly bool, busy time.Duration) string {
	if busy <= 0 {
		busy = 10 * time.Second
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
		// Readers map the file: a dashboard's running-total lookups touch a few thousand
		// scattered pages per view, and reading them through the mapping instead of a
		// pread each (the 2 MB page cache holds few of them) made the ad-set view ~10%
		// faster (docs/benchmarks.md). Writers keep ordinary I/O.
		q.Add("_pragma", "mmap_size(1073741824)")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating if needed) the database at path and brings its schema up to date.
// A database written by a newer Leadlens is refused with ErrSchemaTooNew.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("store: no database path given")
	}
	w, err := sql.Open("sqlite", dsn(path, false, opts.BusyTimeout))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	n := opts.ReadConns
	if n <= 0 {
		n = max(4, runtime.GOMAXPROCS(0))
	}
	r, err := sql.Open("sqlite", dsn(path, true, opts.BusyTimeout))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	db := &DB{w: w, r: r, now: now, path: path}
	if opts.NoMigrate {
		if err := db.checkNotNewer(ctx); err != nil {
			db.Close()
			return nil, err
		}
		return db, nil
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.r.Close(), db.w.Close())
}

// Path is the file the database lives in.
func (db *DB) Path() string { return db.path }

// Ping checks that the database answers a query; /readyz uses it.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Now is the store's clock, exposed so callers stamp times the same way.
func (db *DB) Now() time.Time { return db.now() }

// beginWaitLimit bounds how long BEGIN keeps retrying while another process holds the write
// lock: several busy_timeout rounds.
const beginWaitLimit = 60 * time.Second

// beginWrite starts a write transaction. SQLite's busy handler polls, and a busy server (the
// event batcher committing back to back, a collection's window commit) can take the lock
// between every poll until busy_timeout runs out: a command beside it — `backup` recording
// itself, `collect`, `users add` — would then fail at BEGIN although nothing was wrong. Nothing
// has happened yet when BEGIN is refused, so it is safe to try again, bounded by
// beginWaitLimit and ctx.
func (db *DB) beginWrite(ctx context.Context) (*sql.Tx, error) {
	deadline := time.Now().Add(beginWaitLimit)
	for attempt := 0; ; attempt++ {
		tx, err := db.w.BeginTx(ctx, nil)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return tx, err
		}
		wait := time.Duration(20+rand.IntN(80)) * time.Millisecond
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
	}
}

// isBusy reports SQLITE_BUSY (any extended code): another connection holds the lock.
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// writeTx runs fn in one write transaction, committing when fn returns nil.
func (db *DB) writeTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.beginWrite(ctx)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// rowScanner is one result row: *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(...any) error }

// queryAll runs query on q and scans every row with scan; what ("store: clients") starts every
// error.
func queryAll[T any](ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, what string, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// readTx runs fn in one read transaction, so several queries see the same snapshot.
func (db *DB) readTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("store: begin read: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to lose
	return fn(tx)
}

// timeLayout is how instants are stored: UTC, fixed width, so text order is time order.
const timeLayout = "2006-01-02T15:04:05.000Z"

// DateLayout is how calendar dates are stored and exchanged.
const DateLayout = "2006-01-02"

// FormatTime renders an instant the way the store keeps it.
func FormatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// ParseTime reads an instant written by FormatTime.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: bad time %q: %w", s, err)
	}
	return t, nil
}

// nullTime reads a nullable instant column into a zero-or-set time.
func nullTime(ns sql.NullString) time.Time {
	if !ns.Valid || ns.String == "" {
		return time.Time{}
	}
	t, err := ParseTime(ns.String)
	if err != nil {
		return time.Time{}
	}
	return t
}

// timeOrNull writes a zero time as NULL.
func timeOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return FormatTime(t)
}
