package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/leadlens/leadlens/store"
)

// multiFlag is a flag that may be repeated or given a comma-separated list (SPEC: both mean the
// same); store.CreateClient splits the commas and drops duplicates.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

func (m *multiFlag) Set(v string) error {
	*m = append(*m, v)
	return nil
}

// cmdClients manages clients: `clients add`, `clients list`.
func cmdClients(ctx context.Context, e env) error {
	if len(e.args) == 0 {
		return usagef("clients: say add or list (e.g. leadlens clients add --name Acme --ad-account act_123 --page 456)")
	}
	sub, rest := e.args[0], e.args[1:]
	var cfg config
	fs := newFlagSet("clients "+sub, e.stderr)
	finish := registerCommon(fs, e.getenv, &cfg)
	switch sub {
	case "add":
		var accounts, pages multiFlag
		name := fs.String("name", "", "the client's name (required)")
		slug := fs.String("slug", "", "URL slug (default: derived from the name)")
		tz := fs.String("timezone", "", "IANA timezone of the client's days (default: its first ad account's)")
		fs.Var(&accounts, "ad-account", "ad account id, act_… or digits; repeat or separate with commas (required)")
		fs.Var(&pages, "page", "Facebook page id whose bot logs events; repeat or separate with commas")
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		if strings.TrimSpace(*name) == "" || len(accounts) == 0 {
			return usagef("clients add: --name and --ad-account are required")
		}
		if err := finish(); err != nil {
			return err
		}
		return withStore(ctx, cfg, func(db *store.DB) error {
			c, err := db.CreateClient(ctx, store.NewClient{Name: *name, Slug: *slug, Timezone: *tz, AdAccounts: accounts, Pages: pages})
			if err != nil {
				return fmt.Errorf("clients add: %w", err)
			}
			fmt.Fprintf(e.stdout, "added client %q (slug %s)\n", c.Name, c.Slug)
			fmt.Fprintf(e.stdout, "Next: leadlens apikeys create --db %s --client %s   (a key for its bot)\n", cfg.DB, c.Slug)
			return nil
		})
	case "list":
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		if err := finish(); err != nil {
			return err
		}
		return withStore(ctx, cfg, func(db *store.DB) error { return listClients(ctx, db, e) })
	}
	return usagef("clients: unknown subcommand %q (add, list)", sub)
}

func listClients(ctx context.Context, db *store.DB, e env) error {
	clients, err := db.Clients(ctx, true)
	if err != nil {
		return err
	}
	if len(clients) == 0 {
		fmt.Fprintln(e.stdout, "No clients yet. Add one: leadlens clients add --name Acme --ad-account act_123 --page 456")
		return nil
	}
	for _, c := range clients {
		accts, err := db.AdAccounts(ctx, c.ID)
		if err != nil {
			return err
		}
		pages, err := db.Pages(ctx, c.ID)
		if err != nil {
			return err
		}
		ids := make([]string, len(accts))
		for i, a := range accts {
			ids[i] = a.ActID()
		}
		pids := make([]string, len(pages))
		for i, p := range pages {
			pids[i] = p.ID
		}
		tz := c.Timezone
		if tz == "" {
			tz = "(first ad account's)"
		}
		state := ""
		if c.Archived() {
			state = " [archived]"
		}
		fmt.Fprintf(e.stdout, "%-20s %-30q tz=%s accounts=%s pages=%s%s\n", c.Slug, c.Name, tz,
			orNone(strings.Join(ids, ",")), orNone(strings.Join(pids, ",")), state)
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
