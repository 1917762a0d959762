// Package browsertest runs page tests in a headless Chromium through chromedp: one fresh
// browser profile per test, the flags Leadlens's CI allows, console and CSP errors collected,
// screenshots saved as test artifacts.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Browser is a headless Chromium tab for one test.
type Browser struct {
	// Ctx is the tab's chromedp context; run actions with chromedp.Run / chromedp.Do on it (or
	// on a context derived from it with a timeout).
	Ctx context.Context
	t   testing.TB

	mu     sync.Mutex
	errors []string
}

// FindChromium returns the Chromium to use: $LEADLENS_CHROMIUM, /usr/bin/chromium, or the first
// chromium, chromium-browser or google-chrome on PATH.
func FindChromium() (string, error) {
	if p := os.Getenv("LEADLENS_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("LEADLENS_CHROMIUM=%s: %w", p, err)
		}
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found: install Debian's chromium (make deps) or set LEADLENS_CHROMIUM")
}

// New starts a browser for t, bounded by timeout. Without a Chromium the test fails when the CI
// environment variable is set (CI must run the browser tests) and is skipped otherwise.
func New(t testing.TB, timeout time.Duration) *Browser {
	t.Helper()
	path, err := FindChromium()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("browser test under CI: %v", err)
		}
		t.Skipf("browser test skipped: %v", err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancelTab := chromedp.NewContext(alloc)
	b := &Browser{Ctx: ctx, t: t}
	// The first Run starts the browser; it must not carry the test's deadline (that would stop
	// the browser), so the deadline is applied to the tab context afterwards.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		cancelTab()
		cancelAlloc()
		t.Fatalf("starting Chromium (%s): %v", path, err)
	}
	if err := chromedp.Listen(ctx, b.collect); err != nil {
		t.Fatalf("listening to the browser: %v", err)
	}
	var cancelTimeout context.CancelFunc
	b.Ctx, cancelTimeout = context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	return b
}

// collect keeps the page's uncaught exceptions, console errors and browser error log entries
// (Content-Security-Policy violations among them).
func (b *Browser) collect(ev any) {
	var msg string
	switch e := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg = "exception: " + e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil && e.ExceptionDetails.Exception.Description != "" {
			msg += " " + e.ExceptionDetails.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		if e.Type != runtime.ConsoleAPICalledTypeError {
			return
		}
		var parts []string
		for _, a := range e.Args {
			parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
		}
		msg = "console.error: " + strings.Join(parts, " ")
	case *log.EventEntryAdded:
		if e.Entry.Level != log.EntryLevelError {
			return
		}
		msg = fmt.Sprintf("%s log: %s (%s)", e.Entry.Source, e.Entry.Text, e.Entry.URL)
	default:
		return
	}
	b.mu.Lock()
	b.errors = append(b.errors, msg)
	b.mu.Unlock()
}

// Errors returns the page errors seen so far.
func (b *Browser) Errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

// Do runs actions, failing the test with what and the error when one fails.
func (b *Browser) Do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.Ctx, actions...); err != nil {
		b.Fail(what, err)
	}
}

// Fail ends the test with a screenshot of the moment saved next to the others.
func (b *Browser) Fail(what string, err error) {
	b.t.Helper()
	shot := b.Screenshot("failure")
	b.t.Fatalf("%s: %v (page errors: %v; screenshot %s)", what, err, b.Errors(), shot)
}

// Eval evaluates a JavaScript expression (a promise is awaited) and decodes its value.
func Eval[T any](b *Browser, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.Ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.Fail("evaluating "+expr, err)
	}
	return v
}

// WaitFor polls a JavaScript condition until it is true. It evaluates through the DevTools
// protocol, not with a script the page runs, so it works under the page's strict CSP.
func (b *Browser) WaitFor(what, cond string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ok, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool]("!!("+cond+")"))
		if err == nil && ok {
			return
		}
		last = err
		if time.Now().After(deadline) || b.Ctx.Err() != nil {
			if last == nil {
				last = fmt.Errorf("still false after %v: %s", timeout, cond)
			}
			b.Fail("waiting for "+what, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Screenshot saves a full-page PNG as <artifacts>/<test name>-<name>.png and returns its path
// ("" when it could not be taken: screenshots are evidence, not assertions).
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	buf, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	dir := ArtifactsDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	safe := strings.NewReplacer("/", "_", " ", "_").Replace(b.t.Name())
	path := filepath.Join(dir, safe+"-"+name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	b.t.Logf("screenshot saved: %s", path)
	return path
}

// ArtifactsDir is where test artifacts go: $LEADLENS_ARTIFACTS, or test-artifacts/ at the root
// of the repository (git-ignored).
func ArtifactsDir() string {
	if d := os.Getenv("LEADLENS_ARTIFACTS"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return "test-artifacts"
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "test-artifacts")
		}
		if filepath.Dir(d) == d {
			return filepath.Join(dir, "test-artifacts")
		}
	}
}
