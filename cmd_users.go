package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
)

// cmdUsers manages people who sign in: `users add`, `users list`.
func cmdUsers(ctx context.Context, e env) error {
	if len(e.args) == 0 {
		return usagef("users: say add or list (e.g. leadlens users add --email you@example.com --role admin)")
	}
	sub, rest := e.args[0], e.args[1:]
	var cfg config
	fs := newFlagSet("users "+sub, e.stderr)
	finish := registerCommon(fs, e.getenv, &cfg)
	switch sub {
	case "add":
		email := fs.String("email", "", "the person's email (required)")
		role := fs.String("role", "", "admin, member or viewer (required)")
		client := fs.String("client", "", "the client slug a viewer may see (viewers only)")
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		if *email == "" || *role == "" {
			return usagef("users add: --email and --role are required")
		}
		if err := finish(); err != nil {
			return err
		}
		return withStore(ctx, cfg, func(db *store.DB) error {
			return addUser(ctx, db, e, *email, *role, *client)
		})
	case "list":
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		if err := finish(); err != nil {
			return err
		}
		return withStore(ctx, cfg, func(db *store.DB) error {
			users, err := db.Users(ctx)
			if err != nil {
				return err
			}
			if len(users) == 0 {
				fmt.Fprintln(e.stdout, "No users yet. Add the first admin: leadlens users add --email you@example.com --role admin")
				return nil
			}
			for _, u := range users {
				fmt.Fprintf(e.stdout, "%-32s %-7s %s\n", u.Email, u.Role, u.ClientSlug)
			}
			return nil
		})
	}
	return usagef("users: unknown subcommand %q (add, list)", sub)
}

func addUser(ctx context.Context, db *store.DB, e env, email, role, clientSlug string) error {
	var clientID int64
	if clientSlug != "" {
		c, err := db.ClientBySlug(ctx, clientSlug)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("users add: there is no client with the slug %q (leadlens clients list shows them)", clientSlug)
		}
		if err != nil {
			return err
		}
		clientID = c.ID
	}
	if err := store.ValidateRole(role, clientID); err != nil {
		return fmt.Errorf("users add: %w", err)
	}
	pw, generated, err := readPassword(e.stdin)
	if err != nil {
		return fmt.Errorf("users add: %w", err)
	}
	hash, err := secret.HashPassword(pw)
	if err != nil {
		return fmt.Errorf("users add: %w", err)
	}
	u, err := db.CreateUser(ctx, store.NewUser{Email: email, PasswordHash: hash, Role: role, ClientID: clientID})
	if err != nil {
		return fmt.Errorf("users add: %w", err)
	}
	fmt.Fprintf(e.stdout, "added %s (%s)\n", u.Email, u.Role)
	if generated {
		fmt.Fprintf(e.stdout, "password: %s\n(shown once; it is stored only as a hash)\n", pw)
	}
	return nil
}

// readPassword takes the first line of stdin when stdin is a pipe or file with something in it;
// otherwise (a terminal, or nothing piped) it generates one.
func readPassword(stdin io.Reader) (pw string, generated bool, err error) {
	if f, ok := stdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			stdin = nil
		}
	}
	if stdin != nil {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", false, fmt.Errorf("reading the password from stdin: %w", err)
		}
		if line = strings.TrimRight(line, "\r\n"); line != "" {
			return line, false, nil
		}
	}
	pw, err = secret.GeneratePassword()
	return pw, true, err
}

// withStore opens the database (migrating it) for a one-shot command.
func withStore(ctx context.Context, cfg config, fn func(*store.DB) error) error {
	if err := dbDirExists(cfg.DB); err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DB, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}
