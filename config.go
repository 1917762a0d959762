package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/leadlens/leadlens/backup"
	"github.com/leadlens/leadlens/collector"
	"github.com/leadlens/leadlens/secret"
)

// config is every setting, parsed once from flags with LEADLENS_*/META_* environment defaults.
type config struct {
	Addr            string
	DB              string
	Secret          string // LEADLENS_SECRET; never logged
	KeyFile         string // LEADLENS_KEY_FILE, used when Secret is empty; generated beside the database
	GraphURL        string
	APIVersion      string
	AccessToken     string // META_ACCESS_TOKEN; never logged
	Schedule        string
	LookbackDays    int
	BackfillDays    int
	LogLevel        slog.Level
	LogFormat       string
	BaseURL         string // public URL, when behind a proxy; https here makes cookies Secure
	TrustProxy      bool   // take the client IP from X-Forwarded-For / X-Real-IP
	MetricsToken    string // bearer token that may scrape /metrics; never logged
	MaxBodyBytes    int64
	ShutdownTimeout time.Duration
	// Scheduled backups in serve: off while BackupSchedule is empty.
	BackupSchedule string
	BackupDir      string // default: "backups" beside the database
	BackupKeep     int
	// TZ is the process's TZ environment variable, checked because Go quietly falls back to
	// UTC on a name it does not know (and the cron schedules follow the local zone).
	TZ string
}

// usageError marks bad command-line usage: main exits 2 for it.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// isUsage reports whether err is bad usage.
func isUsage(err error) bool {
	var u *usageError
	return errors.As(err, &u)
}

// envDefault reads one environment default.
type envDefault func(string) string

func (e envDefault) str(key, def string) string {
	if v := strings.TrimSpace(e(key)); v != "" {
		return v
	}
	return def
}

