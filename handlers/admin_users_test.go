package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
)

// TestMetaTokenForms: the installation token is sealed, shown only as its shape, replaced and
// removed; it never appears in an answer, a redirect or the log.
func TestMetaTokenForms(t *testing.T) {
	e := newAdminEnv(t, func(d *Deps) {
		d.Config.GraphURL, d.Config.APIVersion = "http://127.0.0.1:9/graph", "v21.0"
		d.MetaTester = fakeTester{installation: func() MetaTestResult {
			return MetaTestResult{Request: "GET /me", TokenSource: "the stored token", Error: "Error validating access token: Session has expired (code 190/463, HTTP 400)",
				Advice: "re-authenticate the token"}
		}}
	})
	ctx := context.Background()
	const first, second = "EAABfirstSECRETtoken0000000000000000", "EAABsecondSECRETtoken111111111111111"
	var bodies []string
	post := func(path string, v url.Values) (int, string) {
		code, loc, body := e.post(e.admin, path, v)
		bodies = append(bodies, loc, body)
		return code, loc
	}
	get := func(path string) string {
		_, body := e.get(e.admin, path)
		bodies = append(bodies, body)
		return body
	}
	body := get("/admin/meta")
	mustContain(t, "meta page", body, "http://127.0.0.1:9/graph", "v21.0", "not set")
	for _, bad := range []string{"", "EAAB first token", strings.Repeat("x", maxTokenLen+1)} {
		code, _, b := e.post(e.admin, "/admin/meta/token", url.Values{"token": {bad}})
		if code != http.StatusBadRequest || !strings.Contains(b, `data-testid="error-token"`) {
			t.Errorf("token %.20q: got %d, want 400 with the field's message", bad, code)
		}
		if info, _ := e.db.MetaToken(ctx); info.Stored {
			t.Errorf("token %.20q: a refused token was stored", bad)
		}
	}
	if code, loc := post("/admin/meta/token", url.Values{"token": {first}}); code != http.StatusSeeOther || loc != "/admin/meta" {
		t.Fatalf("save: got %d to %q, want 303 to /admin/meta", code, loc)
	}
	sealed, err := e.db.Setting(ctx, store.SettingMetaToken)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.box.Open(sealed); err != nil || got != first || strings.Contains(string(sealed), first) {
		t.Errorf("stored token opens to %q (%v), want the token, sealed", got, err)
	}
	body = get("/admin/meta")
	mustContain(t, "after saving", body, "The Meta token was saved", secret.Mask(first), "saved 20", "Replace the token")
	post("/admin/meta/token", url.Values{"token": {second}})
	body = get("/admin/meta")
	mustContain(t, "after replacing", body, "The Meta token was replaced", secret.Mask(second))
	if sealed, _ := e.db.Setting(ctx, store.SettingMetaToken); func() string { s, _ := e.box.Open(sealed); return s }() != second {
		t.Errorf("after replacing: the stored token is not the second one")
	}
	code, _, body := e.post(e.admin, "/admin/meta/test", nil)
	bodies = append(bodies, body)
	if code != http.StatusOK {
		t.Fatalf("test: got %d, want 200", code)
	}
	mustContain(t, "test", body, `data-testid="meta-test-result"`, "Session has expired", "re-authenticate the token")
	post("/admin/meta/token/remove", nil)
	if info, _ := e.db.MetaToken(ctx); info.Stored {
		t.Errorf("after removing: a token is still stored")
	}
	if _, err := e.db.Setting(ctx, store.SettingMetaTokenMask); err == nil {
		t.Errorf("after removing: the mask is still stored")
	}
	for _, tok := range []string{first, second} {
		for i, b := range bodies {
			if strings.Contains(b, tok) {
				t.Errorf("answer %d contains a token", i)
			}
		}
		if strings.Contains(e.log.String(), tok) {
			t.Errorf("the log contains a token")
		}
	}
	if !strings.Contains(e.log.String(), `msg="admin: Meta token replaced"`) {
		t.Errorf("replacing the token was not logged")
	}
}

