package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadlens/leadlens/events"
	"github.com/leadlens/leadlens/metasim"
	"github.com/leadlens/leadlens/store"
)

// The operations tests of issue 9: a backup taken while events and a collection are being
// written restores into a fresh process with everything acknowledged before it; SIGTERM in the
// middle of both loses no acknowledged event and records the run cancelled. The server is a
// child process running the real main() (ops_child_test.go), so signals and exit status are
// the program's own.

// opsWorld is a simulator slow enough that a collection pass is still running while the test
// acts: every insights request waits, as a busy Meta does.
func opsWorld(t *testing.T, insightsDelay time.Duration) (*metasim.Server, string) {
	t.Helper()
	sim, err := metasim.New(metasim.Options{Seed: 9, Accounts: 2, CampaignsPerAccount: 6, AdSetsPerCampaign: 3, HistoryDays: 120,
		Faults: []metasim.Fault{{Kind: metasim.FaultSlow, Request: metasim.RequestInsights, Delay: insightsDelay}}})
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return sim, url
}

// opsClient makes one client owning every simulated account and page, and its API key.
func opsClient(t *testing.T, dbPath string, sim *metasim.Server) (key string, pages []string) {
	t.Helper()
	args := []string{"clients", "add", "--name", "Ops", "--timezone", "UTC"}
	for _, a := range sim.World().Accounts {
		args = append(args, "--ad-account", "act_"+a.ID, "--page", a.PageID)
		pages = append(pages, a.PageID)
	}
	if _, err := cli(t, dbPath, args...); err != nil {
		t.Fatal(err)
	}
	out, err := cli(t, dbPath, "apikeys", "create", "--client", "ops")
	if key = apiKeyRE.FindString(out); err != nil || key == "" {
		t.Fatalf("apikeys create: %q %v", out, err)
	}
	return key, pages
}

// eventLoad posts lead_submitted events from several goroutines until stopped and remembers
// every one answered 200, with the stored id the server gave it.
type eventLoad struct {
	mu     sync.Mutex
	acked  map[string]string // event_id → stored id
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startEventLoad(url, key string, pages []string, posters int) *eventLoad {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // bounded whatever happens
	l := &eventLoad{acked: map[string]string{}, cancel: cancel}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: posters}}
	c := &events.Client{BaseURL: url, APIKey: key, HTTP: hc}
	for g := range posters {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				req := events.Request{PageID: pages[g%len(pages)], PSID: fmt.Sprint(5000 + g), LoggingSource: "messenger_bot", LoggingTarget: "page",
					Events: []events.Event{{Name: "lead_submitted", EventID: fmt.Sprintf("p%d-%d", g, i)}}}
				res, err := c.LogEvents(ctx, req)
				if err != nil {
					// The server is going away (or the test is over): what was acknowledged so
					// far is what counts. Back off briefly so a refused connection is no spin.
					select {
					case <-ctx.Done():
					case <-time.After(20 * time.Millisecond):
					}
					continue
				}
				l.mu.Lock()
				l.acked[req.Events[0].EventID] = res[0].ID
				l.mu.Unlock()
			}
		}()
	}
	return l
}

// snapshot copies the acknowledged events so far.
func (l *eventLoad) snapshot() map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return copyMap(l.acked)
}

