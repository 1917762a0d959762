package backup

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadlens/leadlens/store"
)

func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "ll.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// TestPruneKeepsNewestAndOnlyOurs: the oldest of our own files go; anything else stays.
func TestPruneKeepsNewestAndOnlyOurs(t *testing.T) {
	dir := t.TempDir()
	ours := []string{"leadlens-20260101T033000Z.db", "leadlens-20260102T033000Z.db", "leadlens-20260103T033000Z.db",
		"leadlens-20260104T033000Z.db", "leadlens-20260105T033000Z.db"}
	others := []string{"before-upgrade.db", "leadlens-20250101T000000Z.db.bak", "leadlens-manual.db", "notes.txt"}
	for _, n := range append(slices.Clone(ours), others...) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := Prune(dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 3 || filepath.Base(removed[0]) != ours[0] {
		t.Errorf("removed: got %v, want the 3 oldest of ours, oldest first", removed)
	}
	want := append(slices.Clone(others), ours[3], ours[4])
	slices.Sort(want)
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Errorf("left: got %v, want %v", got, want)
	}
}

// TestRunBacksUpAndPrunes: each Run writes a checked, recorded copy named by its UTC time and
// keeps only the newest Keep.
func TestRunBacksUpAndPrunes(t *testing.T) {
	db := openStore(t)
	dir := filepath.Join(t.TempDir(), "backups")
	clock := time.Date(2026, 1, 2, 3, 30, 0, 0, time.FixedZone("CET", 3600))
	s, err := New(Config{Store: db, Dir: dir, Keep: 2, Schedule: "30 3 * * *",
		Now: func() time.Time { clock = clock.Add(24 * time.Hour); return clock }})
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("backup directory: got %v %v, want it created 0700", fi, err)
	}
	var made []string
	for range 3 {
		rec, err := s.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, filepath.Base(rec.Path))
	}
	if made[0] != "leadlens-20260103T023000Z.db" {
		t.Errorf("first file: got %s, want leadlens-20260103T023000Z.db (UTC)", made[0])
	}
	if got := names(t, dir); !slices.Equal(got, made[1:]) {
		t.Errorf("files: got %v, want the newest two %v", got, made[1:])
	}
	recs, err := db.Backups(context.Background(), 10)
	if err != nil || len(recs) != 3 {
		t.Fatalf("records: got %d %v, want 3", len(recs), err)
	}
	for _, r := range recs {
		if r.Status != store.BackupSucceeded || r.Trigger != store.BackupTriggerSchedule || r.SizeBytes == 0 {
			t.Errorf("record: got %+v, want a succeeded scheduled backup with a size", r)
		}
	}
}

// TestScheduleRunsAndStops: Start makes backups on the cron schedule; Stop ends it.
func TestScheduleRunsAndStops(t *testing.T) {
	db := openStore(t)
	dir := filepath.Join(t.TempDir(), "backups")
	var mu sync.Mutex
	n := 0
	s, err := New(Config{Store: db, Dir: dir, Keep: 3, Schedule: "@every 1s", Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		n++
		return time.Date(2026, 1, 1, 0, 0, n, 0, time.UTC)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		recs, err := db.Backups(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no scheduled backup within 10s on @every 1s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	before := len(names(t, dir))
	time.Sleep(1500 * time.Millisecond)
	if after := len(names(t, dir)); after != before {
		t.Errorf("backups after Stop: got %d files, want still %d", after, before)
	}
}

func TestSettingsMessages(t *testing.T) {
	err := ValidateSchedule("every night")
	if err == nil || !strings.Contains(err.Error(), "LEADLENS_BACKUP_SCHEDULE") || !strings.Contains(err.Error(), ExampleSchedule) {
		t.Errorf("bad schedule: got %v, want a message naming LEADLENS_BACKUP_SCHEDULE with an example", err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err = PrepareDir(filepath.Join(file, "backups"))
	if err == nil || !strings.HasPrefix(err.Error(), "LEADLENS_BACKUP_DIR") || !strings.Contains(err.Error(), "choose another directory") {
		t.Errorf("a directory under a file: got %v, want a message naming LEADLENS_BACKUP_DIR and the fix", err)
	}
}
