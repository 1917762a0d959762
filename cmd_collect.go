package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/leadlens/leadlens/collector"
	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
)

// newCollector builds the collection service from the config; schedule is "" for one-shot use.
// obs receives its metrics (the server's /metrics); nil observes nothing.
func newCollector(cfg config, db *store.DB, box *secret.Box, log *slog.Logger, schedule string, obs collector.Observer) (*collector.Service, error) {
	return collector.New(collector.Config{
		Store: db, Box: box, Log: log, AppVersion: version,
		GraphURL: cfg.GraphURL, APIVersion: cfg.APIVersion, Token: cfg.AccessToken,
		LookbackDays: cfg.LookbackDays, BackfillDays: cfg.BackfillDays, Schedule: schedule, Observer: obs,
	})
}

// stopCollector ends the schedule and cancels the pass in progress, waiting for its windows to
// be aborted and the run recorded.
func (a *app) stopCollector(ctx context.Context) {
	if err := a.collector.Stop(ctx); err != nil {
		a.log.Error("collector did not stop in time", slog.Any("err", err))
	}
}

// listFlag is a multi-value flag: repeated, or comma-separated, or both (SPEC).
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for part := range strings.SplitSeq(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}

// cmdCollect runs one collection pass and prints a summary; it fails (exit 1) when any account
// failed, after printing what the others collected.
func cmdCollect(ctx context.Context, e env) error {
	var cfg config
	fs := newFlagSet("collect", e.stderr)
	finish := registerCommon(fs, e.getenv, &cfg)
	var accounts listFlag
	client := fs.String("client", "", "collect only this client's ad accounts (its slug)")
	fs.Var(&accounts, "account", "collect only this ad account, act_… or digits; repeat or separate with commas")
	since := fs.String("since", "", "read exactly from this date (YYYY-MM-DD, with --until) instead of the planned windows")
	until := fs.String("until", "", "read exactly up to this date (YYYY-MM-DD, with --since)")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if err := checkCollectDates(*since, *until, time.Now()); err != nil {
		return err
	}
	for _, a := range accounts {
		if _, err := store.NormalizeAccountID(a); err != nil {
			return usagef("--account %q is not an ad account id; write act_ followed by digits, e.g. act_798085168510957", a)
		}
	}
	if err := finish(); err != nil {
		return err
	}
	box, err := openBox(cfg)
	if err != nil {
		return err
	}
	return withStore(ctx, cfg, func(db *store.DB) error {
		req := collector.Request{Trigger: store.TriggerCLI, StartedBy: "cli", AccountIDs: accounts, Since: *since, Until: *until}
		if *client != "" {
			c, err := db.ClientBySlug(ctx, *client)
			if errors.Is(err, store.ErrNotFound) {
				return usagef("--client %q: there is no client with that slug (leadlens clients list shows them)", *client)
			}
			if err != nil {
				return err
			}
			req.ClientID = c.ID
		}
		svc, err := newCollector(cfg, db, box, newLogger(&cfg, e.stderr), "", nil)
		if err != nil {
			return err
		}
		res, err := svc.Run(ctx, req)
		if errors.Is(err, collector.ErrInvalidRequest) {
			return usagef("%s", strings.TrimPrefix(err.Error(), collector.ErrInvalidRequest.Error()+": "))
		}
		if err != nil {
			return err
		}
		printRunSummary(e.stdout, res)
		if res.Status != store.RunSucceeded {
			return errReported
		}
		return nil
	})
}

// checkCollectDates validates --since/--until: both or neither, real dates in order, not after
// tomorrow (an account east of UTC may already be there), not beyond Meta's 37 months.
func checkCollectDates(since, until string, now time.Time) error {
	if since == "" && until == "" {
		return nil
	}
	if since == "" || until == "" {
		return usagef("--since and --until go together: give both (YYYY-MM-DD), or neither for the planned windows")
	}
	s, err := collector.ParseDate(since)
	if err != nil {
		return usagef("--since %q is not a date; write YYYY-MM-DD", since)
	}
	u, err := collector.ParseDate(until)
	if err != nil {
		return usagef("--until %q is not a date; write YYYY-MM-DD", until)
	}
	if u.Before(s) {
		return usagef("--until %s is before --since %s", until, since)
	}
	today := collector.Date(now, time.UTC)
	if latest := today.AddDate(0, 0, 1); u.After(latest) {
		return usagef("--until %s is in the future; the latest date any account has is %s", until, latest.Format(time.DateOnly))
	}
	// The floor of an account already in tomorrow is a day later than UTC's.
	if floor := collector.HistoryFloor(today.AddDate(0, 0, 1)); s.Before(floor) {
		return usagef("--since %s is more than %d months ago; Meta keeps insights from %s on",
			since, collector.MaxHistoryMonths, floor.Format(time.DateOnly))
	}
	return nil
}

// printRunSummary writes the run's totals, one line per account, and each failure with what
// to do about it.
func printRunSummary(w io.Writer, p collector.RunResult) {
	d := p.Duration(p.FinishedAt).Round(time.Millisecond)
	fmt.Fprintf(w, "Run %d (%s) %s in %s: %d account(s), %d rows, %d Graph API calls, %d wait(s) for rate limits (%s)\n",
		p.RunID, p.Trigger, p.Status, d, p.AccountsTotal, p.Rows, p.Calls, p.ThrottleWaits, p.ThrottleWait.Round(time.Millisecond))
	if p.AccountsTotal == 0 {
		fmt.Fprintln(w, "No ad accounts to collect. Add a client first: leadlens clients add --name Acme --ad-account act_123")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tNAME\tSTATUS\tROWS\tCALLS\tWAITS\tDURATION\tWINDOW")
	for _, a := range p.Accounts {
		dur := "-"
		if !a.StartedAt.IsZero() && !a.FinishedAt.IsZero() {
			dur = a.FinishedAt.Sub(a.StartedAt).Round(time.Millisecond).String()
		}
		window := "-"
		if a.Since != "" {
			window = a.Since + ".." + a.Until
		}
		name := a.Name
		if name == "" {
			name = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d (%s)\t%s\t%s\n", a.ActID(), name, a.Status, a.Rows, a.Calls,
			a.ThrottleWaits, a.ThrottleWait.Round(time.Millisecond), dur, window)
	}
	tw.Flush()
	for _, a := range p.Accounts {
		if a.Status == store.RunSucceeded {
			continue
		}
		fmt.Fprintf(w, "%s %s: %s\n", a.ActID(), a.Status, a.Error)
		if a.Advice != "" {
			fmt.Fprintf(w, "  what to do: %s\n", a.Advice)
		}
	}
	if p.Status == store.RunCancelled {
		fmt.Fprintln(w, "The run was cancelled: windows not finished were left as they were.")
	}
}
