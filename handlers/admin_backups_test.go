package handlers

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leadlens/leadlens/internal/pagetest"
	"github.com/leadlens/leadlens/store"
)

// TestAdminIndexShowsBackups: /admin lists recorded backups with time, size and outcome, says
// how they are scheduled, flags a failed latest backup, and /metrics has the last success.
func TestAdminIndexShowsBackups(t *testing.T) {
	ctx := context.Background()
	e := newAdminEnv(t, func(d *Deps) {
		d.Config.BackupSchedule, d.Config.BackupDir, d.Config.BackupKeep = "30 3 * * *", "/var/lib/leadlens/backups", 7
		d.Metrics = NewMetrics(d.Store, nil, nil)
		d.Config.MetricsToken = "scrape-token-0123456789"
	})
	p := adminPageOK(t, e)
	if got := p.TestID("backup-schedule"); !strings.Contains(got, "30 3 * * * into /var/lib/leadlens/backups, keeping the newest 7") {
		t.Errorf("backup schedule: got %q, want the spec, the directory and how many are kept", got)
	}
	if !p.Has("no-backups") {
		t.Errorf("before any backup: want the no-backups line")
	}
	if _, body := scrape(t, e.testEnv, e.client(), "Bearer scrape-token-0123456789"); strings.Contains(body, "leadlens_backup_last_success_timestamp_seconds ") {
		t.Errorf("/metrics before any backup: want no last-backup gauge")
	}

	dest := filepath.Join(t.TempDir(), "leadlens-20260102T033000Z.db")
	ok, err := e.db.Backup(ctx, dest, store.BackupOptions{Trigger: store.BackupTriggerSchedule})
	if err != nil {
		t.Fatal(err)
	}
	p = adminPageOK(t, e)
	row := fmt.Sprintf("backup-%d", ok.ID)
	if got := p.TestID(row); !strings.Contains(got, dest) || !strings.Contains(got, "succeeded") || !strings.Contains(got, "schedule") {
		t.Errorf("backup row: got %q, want the file, succeeded and the trigger", got)
	}
	if got, want := pagetest.Text(pagetest.Find(pagetest.Find(p.Root, row), "backup-size")), byteSize(ok.SizeBytes); got != want || !strings.HasSuffix(got, "kB") {
		t.Errorf("backup size: got %q, want %q", got, want)
	}
	if p.Has("notice-backup") {
		t.Errorf("a succeeded backup flagged as needing attention")
	}
	_, body := scrape(t, e.testEnv, e.client(), "Bearer scrape-token-0123456789")
	want := fmt.Sprintf("leadlens_backup_last_success_timestamp_seconds %v", float64(ok.StartedAt.UnixMilli())/1000)
	if !strings.Contains(body, want) {
		t.Errorf("/metrics: want %q in\n%s", want, grepLines(body, "leadlens_backup"))
	}

	// The same file again fails (it exists): the newest row says so and /admin flags it.
	failed, err := e.db.Backup(ctx, dest, store.BackupOptions{Trigger: store.BackupTriggerCLI})
	if err == nil {
		t.Fatal("a backup onto an existing file succeeded")
	}
	p = adminPageOK(t, e)
	if got := p.TestID("notice-backup"); !strings.Contains(got, "The latest backup failed") || !strings.Contains(got, "already exists") {
		t.Errorf("notice: got %q, want the failure and its reason", got)
	}
	if got := pagetest.Text(pagetest.Find(pagetest.Find(p.Root, fmt.Sprintf("backup-%d", failed.ID)), "backup-error")); !strings.Contains(got, "already exists") {
		t.Errorf("failed backup row: got %q, want its error", got)
	}
	if _, err := os.Stat(dest); err != nil {
		t.Fatal(err)
	}
}

// adminPageOK reads /admin as the admin; it must answer 200.
func adminPageOK(t *testing.T, e *adminEnv) *pagetest.Page {
	t.Helper()
	code, body := e.get(e.admin, "/admin")
	if code != http.StatusOK {
		t.Fatalf("GET /admin: got %d, want 200", code)
	}
	return pagetest.Parse(t, code, body)
}

func grepLines(body, substr string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
