package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// loadWriter inserts one-event batches as fast as it can until stopped, and reports the
// idempotency keys whose insert returned before each moment asked for.
type loadWriter struct {
	db     *DB
	client int64
	mu     sync.Mutex
	acked  []string
	stop   atomic.Bool
	done   chan error
}

func startLoadWriter(t *testing.T, db *DB, client int64) *loadWriter {
	t.Helper()
	w := &loadWriter{db: db, client: client, done: make(chan error, 1)}
	go func() {
		ctx := context.Background()
		for i := 0; !w.stop.Load(); i++ {
			key := fmt.Sprintf("w-%d", i)
			res, err := db.InsertEventBatches(ctx, []EventBatch{{ClientID: client, PageID: "111", PSID: "42", ReceivedAt: db.Now(),
				Events: []NewEvent{{Name: "lead_submitted", EventTime: db.Now(), IdemKey: key}}}})
			if err == nil && res[0].Err != nil {
				err = res[0].Err
			}
			if err != nil {
				w.done <- err
				return
			}
			w.mu.Lock()
			w.acked = append(w.acked, key)
			w.mu.Unlock()
		}
		w.done <- nil
	}()
	return w
}

func (w *loadWriter) ackedSoFar() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.acked...)
}

func (w *loadWriter) finish(t *testing.T) {
	t.Helper()
	w.stop.Store(true)
	if err := <-w.done; err != nil {
		t.Fatalf("event writer: %v", err)
	}
}

