package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// liveDB makes a database at dir/ll.db holding one client, "live".
func liveDB(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "ll.db")
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateClient(context.Background(), NewClient{Name: "Live", AdAccounts: []string{"act_1"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// corruptIndex damages the root page of an index of the database file at path.
func corruptIndex(t *testing.T, path string) {
	t.Helper()
	var root, pageSize int64
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT rootpage FROM sqlite_master WHERE name = 'ad_accounts_client'`).Scan(&root); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`PRAGMA page_size`).Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	db.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// A b-tree page type byte no SQLite page has, and a cell count past the page's end.
	if _, err := f.WriteAt([]byte{0x07, 0, 0, 0xff, 0xff}, (root-1)*pageSize); err != nil {
		t.Fatal(err)
	}
}

// TestRestoreRefusals: nothing that is not a sound Leadlens backup of this or an older schema
// is restored, nor anything while a server holds the database, and a refusal leaves the
// database as it was.
func TestRestoreRefusals(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	live := liveDB(t, dir)
	good := makeBackup(t, "good")

	garbage := filepath.Join(t.TempDir(), "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a database at all. ", 400)), 0o600); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(t.TempDir(), "foreign.db")
	rawExec(t, foreign, `CREATE TABLE schema_migrations (version_id INTEGER, is_applied INTEGER)`,
		`INSERT INTO schema_migrations VALUES (1, 1)`, `CREATE TABLE notes (body TEXT)`)
	corrupt := makeBackup(t, "corrupt")
	corruptIndex(t, corrupt)
	newer := makeBackup(t, "newer")
	rawExec(t, newer, fmt.Sprintf(`INSERT INTO schema_migrations (version_id, is_applied) VALUES (%d, 1)`, LatestSchemaVersion()+3))
	withWAL := makeBackup(t, "withwal")
	if err := os.WriteFile(withWAL+"-wal", []byte("frames"), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, from string
		is         error
		want       string
	}{
		{"not SQLite", garbage, ErrNotDatabase, "not an SQLite database"},
		{"another program's database", foreign, ErrNotLeadlens, "not a Leadlens database"},
		{"fails the integrity check", corrupt, ErrIntegrity, "fails SQLite's integrity check"},
		{"newer schema", newer, ErrSchemaTooNew, fmt.Sprintf("schema version %d, newer than this Leadlens binary knows (up to %d)", LatestSchemaVersion()+3, LatestSchemaVersion())},
		{"a live database with its WAL", withWAL, nil, "it is a live database, not a backup"},
		{"the database itself", live, nil, "is the database itself"},
		{"a missing file", filepath.Join(dir, "nope.db"), os.ErrNotExist, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Restore(ctx, tc.from, live, RestoreOptions{})
			if err == nil || (tc.is != nil && !errors.Is(err, tc.is)) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("restore: got %v, want an error (%v) saying %q", err, tc.is, tc.want)
			}
			t.Logf("refused: %v", err)
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("message has several lines: %q", err.Error())
			}
			assertUntouched(t, dir, live)
		})
	}

	t.Run("a server holds the database", func(t *testing.T) {
		l, err := LockDatabase(live, "serve")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Release()
		_, err = Restore(ctx, good, live, RestoreOptions{})
		want := fmt.Sprintf("a Leadlens server is using %s (pid %d); stop it first", live, os.Getpid())
		if !errors.Is(err, ErrInUse) || err.Error() != want {
			t.Fatalf("restore while locked: got %v, want %q", err, want)
		}
		assertUntouched(t, dir, live)
	})
}

// assertUntouched checks that the live database still holds its one client and that nothing
// was left beside it.
func assertUntouched(t *testing.T, dir, live string) {
	t.Helper()
	if got := clientSlugs(t, live); !slices.Equal(got, []string{"live"}) {
		t.Fatalf("the database after a refused restore: got clients %v, want [live]", got)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if n := e.Name(); strings.Contains(n, "replaced") || strings.HasSuffix(n, ".tmp") {
			t.Fatalf("a refused restore left %s behind", n)
		}
	}
}

// TestRestoreReplacesAndKeepsTheOld: the backup takes the database's place, the replaced
// database is kept beside it complete (what was only in its WAL included), and an older backup
// is migrated on the way in.
func TestRestoreReplacesAndKeepsTheOld(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	live := liveDB(t, dir)
	// Leave a commit in the live database's WAL only: a connection that never checkpoints is
	// still open while the restore runs (as after a crash, the WAL holds the latest commits).
	held, err := sql.Open("sqlite", "file:"+live+"?_pragma=wal_autocheckpoint(0)&_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	held.SetMaxOpenConns(1)
	if _, err := held.Exec(`INSERT INTO clients (slug, name, created_at, updated_at) VALUES ('walonly', 'WAL only', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`); err != nil {
		t.Fatal(err)
	}
	if wi, err := os.Stat(live + "-wal"); err != nil || wi.Size() == 0 {
		t.Fatalf("want a WAL with the commit before the restore: %v %v", wi, err)
	}

	// A backup made at schema version 1, as an older Leadlens would have made it.
	old := filepath.Join(t.TempDir(), "old.db")
	oldDB := openAtVersion(t, old, 1)
	if _, err := oldDB.ExecContext(ctx, `INSERT INTO clients (slug, name, created_at, updated_at) VALUES ('old', 'Old', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')`); err != nil {
		t.Fatal(err)
	}
	if _, err := oldDB.ExecContext(ctx, `PRAGMA journal_mode=DELETE`); err != nil {
		t.Fatal(err)
	}
	oldDB.Close()

	at := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	res, err := Restore(ctx, old, live, RestoreOptions{Now: func() time.Time { return at }})
	held.Close()
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if want := live + ".replaced-20260506T070809Z"; res.Replaced != want {
		t.Errorf("replaced database kept at %q, want %q", res.Replaced, want)
	}
	if res.FromVersion != 1 || res.ToVersion != LatestSchemaVersion() || int64(len(res.Migrated)) != LatestSchemaVersion()-1 {
		t.Errorf("restore result: got %+v, want from 1 to %d with %d migrations", res, LatestSchemaVersion(), LatestSchemaVersion()-1)
	}
	if got := clientSlugs(t, live); !slices.Equal(got, []string{"old"}) {
		t.Fatalf("the database after restore: got clients %v, want the backup's [old]", got)
	}
	// The kept database stands alone: copied elsewhere without any -wal, it has both clients.
	alone := filepath.Join(t.TempDir(), "alone.db")
	if err := copyFile(res.Replaced, alone); err != nil {
		t.Fatal(err)
	}
	if got := clientSlugs(t, alone); !slices.Equal(got, []string{"live", "walonly"}) {
		t.Fatalf("the replaced database on its own: got clients %v, want [live walonly] (its WAL folded in)", got)
	}
}

// TestRestoreIntoEmptyPlace: restoring where there is no database yet creates it, with nothing
// to keep.
func TestRestoreIntoEmptyPlace(t *testing.T) {
	good := makeBackup(t, "fresh")
	path := filepath.Join(t.TempDir(), "new.db")
	res, err := Restore(context.Background(), good, path, RestoreOptions{})
	if err != nil || res.Replaced != "" || len(res.Migrated) != 0 {
		t.Fatalf("restore into an empty place: got %+v %v, want nothing replaced and nothing migrated", res, err)
	}
	if got := clientSlugs(t, path); !slices.Equal(got, []string{"fresh"}) {
		t.Fatalf("got clients %v, want [fresh]", got)
	}
}
