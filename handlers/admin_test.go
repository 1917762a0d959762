package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
)

// fakeRefresher stands in for the collector: each function field answers one method.
type fakeRefresher struct {
	mu       sync.Mutex
	reqs     []RefreshRequest
	refresh  func(RefreshRequest) (int64, bool, error)
	current  func() (RunProgress, bool)
	progress func(int64) (RunProgress, bool)
}

func (f *fakeRefresher) Refresh(_ context.Context, req RefreshRequest) (int64, bool, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	if f.refresh == nil {
		return 7, false, nil
	}
	return f.refresh(req)
}

func (f *fakeRefresher) Current() (RunProgress, bool) {
	if f.current == nil {
		return RunProgress{}, false
	}
	return f.current()
}

func (f *fakeRefresher) Progress(id int64) (RunProgress, bool) {
	if f.progress == nil {
		return RunProgress{}, false
	}
	return f.progress(id)
}

func (f *fakeRefresher) requests() []RefreshRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]RefreshRequest(nil), f.reqs...)
}

// fakeTester stands in for the Graph API connection tests.
type fakeTester struct {
	installation func() MetaTestResult
	account      func(id string) MetaTestResult
}

func (f fakeTester) TestInstallation(context.Context) MetaTestResult { return f.installation() }
func (f fakeTester) TestAccount(_ context.Context, id string) MetaTestResult {
	return f.account(id)
}

// adminEnv is a test server with the admin console's dependencies and a signed-in admin.
type adminEnv struct {
	*testEnv
	admin *http.Client
	box   *secret.Box
	ref   *fakeRefresher
}

func newAdminEnv(t *testing.T, opts ...func(*Deps)) *adminEnv {
	t.Helper()
	box, err := secret.NewBox("admin-tests-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	ref := &fakeRefresher{}
	e := newTestEnv(t, append([]func(*Deps){func(d *Deps) {
		d.Sealer, d.Refresher = box, ref
		d.MetaTester = fakeTester{
			installation: func() MetaTestResult {
				return MetaTestResult{OK: true, Request: "GET /me", TokenSource: "stored", Answer: "Leadlens Demo User (user id 1)"}
			},
			account: func(id string) MetaTestResult {
				return MetaTestResult{OK: true, Request: "GET /act_" + id, Answer: "Acme – Main — USD"}
			},
		}
	}}, opts...)...)
	admin := e.login("admin@example.com", e.addUser("admin@example.com", "admin", 0))
	return &adminEnv{testEnv: e, admin: admin, box: box, ref: ref}
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s: got a page without %q", what, w)
		}
	}
}

