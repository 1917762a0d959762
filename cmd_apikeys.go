package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/leadlens/leadlens/store"
)

// cmdAPIKeys manages the event API keys of a client: `apikeys create|list|revoke`.
func cmdAPIKeys(ctx context.Context, e env) error {
	if len(e.args) == 0 {
		return usagef("apikeys: say create, list or revoke (e.g. leadlens apikeys create --client acme)")
	}
	sub, rest := e.args[0], e.args[1:]
	var cfg config
	fs := newFlagSet("apikeys "+sub, e.stderr)
	finish := registerCommon(fs, e.getenv, &cfg)
	clientSlug := fs.String("client", "", "the client's slug (required)")
	var name *string
	var id *string
	switch sub {
	case "create":
		name = fs.String("name", "", "a label for the key, e.g. the bot's name")
	case "revoke":
		id = fs.String("id", "", "the key's id, as apikeys list shows it (required)")
	case "list":
	default:
		return usagef("apikeys: unknown subcommand %q (create, list, revoke)", sub)
	}
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	if *clientSlug == "" {
		return usagef("apikeys %s: --client is required", sub)
	}
	var keyID int64
	if id != nil {
		n, err := strconv.ParseInt(*id, 10, 64)
		if err != nil || n <= 0 {
			return usagef("apikeys revoke: --id must be a key id such as 3 (see leadlens apikeys list)")
		}
		keyID = n
	}
	if err := finish(); err != nil {
		return err
	}
	return withStore(ctx, cfg, func(db *store.DB) error {
		c, err := db.ClientBySlug(ctx, *clientSlug)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("apikeys %s: there is no client with the slug %q (leadlens clients list shows them)", sub, *clientSlug)
		}
		if err != nil {
			return err
		}
		switch sub {
		case "create":
			return createAPIKey(ctx, db, e, cfg, c, *name)
		case "revoke":
			if err := db.RevokeAPIKey(ctx, c.ID, keyID); errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("apikeys revoke: client %q has no valid key with id %d", c.Slug, keyID)
			} else if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "revoked key %d of %s; requests with it are refused from now on\n", keyID, c.Slug)
			return nil
		}
		keys, err := db.APIKeys(ctx, c.ID)
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			fmt.Fprintf(e.stdout, "%s has no API keys. Create one: leadlens apikeys create --client %s\n", c.Slug, c.Slug)
			return nil
		}
		fmt.Fprintf(e.stdout, "%-4s %-12s %-20s %-20s %-20s %s\n", "id", "prefix", "name", "created", "last used", "revoked")
		for _, k := range keys {
			fmt.Fprintf(e.stdout, "%-4d %-12s %-20q %-20s %-20s %s\n", k.ID, k.Prefix+"…", k.Name,
				stamp(k.CreatedAt), stamp(k.LastUsedAt), stamp(k.RevokedAt))
		}
		return nil
	})
}

func createAPIKey(ctx context.Context, db *store.DB, e env, cfg config, c store.Client, name string) error {
	key, k, err := db.CreateAPIKey(ctx, c.ID, name, "cli")
	if err != nil {
		return fmt.Errorf("apikeys create: %w", err)
	}
	base := cfg.BaseURL
	if base == "" {
		base = "http://" + cfg.Addr
	}
	page := "<PAGE_ID>"
	if pages, err := db.Pages(ctx, c.ID); err == nil && len(pages) > 0 {
		page = pages[0].ID
	}
	fmt.Fprintf(e.stdout, "API key %d for %s (shown once; Leadlens keeps only its hash):\n\n  %s\n\n", k.ID, c.Slug, key)
	fmt.Fprintf(e.stdout, "A bot that logged to Meta's page_activities switches by changing the base URL and the token\n")
	fmt.Fprintf(e.stdout, "(%s/v20.0/<APP_ID>/page_activities works as well as the path below):\n\n", base)
	fmt.Fprintf(e.stdout, "  curl -X POST '%s/api/v1/page_activities' \\\n", base)
	fmt.Fprintf(e.stdout, "    -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n", key)
	fmt.Fprintf(e.stdout, "    -d '{\"custom_events\":[{\"_eventName\":\"lead_submitted\",\"event_id\":\"lead-1\"}],\"advertiser_tracking_enabled\":1,\"application_tracking_enabled\":1,\"page_id\":%s,\"page_scoped_user_id\":9876543210,\"logging_source\":\"messenger_bot\",\"logging_target\":\"page\"}'\n", page)
	return nil
}

// stamp formats an instant for lists; "-" for never.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
