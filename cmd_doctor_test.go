package main

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadlens/leadlens/metasim"
	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
)

// doctorSetup is an installation as an operator has it: a database made by migrate, its key
// file, one client with one ad account, and the simulated Graph API with its token.
type doctorSetup struct {
	dir, db, key string
	account      string // act_…
	env          map[string]string
}

func newDoctorSetup(t *testing.T) *doctorSetup {
	t.Helper()
	sim, err := metasim.New(metasim.DemoOptions())
	if err != nil {
		t.Fatal(err)
	}
	graphURL, stop, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	dir := t.TempDir()
	s := &doctorSetup{dir: dir, db: filepath.Join(dir, "leadlens.db"), key: filepath.Join(dir, "leadlens.key"), account: "act_4242"}
	s.env = map[string]string{"LEADLENS_DB": s.db, "META_GRAPH_URL": graphURL, "META_ACCESS_TOKEN": metasim.DemoToken}
	if _, err := secret.LoadOrCreateKeyFile(s.key); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"migrate"}, {"clients", "add", "--name", "Acme", "--ad-account", s.account}} {
		if _, _, err := s.run(args...); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	return s
}

// run runs the real program with the setup's environment.
func (s *doctorSetup) run(args ...string) (stdout, stderr string, err error) {
	var out, errOut strings.Builder
	err = run(context.Background(), append([]string{"leadlens"}, args...), func(k string) string { return s.env[k] }, &out, &errOut)
	return out.String(), errOut.String(), err
}

