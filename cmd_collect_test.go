package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadlens/leadlens/metasim"
	"github.com/leadlens/leadlens/store"
)

func TestCollectCommand(t *testing.T) {
	sim, err := metasim.New(metasim.Options{Seed: 3, Accounts: 2, CampaignsPerAccount: 3, HistoryDays: 120})
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	w := sim.World()
	a0, a1 := "act_"+w.Accounts[0].ID, "act_"+w.Accounts[1].ID
	dbPath := filepath.Join(t.TempDir(), "ll.db")
	envm := map[string]string{"LEADLENS_DB": dbPath, "META_GRAPH_URL": url, "META_API_VERSION": "21.0",
		"META_ACCESS_TOKEN": metasim.DemoToken, "LEADLENS_LOG_LEVEL": "warn"}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cli := func(args ...string) (string, string, error) {
		t.Helper()
		var out, errb lockedBuffer
		err := runEnv(ctx, append([]string{"leadlens"}, args...), env{getenv: func(k string) string { return envm[k] },
			stdin: strings.NewReader(""), stdout: &out, stderr: &errb})
		return out.String(), errb.String(), err
	}
	if _, _, err := cli("clients", "add", "--name", "Acme", "--ad-account", a0, "--page", w.Accounts[0].PageID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cli("clients", "add", "--name", "Beta", "--ad-account", w.Accounts[1].ID); err != nil {
		t.Fatal(err)
	}

	// every client, every account: exit 0 and a summary
	out, stderr, err := cli("collect")
	if err != nil {
		t.Fatalf("collect: got %v, want success\nstdout:\n%s\nstderr:\n%s", err, out, stderr)
	}
	for _, want := range []string{"Run 1 (cli) succeeded", "2 account(s)", a0, a1, "ROWS", "CALLS"} {
		if !strings.Contains(out, want) {
			t.Errorf("collect summary: want %q in\n%s", want, out)
		}
	}
	// --client and repeated/comma-separated --account narrow the run
	out, _, err = cli("collect", "--client", "acme", "--since", time.Now().UTC().AddDate(0, 0, -3).Format(time.DateOnly),
		"--until", time.Now().UTC().Format(time.DateOnly))
	if err != nil || !strings.Contains(out, "1 account(s)") || !strings.Contains(out, a0) || strings.Contains(out, a1) {
		t.Errorf("collect --client acme: got %v\n%s\nwant one account, %s", err, out, a0)
	}
	out, _, err = cli("collect", "--account", a0+","+w.Accounts[1].ID, "--account", a0)
	if err != nil || !strings.Contains(out, "2 account(s)") {
		t.Errorf("collect --account a,b --account a: got %v\n%s\nwant two accounts", err, out)
	}

	// one account's token expired: exit 1, the summary names it and what to do, the other
	// account's data is kept
	if _, err := sim.AddFault(metasim.Fault{Kind: metasim.FaultTokenExpired, Account: w.Accounts[1].ID}); err != nil {
		t.Fatal(err)
	}
	out, _, err = cli("collect")
	if err == nil || isUsage(err) || !errors.Is(err, errReported) {
		t.Errorf("collect with a failing account: got %v, want the exit status of a failure (1)", err)
	}
	for _, want := range []string{"partial", a1 + " failed", "Session has expired", "what to do: re-authenticate"} {
		if !strings.Contains(out, want) {
			t.Errorf("collect summary with a failed account: want %q in\n%s", want, out)
		}
	}
	db, err := store.Open(ctx, dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	runs, err := db.Runs(ctx, store.RunFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Status != store.RunPartial || runs[0].Trigger != store.TriggerCLI || runs[0].RowsWritten == 0 {
		t.Errorf("the last run: got %+v, want a partial cli run that wrote rows", runs)
	}

	// bad usage: exit 2, naming the flag
	today := time.Now().UTC()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--since", "2026-01-01"}, "--since and --until go together"},
		{[]string{"--since", "01/02/2026", "--until", "2026-01-05"}, "--since"},
		{[]string{"--since", "2026-01-05", "--until", "2026-01-01"}, "--until 2026-01-01 is before --since"},
		{[]string{"--since", today.Format(time.DateOnly), "--until", today.AddDate(0, 0, 3).Format(time.DateOnly)}, "in the future"},
		{[]string{"--since", today.AddDate(-4, 0, 0).Format(time.DateOnly), "--until", today.AddDate(-4, 0, 5).Format(time.DateOnly)}, "37 months"},
		{[]string{"--client", "nobody"}, "--client \"nobody\""},
		{[]string{"--account", "act_42"}, "act_42 is not attached to any client"},
		{[]string{"--account", "acme"}, "--account \"acme\""},
		{[]string{"--bogus"}, "bogus"},
	} {
		_, _, err := cli(append([]string{"collect"}, tc.args...)...)
		if !isUsage(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("collect %v: got %v, want a usage error (exit 2) mentioning %q", tc.args, err, tc.want)
		}
	}
}

func TestDemoCollectsBeforeReady(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "demo.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	envm := map[string]string{"LEADLENS_ADDR": "127.0.0.1:0", "LEADLENS_LOG_LEVEL": "warn"}
	go func() {
		err := run(ctx, []string{"leadlens", "demo", "--db", dbPath, "--bot-days", "3"}, func(k string) string { return envm[k] }, pw, io.Discard)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	readyRE := regexp.MustCompile(`Leadlens demo ready: open (http://\S+)`)
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var before []string
	var url string
	// Bounded generously: CI runs this under the race detector on two cores.
	timeout := time.After(120 * time.Second)
	for url == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("demo exited before it was ready: %v\n%s", <-done, strings.Join(before, "\n"))
			}
			if m := readyRE.FindStringSubmatch(l); m != nil {
				url = m[1]
			}
			before = append(before, l)
		case <-timeout:
			t.Fatalf("demo not ready within 120s:\n%s", strings.Join(before, "\n"))
		}
	}
	go func() {
		for range lines { // keep the pipe flowing
		}
	}()
	text := strings.Join(before, "\n")
	if !strings.Contains(text, "Run 1 (manual) succeeded") || !strings.Contains(text, "3 account(s)") {
		t.Errorf("demo output before ready: want the first run's summary (3 accounts, succeeded) in\n%s", text)
	}
	if code, _ := get(t, url+"/healthz"); code != 200 {
		t.Errorf("/healthz of the demo: got %d, want 200", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("demo returned %v after shutdown, want nil", err)
	}
	db, err := store.Open(context.Background(), dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for slug, currencies := range map[string]string{"acme-dental": "USD", "baeckerei-mueller": "EUR,JPY"} {
		c, err := db.ClientBySlug(context.Background(), slug)
		if err != nil {
			t.Fatalf("demo client %s: %v", slug, err)
		}
		accts, err := db.AdAccounts(context.Background(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range accts {
			got = append(got, a.Currency)
			for _, lv := range store.Levels {
				rows, err := db.InsightRows(context.Background(), a.ID, lv, "2000-01-01", "2100-01-01")
				if err != nil {
					t.Fatal(err)
				}
				if len(rows) == 0 {
					t.Errorf("demo account %s (%s): no %s rows collected", a.ID, slug, lv)
				}
			}
		}
		// --bot-days 3: the bot traffic went through the real event API into the store.
		if evs, err := db.LeadEvents(context.Background(), c.ID, 5); err != nil || len(evs) == 0 {
			t.Errorf("demo client %s: logged events after three days of bot traffic: got %d (%v), want some", slug, len(evs), err)
		}
		slices.Sort(got)
		if strings.Join(got, ",") != currencies {
			t.Errorf("demo client %s currencies: got %v, want %s", slug, got, currencies)
		}
	}
}

func TestServeRejectsABadSchedule(t *testing.T) {
	env := map[string]string{"LEADLENS_DB": filepath.Join(t.TempDir(), "ll.db"), "LEADLENS_ADDR": "127.0.0.1:0",
		"LEADLENS_SCHEDULE": "every three hours"}
	err := run(context.Background(), []string{"leadlens", "serve"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "LEADLENS_SCHEDULE") || !strings.Contains(err.Error(), "17 */3 * * *") {
		t.Errorf("serve with a bad schedule: got %v, want an error naming LEADLENS_SCHEDULE with an example", err)
	}
}
