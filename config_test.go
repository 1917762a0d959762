package main

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// configErrorCase is one bad setting and what its error must say: the setting's name and the
// fix (an example value or the action to take).
type configErrorCase struct {
	name string
	cmd  string // the command run; "serve" for checks made only when the server starts
	env  map[string]string
	want []string
}

// runConfigCase runs tc's command on ctx with a database in dir and returns its error.
func runConfigCase(ctx context.Context, t *testing.T, dir string, tc configErrorCase) error {
	t.Helper()
	env := map[string]string{"LEADLENS_DB": filepath.Join(dir, "ll.db"), "LEADLENS_ADDR": "127.0.0.1:0"}
	for k, v := range tc.env {
		env[k] = v
	}
	return run(ctx, []string{"leadlens", tc.cmd}, func(k string) string { return env[k] }, io.Discard, io.Discard)
}

// checkConfigError asserts err is one line naming the setting and the fix.
func checkConfigError(t *testing.T, tc configErrorCase, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: got no error, want one naming %v", tc.name, tc.want)
		return
	}
	msg := err.Error()
	if strings.Contains(strings.TrimSpace(msg), "\n") {
		t.Errorf("%s: got a message of several lines %q, want one line", tc.name, msg)
	}
	for _, w := range tc.want {
		if !strings.Contains(msg, w) {
			t.Errorf("%s: got %q, want it to contain %q", tc.name, msg, w)
		}
	}
}

