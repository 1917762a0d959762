package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
)

// `leadlens doctor`: every check an operator would otherwise do by reading code or logs, one
// line each with ok, warn or fail. It changes nothing: the database is opened without
// migrating, the key file is never created, and the only request sent anywhere is GET /me.

// Check outcomes.
const (
	checkOK   = "ok"
	checkWarn = "warn"
	checkFail = "fail"
)

type doctorCheck struct{ status, name, detail string }

// doctor collects the checks of one run.
type doctor struct {
	cfg    config
	now    time.Time
	checks []doctorCheck
	// damaged: the database failed its integrity check, so what it holds is not checked
	// further (every read of it could fail for that one reason).
	damaged bool
}

// add records a check; its detail is kept on one line, whatever an error quoted in it holds.
func (d *doctor) add(status, name, format string, args ...any) {
	detail := strings.Join(strings.Fields(fmt.Sprintf(format, args...)), " ")
	d.checks = append(d.checks, doctorCheck{status, name, detail})
}

func cmdDoctor(ctx context.Context, e env) error {
	var cfg config
	fs := newFlagSet("doctor", e.stderr)
	finish := registerCommon(fs, e.getenv, &cfg)
	timeout := fs.Duration("timeout", 10*time.Second, "how long the Meta check waits for an answer")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	d := &doctor{now: time.Now()}
	cfgErr := finish()
	if cfg.KeyFile == "" { // finish stopped before setting the defaults
		cfg.KeyFile = filepath.Join(filepath.Dir(cfg.DB), "leadlens.key")
	}
	d.cfg = cfg
	if cfgErr != nil {
		d.add(checkFail, "config", "%v", cfgErr)
	} else {
		d.add(checkOK, "config", "settings valid; database %s, Graph API %s %s", cfg.DB, cfg.GraphURL, cfg.APIVersion)
	}
	box := d.checkKey()
	if db := d.checkDatabase(ctx); db != nil && d.damaged {
		db.Close()
		d.add(checkWarn, "contents", "tokens, Meta, syncs, forwarding and backups not checked: the database is damaged")
	} else if db != nil {
		defer db.Close()
		d.checkTokens(ctx, db, box)
		if cfgErr == nil {
			d.checkMeta(ctx, db, box, *timeout)
		} else {
			d.add(checkWarn, "meta", "not checked: fix the configuration first")
		}
		d.checkAccounts(ctx, db)
		d.checkForwarding(ctx, db)
		d.checkBackups(ctx, db)
	}
	return d.report(e.stdout)
}

// report prints the table and a summary; any failure is exit status 1.
func (d *doctor) report(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tCHECK\tDETAIL")
	warns, fails := 0, 0
	for _, c := range d.checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.status, c.name, c.detail)
		switch c.status {
		case checkWarn:
			warns++
		case checkFail:
			fails++
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "%d checks: %d ok, %d warn, %d fail\n", len(d.checks), len(d.checks)-warns-fails, warns, fails)
	if fails > 0 {
		return errReported
	}
	return nil
}

// checkKey reports on the sealing key and returns the box, or nil when there is none to use.
func (d *doctor) checkKey() *secret.Box {
	if d.cfg.Secret != "" {
		box, err := secret.NewBox(d.cfg.Secret)
		if err != nil {
			d.add(checkFail, "key", "%v", err)
			return nil
		}
		d.add(checkWarn, "key", "LEADLENS_SECRET is set and used (the key file is not): keep it in a root-only EnvironmentFile, never on a command line")
		return box
	}
	fi, err := os.Stat(d.cfg.KeyFile)
	if errors.Is(err, os.ErrNotExist) {
		d.add(checkWarn, "key", "LEADLENS_KEY_FILE %s does not exist yet; serve creates it at its first start (back it up with the database)", d.cfg.KeyFile)
		return nil
	}
	if err == nil && !fi.Mode().IsRegular() {
		d.add(checkFail, "key", "LEADLENS_KEY_FILE %s is not a file (%s); point LEADLENS_KEY_FILE at the key file, or unset it to use leadlens.key beside the database", d.cfg.KeyFile, fileKind(fi))
		return nil
	}
	if err == nil && fi.Mode().Perm()&0o077 != 0 {
		d.add(checkFail, "key", "LEADLENS_KEY_FILE %s has mode %v; run `chmod 600 %s`", d.cfg.KeyFile, fi.Mode().Perm(), d.cfg.KeyFile)
		return nil
	}
	box, err := openBox(d.cfg) // the file exists, so nothing is created
	if err != nil {
		d.add(checkFail, "key", "%v", err)
		return nil
	}
	d.add(checkOK, "key", "LEADLENS_KEY_FILE %s: mode 0600, a valid key", d.cfg.KeyFile)
	return box
}