// withDB opens the setup's database for a test's own changes.
func (s *doctorSetup) withDB(t *testing.T, fn func(db *store.DB)) {
	t.Helper()
	db, err := store.Open(context.Background(), s.db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fn(db)
}

// doctorLine is one printed check.
type doctorLine struct{ status, detail string }

var doctorSummaryRE = regexp.MustCompile(`^(\d+) checks: (\d+) ok, (\d+) warn, (\d+) fail$`)

// doctor runs `leadlens doctor` and returns its checks by name, after checking the table's form:
// a header, one line per check, a summary that adds up.
func (s *doctorSetup) doctor(t *testing.T) (map[string]doctorLine, string, error) {
	t.Helper()
	out, errOut, err := s.run("doctor")
	if errOut != "" {
		t.Errorf("doctor wrote to stderr: %q", errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "STATUS") {
		t.Fatalf("doctor printed %q, want a table with a header and a summary", out)
	}
	checks := map[string]doctorLine{}
	count := map[string]int{}
	col := regexp.MustCompile(`\s{2,}`)
	for _, l := range lines[1 : len(lines)-1] {
		f := col.Split(l, 3)
		if len(f) != 3 || (f[0] != checkOK && f[0] != checkWarn && f[0] != checkFail) {
			t.Fatalf("doctor line %q: want STATUS  CHECK  DETAIL with ok, warn or fail\n%s", l, out)
		}
		if _, dup := checks[f[1]]; dup {
			t.Errorf("doctor printed check %q twice\n%s", f[1], out)
		}
		checks[f[1]] = doctorLine{f[0], f[2]}
		count[f[0]]++
	}
	m := doctorSummaryRE.FindStringSubmatch(lines[len(lines)-1])
	want := []string{"", strconv.Itoa(len(checks)), strconv.Itoa(count[checkOK]), strconv.Itoa(count[checkWarn]), strconv.Itoa(count[checkFail])}
	if m == nil || strings.Join(m[1:], " ") != strings.Join(want[1:], " ") {
		t.Errorf("doctor summary %q, want %s checks: %s ok, %s warn, %s fail", lines[len(lines)-1], want[1], want[2], want[3], want[4])
	}
	// Exit status: any fail is an error main turns into exit status 1 without printing more.
	if (count[checkFail] > 0) != (err != nil) {
		t.Errorf("doctor with %d failed checks returned %v; want an error exactly when a check fails", count[checkFail], err)
	}
	if err != nil && (!errors.Is(err, errReported) || isUsage(err)) {
		t.Errorf("doctor returned %v, want errReported (exit status 1, nothing more printed)", err)
	}
	return checks, out, err
}

// wantCheck asserts one check's status and that its detail holds every want.
func wantCheck(t *testing.T, checks map[string]doctorLine, out, name, status string, want ...string) {
	t.Helper()
	c, ok := checks[name]
	if !ok {
		t.Errorf("doctor printed no %q check\n%s", name, out)
		return
	}
	if c.status != status {
		t.Errorf("check %s: got %s (%s), want %s", name, c.status, c.detail, status)
	}
	for _, w := range want {
		if !strings.Contains(c.detail, w) {
			t.Errorf("check %s: got %q, want it to contain %q", name, c.detail, w)
		}
	}
}

// TestDoctorHealthy: a sound installation whose account synced is all ok, apart from the
// backup nobody made yet, and doctor exits 0.
func TestDoctorHealthy(t *testing.T) {
	s := newDoctorSetup(t)
	s.withDB(t, func(db *store.DB) {
		if err := db.RecordAccountOutcome(context.Background(), strings.TrimPrefix(s.account, "act_"), time.Now().Add(-time.Hour), ""); err != nil {
			t.Fatal(err)
		}
	})
	checks, out, err := s.doctor(t)
	if err != nil {
		t.Fatalf("doctor on a healthy installation: got %v, want nil\n%s", err, out)
	}
	wantCheck(t, checks, out, "config", checkOK, s.db)
	wantCheck(t, checks, out, "key", checkOK, s.key, "0600")
	wantCheck(t, checks, out, "server", checkOK, "no Leadlens server")
	wantCheck(t, checks, out, "schema", checkOK)
	wantCheck(t, checks, out, "integrity", checkOK, "integrity_check ok")
	wantCheck(t, checks, out, "size", checkOK, "kB")
	wantCheck(t, checks, out, "tokens", checkOK)
	wantCheck(t, checks, out, "meta", checkOK, "GET /me", s.env["META_GRAPH_URL"], "META_ACCESS_TOKEN")
	wantCheck(t, checks, out, "sync "+s.account, checkOK, "last successful sync 1h0m0s ago")
	wantCheck(t, checks, out, "forwarding", checkOK)
	wantCheck(t, checks, out, "backup", checkWarn, "no backup recorded", "leadlens backup")
	if len(checks) != 11 {
		t.Errorf("doctor printed %d checks, want the 11 above\n%s", len(checks), out)
	}
	if strings.Contains(out, metasim.DemoToken) {
		t.Errorf("doctor printed the Meta token\n%s", out)
	}
}

// TestDoctorBadToken: Meta refusing the token fails the meta line, which says what Meta said
// and never shows the token, from the environment or stored sealed in the database.
func TestDoctorBadToken(t *testing.T) {
	s := newDoctorSetup(t)
	const bad = "EAAbadTOKENdoctorTest9876543210"
	s.env["META_ACCESS_TOKEN"] = bad
	checks, out, err := s.doctor(t)
	if err == nil {
		t.Fatalf("doctor with a bad token: got nil, want an error\n%s", out)
	}
	wantCheck(t, checks, out, "meta", checkFail, "GET /me", "Invalid OAuth access token", "code 190", "what to do", "META_ACCESS_TOKEN")
	if strings.Contains(out, bad) || strings.Contains(out, bad[:12]) {
		t.Errorf("doctor printed the token %q\n%s", bad, out)
	}

	// The same token stored through Admin → Meta connection (sealed with the key file).
	box, err := secret.LoadOrCreateKeyFile(s.key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := box.Seal(bad)
	if err != nil {
		t.Fatal(err)
	}
	s.withDB(t, func(db *store.DB) {
		if err := db.SetSetting(context.Background(), store.SettingMetaToken, sealed); err != nil {
			t.Fatal(err)
		}
	})
	delete(s.env, "META_ACCESS_TOKEN")
	checks, out, _ = s.doctor(t)
	wantCheck(t, checks, out, "tokens", checkOK, "1 stored token")
	wantCheck(t, checks, out, "meta", checkFail, "Invalid OAuth access token", "Admin → Meta connection")
	if strings.Contains(out, bad) || strings.Contains(out, bad[:12]) {
		t.Errorf("doctor printed the stored token %q\n%s", bad, out)
	}
}

// TestDoctorKeyFile: a key file others can read fails with the chmod that fixes it; a key file
// setting that names a directory fails without suggesting chmod on the directory; a stored token
// the key cannot open fails the tokens line.
func TestDoctorKeyFile(t *testing.T) {
	s := newDoctorSetup(t)
	if err := os.Chmod(s.key, 0o644); err != nil {
		t.Fatal(err)
	}
	checks, out, err := s.doctor(t)
	if err == nil {
		t.Fatalf("doctor with a 0644 key file: got nil, want an error\n%s", out)
	}
	wantCheck(t, checks, out, "key", checkFail, "LEADLENS_KEY_FILE", s.key, "-rw-r--r--", "chmod 600 "+s.key)

	if err := os.Chmod(s.key, 0o600); err != nil {
		t.Fatal(err)
	}
	s.env["LEADLENS_KEY_FILE"] = s.dir
	checks, out, _ = s.doctor(t)
	wantCheck(t, checks, out, "key", checkFail, "LEADLENS_KEY_FILE", "is not a file (a directory)", "point LEADLENS_KEY_FILE at the key file")
	if strings.Contains(checks["key"].detail, "chmod") {
		t.Errorf("key check for a directory: got %q, want no chmod advice", checks["key"].detail)
	}
	delete(s.env, "LEADLENS_KEY_FILE")

	// A token sealed with another key.
	other, err := secret.NewBox("another-installation-secret")
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := other.Seal("EAAsomeothertoken")
	if err != nil {
		t.Fatal(err)
	}
	s.withDB(t, func(db *store.DB) {
		if err := db.SetSetting(context.Background(), store.SettingMetaToken, sealed); err != nil {
			t.Fatal(err)
		}
	})
	checks, out, _ = s.doctor(t)
	wantCheck(t, checks, out, "key", checkOK)
	wantCheck(t, checks, out, "tokens", checkFail, "cannot be decrypted with this key", "the installation token")
}

// TestDoctorDatabaseProblems: a missing, foreign, damaged or misplaced database fails with a
// line that says what is wrong and what to do, and doctor changes nothing.
func TestDoctorDatabaseProblems(t *testing.T) {
	s := newDoctorSetup(t)
	good, err := os.ReadFile(s.db)
	if err != nil {
		t.Fatal(err)
	}

	s.env["LEADLENS_DB"] = filepath.Join(s.dir, "missing.db")
	s.env["LEADLENS_KEY_FILE"] = s.key
	checks, out, err := s.doctor(t)
	if err == nil {
		t.Fatalf("doctor without a database: got nil, want an error\n%s", out)
	}
	wantCheck(t, checks, out, "database", checkFail, "missing.db does not exist", "leadlens restore --from")
	if _, err := os.Stat(filepath.Join(s.dir, "missing.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("doctor created the missing database (stat: %v)", err)
	}

	s.env["LEADLENS_DB"] = s.dir
	checks, out, _ = s.doctor(t)
	wantCheck(t, checks, out, "database", checkFail, "is not a file (a directory)", "point LEADLENS_DB at the database file")

	junk := filepath.Join(s.dir, "junk.db")
	writeFile(t, junk, strings.Repeat("not a database at all. ", 400), 0o600)
	s.env["LEADLENS_DB"] = junk
	checks, out, _ = s.doctor(t)
	wantCheck(t, checks, out, "database", checkFail, "junk.db cannot be opened as a SQLite database", "file is not a database", "restore the latest good backup")

	// A database a newer Leadlens migrated.
	newer := filepath.Join(s.dir, "newer.db")
	writeFile(t, newer, string(good), 0o600)
	raw, err := sql.Open("sqlite", "file:"+newer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO schema_migrations (version_id, is_applied) VALUES (?, 1)`, store.LatestSchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	s.env["LEADLENS_DB"] = newer
	checks, out, _ = s.doctor(t)
	wantCheck(t, checks, out, "database", checkFail, "newer than this Leadlens binary knows", "use the newer Leadlens binary")

	// A copy whose clients table is damaged: it opens, and the integrity check finds it.
	damaged := filepath.Join(s.dir, "damaged.db")
	writeFile(t, damaged, string(good), 0o600)
	damageTable(t, damaged, "clients")
	s.env["LEADLENS_DB"] = damaged
	checks, out, _ = s.doctor(t)
	wantCheck(t, checks, out, "integrity", checkFail, "SQLite's integrity check found", "restore the latest good backup")
	wantCheck(t, checks, out, "contents", checkWarn, "the database is damaged")
	if strings.Contains(out, "***") {
		t.Errorf("integrity line keeps SQLite's header line\n%s", out)
	}
	after, err := os.ReadFile(s.db)
	if err != nil || string(after) != string(good) {
		t.Errorf("doctor changed the real database (read: %v)", err)
	}
}

// damageTable overwrites the header of table's root page: cells pointing nowhere.
func damageTable(t *testing.T, path, table string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	var root, pageSize int64
	if err := db.QueryRow(`SELECT rootpage FROM sqlite_master WHERE name = ?`, table).Scan(&root); err != nil {
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
	// A leaf table page whose cell pointers past the header are zero: every cell out of range.
	if _, err := f.WriteAt([]byte{0x0d, 0, 0, 0, 5, 0}, (root-1)*pageSize); err != nil {
		t.Fatal(err)
	}
}

// TestDoctorSyncs: an account never synced warns, one whose last sync failed fails with Meta's
// words, one synced long ago (more than twice the schedule's interval) warns.
func TestDoctorSyncs(t *testing.T) {
	s := newDoctorSetup(t)
	name := "sync " + s.account
	checks, out, err := s.doctor(t)
	if err != nil {
		t.Fatalf("doctor: got %v, want nil (never synced is a warning)\n%s", err, out)
	}
	wantCheck(t, checks, out, name, checkWarn, "never synced", "leadlens collect --account "+s.account)

	id := strings.TrimPrefix(s.account, "act_")
	s.withDB(t, func(db *store.DB) {
		if err := db.RecordAccountOutcome(context.Background(), id, time.Now().Add(-48*time.Hour), ""); err != nil {
			t.Fatal(err)
		}
	})
	checks, out, _ = s.doctor(t)
	wantCheck(t, checks, out, name, checkWarn, "more than twice the schedule's interval", "is serve running?")

	s.withDB(t, func(db *store.DB) {
		if err := db.RecordAccountOutcome(context.Background(), id, time.Now().Add(-time.Hour), "Meta: Error validating access token (code 190)"); err != nil {
			t.Fatal(err)
		}
	})
	checks, out, err = s.doctor(t)
	if err == nil {
		t.Errorf("doctor with a failed sync: got nil, want an error")
	}
	wantCheck(t, checks, out, name, checkFail, "the last sync failed", "Error validating access token")
}

// TestDoctorBackups: a backup made with `leadlens backup` shows on the backup line; with a
// schedule set and no backup yet, the line asks whether serve runs.
func TestDoctorBackups(t *testing.T) {
	s := newDoctorSetup(t)
	s.env["LEADLENS_BACKUP_SCHEDULE"] = "30 3 * * *"
	checks, out, _ := s.doctor(t)
	wantCheck(t, checks, out, "backup", checkWarn, "no backup yet", `"30 3 * * *"`, "is serve running?")

	dest := filepath.Join(s.dir, "before-upgrade.db")
	if _, _, err := s.run("backup", "--to", dest); err != nil {
		t.Fatal(err)
	}
	checks, out, err := s.doctor(t)
	if err != nil {
		t.Fatalf("doctor after a backup: got %v, want nil\n%s", err, out)
	}
	wantCheck(t, checks, out, "backup", checkOK, "last successful backup", "ago", dest, "kB")
}
