package handlers

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/leadlens/leadlens/internal/browsertest"
	"github.com/leadlens/leadlens/internal/synth"
	"github.com/leadlens/leadlens/store"
)

// logoPNG is a real 8×8 image, so the browser decodes the logo.
func logoPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{R: 47, G: 91, B: 234, A: 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestShareLinkInBrowser opens a share link as its recipient would: the client's brand, no
// admin navigation, every chart drawn under the strict CSP, htmx range changes and drill-down
// staying under the link, the CSV, the password form, an expired link's page, and embedding.
func TestShareLinkInBrowser(t *testing.T) {
	b := browsertest.New(t, 90*time.Second)
	ny, _ := time.LoadLocation("America/New_York")
	now := time.Now()
	clock := &testClock{t: now.Add(-48 * time.Hour)}
	e := newClockEnv(t, clock)
	ctx := context.Background()
	w, err := synth.Load(ctx, e.db, demoSpec(now.In(ny).AddDate(0, 0, -1).Format("2006-01-02")))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.SetClientLogo(ctx, w.Client.ID, logoPNG(t), "image/png"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.UpdateClient(ctx, w.Client.ID, store.ClientUpdate{Name: w.Client.Name, Slug: w.Client.Slug, BrandName: "Demo Dental Group"}); err != nil {
		t.Fatal(err)
	}
	open, _ := e.newLink(store.NewShareLink{ClientID: w.Client.ID, Label: "owner", AllowEmbed: true})
	plain, _ := e.newLink(store.NewShareLink{ClientID: w.Client.ID})
	protected, _ := e.newLink(store.NewShareLink{ClientID: w.Client.ID, Password: "lighthouse-keeper-9"})
	expired, _ := e.newLink(store.NewShareLink{ClientID: w.Client.ID, ExpiresAt: now.Add(-24 * time.Hour)})
	clock.Set(now)
	base := e.srv.URL + "/s/" + open

	b.Do("opening the share link", chromedp.Navigate(base))
	chartsDrawn := `document.querySelectorAll('[data-chart][data-series-count]').length === 3 && ` +
		`Array.from(document.querySelectorAll('[data-chart]')).every(el => el.querySelector('canvas'))`
	b.WaitFor("three charts with canvases", chartsDrawn, 20*time.Second)
	series := browsertest.Eval[string](b, `Array.from(document.querySelectorAll('[data-chart]')).map(el => el.dataset.chart + '=' + el.dataset.seriesCount + '/' + el.dataset.expectedSeries).join(' ')`)
	if want := "leads=2/2 spend=4/4 top=2/2"; series != want {
		t.Errorf("series drawn/expected: got %q, want %q", series, want)
	}
	b.WaitFor("the logo", `document.querySelector('[data-testid="brand"] img') && document.querySelector('[data-testid="brand"] img').naturalWidth === 8`, 10*time.Second)
	if got := browsertest.Eval[string](b, `document.querySelector('[data-testid="brand"]').innerText.trim()`); got != "Demo Dental Group" {
		t.Errorf("brand: got %q, want the client's brand name", got)
	}
	chrome := browsertest.Eval[string](b, `[document.querySelectorAll('nav.nav a').length, !!document.querySelector('.usermenu'), `+
		`!!document.querySelector('[data-testid="refresh"]'), document.querySelector('footer.site').innerText.trim()].join('|')`)
	if chrome != "0|false|false|Dashboard by Leadlens · read-only view" {
		t.Errorf("navigation|user menu|refresh|footer: got %q, want none of them and the read-only footer", chrome)
	}
	b.Screenshot("share-dashboard")

	// A preset swaps the dashboard in place and the URL stays under the link.
	browsertest.Eval[bool](b, `window.__leadlensMarker = true`)
	b.Do("choosing the last 7 days", chromedp.Click(chromedp.CSS(`[data-testid="range-last_7d"]`)))
	b.WaitFor("the 7-day view", `location.pathname === '/s/`+open+`' && location.search.includes('range=last_7d') && `+
		`document.querySelector('[data-testid="range-text"]').textContent.includes('(7 days)') && `+chartsDrawn, 15*time.Second)
	if !browsertest.Eval[bool](b, `window.__leadlensMarker === true`) {
		t.Error("changing the range reloaded the page instead of swapping the dashboard")
	}
	b.Do("drilling into a campaign", chromedp.Click(chromedp.CSS(`[data-testid="drill"]`)))
	b.WaitFor("the campaign page", `location.pathname.startsWith('/s/`+open+`/campaigns/') && `+
		`document.querySelector('[data-testid="crumb-client"]') !== null && `+chartsDrawn, 15*time.Second)
	if links := browsertest.Eval[int](b, `Array.from(document.querySelectorAll('a[href]')).filter(a => { const u = new URL(a.href); `+
		`return !u.pathname.startsWith('/s/`+open+`') && !u.pathname.startsWith('/static/'); }).length`); links != 0 {
		t.Errorf("%d links on the shared drill-down leave the link", links)
	}

	// The CSV, fetched by the page and directly.
	browsertest.Eval[bool](b, `(() => { window.scrollTo(0, 0); return true; })()`)
	b.Do("back to the client", chromedp.Click(chromedp.CSS(`[data-testid="crumb-client"]`)))
	b.WaitFor("the client page", `!location.pathname.includes('/campaigns/') && document.querySelector('[data-testid="export"]') !== null`, 15*time.Second)
	href := browsertest.Eval[string](b, `document.querySelector('[data-testid="export"]').getAttribute('href')`)
	if !strings.HasPrefix(href, "/s/"+open+"/export.csv?") || !strings.Contains(href, "range=last_7d") {
		t.Errorf("export link %q, want the link's CSV of the 7-day view", href)
	}
	csv := browsertest.Eval[string](b, `fetch(document.querySelector('[data-testid="export"]').href).then(r => r.ok ? r.text() : 'HTTP ' + r.status)`)
	if lines := strings.Split(strings.TrimSpace(csv), "\n"); len(lines) < 8 || !strings.HasPrefix(lines[0], "date,level,account_id,campaign_id,") {
		t.Fatalf("CSV in the browser: got %d lines starting %.60q", len(lines), csv)
	}
	resp, err := http.Get(e.srv.URL + href)
	if err != nil {
		t.Fatal(err)
	}
	direct, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(direct) != csv {
		t.Errorf("the browser's CSV and a direct download differ (%d and %d bytes)", len(csv), len(direct))
	}
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("the shared pages reported errors (CSP violations included): %v", errs)
	}

	// Embedding: another site may frame the embeddable link, not the plain one.
	framer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, `<!doctype html><title>Partner site</title><iframe id="embed" src="`+base+`" width="1200" height="800"></iframe>`+
			`<iframe id="plain" src="`+e.srv.URL+"/s/"+plain+`" width="600" height="400"></iframe>`)
	}))
	defer framer.Close()
	b.Do("opening a partner site that embeds the links", chromedp.Navigate(framer.URL))
	frames := func() map[string]string {
		tree, err := chromedp.Call(b.Ctx, page.GetFrameTree, cdp.Empty{})
		if err != nil {
			b.Fail("reading the frame tree", err)
		}
		out := map[string]string{}
		for _, c := range tree.FrameTree.ChildFrames {
			out[c.Frame.Name+c.Frame.URL] = c.Frame.URL
		}
		return out
	}
	deadline := time.Now().Add(15 * time.Second)
	var embedOK, plainBlocked bool
	for time.Now().Before(deadline) && !(embedOK && plainBlocked) {
		for _, u := range frames() {
			embedOK = embedOK || u == base
			plainBlocked = plainBlocked || strings.HasPrefix(u, "chrome-error://")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !embedOK || !plainBlocked {
		t.Errorf("frames %v: want the embeddable link loaded and the plain one blocked", frames())
	}
	b.Screenshot("share-embedded")

	// A protected link asks for its password, then shows the dashboard (the unlock cookie is
	// SameSite=Strict and works in a real browser).
	b.Do("opening the protected link", chromedp.Navigate(e.srv.URL+"/s/"+protected))
	b.WaitFor("the password form", `document.querySelector('[data-testid="share-unlock"]') !== null`, 10*time.Second)
	if browsertest.Eval[bool](b, `document.body.innerText.includes('Demo Dental')`) {
		t.Error("the password form names the client")
	}
	b.Do("unlocking", chromedp.SendKeys(chromedp.CSS("#password"), "lighthouse-keeper-9"), chromedp.Click(chromedp.CSS(`[data-testid="unlock"]`)))
	b.WaitFor("the protected dashboard", `location.pathname === '/s/`+protected+`' && `+chartsDrawn, 20*time.Second)

	b.Do("opening the expired link", chromedp.Navigate(e.srv.URL+"/s/"+expired))
	b.WaitFor("the expired page", `document.querySelector('[data-testid="error"]') !== null`, 10*time.Second)
	got := browsertest.Eval[string](b, `document.querySelector('[data-testid="error"]').dataset.status + ' ' + document.querySelector('[data-testid="error"] h2').textContent`)
	if got != "410 This link expired" {
		t.Errorf("expired link: got %q, want 410 This link expired", got)
	}
	b.Screenshot("share-expired")
	// The 401 of the password form, the 410 of the expired link and the blocked frame are the
	// only errors the browser may report.
	for _, msg := range b.Errors() {
		if !strings.Contains(msg, "status of 401") && !strings.Contains(msg, "status of 410") && !strings.Contains(msg, "frame-ancestors") {
			t.Errorf("page error: %s", msg)
		}
	}
}