// checkDatabase opens the database without migrating it and reports its schema, integrity and
// size; nil when it cannot be opened.
func (d *doctor) checkDatabase(ctx context.Context) *store.DB {
	path := d.cfg.DB
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		d.add(checkFail, "database", "LEADLENS_DB %s does not exist; start leadlens serve to create it, or restore a backup (leadlens restore --from FILE)", path)
		return nil
	case err != nil:
		d.add(checkFail, "database", "LEADLENS_DB %s cannot be read (%v); make it readable by the user Leadlens runs as", path, errors.Unwrap(err))
		return nil
	case !fi.Mode().IsRegular():
		d.add(checkFail, "database", "LEADLENS_DB %s is not a file (%s); point LEADLENS_DB at the database file", path, fileKind(fi))
		return nil
	}
	if h, err := store.LockHolder(path); err == nil && h != nil {
		d.add(checkOK, "server", "%s holds the database (pid %d)", holderName(h.Holder), h.PID)
	} else if err == nil {
		d.add(checkOK, "server", "no Leadlens server holds the database now")
	}
	db, err := store.Open(ctx, path, store.Options{NoMigrate: true})
	if errors.Is(err, store.ErrSchemaTooNew) {
		d.add(checkFail, "database", "%v", err) // names the file, both versions and what to do
		return nil
	}
	if err != nil {
		// store's error repeats the path; SQLite's own words ("file is not a database") say
		// what is wrong.
		cause := err
		if u := errors.Unwrap(err); u != nil {
			cause = u
		}
		d.add(checkFail, "database", "LEADLENS_DB %s cannot be opened as a SQLite database (%v); if it is damaged, restore the latest good backup (leadlens restore --from FILE)", path, cause)
		return nil
	}
	cur, latest, err := db.SchemaVersion(ctx)
	switch {
	case err != nil:
		d.add(checkFail, "schema", "%v", err)
	case cur < latest:
		d.add(checkWarn, "schema", "version %d; this binary migrates it to %d when serve starts (or run leadlens migrate): take a backup first", cur, latest)
	default:
		d.add(checkOK, "schema", "version %d, the binary's", cur)
	}
	start := time.Now()
	problems, err := db.IntegrityCheck(ctx)
	switch {
	case err != nil:
		d.add(checkFail, "integrity", "%v; restore the latest good backup (leadlens restore --from FILE)", err)
		d.damaged = true
	case len(problems) > 0:
		shown := problems
		more := ""
		if len(shown) > 3 {
			shown, more = shown[:3], fmt.Sprintf(" and %d more", len(problems)-3)
		}
		d.add(checkFail, "integrity", "SQLite's integrity check found: %s%s; restore the latest good backup (leadlens restore --from FILE)", strings.Join(shown, "; "), more)
		d.damaged = true
	default:
		d.add(checkOK, "integrity", "integrity_check ok (%s)", time.Since(start).Round(time.Millisecond))
	}
	var wal int64
	if wi, err := os.Stat(path + "-wal"); err == nil {
		wal = wi.Size()
	}
	d.add(checkOK, "size", "%s (write-ahead log %s)", humanBytes(fi.Size()), humanBytes(wal))
	return db
}

