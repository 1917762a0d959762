package handlers

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/leadlens/leadlens/store"
)

// TestAccountsAndPagesForms: adding accounts and pages is all or nothing; the refused form
// comes back with what was typed and the message.
func TestAccountsAndPagesForms(t *testing.T) {
	e := newAdminEnv(t)
	ctx := context.Background()
	c, err := e.db.CreateClient(ctx, store.NewClient{Name: "Acme", AdAccounts: []string{"act_1"}, Pages: []string{"111"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.CreateClient(ctx, store.NewClient{Name: "Other", AdAccounts: []string{"act_9"}, Pages: []string{"999"}}); err != nil {
		t.Fatal(err)
	}
	count := func() (int, int) {
		a, _ := e.db.AdAccounts(ctx, c.ID)
		p, _ := e.db.Pages(ctx, c.ID)
		return len(a), len(p)
	}
	for _, tc := range []struct{ path, field, typed, message string }{
		{"/admin/clients/acme/accounts", "ad_accounts", "act_2\nact_abc", "is not an ad account id"},
		{"/admin/clients/acme/accounts", "ad_accounts", "act_2, act_9", "already belongs to client"},
		{"/admin/clients/acme/accounts", "ad_accounts", "  ", "at least one ad account id"},
		{"/admin/clients/acme/pages", "pages", "222\npage-x", "is not a Facebook page id"},
		{"/admin/clients/acme/pages", "pages", "999", "already belongs to client"},
	} {
		code, _, body := e.post(e.admin, tc.path, url.Values{tc.field: {tc.typed}})
		if code != http.StatusBadRequest {
			t.Errorf("%s %q: got %d, want 400", tc.path, tc.typed, code)
		}
		mustContain(t, tc.typed, body, tc.message, strings.TrimSpace(strings.Split(tc.typed, "\n")[0]))
		if a, p := count(); a != 1 || p != 1 {
			t.Errorf("%s %q: got %d accounts and %d pages, want 1 and 1 (nothing saved)", tc.path, tc.typed, a, p)
		}
	}
	if code, _, _ := e.post(e.admin, "/admin/clients/acme/accounts", url.Values{"ad_accounts": {"act_2\n3"}}); code != http.StatusSeeOther {
		t.Fatalf("add accounts: got %d, want 303", code)
	}
	if code, _, _ := e.post(e.admin, "/admin/clients/acme/pages", url.Values{"pages": {"222"}}); code != http.StatusSeeOther {
		t.Fatalf("add pages: got %d, want 303", code)
	}
	if a, p := count(); a != 3 || p != 2 {
		t.Errorf("after adding: got %d accounts and %d pages, want 3 and 2", a, p)
	}
	// Removing: another client's account answers 404 and stays.
	if code, _, _ := e.post(e.admin, "/admin/clients/acme/accounts/9/remove", nil); code != http.StatusNotFound {
		t.Errorf("removing another client's account: got %d, want 404", code)
	}
	if code, _, _ := e.post(e.admin, "/admin/clients/acme/accounts/3/remove", nil); code != http.StatusSeeOther {
		t.Errorf("removing an account: got %d, want 303", code)
	}
	if code, _, _ := e.post(e.admin, "/admin/clients/acme/pages/999/remove", nil); code != http.StatusNotFound {
		t.Errorf("removing another client's page: got %d, want 404", code)
	}
	if code, _, _ := e.post(e.admin, "/admin/clients/acme/pages/222/remove", nil); code != http.StatusSeeOther {
		t.Errorf("removing a page: got %d, want 303", code)
	}
	if a, p := count(); a != 2 || p != 1 {
		t.Errorf("after removing: got %d accounts and %d pages, want 2 and 1", a, p)
	}
	if _, err := e.db.AdAccount(ctx, "9"); err != nil {
		t.Errorf("the other client's account: %v", err)
	}
}

// TestAccountTokenAndConnectionTest: an account's own token is sealed, never shown, never
// logged; the test shows Meta's answer at the account.
func TestAccountTokenAndConnectionTest(t *testing.T) {
	e := newAdminEnv(t, func(d *Deps) {
		d.MetaTester = fakeTester{account: func(id string) MetaTestResult {
			return MetaTestResult{Request: "GET /act_" + id, TokenSource: "the ad account's own token",
				Error: "(#200) Requires ads_read permission (code 200, HTTP 403)", Advice: "grant ads_read to the token"}
		}}
	})
	ctx := context.Background()
	if _, err := e.db.CreateClient(ctx, store.NewClient{Name: "Acme", AdAccounts: []string{"act_1"}}); err != nil {
		t.Fatal(err)
	}
	const token = "EAAGaccountOverride7777777777"
	code, _, body := e.post(e.admin, "/admin/clients/acme/accounts/1/token", url.Values{"token": {"EAAG with spaces"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "no spaces") {
		t.Errorf("a token with spaces: got %d, want 400 with the reason", code)
	}
	if a, _ := e.db.AdAccount(ctx, "1"); a.HasToken {
		t.Errorf("a refused token was stored")
	}
	if code, _, _ := e.post(e.admin, "/admin/clients/acme/accounts/1/token", url.Values{"token": {token}}); code != http.StatusSeeOther {
		t.Fatalf("setting the token: got %d, want 303", code)
	}
	sealed, err := e.db.AdAccountToken(ctx, "1")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.box.Open(sealed); err != nil || got != token || bytes.Contains(sealed, []byte(token)) {
		t.Errorf("stored token: opens to %q (%v), want the token, sealed", got, err)
	}
	_, body = e.get(e.admin, "/admin/clients/acme")
	mustContain(t, "client page", body, `data-testid="own-token"`, "Replace token")
	code, _, body = e.post(e.admin, "/admin/clients/acme/accounts/1/test", nil)
	if code != http.StatusOK {
		t.Fatalf("test: got %d, want 200", code)
	}
	mustContain(t, "test answer", body, `data-testid="account-test-result"`, "Requires ads_read permission", "grant ads_read")
	e.post(e.admin, "/admin/clients/acme/accounts/1/token", url.Values{"remove": {"1"}})
	if a, _ := e.db.AdAccount(ctx, "1"); a.HasToken {
		t.Errorf("after removing: the account still has its own token")
	}
	if strings.Contains(e.log.String(), token) {
		t.Errorf("the token is in the log")
	}
}

// tinyPNG is a 1×1 PNG.
var tinyPNG, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

func (e *adminEnv) upload(path, filename string, data []byte) (int, string) {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("logo", filename)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", e.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := e.admin.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestLogoUpload: only real raster images of bounded size are kept, and served to those who
// may see the client.
func TestLogoUpload(t *testing.T) {
	e := newAdminEnv(t)
	ctx := context.Background()
	c, err := e.db.CreateClient(ctx, store.NewClient{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.db.CreateClient(ctx, store.NewClient{Name: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	for _, tc := range []struct {
		name, file, message string
		data                []byte
	}{
		{"svg", "logo.png", "must be a PNG, JPEG, GIF or WebP", svg},
		{"too big", "big.png", "larger than 256 KiB", append(append([]byte{}, tinyPNG...), make([]byte, store.MaxLogoBytes)...)},
		{"empty", "empty.png", "Choose an image file", nil},
	} {
		code, body := e.upload("/admin/clients/acme/logo", tc.file, tc.data)
		if code != http.StatusBadRequest {
			t.Errorf("%s: got %d, want 400", tc.name, code)
		}
		mustContain(t, tc.name, body, tc.message, `data-testid="error-logo"`)
		if got, _ := e.db.ClientByID(ctx, c.ID); got.HasLogo {
			t.Errorf("%s: a logo was stored", tc.name)
		}
	}
	if code, _ := e.upload("/admin/clients/acme/logo", "logo.png", tinyPNG); code != http.StatusSeeOther {
		t.Fatalf("PNG: got %d, want 303", code)
	}
	resp, err := e.admin.Get(e.srv.URL + "/clients/acme/logo")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(b, tinyPNG) {
		t.Errorf("logo: got %d %q (%d bytes), want 200 image/png with the upload", resp.StatusCode, resp.Header.Get("Content-Type"), len(b))
	}
	viewer := e.login("v@example.com", e.addUser("v@example.com", "viewer", other.ID))
	if code, _ := e.get(viewer, "/clients/acme/logo"); code != http.StatusNotFound {
		t.Errorf("another client's viewer: got %d, want 404", code)
	}
	own := e.login("own@example.com", e.addUser("own@example.com", "viewer", c.ID))
	if code, _ := e.get(own, "/clients/acme/logo"); code != http.StatusOK {
		t.Errorf("the client's viewer: got %d, want 200", code)
	}
	e.post(e.admin, "/admin/clients/acme/logo/remove", nil)
	if code, _ := e.get(e.admin, "/clients/acme/logo"); code != http.StatusNotFound {
		t.Errorf("removed logo: got %d, want 404", code)
	}
}

// TestAPIKeysPage: a new key is shown once with an example; afterwards only its prefix; a
// revoked key is refused by the event API; a too long name saves nothing.
func TestAPIKeysPage(t *testing.T) {
	e := newAdminEnv(t)
	ctx := context.Background()
	c, err := e.db.CreateClient(ctx, store.NewClient{Name: "Acme", Pages: []string{"111"}})
	if err != nil {
		t.Fatal(err)
	}
	code, _, body := e.post(e.admin, "/admin/clients/acme/api-keys", url.Values{"name": {strings.Repeat("x", 101)}})
	if code != http.StatusBadRequest || !strings.Contains(body, "longer than 100 characters") {
		t.Errorf("too long a name: got %d, want 400 with the message", code)
	}
	if keys, _ := e.db.APIKeys(ctx, c.ID); len(keys) != 0 {
		t.Errorf("a refused key was stored: %d keys", len(keys))
	}
	code, _, body = e.post(e.admin, "/admin/clients/acme/api-keys", url.Values{"name": {"messenger-bot"}})
	if code != http.StatusOK {
		t.Fatalf("create: got %d, want 200", code)
	}
	keys, _ := e.db.APIKeys(ctx, c.ID)
	if len(keys) != 1 {
		t.Fatalf("keys after create: got %d, want 1", len(keys))
	}
	i := strings.Index(body, `data-testid="new-key-value">`)
	if i < 0 {
		t.Fatalf("the new key is not shown")
	}
	key := body[i+len(`data-testid="new-key-value">`):]
	key = key[:strings.Index(key, "<")]
	if !strings.HasPrefix(key, keys[0].Prefix) || len(key) < 40 {
		t.Errorf("shown key %q does not look like the key with prefix %s", key, keys[0].Prefix)
	}
	mustContain(t, "new key", body, "/api/v1/page_activities", `&#34;page_id&#34;:&#34;111&#34;`, "Bearer "+key)
	if _, err := e.db.AuthenticateAPIKey(ctx, key); err != nil {
		t.Errorf("the shown key does not authenticate: %v", err)
	}
	_, body = e.get(e.admin, "/admin/clients/acme/api-keys")
	if strings.Contains(body, key) || !strings.Contains(body, keys[0].Prefix) {
		t.Errorf("the list shows the key, or not its prefix")
	}
	if strings.Contains(e.log.String(), key) {
		t.Errorf("the key is in the log")
	}
	if code, _, _ := e.post(e.admin, "/admin/clients/acme/api-keys/999/revoke", nil); code != http.StatusNotFound {
		t.Errorf("revoking an unknown key: got %d, want 404", code)
	}
	if code, _, _ := e.post(e.admin, "/admin/clients/acme/api-keys/"+strconv.FormatInt(keys[0].ID, 10)+"/revoke", nil); code != http.StatusSeeOther {
		t.Errorf("revoke: got %d, want 303", code)
	}
	if _, err := e.db.AuthenticateAPIKey(ctx, key); err == nil {
		t.Errorf("a revoked key still authenticates")
	}
	_, body = e.get(e.admin, "/admin/clients/acme/api-keys")
	mustContain(t, "after revoking", body, `data-testid="key-revoked"`)
}
