package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/leadlens/leadlens/events"
	"github.com/leadlens/leadlens/store"
)

// cli runs one leadlens command in-process against dir's database and returns its stdout.
func cli(t *testing.T, dbPath string, args ...string) (string, error) {
	t.Helper()
	var out strings.Builder
	getenv := func(k string) string { return map[string]string{"LEADLENS_DB": dbPath}[k] }
	err := runEnv(context.Background(), append([]string{"leadlens"}, args...),
		env{getenv: getenv, stdin: strings.NewReader(""), stdout: &out, stderr: io.Discard})
	return out.String(), err
}

var apiKeyRE = regexp.MustCompile(`llk_[A-Za-z0-9_-]{43}`)

func TestClientsAndAPIKeysCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ll.db")
	if _, err := cli(t, db, "clients", "add", "--name", "Acme Dental", "--ad-account", "act_1,2", "--ad-account", "act_3",
		"--page", "111", "--page", "222,333", "--timezone", "Europe/Berlin"); err != nil {
		t.Fatal(err)
	}
	out, err := cli(t, db, "clients", "list")
	if err != nil || !strings.Contains(out, "acme-dental") || !strings.Contains(out, "accounts=act_1,act_2,act_3") ||
		!strings.Contains(out, "pages=111,222,333") || !strings.Contains(out, "tz=Europe/Berlin") {
		t.Fatalf("clients list: got %q %v, want acme-dental with 3 accounts and 3 pages (repeats and commas alike)", out, err)
	}
	if _, err := cli(t, db, "clients", "add", "--name", "No Accounts"); !isUsage(err) {
		t.Fatalf("clients add without --ad-account: got %v, want a usage error", err)
	}
	if _, err := cli(t, db, "clients", "add", "--name", "Thief", "--ad-account", "9", "--page", "111"); err == nil || !strings.Contains(err.Error(), "already belongs") {
		t.Fatalf("a page of another client: got %v, want it refused", err)
	}

	out, err = cli(t, db, "apikeys", "create", "--client", "acme-dental", "--name", "bot")
	key := apiKeyRE.FindString(out)
	if err != nil || key == "" || !strings.Contains(out, "curl") || !strings.Contains(out, "/page_activities") {
		t.Fatalf("apikeys create: got %q %v, want a key and a curl example", out, err)
	}
	out, err = cli(t, db, "apikeys", "list", "--client", "acme-dental")
	if err != nil || strings.Contains(out, key) || !strings.Contains(out, key[:10]) {
		t.Fatalf("apikeys list: got %q %v, want the prefix and never the key", out, err)
	}
	if _, err := cli(t, db, "apikeys", "revoke", "--client", "acme-dental", "--id", "1"); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.AuthenticateAPIKey(context.Background(), key); err != store.ErrNotFound {
		t.Fatalf("revoked key: got %v, want ErrNotFound", err)
	}
	if _, err := cli(t, db, "apikeys", "create"); !isUsage(err) {
		t.Fatalf("apikeys create without --client: got %v, want a usage error", err)
	}
	if _, err := cli(t, db, "apikeys", "revoke", "--client", "acme-dental", "--id", "x"); !isUsage(err) {
		t.Fatalf("apikeys revoke --id x: got %v, want a usage error", err)
	}
}

// crashChildEnv marks the re-executed test binary that serves as the crash test's server.
const crashChildEnv = "LEADLENS_CRASH_CHILD_DB"

// TestCrashChildServe is not a test on its own: the crash test re-executes this test binary
// with crashChildEnv set, and then it is `leadlens serve` on that database until killed.
func TestCrashChildServe(t *testing.T) {
	db := os.Getenv(crashChildEnv)
	if db == "" {
		t.Skip("only run as the crash test's child process")
	}
	getenv := func(k string) string {
		return map[string]string{"LEADLENS_DB": db, "LEADLENS_ADDR": "127.0.0.1:0", "LEADLENS_LOG_LEVEL": "warn"}[k]
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, []string{"leadlens", "serve"}, getenv, os.Stdout, os.Stderr); err != nil {
		t.Fatal(err)
	}
}