// newFlagSet makes a command's flag set that reports errors instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("leadlens "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// registerCommon adds the settings every server-ish command shares and returns a function that
// finishes the config after fs.Parse.
func registerCommon(fs *flag.FlagSet, getenv func(string) string, c *config) func() error {
	e := envDefault(getenv)
	fs.StringVar(&c.Addr, "addr", e.str("LEADLENS_ADDR", "localhost:8080"), "listen address (LEADLENS_ADDR)")
	fs.StringVar(&c.DB, "db", e.str("LEADLENS_DB", "leadlens.db"), "SQLite database file (LEADLENS_DB)")
	fs.StringVar(&c.GraphURL, "graph-url", e.str("META_GRAPH_URL", "https://graph.facebook.com"), "Graph API base URL, without version (META_GRAPH_URL)")
	fs.StringVar(&c.APIVersion, "api-version", e.str("META_API_VERSION", "v21.0"), "Graph API version, e.g. v21.0 (META_API_VERSION)")
	fs.StringVar(&c.Schedule, "schedule", e.str("LEADLENS_SCHEDULE", "17 */3 * * *"), "cron spec of scheduled collection (LEADLENS_SCHEDULE)")
	lookback := fs.String("lookback-days", e.str("LEADLENS_LOOKBACK_DAYS", "28"), "days re-read by each run, because Meta restates them (LEADLENS_LOOKBACK_DAYS)")
	backfill := fs.String("backfill-days", e.str("LEADLENS_BACKFILL_DAYS", "90"), "history read on an account's first sync (LEADLENS_BACKFILL_DAYS)")
	level := fs.String("log-level", e.str("LEADLENS_LOG_LEVEL", "info"), "debug, info, warn or error (LEADLENS_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", e.str("LEADLENS_LOG_FORMAT", "text"), "text or json (LEADLENS_LOG_FORMAT)")
	fs.StringVar(&c.BaseURL, "base-url", e.str("LEADLENS_BASE_URL", ""), "public URL when behind a proxy, e.g. https://leads.example.com (LEADLENS_BASE_URL)")
	trust := fs.String("trust-proxy", e.str("LEADLENS_TRUST_PROXY", "false"), "trust X-Forwarded-For from a reverse proxy (LEADLENS_TRUST_PROXY)")
	maxBody := fs.String("max-body-bytes", e.str("LEADLENS_MAX_BODY_BYTES", "1048576"), "largest event API request body (LEADLENS_MAX_BODY_BYTES)")
	shutdown := fs.String("shutdown-timeout", e.str("LEADLENS_SHUTDOWN_TIMEOUT", "30s"), "how long shutdown waits for in-flight work (LEADLENS_SHUTDOWN_TIMEOUT)")
	fs.StringVar(&c.KeyFile, "key-file", e.str("LEADLENS_KEY_FILE", ""), "key file sealing stored Meta tokens when LEADLENS_SECRET is unset; default leadlens.key beside the database (LEADLENS_KEY_FILE)")
	fs.StringVar(&c.BackupSchedule, "backup-schedule", e.str("LEADLENS_BACKUP_SCHEDULE", ""), "cron spec of scheduled backups in serve, e.g. \"30 3 * * *\"; empty: none (LEADLENS_BACKUP_SCHEDULE)")
	fs.StringVar(&c.BackupDir, "backup-dir", e.str("LEADLENS_BACKUP_DIR", ""), "directory of scheduled backups; default backups beside the database (LEADLENS_BACKUP_DIR)")
	keep := fs.String("backup-keep", e.str("LEADLENS_BACKUP_KEEP", strconv.Itoa(backup.DefaultKeep)), "scheduled backups kept, newest first (LEADLENS_BACKUP_KEEP)")
	// Secrets come from the environment only: a flag would show in `ps` and shell history.
	c.Secret = getenv("LEADLENS_SECRET")
	c.AccessToken = strings.TrimSpace(getenv("META_ACCESS_TOKEN"))
	c.MetricsToken = strings.TrimSpace(getenv("LEADLENS_METRICS_TOKEN"))
	c.TZ = getenv("TZ")
	return func() error {
		var err error
		if c.LookbackDays, err = intSetting("LEADLENS_LOOKBACK_DAYS", *lookback, 1, 400, 28); err != nil {
			return err
		}
		if c.BackfillDays, err = intSetting("LEADLENS_BACKFILL_DAYS", *backfill, 1, 37*31, 90); err != nil {
			return err
		}
		mb, err := intSetting("LEADLENS_MAX_BODY_BYTES", *maxBody, 1024, 64<<20, 1048576)
		if err != nil {
			return err
		}
		c.MaxBodyBytes = int64(mb)
		if c.BackupKeep, err = intSetting("LEADLENS_BACKUP_KEEP", *keep, 1, 1000, backup.DefaultKeep); err != nil {
			return err
		}
		if c.ShutdownTimeout, err = time.ParseDuration(*shutdown); err != nil || c.ShutdownTimeout <= 0 {
			return fmt.Errorf("LEADLENS_SHUTDOWN_TIMEOUT %q is not a duration; use e.g. 30s", *shutdown)
		}
		if c.TrustProxy, err = strconv.ParseBool(*trust); err != nil {
			return fmt.Errorf("LEADLENS_TRUST_PROXY %q is not true or false", *trust)
		}
		if err := c.LogLevel.UnmarshalText([]byte(*level)); err != nil {
			return fmt.Errorf("LEADLENS_LOG_LEVEL %q is not one of debug, info, warn, error", *level)
		}
		if c.LogFormat != "text" && c.LogFormat != "json" {
			return fmt.Errorf("LEADLENS_LOG_FORMAT %q is not text or json", c.LogFormat)
		}
		if c.KeyFile == "" {
			c.KeyFile = filepath.Join(filepath.Dir(c.DB), "leadlens.key")
		}
		if c.BackupDir == "" {
			c.BackupDir = filepath.Join(filepath.Dir(c.DB), "backups")
		}
		return c.check()
	}
}

// intSetting parses a whole-number setting; its error gives the range and an example value.
func intSetting(name, v string, lo, hi, example int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s %q must be a whole number from %d to %d; use e.g. %d", name, v, lo, hi, example)
	}
	return n, nil
}

