package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// envReadRE finds the environment variables the program reads: registerCommon's e.str("…")
// defaults and direct getenv("…") calls.
var envReadRE = regexp.MustCompile(`(?:\.str|getenv)\("((?:LEADLENS|META)_[A-Z0-9_]+|TZ)"`)

// programEnv is every environment variable the main package's non-test sources read.
func programEnv(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range envReadRE.FindAllStringSubmatch(string(b), -1) {
			if !slices.Contains(names, m[1]) {
				names = append(names, m[1])
			}
		}
	}
	slices.Sort(names)
	// The search itself must work: these are read by config.go today.
	for _, known := range []string{"LEADLENS_ADDR", "LEADLENS_DB", "LEADLENS_SECRET", "META_ACCESS_TOKEN", "LEADLENS_BACKUP_KEEP", "TZ"} {
		if !slices.Contains(names, known) {
			t.Fatalf("the search of the sources found %v, which lacks %s: fix envReadRE", names, known)
		}
	}
	return names
}

// envSettingRE is a setting line of the example: KEY=value, or #KEY=value when commented out.
var envSettingRE = regexp.MustCompile(`^(#?)([A-Z][A-Z0-9_]*)=(.*)$`)

// TestEnvExampleMatchesTheProgram: deploy/leadlens.env.example documents every variable the
// program reads and nothing else, names only real settings in its prose, leaves every secret
// commented out, and quotes values a shell would split.
func TestEnvExampleMatchesTheProgram(t *testing.T) {
	read := programEnv(t)
	b, err := os.ReadFile(filepath.Join("deploy", "leadlens.env.example"))
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	secrets := []string{"LEADLENS_SECRET", "META_ACCESS_TOKEN", "LEADLENS_METRICS_TOKEN"}
	for i, line := range strings.Split(string(b), "\n") {
		m := envSettingRE.FindStringSubmatch(line)
		if m == nil {
			if line != "" && !strings.HasPrefix(line, "# ") && line != "#" {
				t.Errorf("line %d %q: want a setting (KEY=value or #KEY=value), a comment (# …) or nothing", i+1, line)
			}
			continue
		}
		commented, key, value := m[1] == "#", m[2], m[3]
		if documented[key] {
			t.Errorf("line %d: %s appears twice", i+1, key)
		}
		documented[key] = true
		if !slices.Contains(read, key) {
			t.Errorf("line %d: %s is not a setting Leadlens reads (it reads %v)", i+1, key, read)
		}
		if slices.Contains(secrets, key) && !commented {
			t.Errorf("line %d: the secret %s is set in the example; leave it commented out", i+1, key)
		}
		if strings.ContainsAny(value, " *") && !(strings.HasPrefix(value, `"`) && strings.HasSuffix(value, `"`)) {
			t.Errorf("line %d: %s=%s: quote it, a shell sourcing the file would split it", i+1, key, value)
		}
	}
	for _, k := range read {
		if !documented[k] {
			t.Errorf("%s is read by Leadlens but not in deploy/leadlens.env.example", k)
		}
	}
	// Names in the prose, and in the README's production section, are real settings too.
	for _, m := range regexp.MustCompile(`\b(?:LEADLENS|META)_[A-Z0-9_]+\b`).FindAllString(string(b), -1) {
		if !slices.Contains(read, m) {
			t.Errorf("the example mentions %s, which Leadlens does not read", m)
		}
	}
}

// TestReadmeSettings: every LEADLENS_*/META_* the README mentions is one the program reads, and
// its configuration table has a row for every variable the program reads.
func TestReadmeSettings(t *testing.T) {
	read := programEnv(t)
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`\b(?:LEADLENS|META)_[A-Z0-9_]+\b`).FindAllString(string(b), -1) {
		if !slices.Contains(read, m) && !seen[m] {
			seen[m] = true
			t.Errorf("README.md mentions %s, which Leadlens does not read", m)
		}
	}
	for _, k := range read {
		if !strings.Contains(string(b), "\n| `"+k+"` |") {
			t.Errorf("README.md's configuration table has no row for %s", k)
		}
	}
}

// TestServiceUnit: the systemd unit runs serve as its own user with the documented environment
// file and data directory, and gives shutdown more time than LEADLENS_SHUTDOWN_TIMEOUT.
func TestServiceUnit(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("deploy", "leadlens.service"))
	if err != nil {
		t.Fatal(err)
	}
	unit := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			unit[k] = append(unit[k], v)
		}
	}
	for k, want := range map[string]string{
		"User":             "leadlens",
		"EnvironmentFile":  "/etc/leadlens/leadlens.env",
		"StateDirectory":   "leadlens",
		"ExecStart":        "/usr/local/bin/leadlens serve",
		"Restart":          "on-failure",
		"NoNewPrivileges":  "yes",
		"ProtectSystem":    "strict",
		"ProtectHome":      "yes",
		"PrivateTmp":       "yes",
		"ReadWritePaths":   "/var/lib/leadlens",
		"WorkingDirectory": "/var/lib/leadlens",
	} {
		if got := unit[k]; len(got) != 1 || got[0] != want {
			t.Errorf("leadlens.service %s: got %v, want %s", k, got, want)
		}
	}
	stop, err := time.ParseDuration(strings.Join(unit["TimeoutStopSec"], ""))
	if err != nil {
		t.Fatalf("leadlens.service TimeoutStopSec %v: %v", unit["TimeoutStopSec"], err)
	}
	var cfg config
	fs := newFlagSet("serve", nil)
	finish := registerCommon(fs, func(string) string { return "" }, &cfg)
	if err := finish(); err != nil {
		t.Fatal(err)
	}
	if stop <= cfg.ShutdownTimeout {
		t.Errorf("TimeoutStopSec %s, want more than the default LEADLENS_SHUTDOWN_TIMEOUT %s", stop, cfg.ShutdownTimeout)
	}
	// The example's database is in the unit's state directory.
	env, err := os.ReadFile(filepath.Join("deploy", "leadlens.env.example"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(env), "\nLEADLENS_DB=/var/lib/leadlens/") {
		t.Errorf("leadlens.env.example: want LEADLENS_DB set to a file in /var/lib/leadlens (the StateDirectory)")
	}
}
