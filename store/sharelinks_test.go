package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leadlens/leadlens/secret"
)

func TestShareLinkLifecycle(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	a, err := db.CreateClient(ctx, NewClient{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.CreateClient(ctx, NewClient{Name: "Beta"})
	if err != nil {
		t.Fatal(err)
	}
	expires := db.Now().Add(48 * time.Hour)
	token, l, err := db.CreateShareLink(ctx, NewShareLink{ClientID: a.ID, Label: "  For the owner ", ExpiresAt: expires,
		Password: "open sesame 42", RangeMode: RangeBounded, RangeSince: "2026-10-01", RangeUntil: "2026-10-31",
		AllowEmbed: true, CreatedBy: "ann@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(token, "lls_") || len(token) < 40 || !strings.HasPrefix(token, l.Prefix) || len(l.Prefix) >= len(token)/2 {
		t.Fatalf("token %q prefix %q: want lls_ and a short prefix of the token", token, l.Prefix)
	}
	if l.Label != "For the owner" || l.RangeMode != RangeBounded || l.RangeSince != "2026-10-01" || !l.AllowEmbed ||
		!l.ExpiresAt.Equal(expires.Truncate(time.Millisecond)) || l.CreatedBy != "ann@example.com" || l.ViewCount != 0 {
		t.Fatalf("got %+v, want the fields as created", l)
	}
	if !l.HasPassword() || !secret.CheckPassword("open sesame 42", l.PasswordHash) || secret.CheckPassword("open sesame 43", l.PasswordHash) {
		t.Fatalf("password hash %q does not check the password", l.PasswordHash)
	}
	// Neither the token nor the password is stored in clear.
	dump, err := db.DebugDump(ctx, "share_links")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(dump, token) || strings.Contains(dump, "open sesame 42") || !strings.Contains(dump, secret.Hash(token)) {
		t.Fatalf("share_links holds a token or password in clear, or not the token's hash:\n%s", dump)
	}

	got, err := db.ShareLinkByToken(ctx, token)
	if err != nil || got.ID != l.ID || got.ClientID != a.ID {
		t.Fatalf("ShareLinkByToken: got %+v, %v, want link %d", got, err, l.ID)
	}
	for _, bad := range []string{"", "lls_", token + "x", token[:len(token)-1], "llk_" + token[4:], strings.Repeat("lls_", 100)} {
		if _, err := db.ShareLinkByToken(ctx, bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("ShareLinkByToken(%.20q…): got %v, want ErrNotFound", bad, err)
		}
	}

	if err := db.RecordShareView(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordShareView(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ = db.ShareLinkByToken(ctx, token); got.ViewCount != 2 || !got.LastViewedAt.Equal(db.Now()) {
		t.Fatalf("after two views: count %d last %v, want 2 at %v", got.ViewCount, got.LastViewedAt, db.Now())
	}
	if err := db.RecordShareView(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("RecordShareView(unknown): got %v, want ErrNotFound", err)
	}

	// Revoking is per client: another client's id for the link is not found.
	if err := db.RevokeShareLink(ctx, b.ID, l.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoke through another client: got %v, want ErrNotFound", err)
	}
	if err := db.RevokeShareLink(ctx, a.ID, l.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeShareLink(ctx, a.ID, l.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second revoke: got %v, want ErrNotFound", err)
	}
	// A revoked link is still found, so the page can say it was revoked.
	if got, err = db.ShareLinkByToken(ctx, token); err != nil || !got.Revoked() {
		t.Fatalf("revoked link by token: got %+v, %v, want it, revoked", got, err)
	}

	if _, _, err := db.CreateShareLink(ctx, NewShareLink{ClientID: a.ID}); err != nil {
		t.Fatal(err)
	}
	links, err := db.ShareLinks(ctx, a.ID)
	if err != nil || len(links) != 2 || links[0].RangeMode != RangeOpen || links[0].HasPassword() || links[1].ID != l.ID {
		t.Fatalf("ShareLinks(a): got %+v, %v, want the open link then the first", links, err)
	}
	if links, err := db.ShareLinks(ctx, b.ID); err != nil || len(links) != 0 {
		t.Fatalf("ShareLinks(b): got %d links, %v, want none", len(links), err)
	}
}

func TestShareLinkExpiry(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	l := ShareLink{ExpiresAt: now}
	if !l.Expired(now) || l.Expired(now.Add(-time.Millisecond)) || (ShareLink{}).Expired(now) {
		t.Fatal("Expired: want true at and after the expiry, false before it and for links without one")
	}
}

func TestCreateShareLinkValidation(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	c, err := db.CreateClient(ctx, NewClient{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	now := db.Now()
	tests := []struct {
		name  string
		in    NewShareLink
		field string
	}{
		{"long label", NewShareLink{Label: strings.Repeat("x", 101)}, "label"},
		{"expiry in the past", NewShareLink{ExpiresAt: now.Add(-time.Hour)}, "expires_at"},
		{"expiry now", NewShareLink{ExpiresAt: now}, "expires_at"},
		{"unknown mode", NewShareLink{RangeMode: "rolling"}, "range_mode"},
		{"open with dates", NewShareLink{RangeSince: "2026-10-01"}, "range_since"},
		{"open with an end", NewShareLink{RangeMode: RangeOpen, RangeUntil: "2026-10-01"}, "range_until"},
		{"fixed without dates", NewShareLink{RangeMode: RangeFixed}, "range_since"},
		{"bounded without end", NewShareLink{RangeMode: RangeBounded, RangeSince: "2026-10-01"}, "range_until"},
		{"bad since", NewShareLink{RangeMode: RangeFixed, RangeSince: "1 Oct 2026", RangeUntil: "2026-10-31"}, "range_since"},
		{"bad until", NewShareLink{RangeMode: RangeFixed, RangeSince: "2026-10-01", RangeUntil: "2026-13-01"}, "range_until"},
		{"since after until", NewShareLink{RangeMode: RangeBounded, RangeSince: "2026-10-31", RangeUntil: "2026-10-01"}, "range_until"},
		{"too long", NewShareLink{RangeMode: RangeBounded, RangeSince: "2020-01-01", RangeUntil: "2026-10-01"}, "range_since"},
		{"short password", NewShareLink{Password: "short"}, "password"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.ClientID = c.ID
			_, _, err := db.CreateShareLink(ctx, tc.in)
			var v *ValidationError
			if !errors.As(err, &v) || v.Field != tc.field {
				t.Fatalf("got %v, want a validation error on %s", err, tc.field)
			}
		})
	}
	if _, _, err := db.CreateShareLink(ctx, NewShareLink{ClientID: 999}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown client: got %v, want ErrNotFound", err)
	}
	if links, _ := db.ShareLinks(ctx, c.ID); len(links) != 0 {
		t.Fatalf("refused links were stored: %d", len(links))
	}
	// A one-day fixed range is fine.
	if _, l, err := db.CreateShareLink(ctx, NewShareLink{ClientID: c.ID, RangeMode: RangeFixed, RangeSince: "2026-10-01", RangeUntil: "2026-10-01"}); err != nil || l.RangeUntil != "2026-10-01" {
		t.Fatalf("one-day fixed range: got %+v, %v", l, err)
	}
}
