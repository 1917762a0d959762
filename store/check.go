package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Checks of a database file: what a backup must pass before it is kept, a file before it is
// restored, and `leadlens doctor` reports.

// ErrNotDatabase means a file is not an SQLite database at all.
var ErrNotDatabase = errors.New("store: not an SQLite database")

// ErrNotLeadlens means a file is an SQLite database, but not one Leadlens made.
var ErrNotLeadlens = errors.New("store: not a Leadlens database")

// ErrIntegrity means a database failed SQLite's integrity check.
var ErrIntegrity = errors.New("store: fails SQLite's integrity check")

// FileError is a database file that cannot be used as a backup or restored: Problem is
// ErrNotDatabase, ErrNotLeadlens or ErrIntegrity (errors.Is sees it), Detail what SQLite found.
type FileError struct {
	Path    string
	Problem error
	Detail  string
}

// Error is one line: the file, the problem, SQLite's words.
func (e *FileError) Error() string {
	msg := e.Path + ": " + strings.TrimPrefix(e.Problem.Error(), "store: ")
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return msg
}

// Unwrap gives the Problem.
func (e *FileError) Unwrap() error { return e.Problem }

// leadlensTables are tables every Leadlens schema has had since version 1; a database without
// them is someone else's, whatever its schema_migrations says.
var leadlensTables = []string{"schema_migrations", "clients", "ad_accounts", "insights_daily", "lead_events", "backups"}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// schemaVersionOf reads the applied schema version; 0 when nothing was ever migrated.
func schemaVersionOf(ctx context.Context, q queryer) (int64, error) {
	var exists int
	if err := q.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&exists); err != nil {
		return 0, wrapSQLite("read schema version", err)
	}
	if exists == 0 {
		return 0, nil
	}
	var v int64
	if err := q.QueryRowContext(ctx,
		`SELECT coalesce(max(version_id), 0) FROM schema_migrations WHERE is_applied`).Scan(&v); err != nil {
		return 0, wrapSQLite("read schema version", err)
	}
	return v, nil
}

// appliedVersion is the database's applied schema version.
func (db *DB) appliedVersion(ctx context.Context, q queryer) (int64, error) {
	return schemaVersionOf(ctx, q)
}

// integrityProblems runs PRAGMA integrity_check and returns its findings (none: the file is
// sound). At most max problems are collected.
func integrityProblems(ctx context.Context, q queryer, max int) ([]string, error) {
	rows, err := q.QueryContext(ctx, fmt.Sprintf(`PRAGMA integrity_check(%d)`, max))
	if err != nil {
		return nil, wrapSQLite("integrity check", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, wrapSQLite("integrity check", err)
		}
		if s == "ok" {
			continue
		}
		// One finding can span lines ("*** in database main ***\nTree 4 page 4 …"); messages
		// that list them must stay one line.
		for _, line := range strings.Split(s, "\n") {
			// "*** in database main ***" only heads the findings of the one database there is.
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "*** in database") {
				out = append(out, line)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, wrapSQLite("integrity check", err)
	}
	return out, nil
}

// IntegrityCheck runs SQLite's integrity check on the live database (a read transaction: the
// server keeps writing) and returns what it found; nil means the file is sound.
func (db *DB) IntegrityCheck(ctx context.Context) ([]string, error) {
	return integrityProblems(ctx, db.r, 20)
}

// verifyDatabaseFile checks a file that is about to become a backup or the database: it must be
// an SQLite database with Leadlens's tables that passes the integrity check. It turns the file
// into a single self-contained file (journal_mode=DELETE), so only call it on a copy Leadlens
// made. It returns the file's schema version; a file that fails is described by a *FileError
// naming name (the path a person knows it by).
func verifyDatabaseFile(ctx context.Context, path, name string) (int64, error) {
	v, err := verifyFile(ctx, path)
	var fe *FileError
	if errors.As(err, &fe) {
		fe.Path = name
	}
	return v, err
}

func verifyFile(ctx context.Context, path string) (int64, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode=DELETE`).Scan(&mode); err != nil {
		return 0, wrapSQLite("open", err)
	}
	problems, err := integrityProblems(ctx, db, 5)
	if err != nil {
		return 0, err
	}
	if len(problems) > 0 {
		return 0, &FileError{Problem: ErrIntegrity, Detail: strings.Join(problems, "; ")}
	}
	for _, t := range leadlensTables {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, t).Scan(&n); err != nil {
			return 0, wrapSQLite("read tables", err)
		}
		if n == 0 {
			return 0, &FileError{Problem: ErrNotLeadlens, Detail: "it has no " + t + " table"}
		}
	}
	v, err := schemaVersionOf(ctx, db)
	if err != nil {
		return 0, err
	}
	if v == 0 {
		return 0, &FileError{Problem: ErrNotLeadlens, Detail: "no schema migration was ever applied to it"}
	}
	return v, nil
}

// wrapSQLite wraps err for what was being done, except SQLite's "not a database" and
// "malformed" answers, which become a *FileError (ErrNotDatabase, ErrIntegrity) in SQLite's words.
func wrapSQLite(what string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB:
			return &FileError{Problem: ErrNotDatabase, Detail: sqliteWords(se)}
		case sqlite3.SQLITE_CORRUPT:
			return &FileError{Problem: ErrIntegrity, Detail: sqliteWords(se)}
		}
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// sqliteWords is SQLite's message without the result code modernc appends ("… (26)").
func sqliteWords(se *sqlite.Error) string {
	msg := se.Error()
	if i := strings.LastIndex(msg, " ("); i > 0 && strings.HasSuffix(msg, ")") {
		return msg[:i]
	}
	return msg
}
