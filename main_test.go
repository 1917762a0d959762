package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer collects output written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startRun runs the real program's run() with args and environment, returning the URL it
// printed and a function that stops it (SIGTERM-like: cancels ctx) and returns run's error.
func startRun(t *testing.T, args []string, envm map[string]string) (string, func() error, *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr := &lockedBuffer{}
	done := make(chan error, 1)
	getenv := func(k string) string { return envm[k] }
	go func() {
		err := run(ctx, append([]string{"leadlens"}, args...), getenv, pw, stderr)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	urlRE := regexp.MustCompile(`listening on (http://\S+)`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			if m := urlRE.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
		if !sent {
			close(found)
		}
	}()
	var url string
	select {
	case u, ok := <-found:
		if !ok {
			t.Fatalf("run exited before listening: %v\nstderr:\n%s", <-done, stderr.String())
		}
		url = u
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatalf("run did not print its URL within 60s\nstderr:\n%s", stderr.String())
	}
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatalf("run did not stop within 30s after cancel")
			return nil
		}
	}
	t.Cleanup(func() { _ = stop() })
	return url, stop, stderr
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeEndToEnd(t *testing.T) {
	dir := t.TempDir()
	url, stop, _ := startRun(t, []string{"serve"}, map[string]string{
		"LEADLENS_ADDR": "127.0.0.1:0",
		"LEADLENS_DB":   filepath.Join(dir, "ll.db"),
	})
	if code, body := get(t, url+"/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Fatalf("/healthz: got %d %q, want 200 ok", code, body)
	}
	if code, _ := get(t, url+"/readyz"); code != 200 {
		t.Fatalf("/readyz: got %d, want 200", code)
	}
	if code, _ := get(t, url+"/static/css/app.css"); code != 200 {
		t.Fatalf("/static/css/app.css: got %d, want 200", code)
	}
	if code, _ := get(t, url+"/no-such-page"); code != 404 {
		t.Fatalf("/no-such-page: got %d, want 404", code)
	}
	if err := stop(); err != nil {
		t.Fatalf("run returned %v after shutdown, want nil", err)
	}
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"META_API_VERSION": "latest"}, "META_API_VERSION"},
		{map[string]string{"META_GRAPH_URL": "graph.facebook.com"}, "META_GRAPH_URL"},
		{map[string]string{"META_GRAPH_URL": "https://graph.facebook.com/v21.0"}, "contains a version"},
		{map[string]string{"LEADLENS_ADDR": "8080"}, "LEADLENS_ADDR"},
		{map[string]string{"LEADLENS_LOOKBACK_DAYS": "-3"}, "LEADLENS_LOOKBACK_DAYS"},
		{map[string]string{"LEADLENS_DB": filepath.Join(dir, "missing", "x.db")}, "does not exist"},
	}
	for _, tc := range tests {
		env := map[string]string{"LEADLENS_DB": filepath.Join(dir, "ll.db"), "LEADLENS_ADDR": "127.0.0.1:0"}
		for k, v := range tc.env {
			env[k] = v
		}
		err := run(context.Background(), []string{"leadlens", "migrate"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("env %v: got %v, want an error mentioning %q", tc.env, err, tc.want)
		}
	}
}

func TestUnknownCommandIsUsageError(t *testing.T) {
	err := run(context.Background(), []string{"leadlens", "frobnicate"}, func(string) string { return "" }, io.Discard, io.Discard)
	if !isUsage(err) {
		t.Fatalf("got %v, want a usage error", err)
	}
}

func TestUsersAddGeneratesOrReadsPassword(t *testing.T) {
	dir := t.TempDir()
	getenv := func(k string) string {
		return map[string]string{"LEADLENS_DB": filepath.Join(dir, "ll.db")}[k]
	}
	var out strings.Builder
	err := runEnv(context.Background(), []string{"leadlens", "users", "add", "--email", "Ann@Example.com", "--role", "admin"},
		env{getenv: getenv, stdin: strings.NewReader(""), stdout: &out, stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`password: \S{20}\n`).MatchString(out.String()) {
		t.Fatalf("got %q, want a generated password printed once", out.String())
	}
	out.Reset()
	err = runEnv(context.Background(), []string{"leadlens", "users", "add", "--email", "bo@example.com", "--role", "member"},
		env{getenv: getenv, stdin: strings.NewReader("a-long-enough-password\n"), stdout: &out, stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "a-long-enough-password") || strings.Contains(out.String(), "password:") {
		t.Fatalf("a password read from stdin was echoed: %q", out.String())
	}
	err = runEnv(context.Background(), []string{"leadlens", "users", "add", "--email", "v@example.com", "--role", "viewer"},
		env{getenv: getenv, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "viewer must be given") {
		t.Fatalf("viewer without client: got %v, want an error naming the missing client", err)
	}
	err = runEnv(context.Background(), []string{"leadlens", "users", "add", "--email", "s@example.com", "--role", "admin"},
		env{getenv: getenv, stdin: strings.NewReader("short\n"), stdout: io.Discard, stderr: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "at least 10") {
		t.Fatalf("short password: got %v, want a length error", err)
	}
}

func TestCommandGroupHelp(t *testing.T) {
	for _, group := range []string{"users", "clients", "apikeys", "sharelinks", "forwarding"} {
		var out strings.Builder
		err := runEnv(context.Background(), []string{"leadlens", group, "-h"},
			env{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: &out, stderr: io.Discard})
		if err != nil || !strings.Contains(out.String(), "Subcommands: ") || strings.Contains(out.String(), "unknown") {
			t.Errorf("%s -h: got %v and %q, want help listing the subcommands", group, err, out.String())
		}
	}
}
