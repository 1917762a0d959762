package store

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"testing"
	"time"
)

// openTest opens a fresh database file in a temporary directory.
func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "leadlens.db"), Options{
		Now: func() time.Time { return time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrateEmptyThenIdempotent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "leadlens.db")
	db, err := Open(ctx, path, Options{NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		t.Fatalf("first Migrate: %v", err)
	}
	files, _ := fs.Glob(migrationFiles, "migrations/*.sql")
	if got, want := len(applied), len(files); got != want {
		t.Fatalf("first Migrate applied %d migrations, want %d", got, want)
	}
	if _, err := db.CreateClient(ctx, NewClient{Name: "Acme", AdAccounts: []string{"act_1"}}); err != nil {
		t.Fatal(err)
	}
	again, err := db.Migrate(ctx)
	if err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if len(again) != 0 {
		t.Fatalf("second Migrate applied %d migrations, want 0", len(again))
	}
	db.Close()

	// Reopening an up-to-date file applies nothing and keeps the data.
	db, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	cur, latest, err := db.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cur != latest {
		t.Fatalf("schema version %d, want %d", cur, latest)
	}
	if _, err := db.ClientBySlug(ctx, "acme"); err != nil {
		t.Fatalf("client lost across reopen: %v", err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "leadlens.db")
	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.ExecContext(ctx, `INSERT INTO schema_migrations (version_id, is_applied) VALUES (?, 1)`, LatestSchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(ctx, path, Options{})
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open of a newer schema: got %v, want ErrSchemaTooNew", err)
	}
}

func TestPragmas(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	var mode string
	if err := db.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	var fk int
	if err := db.r.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		t.Fatal(err)
	}
	if fk != 1 {
		t.Errorf("foreign_keys on readers = %d, want 1", fk)
	}
	if _, err := db.r.ExecContext(ctx, "CREATE TABLE x (y)"); err == nil {
		t.Errorf("read pool accepted a write; want query_only")
	}
}

// TestWriteWaitsOutABusyNeighbour holds the write lock from another connection (as a second
// process would) for several busy timeouts: a write must wait and then succeed, not fail at
// BEGIN, and give up only when its context ends.
func TestWriteWaitsOutABusyNeighbour(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ll.db")
	db, err := Open(ctx, path, Options{BusyTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetMaxOpenConns(1)
	hold := func() *sql.Conn {
		c, err := other.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			t.Fatal(err)
		}
		return c
	}

	c := hold()
	go func() {
		time.Sleep(600 * time.Millisecond) // six busy timeouts
		_, _ = c.ExecContext(ctx, "ROLLBACK")
		c.Close()
	}()
	if err := db.SetSetting(ctx, "busy-test", []byte("1")); err != nil {
		t.Fatalf("a write while another connection held the lock for six busy timeouts: %v, want it to wait", err)
	}

	c = hold()
	defer func() {
		_, _ = c.ExecContext(ctx, "ROLLBACK")
		c.Close()
	}()
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = db.SetSetting(short, "busy-test", []byte("2"))
	if err == nil || (!isBusy(err) && !errors.Is(err, context.DeadlineExceeded)) {
		t.Fatalf("a write whose context ends while the lock is held: got %v, want SQLITE_BUSY or the deadline", err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("a write whose context ends after 300ms gave up after %s, want it to stop with its context", waited)
	}
}
