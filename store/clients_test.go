package store

import (
	"context"
	"errors"
	"testing"
)

func TestCreateClientValidation(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	if _, err := db.CreateClient(ctx, NewClient{Name: "Acme Dental, Inc.", AdAccounts: []string{"act_123,456"}, Pages: []string{"999"}}); err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	tests := []struct {
		name  string
		in    NewClient
		field string
	}{
		{"no name", NewClient{Name: "  "}, "name"},
		{"bad slug", NewClient{Name: "X", Slug: "Has Spaces"}, "slug"},
		{"duplicate slug", NewClient{Name: "Acme Dental Inc"}, "slug"},
		{"bad account", NewClient{Name: "B", AdAccounts: []string{"act_12x"}}, "ad_account"},
		{"account of another client", NewClient{Name: "C", AdAccounts: []string{"act_456"}}, "ad_account"},
		{"bad page", NewClient{Name: "D", Pages: []string{"page-1"}}, "page"},
		{"page of another client", NewClient{Name: "D", Pages: []string{"999"}}, "page"},
		{"unknown timezone", NewClient{Name: "E", Timezone: "Mars/Olympus"}, "timezone"},
		{"unknown lead definition", NewClient{Name: "F", LeadActionType: "purchase"}, "lead_action_type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.CreateClient(ctx, tc.in)
			var v *ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("got %v, want a validation error on %s", err, tc.field)
			}
			if v.Field != tc.field {
				t.Fatalf("got field %q (%v), want %q", v.Field, err, tc.field)
			}
		})
	}
	clients, err := db.Clients(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(clients) != 1 {
		t.Fatalf("got %d clients after rejected creates, want 1", len(clients))
	}
	accts, err := db.AdAccounts(ctx, clients[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(accts) != 2 || accts[0].ID != "123" || accts[1].ID != "456" {
		t.Fatalf("got accounts %+v, want 123 and 456", accts)
	}
	if clients[0].Slug != "acme-dental-inc" {
		t.Fatalf("got slug %q, want acme-dental-inc", clients[0].Slug)
	}
}

func TestClientTimezoneFallsBackToAccount(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	c, err := db.CreateClient(ctx, NewClient{Name: "Acme", AdAccounts: []string{"1"}})
	if err != nil {
		t.Fatal(err)
	}
	loc, err := db.ClientTimezone(ctx, c)
	if err != nil || loc.String() != "UTC" {
		t.Fatalf("got %v %v, want UTC before the account is known", loc, err)
	}
	if err := db.UpdateAdAccountMeta(ctx, "1", "Main", "EUR", "Europe/Berlin"); err != nil {
		t.Fatal(err)
	}
	loc, err = db.ClientTimezone(ctx, c)
	if err != nil || loc.String() != "Europe/Berlin" {
		t.Fatalf("got %v %v, want Europe/Berlin", loc, err)
	}
}
