package handlers

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
	"github.com/leadlens/leadlens/views"
)

// fakeForwarding stands in for the forwarder.
type fakeForwarding struct {
	refusal string
	kicks   atomic.Int32
}

func (f *fakeForwarding) LegacyRefusal() string { return f.refusal }
func (f *fakeForwarding) Kick()                 { f.kicks.Add(1) }

// forwardingEnv is a test server with a forwarder stand-in, a sealer and one client.
func forwardingEnv(t *testing.T, refusal string) (*testEnv, *fakeForwarding, *secret.Box, store.Client) {
	t.Helper()
	fw := &fakeForwarding{refusal: refusal}
	box, err := secret.NewBox("handler-tests-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, func(d *Deps) {
		d.Forwarding, d.Sealer = fw, box
		d.ForwardingNames = []views.ForwardingMapping{{Name: "lead_submitted", CAPIName: "LeadSubmitted"}}
	})
	c, err := e.db.CreateClient(context.Background(), store.NewClient{Name: "Acme", AdAccounts: []string{"1"}, Pages: []string{"111"}})
	if err != nil {
		t.Fatal(err)
	}
	return e, fw, box, c
}

// post posts a same-origin form and returns the status, Location and body.
func (e *testEnv) post(c *http.Client, path string, v url.Values) (int, string, string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(v.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func TestForwardingPageOnlyForAdmins(t *testing.T) {
	e, _, _, c := forwardingEnv(t, "")
	path := "/admin/clients/" + c.Slug + "/forwarding"
	resp, err := e.client().Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?next=") {
		t.Fatalf("anonymous: got %d to %q, want 303 to the login page", resp.StatusCode, loc)
	}
	member := e.login("m@example.com", e.addUser("m@example.com", "member", 0))
	viewer := e.login("v@example.com", e.addUser("v@example.com", "viewer", c.ID))
	for name, cl := range map[string]*http.Client{"member": member, "viewer": viewer} {
		if code, _ := e.get(cl, path); code != http.StatusForbidden {
			t.Errorf("%s GET: got %d, want 403", name, code)
		}
		form := url.Values{"mode": {"capi"}, "dataset_id": {"123"}, "token": {"EAAsecret"}}
		if code, _, _ := e.post(cl, path, form); code != http.StatusForbidden {
			t.Errorf("%s POST: got %d, want 403", name, code)
		}
		if code, _, _ := e.post(cl, path+"/retry-failed", nil); code != http.StatusForbidden {
			t.Errorf("%s retry: got %d, want 403", name, code)
		}
	}
	if cfg, _ := e.db.Forwarding(context.Background(), c.ID); cfg.Mode != store.ForwardOff || cfg.HasToken {
		t.Fatalf("got %+v after refused posts, want nothing saved", cfg)
	}
	admin := e.login("a@example.com", e.addUser("a@example.com", "admin", 0))
	if code, _ := e.get(admin, "/admin/clients/nobody/forwarding"); code != http.StatusNotFound {
		t.Fatalf("unknown client: got %d, want 404", code)
	}
}

func TestForwardingFormValidationSavesNothing(t *testing.T) {
	e, fw, _, c := forwardingEnv(t, "Meta serves page_activities only up to v20.0")
	admin := e.login("a@example.com", e.addUser("a@example.com", "admin", 0))
	path := "/admin/clients/" + c.Slug + "/forwarding"

	code, body := e.get(admin, path)
	if code != http.StatusOK || !strings.Contains(body, `data-testid="forwarding-form"`) ||
		!strings.Contains(body, "Legacy is not available: Meta serves page_activities only up to v20.0") {
		t.Fatalf("got %d, want the form with legacy refused and the reason:\n%s", code, body)
	}
	if !strings.Contains(body, `value="legacy" disabled`) {
		t.Fatalf("want the legacy radio disabled:\n%s", body)
	}
	tests := []struct {
		name string
		form url.Values
		want string
	}{
		{"capi without dataset", url.Values{"mode": {"capi"}, "token": {"EAAsecret1"}}, "needs the dataset id"},
		{"bad dataset", url.Values{"mode": {"capi"}, "dataset_id": {"ds-1"}, "token": {"EAAsecret1"}}, "is not a dataset id"},
		{"no token", url.Values{"mode": {"capi"}, "dataset_id": {"123"}}, "enter the access token"},
		{"legacy refused", url.Values{"mode": {"legacy"}, "app_id": {"777"}, "token": {"EAAsecret1"}}, "Legacy forwarding is not available"},
		{"unknown mode", url.Values{"mode": {"pixel"}}, "is not a forwarding mode"},
	}
	for _, tc := range tests {
		code, _, body := e.post(admin, path, tc.form)
		if code != http.StatusBadRequest || !strings.Contains(body, `data-testid="forwarding-error"`) || !strings.Contains(body, tc.want) {
			t.Errorf("%s: got %d, want 400 re-rendering the form with %q:\n%s", tc.name, code, tc.want, body)
		}
		if strings.Contains(body, "EAAsecret1") {
			t.Errorf("%s: the typed token was sent back", tc.name)
		}
	}
	if cfg, _ := e.db.Forwarding(context.Background(), c.ID); cfg.Mode != store.ForwardOff || cfg.HasToken || !cfg.UpdatedAt.IsZero() {
		t.Fatalf("got %+v after refused saves, want nothing saved", cfg)
	}
	if fw.kicks.Load() != 0 {
		t.Fatalf("got %d kicks after refused saves, want 0", fw.kicks.Load())
	}
}

func TestForwardingSaveStopAndRetry(t *testing.T) {
	e, fw, box, c := forwardingEnv(t, "")
	ctx := context.Background()
	admin := e.login("a@example.com", e.addUser("a@example.com", "admin", 0))
	path := "/admin/clients/" + c.Slug + "/forwarding"

	code, loc, _ := e.post(admin, path, url.Values{"mode": {"capi"}, "dataset_id": {"123"}, "app_id": {""}, "token": {"EAAsecret2"}})
	if code != http.StatusSeeOther || loc != path+"?saved=1" {
		t.Fatalf("save: got %d to %q, want 303 back to the page", code, loc)
	}
	cfg, err := e.db.Forwarding(ctx, c.ID)
	if err != nil || cfg.Mode != store.ForwardCAPI || cfg.DatasetID != "123" || !cfg.HasToken {
		t.Fatalf("got %+v %v, want capi to dataset 123 with a token", cfg, err)
	}
	sealed, _ := e.db.ForwardingToken(ctx, c.ID)
	if tok, err := box.Open(sealed); err != nil || tok != "EAAsecret2" {
		t.Fatalf("got stored token %q %v, want the sealed EAAsecret2", tok, err)
	}
	if fw.kicks.Load() != 1 {
		t.Fatalf("got %d kicks, want 1", fw.kicks.Load())
	}

	// Events queue; the forwarder fails one and then stops the client.
	res, err := e.db.InsertEventBatches(ctx, []store.EventBatch{{ClientID: c.ID, PageID: "111", PSID: "999",
		Events: []store.NewEvent{{Name: "lead_submitted", EventTime: time.Now()}, {Name: "lead_submitted", EventTime: time.Now()}}}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("insert: %v %+v", err, res)
	}
	failed := res[0].Events[0].ID
	if _, err := e.db.MarkOutbox(ctx, []store.OutboxUpdate{{EventID: failed, Status: store.OutboxFailed, Attempts: 1,
		LastError: "rejected", Response: "HTTP 400, code 100/2804004: event_time is in the future"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.StopForwarding(ctx, c.ID, "Meta refused the token: Session has expired — re-enter the token in Admin → Forwarding.", time.Time{}); err != nil {
		t.Fatal(err)
	}
	code, body := e.get(admin, path)
	if code != http.StatusOK {
		t.Fatalf("got %d, want 200", code)
	}
	for _, want := range []string{`data-testid="forwarding-stopped"`, "Meta refused the token: Session has expired",
		`data-testid="token-stored"`, `data-testid="count-failed">1<`, `data-testid="count-pending">1<`,
		"code 100/2804004: event_time is in the future", "LeadSubmitted"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "EAAsecret2") {
		t.Fatal("the page shows the stored token")
	}
	if _, body := e.get(admin, path+"?status=failed"); strings.Count(body, `data-testid="entry-`) != 1 {
		t.Errorf("filtered by failed: got %d entries, want 1", strings.Count(body, `data-testid="entry-`))
	}

	code, loc, _ = e.post(admin, path+"/retry-failed", nil)
	if code != http.StatusSeeOther || loc != path+"?requeued=1" {
		t.Fatalf("retry: got %d to %q, want 303 with 1 re-queued", code, loc)
	}
	if counts, _ := e.db.OutboxCounts(ctx, c.ID); counts[store.OutboxPending] != 2 || counts[store.OutboxFailed] != 0 {
		t.Fatalf("got %v, want both pending again", counts)
	}
	// Saving again without a token keeps it and clears the stop.
	if code, _, _ := e.post(admin, path, url.Values{"mode": {"capi"}, "dataset_id": {"123"}}); code != http.StatusSeeOther {
		t.Fatalf("save again: got %d, want 303", code)
	}
	if cfg, _ := e.db.Forwarding(ctx, c.ID); cfg.Stopped() || !cfg.HasToken {
		t.Fatalf("got %+v, want running with the token kept", cfg)
	}
}
