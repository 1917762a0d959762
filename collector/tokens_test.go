package collector

import (
	"context"
	"strings"
	"testing"

	"github.com/leadlens/leadlens/metasim"
	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
)

func TestTokenResolution(t *testing.T) {
	const good, badEnv, badStored = "EAAgoodTOKENgood123", "EAAbadENVtoken456", "EAAbadSTOREDtoken789"
	box, err := secret.NewBox("0123456789abcdef-test-secret")
	if err != nil {
		t.Fatal(err)
	}
	other, err := secret.NewBox("another-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	seal := func(b *secret.Box, s string) []byte {
		out, err := b.Seal(s)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	opts := metasim.Options{Seed: 7, Accounts: 2, Tokens: []string{good}}
	ctx := context.Background()
	tests := []struct {
		name  string
		env   string
		setup func(f *fixture)
		want  [2]string // outcome of account 0 and 1: "ok" or a substring of the error + advice
	}{
		{name: "no token anywhere", want: [2]string{"set a Meta token in Admin → Meta connection or META_ACCESS_TOKEN",
			"set a Meta token in Admin → Meta connection or META_ACCESS_TOKEN"}},
		{name: "META_ACCESS_TOKEN", env: good, want: [2]string{"ok", "ok"}},
		{name: "the stored installation token beats the environment", env: badEnv, setup: func(f *fixture) {
			if err := f.db.SetSetting(ctx, store.SettingMetaToken, seal(box, good)); err != nil {
				t.Fatal(err)
			}
		}, want: [2]string{"ok", "ok"}},
		{name: "an account's own token beats both", env: badEnv, setup: func(f *fixture) {
			if err := f.db.SetSetting(ctx, store.SettingMetaToken, seal(box, badStored)); err != nil {
				t.Fatal(err)
			}
			if err := f.db.SetAdAccountToken(ctx, f.world.Accounts[0].ID, seal(box, good)); err != nil {
				t.Fatal(err)
			}
		}, want: [2]string{"ok", "re-authenticate"}},
		{name: "a token sealed with another key", env: good, setup: func(f *fixture) {
			if err := f.db.SetAdAccountToken(ctx, f.world.Accounts[0].ID, seal(other, good)); err != nil {
				t.Fatal(err)
			}
		}, want: [2]string{secret.ErrCannotOpen.Error(), "ok"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, opts, func(c *Config) { c.Token, c.Box = tc.env, box })
			if tc.setup != nil {
				tc.setup(f)
			}
			res := f.run(Request{})
			for i, want := range tc.want {
				a := f.account(res, f.world.Accounts[i].ID)
				if want == "ok" {
					if a.Status != store.RunSucceeded {
						t.Errorf("account %d: got %s (%s), want succeeded", i, a.Status, a.Error)
					}
					continue
				}
				if a.Status != store.RunFailed || !strings.Contains(a.Error+" — "+a.Advice, want) {
					t.Errorf("account %d: got %s %q / %q, want failed with %q", i, a.Status, a.Error, a.Advice, want)
				}
			}
			rec, err := f.db.RunByID(ctx, res.RunID)
			if err != nil {
				t.Fatal(err)
			}
			texts := f.logs.String() + rec.Error
			for _, a := range rec.Accounts {
				texts += a.Error + a.Advice
			}
			for _, tok := range []string{good, badEnv, badStored} {
				if strings.Contains(texts, tok) {
					t.Errorf("a token appears in the log or the run record")
				}
			}
		})
	}
}