func (l *eventLoad) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// stop ends the load and returns every acknowledged event.
func (l *eventLoad) stop() map[string]string {
	l.cancel()
	l.wg.Wait()
	return l.snapshot()
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// waitFor polls cond every 20 ms until it is true or within has passed.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// daysRead is every (account, level, date) the database records as read.
func daysRead(t *testing.T, db *store.DB, sim *metasim.Server) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, a := range sim.World().Accounts {
		days, err := db.DaysRead(context.Background(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range days {
			out[a.ID+"/"+d.Level+"/"+d.Date] = true
		}
	}
	return out
}

// checkWindowsComplete asserts that the database holds only complete collection windows: every
// day recorded as read has, at every level, exactly the simulator's rows, and no day that was
// not read has any row. A window cut in half by a backup or a shutdown would show as a read day
// with missing or extra objects, or rows without their read day.
func checkWindowsComplete(t *testing.T, db *store.DB, sim *metasim.Server) {
	t.Helper()
	ctx := context.Background()
	for _, a := range sim.World().Accounts {
		days, err := db.DaysRead(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		read := map[string]bool{}
		for _, d := range days {
			read[d.Level+"/"+d.Date] = true
		}
		for _, lv := range store.Levels {
			stored, err := db.InsightRows(ctx, a.ID, lv, "2000-01-01", "2100-01-01")
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{} // date → sorted "object:spend" list
			for _, r := range stored {
				if !read[lv+"/"+r.Date] {
					t.Errorf("account %s %s %s: a row for %s on a day not recorded as read (half a window)", a.ID, lv, r.Date, r.ObjectID)
				}
				got[r.Date] += fmt.Sprintf("%s:%d ", r.ObjectID, r.SpendMicros)
			}
			for key := range read {
				l, date, _ := strings.Cut(key, "/")
				if l != lv {
					continue
				}
				truth, err := sim.Truth(a.ID, lv, date, date)
				if err != nil {
					t.Fatal(err)
				}
				want := ""
				for _, r := range truth {
					id := map[string]string{"account": r.AccountID, "campaign": r.CampaignID, "adset": r.AdSetID}[lv]
					want += fmt.Sprintf("%s:%d ", id, r.SpendMicros)
				}
				if got[date] != want {
					t.Errorf("account %s %s %s (read): stored %q, simulator %q — the window is not complete", a.ID, lv, date, got[date], want)
				}
			}
		}
	}
}

// checkAcked asserts every acknowledged event is stored exactly once, with the id it was given.
func checkAcked(t *testing.T, db *store.DB, acked map[string]string, when string) {
	t.Helper()
	all, err := db.LeadEvents(context.Background(), 1, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string][]string{}
	for _, e := range all {
		stored[e.IdemKey] = append(stored[e.IdemKey], fmt.Sprint(e.ID))
	}
	lost := 0
	for id, sid := range acked {
		if got := stored[id]; len(got) != 1 || got[0] != sid {
			if lost++; lost <= 5 {
				t.Errorf("%s: event %s acknowledged as id %s, stored as %v", when, id, sid, got)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%s: %d of %d acknowledged events missing or changed", when, lost, len(acked))
	}
}

func TestBackupUnderLoadRestoresEverythingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes; skipped with -short")
	}
	sim, simURL := opsWorld(t, 60*time.Millisecond)
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "live", "leadlens.db")
	mkdir(t, filepath.Dir(dbPath))
	key, pages := opsClient(t, dbPath, sim)
	settings := map[string]string{"LEADLENS_DB": dbPath, "LEADLENS_ADDR": "127.0.0.1:0", "LEADLENS_LOG_LEVEL": "warn",
		"META_GRAPH_URL": simURL, "META_ACCESS_TOKEN": metasim.DemoToken, "LEADLENS_SCHEDULE": "0 0 1 1 *"}
	server := startMain(t, "serve", settings)

	load := startEventLoad(server.url, key, pages, 16)
	defer load.stop()
	waitFor(t, 30*time.Second, "the event load acknowledging 200 events", func() bool { return load.count() >= 200 })

	// A collection beside the server, as `leadlens collect` from cron or a shell would run: the
	// first sync back-fills 120 days in chunks, each chunk a window committed on its own.
	collectDone := make(chan error, 1)
	go func() {
		env := copyMap(settings)
		env["LEADLENS_BACKFILL_DAYS"] = "120"
		collectDone <- run(context.Background(), []string{"leadlens", "collect"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	}()
	live, err := store.Open(context.Background(), dbPath, store.Options{NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	// Back up once some windows are committed and (most likely) more are being read.
	waitFor(t, 60*time.Second, "the collection committing its first window", func() bool { return len(daysRead(t, live, sim)) > 0 })
	before := load.snapshot()
	windowsBefore := daysRead(t, live, sim)
	backupFile := filepath.Join(dir, "copy.db")
	var out strings.Builder
	if err := run(context.Background(), []string{"leadlens", "backup", "--to", backupFile}, func(k string) string { return settings[k] },
		&out, io.Discard); err != nil {
		t.Fatalf("backup while serving, posting and collecting: %v", err)
	}
	if !strings.Contains(out.String(), "integrity check ok") {
		t.Errorf("backup output: got %q, want it to say the copy was checked", out.String())
	}
	collecting := false
	select {
	case err := <-collectDone:
		collectDone <- err
	default:
		collecting = true
	}
	// Writing goes on after the backup; none of it may matter to the copy.
	time.Sleep(300 * time.Millisecond)
	after := load.stop()
	select {
	case err := <-collectDone:
		if err != nil {
			t.Fatalf("collect beside the server: %v", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the collection did not finish within 2 minutes")
	}
	t.Logf("backup taken with %d events acknowledged (%d by the end), %d days read (collection still running: %v)",
		len(before), len(after), len(windowsBefore), collecting)
	if code := server.terminate(t, 60*time.Second); code != 0 {
		t.Fatalf("serve after SIGTERM: exit status %d, want 0; stderr:\n%s", code, server.stderr.String())
	}

	// Restore into a fresh place, by a fresh process, and serve it.
	restored := filepath.Join(dir, "restored", "leadlens.db")
	mkdir(t, filepath.Dir(restored))
	rsettings := copyMap(settings)
	rsettings["LEADLENS_DB"] = restored
	r := startMain(t, "restore --from "+backupFile, rsettings)
	if code := r.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("restore: exit status %d; stderr:\n%s", code, r.stderr.String())
	}
	if !strings.Contains(r.stdout.String(), "Restored") {
		t.Errorf("restore output: got %q, want it to say what it restored", r.stdout.String())
	}
	server2 := startMain(t, "serve", rsettings)
	// Through the restored server: every event acknowledged before the backup started is there
	// (posting it again is answered as a duplicate of the same stored id).
	c := &events.Client{BaseURL: server2.url, APIKey: key, HTTP: &http.Client{Timeout: 10 * time.Second}}
	ids := make([]string, 0, len(before))
	for id := range before {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for len(ids) > 0 {
		n := min(len(ids), events.MaxEvents)
		req := events.Request{PageID: pages[0], PSID: "1", LoggingSource: "messenger_bot", LoggingTarget: "page"}
		for _, id := range ids[:n] {
			req.Events = append(req.Events, events.Event{Name: "lead_submitted", EventID: id})
		}
		res, err := c.LogEvents(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		for j, r := range res {
			if want := before[req.Events[j].EventID]; !r.Duplicate || r.ID != want {
				t.Fatalf("event %s acknowledged before the backup, after restore: got id %s duplicate %v, want a duplicate of id %s (lost)",
					req.Events[j].EventID, r.ID, r.Duplicate, want)
			}
		}
		ids = ids[n:]
	}
	if code := server2.terminate(t, 60*time.Second); code != 0 {
		t.Fatalf("restored serve after SIGTERM: exit status %d; stderr:\n%s", code, server2.stderr.String())
	}

	db, err := store.Open(context.Background(), restored, store.Options{NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkAcked(t, db, before, "restored copy")
	// Every window committed before the backup is in the copy, and nothing half-written is.
	got := daysRead(t, db, sim)
	for k := range windowsBefore {
		if !got[k] {
			t.Errorf("day %s was read before the backup started but is not in the restored copy", k)
		}
	}
	checkWindowsComplete(t, db, sim)
	// The copy holds the run the backup caught, recorded as the restored server found it.
	runs, err := db.Runs(context.Background(), store.RunFilter{})
	if err != nil || len(runs) == 0 {
		t.Fatalf("runs in the restored copy: %v %v, want the collection run", runs, err)
	}
	for _, run := range runs {
		if run.Status == store.RunRunning {
			t.Errorf("run %d in the restored copy is still 'running' after a server started on it; want it recorded cancelled", run.ID)
		}
	}
}

func TestSIGTERMDuringLoadKeepsAcknowledgedEventsAndCancelsTheRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes; skipped with -short")
	}
	sim, simURL := opsWorld(t, 200*time.Millisecond)
	dbPath := filepath.Join(t.TempDir(), "leadlens.db")
	key, pages := opsClient(t, dbPath, sim)
	// A collection every second: the first one back-fills 120 days slowly, so it is running
	// when the signal comes.
	settings := map[string]string{"LEADLENS_DB": dbPath, "LEADLENS_ADDR": "127.0.0.1:0", "LEADLENS_LOG_LEVEL": "warn",
		"META_GRAPH_URL": simURL, "META_ACCESS_TOKEN": metasim.DemoToken, "LEADLENS_SCHEDULE": "@every 1s",
		"LEADLENS_BACKFILL_DAYS": "120", "LEADLENS_SHUTDOWN_TIMEOUT": "20s"}
	server := startMain(t, "serve", settings)
	load := startEventLoad(server.url, key, pages, 16)
	defer load.stop()

	live, err := store.Open(context.Background(), dbPath, store.Options{NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "a scheduled run under way with events acknowledged", func() bool {
		runs, err := live.Runs(context.Background(), store.RunFilter{Status: store.RunRunning})
		return err == nil && len(runs) > 0 && load.count() >= 200
	})
	live.Close()

	start := time.Now()
	code := server.terminate(t, 60*time.Second)
	took := time.Since(start)
	acked := load.stop()
	if code != 0 {
		t.Fatalf("serve after SIGTERM: exit status %d, want 0; stderr:\n%s", code, server.stderr.String())
	}
	t.Logf("SIGTERM with %d events acknowledged; the server exited in %s", len(acked), took.Round(time.Millisecond))

	// Read the file as the process left it, before anything else starts on it.
	db, err := store.Open(context.Background(), dbPath, store.Options{NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkAcked(t, db, acked, "after SIGTERM")
	runs, err := db.Runs(context.Background(), store.RunFilter{})
	if err != nil || len(runs) == 0 {
		t.Fatalf("runs: %v %v", runs, err)
	}
	last := runs[0]
	for _, r := range runs {
		if r.ID > last.ID {
			last = r
		}
	}
	if last.Status != store.RunCancelled || last.FinishedAt.IsZero() || last.Error == store.InterruptedRunError {
		t.Errorf("the run in progress at SIGTERM: status %q finished %v error %q; want it recorded cancelled by the shutdown itself",
			last.Status, last.FinishedAt, last.Error)
	}
	checkWindowsComplete(t, db, sim)
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
}

// TestServeSchedulesBackupsAndRefusesRestore runs serve with a backup every second, keeping two:
// the backups appear in the directory and in the database (the admin page's list), the oldest
// are pruned, and restore and migrate refuse while the server holds the database.
func TestServeSchedulesBackupsAndRefusesRestore(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "leadlens.db")
	backups := filepath.Join(dir, "backups")
	envm := map[string]string{"LEADLENS_DB": dbPath, "LEADLENS_ADDR": "127.0.0.1:0", "LEADLENS_LOG_LEVEL": "warn",
		"LEADLENS_BACKUP_SCHEDULE": "@every 1s", "LEADLENS_BACKUP_DIR": backups, "LEADLENS_BACKUP_KEEP": "2"}
	_, stop, _ := startRun(t, []string{"serve"}, envm)

	live, err := store.Open(context.Background(), dbPath, store.Options{NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	waitFor(t, 30*time.Second, "three scheduled backups recorded", func() bool {
		recs, err := live.Backups(context.Background(), 10)
		return err == nil && len(recs) >= 3
	})
	recs, err := live.Backups(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Status != store.BackupSucceeded || r.SizeBytes <= 0 || r.Trigger != store.BackupTriggerSchedule {
			t.Errorf("scheduled backup %+v: want succeeded, a size and trigger %q", r, store.BackupTriggerSchedule)
		}
	}
	// Pruning runs after each backup; give the newest one's prune a moment.
	waitFor(t, 10*time.Second, "the backup directory pruned to 2 files", func() bool {
		files, _ := filepath.Glob(filepath.Join(backups, "leadlens-*.db"))
		return len(files) == 2
	})

	// Beside the running server, restore and migrate refuse and say why.
	env := func(k string) string { return envm[k] }
	err = run(context.Background(), []string{"leadlens", "restore", "--from", recs[0].Path}, env, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "stop it first") {
		t.Errorf("restore while serve runs: got %v, want a refusal saying to stop the server first", err)
	}
	err = run(context.Background(), []string{"leadlens", "migrate"}, env, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "stop it first") {
		t.Errorf("migrate while serve runs: got %v, want a refusal saying to stop the server first", err)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve after shutdown: %v", err)
	}
	// With the server gone, the same restore goes through.
	var out strings.Builder
	if err := run(context.Background(), []string{"leadlens", "restore", "--from", recs[0].Path}, env, &out, io.Discard); err != nil {
		t.Fatalf("restore after the server stopped: %v", err)
	}
	if !strings.Contains(out.String(), "kept as") {
		t.Errorf("restore output: got %q, want where the replaced database is kept", out.String())
	}
}