func clientCount(t *testing.T, db *store.DB) (clients, accounts int) {
	t.Helper()
	cs, err := db.Clients(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	as, err := db.AllAdAccounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(cs), len(as)
}

// TestAdminPagesOnlyForAdmins: anonymous visitors are sent to sign in, members and viewers are
// refused, admins get every page.
func TestAdminPagesOnlyForAdmins(t *testing.T) {
	e := newAdminEnv(t)
	c, err := e.db.CreateClient(context.Background(), store.NewClient{Name: "Acme", AdAccounts: []string{"act_1"}, Pages: []string{"111"}})
	if err != nil {
		t.Fatal(err)
	}
	run, err := e.db.CreateRun(context.Background(), store.NewRun{Trigger: store.TriggerManual, StartedBy: "x", Pending: []string{"1"}})
	if err != nil {
		t.Fatal(err)
	}
	runID := strings.TrimPrefix(runPath(run.ID), "/admin/runs/")
	pages := []string{"/admin", "/admin/clients", "/admin/clients/acme", "/admin/clients/acme/api-keys", "/admin/runs",
		"/admin/runs/" + runID, "/admin/runs/" + runID + "/progress", "/admin/meta", "/admin/users"}
	member := e.login("m@example.com", e.addUser("m@example.com", "member", 0))
	viewer := e.login("v@example.com", e.addUser("v@example.com", "viewer", c.ID))
	for _, p := range pages {
		resp, err := e.client().Get(e.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?next=") {
			t.Errorf("anonymous GET %s: got %d to %q, want 303 to the login page", p, resp.StatusCode, loc)
		}
		for name, cl := range map[string]*http.Client{"member": member, "viewer": viewer} {
			if code, _ := e.get(cl, p); code != http.StatusForbidden {
				t.Errorf("%s GET %s: got %d, want 403", name, p, code)
			}
		}
		if code, body := e.get(e.admin, p); code != http.StatusOK {
			t.Errorf("admin GET %s: got %d, want 200: %.300s", p, code, body)
		}
	}
	// State-changing admin routes refuse members and anonymous callers, and change nothing.
	posts := []string{"/admin/clients", "/admin/clients/acme", "/admin/clients/acme/accounts", "/admin/meta/token", "/admin/users", "/admin/refresh"}
	for _, p := range posts {
		if code, _, _ := e.post(e.client(), p, url.Values{"name": {"X"}}); code != http.StatusUnauthorized {
			t.Errorf("anonymous POST %s: got %d, want 401", p, code)
		}
		if code, _, _ := e.post(member, p, url.Values{"name": {"X"}}); code != http.StatusForbidden {
			t.Errorf("member POST %s: got %d, want 403", p, code)
		}
	}
	if got, _ := clientCount(t, e.db); got != 1 {
		t.Errorf("clients after refused posts: got %d, want 1", got)
	}
	if n := len(e.ref.requests()); n != 0 {
		t.Errorf("refreshes after refused posts: got %d, want 0", n)
	}
	// The navigation offers Admin to admins only.
	if _, body := e.get(e.admin, "/"); !strings.Contains(body, `href="/admin"`) {
		t.Errorf("admin's navigation: no link to /admin")
	}
	if _, body := e.get(member, "/"); strings.Contains(body, `href="/admin"`) {
		t.Errorf("member's navigation links to /admin")
	}
}

// TestCreateClientFormValidation: every refused create re-renders the form with what was typed
// and the message next to the field, and saves nothing — no client, no account, no page.
func TestCreateClientFormValidation(t *testing.T) {
	e := newAdminEnv(t)
	if _, err := e.db.CreateClient(context.Background(), store.NewClient{Name: "Taken", Slug: "taken", AdAccounts: []string{"act_900"}, Pages: []string{"900"}}); err != nil {
		t.Fatal(err)
	}
	ok := url.Values{"name": {"Acme Dental"}, "timezone": {"Europe/Berlin"}, "ad_accounts": {"act_798085168510957\nact_2"}, "pages": {"1234567890"},
		"lead_action_type": {"onsite_conversion.messaging_conversation_started_7d"}}
	with := func(k, v string) url.Values {
		out := url.Values{}
		for key, vals := range ok {
			out[key] = vals
		}
		out.Set(k, v)
		return out
	}
	cases := []struct {
		name, field, message string
		form                 url.Values
	}{
		{"bad account id", "ad_account", "is not an ad account id", with("ad_accounts", "act_798085168510957\nact_12x")},
		{"unknown timezone", "timezone", "is not a known IANA timezone", with("timezone", "Mars/Olympus")},
		{"duplicate slug", "slug", "already exists", with("slug", "taken")},
		{"derived slug taken", "slug", "already exists", with("name", "Taken")},
		{"bad page id", "page", "is not a Facebook page id", with("pages", "my-page")},
		{"no name", "name", "needs a name", with("name", "  ")},
		{"account of another client", "ad_account", "already belongs to client", with("ad_accounts", "act_2, act_900")},
		{"page of another client", "page", "already belongs to client", with("pages", "900")},
		{"unknown lead definition", "lead_action_type", "is not a lead definition", with("lead_action_type", "purchase")},
		{"invalid slug", "slug", "is not a valid slug", with("slug", "Acme Dental!")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := e.post(e.admin, "/admin/clients", tc.form)
			if code != http.StatusBadRequest {
				t.Fatalf("got %d, want 400", code)
			}
			mustContain(t, "refused form", body, tc.message, `data-testid="error-`+tc.field+`"`, `data-testid="form-error"`, "Nothing was saved")
			// What was typed comes back, so nothing has to be typed twice.
			mustContain(t, "refused form", body, `value="`+tc.form.Get("name")+`"`, tc.form.Get("pages"))
			if clients, accounts := clientCount(t, e.db); clients != 1 || accounts != 1 {
				t.Errorf("after the refused form: got %d clients and %d accounts, want 1 and 1", clients, accounts)
			}
		})
	}

	code, loc, _ := e.post(e.admin, "/admin/clients", ok)
	if code != http.StatusSeeOther || loc != "/admin/clients/acme-dental" {
		t.Fatalf("create: got %d to %q, want 303 to /admin/clients/acme-dental", code, loc)
	}
	c, err := e.db.ClientBySlug(context.Background(), "acme-dental")
	if err != nil {
		t.Fatal(err)
	}
	if c.Timezone != "Europe/Berlin" || c.LeadActionType != "onsite_conversion.messaging_conversation_started_7d" {
		t.Errorf("created client: got timezone %q and lead %q", c.Timezone, c.LeadActionType)
	}
	accts, _ := e.db.AdAccounts(context.Background(), c.ID)
	pages, _ := e.db.Pages(context.Background(), c.ID)
	if len(accts) != 2 || len(pages) != 1 {
		t.Errorf("created client: got %d accounts and %d pages, want 2 and 1", len(accts), len(pages))
	}
	_, body := e.get(e.admin, loc)
	mustContain(t, "the new client's page", body, "Acme Dental was created", "act_798085168510957", "1234567890")
	if !strings.Contains(e.log.String(), `msg="admin: client created"`) || !strings.Contains(e.log.String(), "user_id=1") {
		t.Errorf("the creation was not logged with the admin's user id")
	}
}