// fileKind names what a path is when it is not a regular file.
func fileKind(fi os.FileInfo) string {
	switch {
	case fi.IsDir():
		return "a directory"
	case fi.Mode()&os.ModeSymlink != 0:
		return "a symbolic link"
	default:
		return "mode " + fi.Mode().String()
	}
}

func holderName(h string) string {
	if h == "" || h == "serve" {
		return "a Leadlens server"
	}
	return "leadlens " + h
}

// checkTokens tries every sealed token in the database with the current key.
func (d *doctor) checkTokens(ctx context.Context, db *store.DB, box *secret.Box) {
	var sealed [][]byte
	var names []string
	if v, err := db.Setting(ctx, store.SettingMetaToken); err == nil {
		sealed, names = append(sealed, v), append(names, "the installation token")
	}
	accounts, err := db.AllAdAccounts(ctx)
	if err != nil {
		d.add(checkFail, "tokens", "%v", err)
		return
	}
	for _, a := range accounts {
		if !a.HasToken {
			continue
		}
		if v, err := db.AdAccountToken(ctx, a.ID); err == nil {
			sealed, names = append(sealed, v), append(names, a.ActID()+"'s own token")
		}
	}
	if len(sealed) == 0 {
		d.add(checkOK, "tokens", "no Meta token is stored in the database")
		return
	}
	var bad []string
	for i, s := range sealed {
		if box == nil {
			bad = append(bad, names[i])
			continue
		}
		if _, err := box.Open(s); err != nil {
			bad = append(bad, names[i])
		}
	}
	if len(bad) > 0 {
		d.add(checkFail, "tokens", "%d of %d stored tokens cannot be decrypted with this key (%s): set back the LEADLENS_SECRET or key file they were saved with, or enter them again",
			len(bad), len(sealed), strings.Join(bad, ", "))
		return
	}
	d.add(checkOK, "tokens", "%d stored token(s) decrypt with this key", len(sealed))
}

// checkMeta calls GET /me with the installation's token, the way Admin → Meta connection does.
func (d *doctor) checkMeta(ctx context.Context, db *store.DB, box *secret.Box, timeout time.Duration) {
	m := metaTester{db: db, box: box, graphURL: d.cfg.GraphURL, apiVersion: d.cfg.APIVersion, envToken: d.cfg.AccessToken,
		http: &http.Client{Timeout: timeout}}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, _, err := m.installationToken(tctx); errors.Is(err, errNoToken) {
		d.add(checkWarn, "meta", "no Meta token is set, so nothing can be collected: store one in Admin → Meta connection, or set META_ACCESS_TOKEN")
		return
	}
	r := m.TestInstallation(tctx)
	switch {
	case r.OK:
		d.add(checkOK, "meta", "%s at %s answered %s in %s (token: %s)", r.Request, d.cfg.GraphURL, r.Answer, r.Took.Round(time.Millisecond), r.TokenSource)
	default:
		msg := fmt.Sprintf("%s at %s failed: %s", r.Request, d.cfg.GraphURL, r.Error)
		if r.Advice != "" {
			msg += "; what to do: " + r.Advice
		}
		d.add(checkFail, "meta", "%s (token: %s)", msg, r.TokenSource)
	}
}

// checkAccounts reports each ad account's last sync against the schedule.
func (d *doctor) checkAccounts(ctx context.Context, db *store.DB) {
	accounts, err := db.AdAccounts(ctx, 0)
	if err != nil {
		d.add(checkFail, "sync", "%v", err)
		return
	}
	if len(accounts) == 0 {
		d.add(checkWarn, "sync", "no ad accounts: add a client (leadlens clients add --name N --ad-account act_…)")
		return
	}
	every := scheduleGap(d.cfg.Schedule, d.now)
	for _, a := range accounts {
		name := "sync " + a.ActID()
		switch {
		case a.LastError != "" && (a.LastSuccessAt.IsZero() || !a.LastErrorAt.Before(a.LastSuccessAt)):
			d.add(checkFail, name, "the last sync failed %s: %s", ago(d.now, a.LastErrorAt), a.LastError)
		case a.LastSuccessAt.IsZero():
			d.add(checkWarn, name, "never synced; the next scheduled run reads it (or leadlens collect --account %s)", a.ActID())
		case every > 0 && d.now.Sub(a.LastSuccessAt) > 2*every:
			d.add(checkWarn, name, "last successful sync %s, more than twice the schedule's interval (%s): is serve running?", ago(d.now, a.LastSuccessAt), every)
		default:
			d.add(checkOK, name, "last successful sync %s", ago(d.now, a.LastSuccessAt))
		}
	}
}

