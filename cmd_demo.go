package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/leadlens/leadlens/collector"
	"github.com/leadlens/leadlens/metasim"
	"github.com/leadlens/leadlens/store"
)

// cmdDemo runs the whole product against the built-in simulated Graph API.
func cmdDemo(ctx context.Context, e env) error {
	var cfg config
	fs := newFlagSet("demo", e.stderr)
	finish := registerCommon(fs, e.getenv, &cfg)
	botDays := fs.Int("bot-days", 60, "days of simulated bot traffic (leads, referrals) posted through the event API before the demo is ready; 0 for none")
	dbSet := e.getenv("LEADLENS_DB") != ""
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if *botDays < 0 || *botDays > 400 {
		return usagef("demo: --bot-days %d is out of range; use 0 (no bot traffic) to 400", *botDays)
	}
	if !dbSet && !flagGiven(fs, "db") {
		dir, err := os.MkdirTemp("", "leadlens-demo-")
		if err != nil {
			return fmt.Errorf("demo: temporary directory: %w", err)
		}
		defer os.RemoveAll(dir)
		cfg.DB = filepath.Join(dir, "leadlens.db")
		cfg.KeyFile = ""
	}
	if err := finish(); err != nil {
		return err
	}
	// The simulated Graph API on loopback, reached over real HTTP exactly as Meta would be: the
	// collector is configured the way a user configures it (META_GRAPH_URL, META_ACCESS_TOKEN).
	sim, err := metasim.New(metasim.DemoOptions())
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	simURL, stopSim, err := sim.Start()
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer stopSim()
	cfg.GraphURL, cfg.AccessToken = simURL, metasim.DemoToken
	a, err := openApp(ctx, cfg, e.stdout, e.stderr)
	if err != nil {
		return err
	}
	defer a.close()
	fmt.Fprintf(e.stdout, "Leadlens demo: database %s, simulated Graph API at %s\n", cfg.DB, simURL)
	if err := seedDemo(ctx, a, sim); err != nil {
		return err
	}
	password, err := seedDemoAdmin(ctx, a.db)
	if err != nil {
		return err
	}
	a.onListening = func(ctx context.Context, url string) {
		demoFirstCollection(ctx, a, url)
		if ctx.Err() != nil {
			return
		}
		if *botDays > 0 {
			fmt.Fprintf(a.out, "Logging %d days of bot traffic through the event API (lead_submitted, referrals)…\n", *botDays)
			if n, err := demoBotTraffic(ctx, a, sim, url, *botDays); err != nil {
				fmt.Fprintf(a.out, "Bot traffic stopped after %d requests: %v\n", n, err)
			} else {
				fmt.Fprintf(a.out, "  %d bot requests logged\n", n)
			}
		}
		if ctx.Err() != nil {
			return
		}
		fmt.Fprintf(a.out, "Leadlens demo ready: open %s\n", url)
		if password != "" {
			fmt.Fprintf(a.out, "Sign in as %s with password %s (shown once)\n", demoAdminEmail, password)
		} else {
			fmt.Fprintf(a.out, "Sign in as %s with the password printed when this database was created\n", demoAdminEmail)
		}
	}
	return a.serve(ctx)
}

// seedDemo creates the demo's clients from the simulated world, each with its ad accounts and
// their pages: "Acme Dental" on the USD account, "Bäckerei Müller" on the EUR and the JPY
// accounts, so several currencies are on show. Clients already there (a reused --db) are kept.
func seedDemo(ctx context.Context, a *app, sim *metasim.Server) error {
	w := sim.World()
	if len(w.Accounts) < 3 {
		return fmt.Errorf("demo: the simulated world has %d ad accounts, want 3", len(w.Accounts))
	}
	clients := []struct {
		name, slug string
		accounts   []metasim.Account
	}{
		{"Acme Dental", "acme-dental", w.Accounts[:1]},
		{"Bäckerei Müller", "baeckerei-mueller", w.Accounts[1:3]},
	}
	for _, c := range clients {
		if _, err := a.db.ClientBySlug(ctx, c.slug); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		nc := store.NewClient{Name: c.name, Slug: c.slug}
		for _, acct := range c.accounts {
			nc.AdAccounts = append(nc.AdAccounts, "act_"+acct.ID)
			nc.Pages = append(nc.Pages, acct.PageID)
		}
		if _, err := a.db.CreateClient(ctx, nc); err != nil {
			return fmt.Errorf("demo: client %s: %w", c.name, err)
		}
	}
	return nil
}

// demoFirstCollection collects every demo account (the first sync back-fills) before the demo
// says it is ready; the server already answers meanwhile. Progress is printed every second.
func demoFirstCollection(ctx context.Context, a *app, url string) {
	fmt.Fprintln(a.out, "Collecting from the simulated Graph API (first sync: back-fill)…")
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if p, ok := a.collector.Current(); ok {
					fmt.Fprintf(a.out, "  … %d/%d accounts, %d rows, %d Graph API calls\n", p.AccountsDone, p.AccountsTotal, p.Rows, p.Calls)
				}
			}
		}
	})
	res, err := a.collector.Run(ctx, collector.Request{Trigger: store.TriggerManual, StartedBy: "demo"})
	close(done)
	wg.Wait()
	if err != nil {
		fmt.Fprintf(a.out, "The first collection did not run: %v\n", err)
	} else {
		printRunSummary(a.out, res)
	}
}