// startChild runs the server child on db and returns its URL and process.
func startChild(t *testing.T, db string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChildServe$", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+db)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`listening on (http://\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case u := <-found:
		return u, cmd
	case <-time.After(30 * time.Second):
		t.Fatalf("the server child did not start within 30s; stderr:\n%s", stderr.String())
		return "", nil
	}
}

// TestEventAPICrashKeepsAcknowledgedEvents kills the server with SIGKILL in the middle of a
// concurrent load and checks, after a restart, that every event answered 200 is stored exactly
// once: a 200 is only sent after the commit.
func TestEventAPICrashKeepsAcknowledgedEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash test starts server processes; skipped with -short")
	}
	db := filepath.Join(t.TempDir(), "ll.db")
	if _, err := cli(t, db, "clients", "add", "--name", "Crash", "--ad-account", "act_1", "--page", "111"); err != nil {
		t.Fatal(err)
	}
	out, err := cli(t, db, "apikeys", "create", "--client", "crash")
	key := apiKeyRE.FindString(out)
	if err != nil || key == "" {
		t.Fatalf("apikeys create: %q %v", out, err)
	}
	url, child := startChild(t, db)

	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	c := &events.Client{BaseURL: url, APIKey: key, HTTP: hc}
	var (
		mu     sync.Mutex
		acked  = map[string]string{} // event_id → stored id
		killed atomic.Bool
		wg     sync.WaitGroup
	)
	errs := make(chan error, 32)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				req := events.Request{PageID: "111", PSID: fmt.Sprint(1000 + g), LoggingSource: "messenger_bot", LoggingTarget: "page",
					Events: []events.Event{{Name: "lead_submitted", EventID: fmt.Sprintf("g%d-%d-a", g, i)}, {Name: "lead_submitted", EventID: fmt.Sprintf("g%d-%d-b", g, i)}}}
				res, err := c.LogEvents(ctx, req)
				if err != nil {
					if !killed.Load() && ctx.Err() == nil {
						errs <- fmt.Errorf("poster %d before the kill: %w", g, err)
					}
					return
				}
				mu.Lock()
				for j, r := range res {
					acked[req.Events[j].EventID] = r.ID
				}
				mu.Unlock()
			}
		}()
	}
	// Kill once the load is well under way, while every poster is still sending.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 1000 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	killed.Store(true)
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(acked) == 0 {
		t.Fatal("no event was acknowledged before the kill")
	}
	t.Logf("%d events acknowledged before SIGKILL", len(acked))

	// Restart on the same file. Every acknowledged event must be there: posting it again is
	// answered as a duplicate of the same id.
	url, child = startChild(t, db)
	c.BaseURL = url
	ids := make([]string, 0, len(acked))
	for id := range acked {
		ids = append(ids, id)
	}
	for len(ids) > 0 {
		n := min(len(ids), events.MaxEvents)
		req := events.Request{PageID: "111", PSID: "1", LoggingSource: "messenger_bot", LoggingTarget: "page"}
		for _, id := range ids[:n] {
			req.Events = append(req.Events, events.Event{Name: "lead_submitted", EventID: id})
		}
		res, err := c.LogEvents(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		for j, r := range res {
			if want := acked[req.Events[j].EventID]; !r.Duplicate || r.ID != want {
				t.Fatalf("acknowledged event %s after restart: got id %s duplicate %v, want a duplicate of id %s (lost)", req.Events[j].EventID, r.ID, r.Duplicate, want)
			}
		}
		ids = ids[n:]
	}
	if err := child.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := child.Wait(); err != nil {
		t.Fatalf("graceful stop after SIGTERM: got %v, want exit 0", err)
	}

	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	all, err := st.LeadEvents(context.Background(), 1, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range all {
		seen[e.IdemKey]++
	}
	for id := range acked {
		if seen[id] != 1 {
			t.Fatalf("event %s stored %d times, want exactly once", id, seen[id])
		}
	}
	if len(seen) != len(all) {
		t.Fatalf("got %d rows for %d event ids, want no duplicates", len(all), len(seen))
	}
}
