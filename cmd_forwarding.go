package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/leadlens/leadlens/forward"
	"github.com/leadlens/leadlens/store"
	"github.com/leadlens/leadlens/views"
)

// cmdForwarding manages a client's forwarding to Meta: `forwarding set`, `forwarding status`.
func cmdForwarding(ctx context.Context, e env) error {
	if len(e.args) == 0 {
		return usagef("forwarding: say set or status (e.g. leadlens forwarding set --client acme --mode capi --dataset-id 123)")
	}
	sub, rest := e.args[0], e.args[1:]
	var cfg config
	fs := newFlagSet("forwarding "+sub, e.stderr)
	finish := registerCommon(fs, e.getenv, &cfg)
	clientSlug := fs.String("client", "", "the client's slug (required)")
	var mode, dataset, app *string
	switch sub {
	case "set":
		mode = fs.String("mode", "", "off, capi (Conversions API for Business Messaging) or legacy (page_activities, v20.0 and older) (required)")
		dataset = fs.String("dataset-id", "", "the Conversions API dataset id (capi); kept when not given")
		app = fs.String("app-id", "", "the app id of the page_activities edge (legacy); kept when not given")
	case "status":
	default:
		return usagef("forwarding: unknown subcommand %q (set, status)", sub)
	}
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	if *clientSlug == "" {
		return usagef("forwarding %s: --client is required", sub)
	}
	if mode != nil && *mode == "" {
		return usagef("forwarding set: --mode is required (off, capi or legacy)")
	}
	if err := finish(); err != nil {
		return err
	}
	return withStore(ctx, cfg, func(db *store.DB) error {
		c, err := db.ClientBySlug(ctx, *clientSlug)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("forwarding %s: there is no client with the slug %q (leadlens clients list shows them)", sub, *clientSlug)
		}
		if err != nil {
			return err
		}
		if sub == "set" {
			cur, err := db.Forwarding(ctx, c.ID)
			if err != nil {
				return err
			}
			if !flagGiven(fs, "dataset-id") {
				*dataset = cur.DatasetID
			}
			if !flagGiven(fs, "app-id") {
				*app = cur.AppID
			}
			if err := setForwarding(ctx, db, e, cfg, c, *mode, *dataset, *app); err != nil {
				return err
			}
		}
		return printForwarding(ctx, db, e.stdout, c)
	})
}

// setForwarding applies `forwarding set`. The token is read from the first line of stdin, else
// META_ACCESS_TOKEN; it is sealed before it is stored and never printed.
func setForwarding(ctx context.Context, db *store.DB, e env, cfg config, c store.Client, mode, dataset, app string) error {
	if mode == store.ForwardLegacy {
		if r := forward.LegacyRefusal(cfg.APIVersion); r != "" {
			return usagef("forwarding set: legacy is not possible: %s", r)
		}
	}
	var sealed []byte
	if mode != store.ForwardOff {
		token, err := readToken(e.stdin)
		if err != nil {
			return fmt.Errorf("forwarding set: %w", err)
		}
		if token == "" {
			token = cfg.AccessToken
		}
		if token != "" {
			box, err := openBox(cfg)
			if err != nil {
				return err
			}
			if sealed, err = box.Seal(token); err != nil {
				return fmt.Errorf("forwarding set: %w", err)
			}
		}
	}
	_, err := db.SetForwarding(ctx, c.ID, mode, dataset, app, sealed)
	if store.IsValidation(err) {
		return usagef("forwarding set: %v (pipe the token on stdin or set META_ACCESS_TOKEN)", err)
	}
	if err != nil {
		return fmt.Errorf("forwarding set: %w", err)
	}
	fmt.Fprintf(e.stdout, "saved forwarding of %s; a running Leadlens picks it up within seconds\n", c.Slug)
	return nil
}

// readToken takes the first line of stdin when something is piped in; a terminal is not read
// (nothing would be echoed, but nobody expects a prompt here).
func readToken(stdin io.Reader) (string, error) {
	if stdin == nil {
		return "", nil
	}
	if f, ok := stdin.(*os.File); ok {
		if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice != 0 {
			return "", nil
		}
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the token from stdin: %w", err)
	}
	return strings.TrimSpace(line), nil
}

var modeNames = map[string]string{
	store.ForwardOff:    "off",
	store.ForwardCAPI:   "capi (Conversions API for Business Messaging)",
	store.ForwardLegacy: "legacy (Messaging Events API, page_activities)",
}

// printForwarding is `forwarding status`: settings (never the token) and outbox counts.
func printForwarding(ctx context.Context, db *store.DB, w io.Writer, c store.Client) error {
	f, err := db.Forwarding(ctx, c.ID)
	if err != nil {
		return err
	}
	counts, err := db.OutboxCounts(ctx, c.ID)
	if err != nil {
		return err
	}
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	token := "not set"
	if f.HasToken {
		token = "set"
	}
	fmt.Fprintf(w, "client:     %s\n", c.Slug)
	fmt.Fprintf(w, "mode:       %s\n", modeNames[f.Mode])
	fmt.Fprintf(w, "dataset id: %s\n", dash(f.DatasetID))
	fmt.Fprintf(w, "app id:     %s\n", dash(f.AppID))
	fmt.Fprintf(w, "token:      %s\n", token)
	if f.Stopped() {
		fmt.Fprintf(w, "stopped:    since %s: %s\n", stamp(f.StoppedAt), f.StoppedReason)
	} else {
		fmt.Fprintf(w, "stopped:    no\n")
	}
	parts := make([]string, len(store.OutboxStatuses))
	for i, s := range store.OutboxStatuses {
		parts[i] = fmt.Sprintf("%s %d", s, counts[s])
	}
	fmt.Fprintf(w, "outbox:     %s\n", strings.Join(parts, ", "))
	return nil
}

// forwardingNames is the forwarder's event-name table for the forwarding admin page.
func forwardingNames() []views.ForwardingMapping {
	var out []views.ForwardingMapping
	for _, m := range forward.Mappings() {
		v := views.ForwardingMapping{Name: m.Name, CAPIName: m.CAPIName}
		if m.NeedsValue {
			v.Note = "needs value and currency"
		}
		out = append(out, v)
	}
	return out
}
