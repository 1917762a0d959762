package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/leadlens/leadlens/store"
)

// cmdShareLinks manages a client's read-only share links: `sharelinks create|list|revoke`,
// the command-line twin of Admin → client → Share links.
func cmdShareLinks(ctx context.Context, e env) error {
	if len(e.args) == 0 {
		return usagef("sharelinks: say create, list or revoke (e.g. leadlens sharelinks create --client acme)")
	}
	sub, rest := e.args[0], e.args[1:]
	var cfg config
	fs := newFlagSet("sharelinks "+sub, e.stderr)
	finish := registerCommon(fs, e.getenv, &cfg)
	clientSlug := fs.String("client", "", "the client's slug (required)")
	var n store.NewShareLink
	var expires string
	var passwordStdin bool
	var id int64
	switch sub {
	case "create":
		fs.StringVar(&n.Label, "label", "", "who the link is for (shown to admins only)")
		fs.StringVar(&expires, "expires", "", "the last day the link works, YYYY-MM-DD in the client's timezone (default: until revoked)")
		fs.StringVar(&n.RangeMode, "range", store.RangeOpen, "open (any period), fixed (exactly --since..--until) or bounded (any period inside them)")
		fs.StringVar(&n.RangeSince, "since", "", "first day of a fixed or bounded range, YYYY-MM-DD")
		fs.StringVar(&n.RangeUntil, "until", "", "last day of a fixed or bounded range, YYYY-MM-DD")
		fs.BoolVar(&n.AllowEmbed, "embed", false, "allow other sites to show the link in a frame")
		fs.BoolVar(&passwordStdin, "password-stdin", false, "protect the link with the password on the first line of stdin")
	case "revoke":
		fs.Int64Var(&id, "id", 0, "the link's id, as sharelinks list shows it (required)")
	case "list":
	default:
		return usagef("sharelinks: unknown subcommand %q (create, list, revoke)", sub)
	}
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	if *clientSlug == "" {
		return usagef("sharelinks %s: --client is required", sub)
	}
	if sub == "revoke" && id <= 0 {
		return usagef("sharelinks revoke: --id must be a link id such as 3 (see leadlens sharelinks list)")
	}
	if err := finish(); err != nil {
		return err
	}
	if passwordStdin {
		pw, err := readToken(e.stdin)
		if err != nil {
			return err
		}
		if pw == "" {
			return usagef("sharelinks create: --password-stdin given but stdin holds no password")
		}
		n.Password = pw
	}
	return withStore(ctx, cfg, func(db *store.DB) error {
		c, err := db.ClientBySlug(ctx, *clientSlug)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("sharelinks %s: there is no client with the slug %q (leadlens clients list shows them)", sub, *clientSlug)
		}
		if err != nil {
			return err
		}
		switch sub {
		case "create":
			return createShareLink(ctx, db, e, cfg, c, n, expires)
		case "revoke":
			if err := db.RevokeShareLink(ctx, c.ID, id); errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("sharelinks revoke: client %q has no active link with id %d", c.Slug, id)
			} else if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "revoked share link %d of %s; it stopped working at once\n", id, c.Slug)
			return nil
		}
		return listShareLinks(ctx, db, e, c)
	})
}

func createShareLink(ctx context.Context, db *store.DB, e env, cfg config, c store.Client, n store.NewShareLink, expires string) error {
	if n.RangeMode == store.RangeOpen && (n.RangeSince != "" || n.RangeUntil != "") {
		return usagef("sharelinks create: --since and --until need --range fixed or --range bounded")
	}
	if expires != "" {
		loc, err := db.ClientTimezone(ctx, c)
		if err != nil {
			return err
		}
		day, err := time.ParseInLocation(store.DateLayout, expires, loc)
		if err != nil {
			return usagef("sharelinks create: --expires %q is not a date (YYYY-MM-DD)", expires)
		}
		n.ExpiresAt = day.AddDate(0, 0, 1) // the link works through that day
	}
	n.ClientID, n.CreatedBy = c.ID, "cli"
	token, l, err := db.CreateShareLink(ctx, n)
	if store.IsValidation(err) {
		return usagef("sharelinks create: %v", err)
	}
	if err != nil {
		return err
	}
	base := cfg.BaseURL
	if base == "" {
		base = "http://" + cfg.Addr
	}
	fmt.Fprintf(e.stdout, "Share link %d for %s (shown once; Leadlens keeps only its hash):\n\n  %s/s/%s\n\n", l.ID, c.Slug, base, token)
	fmt.Fprintf(e.stdout, "dates: %s · expires: %s · password: %s · embeddable: %s\n", rangeText(l), stamp(l.ExpiresAt),
		yesNo(l.HasPassword()), yesNo(l.AllowEmbed))
	return nil
}

func listShareLinks(ctx context.Context, db *store.DB, e env, c store.Client) error {
	links, err := db.ShareLinks(ctx, c.ID)
	if err != nil {
		return err
	}
	if len(links) == 0 {
		fmt.Fprintf(e.stdout, "%s has no share links. Create one: leadlens sharelinks create --client %s\n", c.Slug, c.Slug)
		return nil
	}
	now := db.Now()
	fmt.Fprintf(e.stdout, "%-4s %-12s %-20s %-30s %-20s %-8s %-6s %-20s %s\n", "id", "prefix", "label", "dates", "expires", "password", "views", "last view", "status")
	for _, l := range links {
		status := "active"
		switch {
		case l.Revoked():
			status = "revoked " + stamp(l.RevokedAt)
		case l.Expired(now):
			status = "expired"
		}
		fmt.Fprintf(e.stdout, "%-4d %-12s %-20q %-30s %-20s %-8s %-6s %-20s %s\n", l.ID, l.Prefix+"…", l.Label, rangeText(l),
			stamp(l.ExpiresAt), yesNo(l.HasPassword()), strconv.FormatInt(l.ViewCount, 10), stamp(l.LastViewedAt), status)
	}
	return nil
}

func rangeText(l store.ShareLink) string {
	if l.RangeMode == store.RangeOpen {
		return "any period"
	}
	return l.RangeMode + " " + l.RangeSince + ".." + l.RangeUntil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