// checkForwarding warns about clients whose forwarding to Meta was stopped.
func (d *doctor) checkForwarding(ctx context.Context, db *store.DB) {
	clients, err := db.Clients(ctx, false)
	if err != nil {
		d.add(checkFail, "forwarding", "%v", err)
		return
	}
	stopped := 0
	for _, c := range clients {
		f, err := db.Forwarding(ctx, c.ID)
		if err != nil {
			d.add(checkFail, "forwarding", "%v", err)
			return
		}
		if f.Stopped() {
			stopped++
			d.add(checkWarn, "forwarding "+c.Slug, "stopped %s: %s; fix it and save the settings again (Admin → %s → Forwarding)", ago(d.now, f.StoppedAt), f.StoppedReason, c.Name)
		}
	}
	if stopped == 0 {
		d.add(checkOK, "forwarding", "no client's forwarding is stopped")
	}
}

// checkBackups reports the latest backup, against LEADLENS_BACKUP_SCHEDULE when one is set.
func (d *doctor) checkBackups(ctx context.Context, db *store.DB) {
	recent, err := db.Backups(ctx, 1)
	if err != nil {
		d.add(checkFail, "backup", "%v", err)
		return
	}
	last, err := db.LastSuccessfulBackup(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		d.add(checkFail, "backup", "%v", err)
		return
	}
	scheduled := d.cfg.BackupSchedule != ""
	switch {
	case len(recent) > 0 && recent[0].Status == store.BackupFailed:
		d.add(checkWarn, "backup", "the latest backup (%s) failed: %s", ago(d.now, recent[0].StartedAt), recent[0].Error)
	case errors.Is(err, store.ErrNotFound) && scheduled:
		d.add(checkWarn, "backup", "no backup yet; LEADLENS_BACKUP_SCHEDULE is %q: is serve running?", d.cfg.BackupSchedule)
	case errors.Is(err, store.ErrNotFound):
		d.add(checkWarn, "backup", "no backup recorded: run leadlens backup, or set LEADLENS_BACKUP_SCHEDULE (e.g. \"30 3 * * *\")")
	case scheduled && d.now.Sub(last.StartedAt) > 2*scheduleGap(d.cfg.BackupSchedule, d.now):
		d.add(checkWarn, "backup", "the last successful backup is %s, more than twice the schedule's interval: is serve running?", ago(d.now, last.StartedAt))
	default:
		d.add(checkOK, "backup", "last successful backup %s: %s (%s)", ago(d.now, last.StartedAt), last.Path, humanBytes(last.SizeBytes))
	}
}

// scheduleGap is the longest wait between two of the next runs of a cron spec (a weekday-only
// schedule waits over the weekend); 0 when the spec does not parse.
func scheduleGap(spec string, now time.Time) time.Duration {
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return 0
	}
	var gap time.Duration
	t := s.Next(now)
	for range 16 {
		n := s.Next(t)
		gap = max(gap, n.Sub(t))
		t = n
	}
	return gap
}

// ago is "3h12m ago (2026-01-02 15:04 UTC)".
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t).Round(time.Minute)
	if d < time.Minute {
		d = now.Sub(t).Round(time.Second)
	}
	return fmt.Sprintf("%s ago (%s)", d, t.UTC().Format("2006-01-02 15:04 UTC"))
}