var apiVersionRE = regexp.MustCompile(`^v?([0-9]{1,3})\.0$`)

// normalizeAPIVersion accepts "v21.0" and "21.0" and returns "v21.0".
func normalizeAPIVersion(v string) (string, error) {
	m := apiVersionRE.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil {
		return "", fmt.Errorf("META_API_VERSION %q is not a Graph API version; write it like v21.0", v)
	}
	return "v" + m[1] + ".0", nil
}

// check validates settings that can be wrong in ways a person must fix; each message names the
// setting and the fix.
func (c *config) check() error {
	v, err := normalizeAPIVersion(c.APIVersion)
	if err != nil {
		return err
	}
	c.APIVersion = v
	u, err := url.Parse(c.GraphURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("META_GRAPH_URL %q is not an http(s) URL; use e.g. https://graph.facebook.com", c.GraphURL)
	}
	if apiVersionRE.MatchString(strings.Trim(u.Path, "/")) {
		return fmt.Errorf("META_GRAPH_URL %q contains a version; remove it and set META_API_VERSION instead", c.GraphURL)
	}
	c.GraphURL = strings.TrimRight(c.GraphURL, "/")
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("LEADLENS_ADDR %q is not host:port; use e.g. localhost:8080 or :8080", c.Addr)
	}
	if !validPort(port) {
		return fmt.Errorf("LEADLENS_ADDR %q: port %q is not a number from 0 to 65535; use e.g. %s", c.Addr, port, net.JoinHostPort(host, "8080"))
	}
	if c.BaseURL != "" {
		b, err := url.Parse(c.BaseURL)
		if err != nil || (b.Scheme != "http" && b.Scheme != "https") || b.Host == "" {
			return fmt.Errorf("LEADLENS_BASE_URL %q is not an http(s) URL; use e.g. https://leads.example.com", c.BaseURL)
		}
		c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	}
	// The schedules are parsed here, so a typo stops every command at once, not only serve
	// when it starts its scheduler.
	if err := collector.ValidateSchedule(c.Schedule); err != nil {
		return err
	}
	if c.BackupSchedule != "" {
		if err := backup.ValidateSchedule(c.BackupSchedule); err != nil {
			return err
		}
	}
	if err := checkTZ(c.TZ); err != nil {
		return err
	}
	if c.Secret != "" {
		if _, err := secret.NewBox(c.Secret); err != nil {
			return err
		}
	}
	return nil
}

// validPort accepts a port number (0 picks a free one) or a service name the system knows.
func validPort(port string) bool {
	if n, err := strconv.Atoi(port); err == nil {
		return n >= 0 && n <= 65535
	}
	_, err := net.LookupPort("tcp", port)
	return err == nil
}

// checkTZ checks the TZ environment variable the way Go reads it (":" prefix, a name under the
// system's zoneinfo, or an absolute file), since Go would silently use UTC instead.
func checkTZ(tz string) error {
	if tz == "" {
		return nil
	}
	name := strings.TrimPrefix(tz, ":")
	var err error
	if filepath.IsAbs(name) {
		// Go reads the file as zoneinfo data; any other file means UTC, silently.
		var b []byte
		if b, err = os.ReadFile(name); err == nil {
			_, err = time.LoadLocationFromTZData(filepath.Base(name), b)
		}
	} else {
		_, err = time.LoadLocation(name)
	}
	if err != nil {
		return fmt.Errorf("TZ %q is not a timezone; use an IANA name such as Europe/Berlin or UTC, or unset it to use the system's", tz)
	}
	return nil
}

// secureCookies says whether cookies get the Secure attribute: when the public URL is https.
func (c *config) secureCookies() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// newLogger builds the one slog logger everything shares.
func newLogger(c *config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// dbDirExists gives a clear message when the database's directory is missing.
func dbDirExists(path string) error {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return fmt.Errorf("LEADLENS_DB %q: directory %s does not exist; create it or choose another path", path, dir)
	}
	return nil
}

// flagGiven reports whether a flag was set on the command line.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			given = true
		}
	})
	return given
}
