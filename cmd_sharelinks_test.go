package main

import (
	"context"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
)

func TestShareLinksCommands(t *testing.T) {
	ctx := context.Background()
	envm := map[string]string{"LEADLENS_DB": filepath.Join(t.TempDir(), "ll.db"), "LEADLENS_BASE_URL": "https://leads.example.com"}
	cli := func(stdin string, args ...string) (string, error) {
		var out strings.Builder
		err := runEnv(ctx, append([]string{"leadlens", "sharelinks"}, args...),
			env{getenv: func(k string) string { return envm[k] }, stdin: strings.NewReader(stdin), stdout: &out, stderr: io.Discard})
		return out.String(), err
	}
	db, err := store.Open(ctx, envm["LEADLENS_DB"], store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.CreateClient(ctx, store.NewClient{Name: "Acme", Timezone: "Europe/Berlin"}); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"create"}, "--client is required"},
		{[]string{"create", "--client", "acme", "--range", "fixed"}, "range_since"},
		{[]string{"create", "--client", "acme", "--since", "2026-10-01"}, "need --range fixed"},
		{[]string{"create", "--client", "acme", "--expires", "soon"}, "--expires"},
		{[]string{"create", "--client", "acme", "--expires", "2020-01-01"}, "expires_at"},
		{[]string{"revoke", "--client", "acme"}, "--id"},
		{[]string{"rotate", "--client", "acme"}, "unknown subcommand"},
	} {
		if _, err := cli("", tc.args...); !isUsage(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("sharelinks %s: got %v, want a usage error about %s", strings.Join(tc.args, " "), err, tc.want)
		}
	}
	if _, err := cli("", "create", "--client", "nobody"); err == nil || !strings.Contains(err.Error(), "no client") {
		t.Errorf("unknown client: got %v, want an error naming it", err)
	}

	out, err := cli("open sesame 42\n", "create", "--client", "acme", "--label", "owner", "--range", "bounded", "--since", "2026-10-01",
		"--until", "2026-10-31", "--expires", "2099-12-31", "--embed", "--password-stdin")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`https://leads\.example\.com/s/(lls_[A-Za-z0-9_-]+)`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "password: yes") || !strings.Contains(out, "embeddable: yes") {
		t.Fatalf("create printed\n%s\nwant the full URL once and the settings", out)
	}
	l, err := db.ShareLinkByToken(ctx, m[1])
	if err != nil || l.RangeMode != "bounded" || !secret.CheckPassword("open sesame 42", l.PasswordHash) || l.ExpiresAt.Format("2006-01-02 15:04 MST") != "2099-12-31 23:00 UTC" {
		t.Fatalf("stored link %+v, %v: want bounded, the password, expiring after 31 Dec 2099 in Berlin", l, err)
	}
	out, err = cli("", "list", "--client", "acme")
	if err != nil || !strings.Contains(out, l.Prefix) || strings.Contains(out, m[1]) || !strings.Contains(out, "bounded 2026-10-01..2026-10-31") {
		t.Fatalf("list: %v\n%s\nwant the prefix, never the token", err, out)
	}
	if out, err := cli("", "revoke", "--client", "acme", "--id", "1"); err != nil || !strings.Contains(out, "revoked share link 1") {
		t.Fatalf("revoke: %v %s", err, out)
	}
	if _, err := cli("", "revoke", "--client", "acme", "--id", "1"); err == nil || !strings.Contains(err.Error(), "no active link") {
		t.Fatalf("second revoke: got %v, want an error", err)
	}
	if out, _ := cli("", "list", "--client", "acme"); !strings.Contains(out, "revoked") {
		t.Fatalf("list after revoking:\n%s", out)
	}
}