// TestEditClientFormValidation: a refused edit changes nothing; a good one moves the slug.
func TestEditClientFormValidation(t *testing.T) {
	e := newAdminEnv(t)
	ctx := context.Background()
	c, err := e.db.CreateClient(ctx, store.NewClient{Name: "Acme", Timezone: "UTC", AdAccounts: []string{"act_1"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.CreateClient(ctx, store.NewClient{Name: "Other"}); err != nil {
		t.Fatal(err)
	}
	form := func(k, v string) url.Values {
		f := url.Values{"name": {"Acme Renamed"}, "slug": {"acme"}, "timezone": {"Europe/Paris"}, "brand_name": {"Acme Brand"},
			"lead_action_type": {"lead"}}
		f.Set(k, v)
		return f
	}
	for _, tc := range []struct{ field, value, message string }{
		{"slug", "other", "already exists"},
		{"timezone", "Europe/Atlantis", "is not a known IANA timezone"},
		{"lead_action_type", "clicks", "is not a lead definition"},
	} {
		code, _, body := e.post(e.admin, "/admin/clients/acme", form(tc.field, tc.value))
		if code != http.StatusBadRequest {
			t.Errorf("%s=%s: got %d, want 400", tc.field, tc.value, code)
		}
		mustContain(t, tc.field, body, tc.message, `data-testid="error-`+tc.field+`"`, `value="Acme Renamed"`)
		got, _ := e.db.ClientByID(ctx, c.ID)
		if got.Name != "Acme" || got.Slug != "acme" || got.Timezone != "UTC" || got.LeadActionType != store.DefaultLeadActionType {
			t.Errorf("%s=%s: the client changed to %+v", tc.field, tc.value, got)
		}
	}
	code, loc, _ := e.post(e.admin, "/admin/clients/acme", form("slug", "acme-renamed"))
	if code != http.StatusSeeOther || loc != "/admin/clients/acme-renamed" {
		t.Fatalf("edit: got %d to %q, want 303 to the new slug", code, loc)
	}
	got, _ := e.db.ClientByID(ctx, c.ID)
	if got.Name != "Acme Renamed" || got.BrandName != "Acme Brand" || got.Timezone != "Europe/Paris" || got.LeadActionType != "lead" {
		t.Errorf("after the edit: got %+v", got)
	}
	// Archive and restore.
	if code, _, _ := e.post(e.admin, "/admin/clients/acme-renamed/archive", url.Values{"archived": {"1"}}); code != http.StatusSeeOther {
		t.Fatalf("archive: got %d, want 303", code)
	}
	if got, _ := e.db.ClientByID(ctx, c.ID); !got.Archived() {
		t.Errorf("archive: the client is not archived")
	}
	if _, body := e.get(e.admin, "/admin/clients"); strings.Contains(body, `data-testid="client-acme-renamed"`) {
		t.Errorf("the client list shows an archived client without ?all=1")
	}
	if _, body := e.get(e.admin, "/admin/clients?all=1"); !strings.Contains(body, `data-testid="client-acme-renamed"`) {
		t.Errorf("the client list with ?all=1 lacks the archived client")
	}
	e.post(e.admin, "/admin/clients/acme-renamed/archive", url.Values{"archived": {"0"}})
	if got, _ := e.db.ClientByID(ctx, c.ID); got.Archived() {
		t.Errorf("restore: the client is still archived")
	}
}
