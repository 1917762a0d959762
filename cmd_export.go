package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leadlens/leadlens/csvexport"
	"github.com/leadlens/leadlens/store"
)

// cmdExport writes a client's CSV export to stdout: the same bytes as the dashboard's
// export.csv for the same view. Every campaign unless --ctx-only.
func cmdExport(ctx context.Context, e env) error {
	var cfg config
	fs := newFlagSet("export", e.stderr)
	finish := registerCommon(fs, e.getenv, &cfg)
	client := fs.String("client", "", "the client's slug (required)")
	level := fs.String("level", "campaign", "account, campaign or adset")
	since := fs.String("since", "", "first day, YYYY-MM-DD (required)")
	until := fs.String("until", "", "last day, YYYY-MM-DD (required)")
	ctxOnly := fs.Bool("ctx-only", false, "only CTX (click-to-message) campaigns")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if *client == "" || *since == "" || *until == "" {
		return usagef("export: --client, --since and --until are required (e.g. leadlens export --client acme --level campaign --since 2026-10-01 --until 2026-10-28)")
	}
	if store.ValidateLevel(*level) != nil {
		return usagef("export: --level %q is not account, campaign or adset", *level)
	}
	s, err := time.Parse(store.DateLayout, *since)
	if err != nil {
		return usagef("export: --since %q is not a date (YYYY-MM-DD)", *since)
	}
	u, err := time.Parse(store.DateLayout, *until)
	if err != nil {
		return usagef("export: --until %q is not a date (YYYY-MM-DD)", *until)
	}
	if u.Before(s) {
		return usagef("export: --until %s is before --since %s", *until, *since)
	}
	if err := finish(); err != nil {
		return err
	}
	return withStore(ctx, cfg, func(db *store.DB) error {
		c, err := db.ClientBySlug(ctx, *client)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("export: there is no client with the slug %q (leadlens clients list shows them)", *client)
		}
		if err != nil {
			return err
		}
		return csvexport.Write(ctx, e.stdout, db, store.ExportQuery{ClientID: c.ID, LeadActionType: c.LeadActionType,
			Level: *level, CTXOnly: *ctxOnly, Since: *since, Until: *until})
	})
}