// TestUsersPage: adding (generated password shown once, then usable), validation with nothing
// saved, role changes, removal, and the last-admin and self-lockout rules.
func TestUsersPage(t *testing.T) {
	e := newAdminEnv(t)
	ctx := context.Background()
	if _, err := e.db.CreateClient(ctx, store.NewClient{Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	users := func() int {
		us, _ := e.db.Users(ctx)
		return len(us)
	}
	for _, tc := range []struct {
		name, field, message string
		form                 url.Values
	}{
		{"bad email", "email", "is not an email address", url.Values{"email": {"not-an-email"}, "role": {"member"}}},
		{"duplicate email", "email", "already exists", url.Values{"email": {"ADMIN@example.com"}, "role": {"member"}}},
		{"viewer without client", "client", "must be given the one client", url.Values{"email": {"v@example.com"}, "role": {"viewer"}}},
		{"member with client", "client", "viewers belong to one client", url.Values{"email": {"m@example.com"}, "role": {"member"}, "client": {"acme"}}},
		{"unknown client", "client", "is no client", url.Values{"email": {"v@example.com"}, "role": {"viewer"}, "client": {"nope"}}},
		{"unknown role", "role", "is not a role", url.Values{"email": {"x@example.com"}, "role": {"owner"}}},
		{"short password", "password", "at least", url.Values{"email": {"x@example.com"}, "role": {"member"}, "password": {"short"}}},
	} {
		code, _, body := e.post(e.admin, "/admin/users", tc.form)
		if code != http.StatusBadRequest {
			t.Errorf("%s: got %d, want 400", tc.name, code)
		}
		mustContain(t, tc.name, body, tc.message, `data-testid="error-`+tc.field+`"`, "Nobody was added")
		if n := users(); n != 1 {
			t.Errorf("%s: got %d users, want 1 (nothing saved)", tc.name, n)
		}
	}
	code, _, body := e.post(e.admin, "/admin/users", url.Values{"email": {"viewer@example.com"}, "role": {"viewer"}, "client": {"acme"}})
	if code != http.StatusOK {
		t.Fatalf("add with a generated password: got %d, want 200", code)
	}
	i := strings.Index(body, `data-testid="new-password">`)
	if i < 0 {
		t.Fatalf("the generated password is not shown")
	}
	pw := body[i+len(`data-testid="new-password">`):]
	pw = pw[:strings.Index(pw, "<")]
	viewer := e.login("viewer@example.com", pw)
	if code, _ := e.get(viewer, "/clients/acme"); code != http.StatusOK {
		t.Errorf("the new viewer's client: got %d, want 200", code)
	}
	if strings.Contains(e.log.String(), pw) {
		t.Errorf("the generated password is in the log")
	}
	if _, body := e.get(e.admin, "/admin/users"); strings.Contains(body, pw) {
		t.Errorf("the users page shows the password again")
	}
	if code, loc, _ := e.post(e.admin, "/admin/users", url.Values{"email": {"member@example.com"}, "role": {"member"}, "password": {"a-long-enough-password"}}); code != http.StatusSeeOther || loc != "/admin/users" {
		t.Errorf("add with a chosen password: got %d to %q, want 303", code, loc)
	}
	member, _ := e.db.UserByEmail(ctx, "member@example.com")
	admin, _ := e.db.UserByEmail(ctx, "admin@example.com")
	vu, _ := e.db.UserByEmail(ctx, "viewer@example.com")
	path := func(u store.User, what string) string {
		return "/admin/users/" + strconv.FormatInt(u.ID, 10) + "/" + what
	}

	// The only admin may neither demote nor remove themself.
	for _, try := range []struct {
		path string
		form url.Values
	}{{path(admin, "role"), url.Values{"role": {"member"}}}, {path(admin, "remove"), nil}} {
		code, _, body := e.post(e.admin, try.path, try.form)
		if code != http.StatusBadRequest {
			t.Errorf("%s by the last admin: got %d, want 400", try.path, code)
		}
		mustContain(t, try.path, body, "This is the last admin", `data-testid="user-error"`)
		if u, err := e.db.UserByID(ctx, admin.ID); err != nil || u.Role != store.RoleAdmin {
			t.Errorf("%s: the last admin changed: %+v %v", try.path, u, err)
		}
	}
	// A viewer becomes an admin; now the first admin still may not lock themself out.
	if code, _, _ := e.post(e.admin, path(vu, "role"), url.Values{"role": {"admin"}, "client": {"acme"}}); code != http.StatusSeeOther {
		t.Fatalf("promote: got %d, want 303", code)
	}
	if u, _ := e.db.UserByID(ctx, vu.ID); u.Role != store.RoleAdmin || u.ClientID != 0 {
		t.Errorf("promoted: got role %s client %d, want admin of every client", u.Role, u.ClientID)
	}
	if code, _, body := e.post(e.admin, path(admin, "remove"), nil); code != http.StatusBadRequest || !strings.Contains(body, "lock yourself out") {
		t.Errorf("removing oneself: got %d, want 400 with the lock-out message", code)
	}
	if code, _, body := e.post(e.admin, path(member, "role"), url.Values{"role": {"viewer"}}); code != http.StatusBadRequest || !strings.Contains(body, "must be given the one client") {
		t.Errorf("a viewer without a client: got %d, want 400 with the message", code)
	}
	if code, _, _ := e.post(e.admin, path(member, "role"), url.Values{"role": {"viewer"}, "client": {"acme"}}); code != http.StatusSeeOther {
		t.Errorf("member → viewer: got %d, want 303", code)
	}
	if u, _ := e.db.UserByID(ctx, member.ID); u.Role != store.RoleViewer || u.ClientSlug != "acme" {
		t.Errorf("member → viewer: got %s of %q", u.Role, u.ClientSlug)
	}
	if code, _, _ := e.post(e.admin, path(member, "remove"), nil); code != http.StatusSeeOther {
		t.Errorf("remove: got %d, want 303", code)
	}
	if _, err := e.db.UserByID(ctx, member.ID); err == nil {
		t.Errorf("the removed user is still there")
	}
	if code, _, _ := e.post(e.admin, "/admin/users/999/remove", nil); code != http.StatusNotFound {
		t.Errorf("removing an unknown user: got %d, want 404", code)
	}
}