// TestConfigErrorsAreOneLineWithTheFix covers every setting issue 9 names: each mistake stops
// the program with one line that names the setting and says how to fix it.
func TestConfigErrorsAreOneLineWithTheFix(t *testing.T) {
	dir := t.TempDir()
	notTZ := filepath.Join(dir, "not-a-zone")
	if err := os.WriteFile(notTZ, []byte("this is not zoneinfo data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []configErrorCase{
		{"collection schedule, bad field", "migrate", map[string]string{"LEADLENS_SCHEDULE": "61 * * * *"},
			[]string{"LEADLENS_SCHEDULE", `"61 * * * *"`, `e.g. "17 */3 * * *"`}},
		{"collection schedule, words", "migrate", map[string]string{"LEADLENS_SCHEDULE": "every hour"},
			[]string{"LEADLENS_SCHEDULE", "five fields"}},
		{"backup schedule", "migrate", map[string]string{"LEADLENS_BACKUP_SCHEDULE": "daily at 3"},
			[]string{"LEADLENS_BACKUP_SCHEDULE", `e.g. "30 3 * * *"`, "leave it empty"}},
		{"backup schedule with a line break", "migrate", map[string]string{"LEADLENS_BACKUP_SCHEDULE": "30 3\n* *"},
			[]string{"LEADLENS_BACKUP_SCHEDULE", `e.g. "30 3 * * *"`}},
		{"graph URL without scheme", "migrate", map[string]string{"META_GRAPH_URL": "graph.facebook.com"},
			[]string{"META_GRAPH_URL", "e.g. https://graph.facebook.com"}},
		{"graph URL not http", "migrate", map[string]string{"META_GRAPH_URL": "ftp://127.0.0.1/"},
			[]string{"META_GRAPH_URL", "e.g. https://graph.facebook.com"}},
		{"graph URL with a version", "migrate", map[string]string{"META_GRAPH_URL": "https://graph.facebook.com/v21.0"},
			[]string{"META_GRAPH_URL", "remove it and set META_API_VERSION"}},
		{"base URL", "migrate", map[string]string{"LEADLENS_BASE_URL": "leads.example.com"},
			[]string{"LEADLENS_BASE_URL", "e.g. https://leads.example.com"}},
		{"base URL not http", "migrate", map[string]string{"LEADLENS_BASE_URL": "mailto:x@example.com"},
			[]string{"LEADLENS_BASE_URL", "e.g. https://leads.example.com"}},
		{"timezone name", "migrate", map[string]string{"TZ": "Mars/Olympus_Mons"},
			[]string{"TZ", "Mars/Olympus_Mons", "Europe/Berlin"}},
		{"timezone file that is not zoneinfo", "migrate", map[string]string{"TZ": ":" + notTZ},
			[]string{"TZ", "Europe/Berlin"}},
		{"api version", "migrate", map[string]string{"META_API_VERSION": "latest"},
			[]string{"META_API_VERSION", "like v21.0"}},
		{"api version without .0", "migrate", map[string]string{"META_API_VERSION": "v21"},
			[]string{"META_API_VERSION", "like v21.0"}},
		{"listen address without port", "migrate", map[string]string{"LEADLENS_ADDR": "127.0.0.1"},
			[]string{"LEADLENS_ADDR", "e.g. localhost:8080"}},
		{"listen address port out of range", "migrate", map[string]string{"LEADLENS_ADDR": "127.0.0.1:65536"},
			[]string{"LEADLENS_ADDR", "0 to 65535", "e.g. 127.0.0.1:8080"}},
		{"listen address negative port", "migrate", map[string]string{"LEADLENS_ADDR": "127.0.0.1:-1"},
			[]string{"LEADLENS_ADDR", "0 to 65535"}},
		{"backups kept, zero", "migrate", map[string]string{"LEADLENS_BACKUP_KEEP": "0"},
			[]string{"LEADLENS_BACKUP_KEEP", "1 to 1000", "e.g. 7"}},
		{"backups kept, too many", "migrate", map[string]string{"LEADLENS_BACKUP_KEEP": "5000"},
			[]string{"LEADLENS_BACKUP_KEEP", "1 to 1000", "e.g. 7"}},
		{"backups kept, not a number", "migrate", map[string]string{"LEADLENS_BACKUP_KEEP": "all"},
			[]string{"LEADLENS_BACKUP_KEEP", "e.g. 7"}},
	}
	for _, tc := range tests {
		checkConfigError(t, tc, runConfigCase(context.Background(), t, dir, tc))
	}
}

// TestConfigErrorsOfFilesAtServeStart covers the settings checked when serve opens what it
// needs: the key file and the backup directory.
func TestConfigErrorsOfFilesAtServeStart(t *testing.T) {
	dir := t.TempDir()
	aFile := filepath.Join(dir, "a-file")
	writeFile(t, aFile, "x", 0o600)
	key := strings.Repeat("ab", 32) + "\n"
	readable := filepath.Join(dir, "readable.key")
	writeFile(t, readable, key, 0o644)
	garbled := filepath.Join(dir, "garbled.key")
	writeFile(t, garbled, "not a key\n", 0o600)
	keyDir := filepath.Join(dir, "keydir")
	if err := os.Mkdir(keyDir, 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []configErrorCase{
		{"key file is a directory", "serve", map[string]string{"LEADLENS_KEY_FILE": keyDir},
			[]string{"LEADLENS_KEY_FILE", keyDir, "is a directory", "make it a file", "LEADLENS_SECRET"}},
		{"key file readable by others", "serve", map[string]string{"LEADLENS_KEY_FILE": readable},
			[]string{"LEADLENS_KEY_FILE", readable, "-rw-r--r--", "chmod 600 " + readable}},
		{"key file with bad contents", "serve", map[string]string{"LEADLENS_KEY_FILE": garbled},
			[]string{"LEADLENS_KEY_FILE", garbled, "64-hex-digit key", "restore it from your backup"}},
		{"backup dir not creatable", "serve", map[string]string{"LEADLENS_BACKUP_SCHEDULE": "30 3 * * *",
			"LEADLENS_BACKUP_DIR": filepath.Join(aFile, "backups")},
			[]string{"LEADLENS_BACKUP_DIR", "cannot be created", "choose another directory"}},
	}
	// Every check happens before serve would listen: a cancelled context stops it there
	// if a check wrongly passes.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range tests {
		checkConfigError(t, tc, runConfigCase(ctx, t, dir, tc))
	}
	// backup without --to writes into LEADLENS_BACKUP_DIR too, schedule or not.
	tc := configErrorCase{"backup dir not creatable, backup command", "backup",
		map[string]string{"LEADLENS_BACKUP_DIR": filepath.Join(aFile, "backups")},
		[]string{"LEADLENS_BACKUP_DIR", "cannot be created", "choose another directory"}}
	if err := runConfigCase(context.Background(), t, dir, configErrorCase{name: "migrate", cmd: "migrate"}); err != nil {
		t.Fatal(err)
	}
	checkConfigError(t, tc, runConfigCase(context.Background(), t, dir, tc))
}

// TestConfigErrorPortInUse: serve on a port another program holds says so, naming the setting.
func TestConfigErrorPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tc := configErrorCase{"port in use", "serve", map[string]string{"LEADLENS_ADDR": ln.Addr().String()},
		[]string{"LEADLENS_ADDR", ln.Addr().String(), "address already in use", "choose a free port"}}
	checkConfigError(t, tc, runConfigCase(ctx, t, t.TempDir(), tc))
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // WriteFile's mode is filtered by the umask
		t.Fatal(err)
	}
}