func idemKeys(t *testing.T, db *DB, client int64) map[string]bool {
	t.Helper()
	evs, err := db.LeadEvents(context.Background(), client, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, e := range evs {
		out[e.IdemKey] = true
	}
	return out
}

// TestBackupWhileWriting: a backup taken while another connection commits holds everything
// committed before it began, passes its own check, and is recorded in the live database.
func TestBackupWhileWriting(t *testing.T) {
	for _, compact := range []bool{false, true} {
		t.Run(fmt.Sprintf("compact=%v", compact), func(t *testing.T) {
			ctx := context.Background()
			db := openTest(t)
			c, err := db.CreateClient(ctx, NewClient{Name: "Acme", AdAccounts: []string{"act_1"}, Pages: []string{"111"}})
			if err != nil {
				t.Fatal(err)
			}
			w := startLoadWriter(t, db, c.ID)
			for len(w.ackedSoFar()) < 50 {
				time.Sleep(time.Millisecond)
			}
			before := w.ackedSoFar()
			dest := filepath.Join(t.TempDir(), "copy.db")
			rec, err := db.Backup(ctx, dest, BackupOptions{Trigger: BackupTriggerCLI, Compact: compact})
			after := len(w.ackedSoFar())
			w.finish(t)
			if err != nil {
				t.Fatalf("Backup: %v", err)
			}
			if after == len(before) {
				t.Logf("no event was committed during the backup (a fast machine); the copy is still checked")
			}
			fi, err := os.Stat(dest)
			if err != nil || rec.SizeBytes != fi.Size() || rec.SchemaVersion != LatestSchemaVersion() || rec.Status != BackupSucceeded {
				t.Fatalf("backup record: got %+v (file %v, %v), want succeeded with the file's size and schema %d", rec, fi, err, LatestSchemaVersion())
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("backup file mode: got %v, want 0600 (it holds sealed tokens and people's ids)", fi.Mode().Perm())
			}
			for _, suffix := range []string{"-wal", "-shm"} {
				if _, err := os.Stat(dest + suffix); err == nil {
					t.Errorf("the backup has a %s file beside it; want one self-contained file", suffix)
				}
			}
			copyDB, err := Open(ctx, dest, Options{NoMigrate: true})
			if err != nil {
				t.Fatal(err)
			}
			defer copyDB.Close()
			have := idemKeys(t, copyDB, c.ID)
			for _, k := range before {
				if !have[k] {
					t.Fatalf("event %s committed before the backup began is missing from the copy (%d of %d present)", k, len(have), len(before))
				}
			}
			recs, err := db.Backups(ctx, 5)
			if err != nil || len(recs) != 1 || recs[0].Path != dest || recs[0].Status != BackupSucceeded || recs[0].SizeBytes != fi.Size() {
				t.Fatalf("recorded backups: got %+v %v, want the one succeeded backup of %s", recs, err, dest)
			}
			if last, err := db.LastSuccessfulBackup(ctx); err != nil || last.ID != recs[0].ID {
				t.Fatalf("LastSuccessfulBackup: got %+v %v, want backup %d", last, err, recs[0].ID)
			}
		})
	}
}

// TestBackupRefusesToOverwrite: an existing file is kept unless Overwrite is set, and the
// refusal is recorded as a failed backup.
func TestBackupRefusesToOverwrite(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	dest := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(dest, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := db.Backup(ctx, dest, BackupOptions{Trigger: BackupTriggerCLI})
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("backup onto an existing file: got %v, want fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(dest); string(b) != "precious" {
		t.Fatalf("the existing file was changed to %q", b)
	}
	recs, err := db.Backups(ctx, 5)
	if err != nil || len(recs) != 1 || recs[0].Status != BackupFailed || !strings.Contains(recs[0].Error, "already exists") {
		t.Fatalf("recorded backups: got %+v %v, want one failed backup saying the file exists", recs, err)
	}
	if _, err := db.LastSuccessfulBackup(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LastSuccessfulBackup with only a failure: got %v, want ErrNotFound", err)
	}
	if _, err := db.Backup(ctx, dest, BackupOptions{Trigger: BackupTriggerCLI, Overwrite: true}); err != nil {
		t.Fatalf("backup with Overwrite: %v", err)
	}
	if _, err := verifyDatabaseFile(ctx, dest, dest); err != nil {
		t.Fatalf("the overwritten backup: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), ".*tmp*"))
	if len(left) > 0 {
		t.Fatalf("temporary files left behind: %v", left)
	}
}

// TestLockDatabase: the second holder is refused with the first one's pid and role, and the
// lock is free again once released.
func TestLockDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ll.db")
	l, err := LockDatabase(path, "serve")
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockDatabase(path, "restore")
	var inUse *InUseError
	if !errors.As(err, &inUse) || !errors.Is(err, ErrInUse) || inUse.PID != os.Getpid() {
		t.Fatalf("second lock: got %v, want an *InUseError naming pid %d", err, os.Getpid())
	}
	if want := fmt.Sprintf("a Leadlens server is using %s (pid %d); stop it first", path, os.Getpid()); err.Error() != want {
		t.Fatalf("message: got %q, want %q", err.Error(), want)
	}
	if h, err := LockHolder(path); err != nil || h == nil || h.PID != os.Getpid() {
		t.Fatalf("LockHolder while held: got %+v %v, want pid %d", h, err, os.Getpid())
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if h, err := LockHolder(path); err != nil || h != nil {
		t.Fatalf("LockHolder after release: got %+v %v, want nobody", h, err)
	}
	l2, err := LockDatabase(path, "restore")
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	l2.Release()
}

// makeBackup writes a small database with one client and returns a checked backup of it.
func makeBackup(t *testing.T, name string) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, filepath.Join(dir, "src.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.CreateClient(ctx, NewClient{Name: name, AdAccounts: []string{"act_7"}}); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(dir, name+".db")
	if _, err := db.Backup(ctx, dest, BackupOptions{Trigger: BackupTriggerCLI}); err != nil {
		t.Fatal(err)
	}
	return dest
}

// rawExec runs statements on a database file without Leadlens's Open.
func rawExec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func clientSlugs(t *testing.T, path string) []string {
	t.Helper()
	db, err := Open(context.Background(), path, Options{NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cs, err := db.Clients(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		out = append(out, c.Slug)
	}
	return out
}
