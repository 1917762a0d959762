// Command leadlens is self-hosted lead analytics for click-to-message ads: a collector of Meta
// Ads Insights, an event log API for bots, and a dashboard, in one binary with one SQLite file.
//
// main wires; the work happens in the packages. See README.md and docs/architecture.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"sort"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintln(os.Stderr, "leadlens:", err)
		}
		if isUsage(err) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// errReported means the command already told the user what went wrong; main only sets the
// exit status.
var errReported = errors.New("reported")

// subcommandsRE finds the list of subcommands a command group names in its usage error.
var subcommandsRE = regexp.MustCompile(`\(([a-z, -]+)\)$`)

// errHelp is returned by parseFlags for -h: the flag set printed its help, the exit is clean.
var errHelp = errors.New("help shown")

// env is what a command may touch of the outside world; tests build their own.
type env struct {
	args   []string // after the command name
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, e env) error
}

// commands lists every subcommand; each lives in its own cmd_*.go file.
func commands() map[string]command {
	return map[string]command{
		"serve":      {"run the dashboard, the event API and the scheduled collector", cmdServe},
		"demo":       {"the whole product on a simulated Graph API, with sample data", cmdDemo},
		"migrate":    {"apply database schema migrations", cmdMigrate},
		"version":    {"print the version", cmdVersion},
		"collect":    {"one collection run, summary on stdout (collect [--client S] [--account act_X] [--since D --until D])", cmdCollect},
		"users":      {"add or list people who sign in (users add --email E --role R [--client S])", cmdUsers},
		"clients":    {"add or list clients (clients add --name N --ad-account act_X [--page ID])", cmdClients},
		"apikeys":    {"event API keys of a client (apikeys create|list|revoke --client S)", cmdAPIKeys},
		"forwarding": {"forwarding of a client's events to Meta (forwarding set|status --client S)", cmdForwarding},
		"export":     {"a client's daily numbers as CSV on stdout (export --client S --level L --since D --until D [--ctx-only])", cmdExport},
		"sharelinks": {"read-only share links of a client's dashboard (sharelinks create|list|revoke --client S)", cmdShareLinks},
		"backup":     {"a consistent copy of the database, also while serve runs (backup [--to FILE] [--force])", cmdBackup},
		"restore":    {"put a backup in place of the database, keeping the old one (restore --from FILE); stop serve first", cmdRestore},
		"doctor":     {"check the configuration, database, key, Meta token, syncs and backups; ok/warn/fail each", cmdDoctor},
	}
}

// run is the whole program: it parses args (args[0] is the program name) and runs a command.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return runEnv(ctx, args, env{getenv: getenv, stdin: os.Stdin, stdout: stdout, stderr: stderr})
}

func runEnv(ctx context.Context, args []string, e env) error {
	if len(args) < 2 || args[1] == "-h" || args[1] == "--help" || args[1] == "help" {
		printUsage(e.stdout)
		if len(args) < 2 {
			return usagef("no command given")
		}
		return nil
	}
	cmd, ok := commands()[args[1]]
	if !ok {
		printUsage(e.stderr)
		return usagef("unknown command %q", args[1])
	}
	e.args = args[2:]
	err := cmd.run(ctx, e)
	if errors.Is(err, errHelp) {
		return nil
	}
	// A command with subcommands (users, clients, …) asked for help before naming one: show
	// what it does instead of "unknown subcommand".
	if isUsage(err) && len(e.args) == 1 && (e.args[0] == "-h" || e.args[0] == "--help" || e.args[0] == "help") {
		fmt.Fprintf(e.stdout, "leadlens %s: %s\n", args[1], cmd.summary)
		if m := subcommandsRE.FindStringSubmatch(err.Error()); m != nil {
			fmt.Fprintf(e.stdout, "Subcommands: %s\n", m[1])
		}
		fmt.Fprintf(e.stdout, "Run `leadlens %s <subcommand> -h` for a subcommand's flags.\n", args[1])
		return nil
	}
	return err
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: leadlens <command> [flags]\n\nCommands:")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun `leadlens <command> -h` for a command's flags. Every flag has an environment default (LEADLENS_*, META_*).")
}

// parseFlags parses a command's flags, mapping flag errors to usage errors and -h to a clean exit.
func parseFlags(fs interface {
	Parse([]string) error
	Args() []string
}, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usagef("%v", err)
	}
	if rest := fs.Args(); len(rest) > 0 {
		return usagef("unexpected arguments: %s", strings.Join(rest, " "))
	}
	return nil
}

func cmdVersion(_ context.Context, e env) error {
	fmt.Fprintln(e.stdout, "leadlens", version)
	return nil
}
