package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadlens/leadlens/internal/synth"
	"github.com/leadlens/leadlens/store"
)

// The expectations below are worked out by hand from the numbers in synth.Fixture's comment.

func openFixture(t *testing.T) (*store.DB, *synth.Fixture) {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "leadlens.db"), store.Options{
		Now: func() time.Time { return time.Date(2026, 11, 4, 15, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f, err := synth.LoadFixture(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return db, f
}

func dash(t *testing.T, db *store.DB, c store.Client, level string, ctxOnly bool, campaign string) store.Dashboard {
	t.Helper()
	d, err := db.Dashboard(context.Background(), store.DashboardQuery{ClientID: c.ID, LeadActionType: c.LeadActionType,
		Level: level, CTXOnly: ctxOnly, CampaignID: campaign, Since: "2026-11-01", Until: "2026-11-03",
		CompareSince: "2026-10-29", CompareUntil: "2026-10-31"})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// spendString renders per-currency totals compactly for comparison: "EUR 21250000/4 USD 18500000/3".
func spendString(cs []store.CurrencyTotal) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%s %d/%d", c.Currency, c.SpendMicros, c.AttributedLeads))
	}
	return strings.Join(parts, " ")
}

// rowString renders a table row: "id name ctx currency spend leads convs logged".
func rowString(r store.ObjectRow) string {
	return fmt.Sprintf("%s|%s|%v|%s|%d|%d|%d|%d", r.ID, r.Name, r.IsCTX, r.Currency, r.SpendMicros, r.AttributedLeads, r.Conversations, r.LoggedLeads)
}

func rowsString(rows []store.ObjectRow) string {
	var out []string
	for _, r := range rows {
		out = append(out, rowString(r))
	}
	return strings.Join(out, "\n")
}

func TestDashboardTotalsPerCurrencyAndComparison(t *testing.T) {
	db, f := openFixture(t)
	for _, level := range store.Levels {
		d := dash(t, db, f.Acme, level, true, "")
		// CTX only: campaigns 9001 (USD) and 9003 (EUR); never a cross-currency sum.
		if got, want := spendString(d.Totals.Spend), "EUR 21250000/4 USD 18500000/3"; got != want {
			t.Errorf("%s: spend got %q, want %q", level, got, want)
		}
		got := [5]int64{d.Totals.AttributedLeads, d.Totals.LoggedLeads, d.Totals.Conversations, d.Totals.Impressions, d.Totals.Clicks}
		if want := [5]int64{7, 8, 12, 390, 19}; got != want {
			t.Errorf("%s: totals (attributed, logged, convs, impressions, clicks) got %v, want %v", level, got, want)
		}
		if d.Compare == nil {
			t.Fatalf("%s: no comparison totals", level)
		}
		if got, want := spendString(d.Compare.Spend), "EUR 6000000/2 USD 4000000/1"; got != want {
			t.Errorf("%s: comparison spend got %q, want %q", level, got, want)
		}
		if d.Compare.AttributedLeads != 3 || d.Compare.LoggedLeads != 1 {
			t.Errorf("%s: comparison got %d attributed, %d logged; want 3, 1", level, d.Compare.AttributedLeads, d.Compare.LoggedLeads)
		}
		if _, _, ok := d.Totals.SpendMicros(); ok {
			t.Errorf("%s: SpendMicros of two currencies: got ok, want refusal", level)
		}
	}
	all := dash(t, db, f.Acme, "campaign", false, "")
	if got, want := spendString(all.Totals.Spend), "EUR 21250000/4 USD 27500000/4"; got != want {
		t.Errorf("all campaigns: spend got %q, want %q", got, want)
	}
	if all.Totals.AttributedLeads != 8 || all.Totals.Impressions != 480 || all.Totals.Clicks != 23 || all.Totals.LoggedLeads != 8 {
		t.Errorf("all campaigns: got %+v, want 8 attributed, 480 impressions, 23 clicks, 8 logged", all.Totals)
	}
}

func TestDashboardDays(t *testing.T) {
	db, f := openFixture(t)
	d := dash(t, db, f.Acme, "campaign", true, "")
	if got := strings.Join(d.Currencies, ","); got != "EUR,USD" {
		t.Fatalf("currencies: got %q, want EUR,USD", got)
	}
	var got []string
	for _, day := range d.Days {
		got = append(got, fmt.Sprintf("%s %d/%d/%d %s", day.Date, day.AttributedLeads, day.LoggedLeads, day.Conversations, spendString(day.Spend)))
	}
	want := []string{
		"2026-11-01 6/2/9 EUR 20000000/4 USD 15000000/2",
		"2026-11-02 1/3/3 EUR 1250000/0 USD 3500000/1",
		"2026-11-03 0/3/0 EUR 0/0 USD 0/0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("days:\ngot  %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

func TestDashboardTablePerLevel(t *testing.T) {
	db, f := openFixture(t)
	tests := []struct {
		level   string
		ctxOnly bool
		want    []string
	}{
		// The unattributed row: unknown ad 999, no ad, the other client's ad 7009 and — with CTX
		// only — the lead on non-CTX campaign 9002.
		{"campaign", true, []string{
			"9003|WhatsApp EU|true|EUR|21250000|4|7|1",
			"9001|Spring CTX|true|USD|18500000|3|5|3",
			"||false||0|0|0|4"}},
		{"campaign", false, []string{
			"9003|WhatsApp EU|true|EUR|21250000|4|7|1",
			"9001|Spring CTX|true|USD|18500000|3|5|3",
			"9002|Site traffic|false|USD|9000000|1|0|1",
			"||false||0|0|0|3"}},
		// An ad set's badge is its own destination: 8002 sends to a website inside a CTX campaign.
		{"adset", true, []string{
			"8004|WhatsApp DE|true|EUR|21250000|4|7|1",
			"8001|Messenger lookalike|true|USD|13500000|3|5|2",
			"8002|Website retarget|false|USD|5000000|0|0|1",
			"||false||0|0|0|4"}},
		{"account", true, []string{
			"2|EU|true|EUR|21250000|4|7|1",
			"1|US|true|USD|18500000|3|5|3",
			"||false||0|0|0|4"}},
		{"account", false, []string{
			"1|US|false|USD|27500000|4|5|4",
			"2|EU|false|EUR|21250000|4|7|1",
			"||false||0|0|0|3"}},
	}
	for _, tc := range tests {
		d := dash(t, db, f.Acme, tc.level, tc.ctxOnly, "")
		if got, want := rowsString(d.Rows), strings.Join(tc.want, "\n"); got != want {
			t.Errorf("%s ctx=%v:\ngot\n%s\nwant\n%s", tc.level, tc.ctxOnly, got, want)
		}
		var logged int64
		for _, r := range d.Rows {
			logged += r.LoggedLeads
		}
		if logged != d.Totals.LoggedLeads {
			t.Errorf("%s ctx=%v: table's logged leads got %d, want the total %d", tc.level, tc.ctxOnly, logged, d.Totals.LoggedLeads)
		}
	}
}

func TestDashboardTop(t *testing.T) {
	db, f := openFixture(t)
	for _, level := range store.Levels {
		d := dash(t, db, f.Acme, level, true, "")
		var got []string
		for _, r := range d.Top {
			got = append(got, fmt.Sprintf("%s %s %d/%d", r.ID, r.Name, r.AttributedLeads, r.LoggedLeads))
		}
		if g, want := strings.Join(got, ", "), "9003 WhatsApp EU 4/1, 9001 Spring CTX 3/3"; g != want {
			t.Errorf("%s: top got %q, want %q", level, g, want)
		}
	}
}

func TestDashboardDrillDown(t *testing.T) {
	db, f := openFixture(t)
	d := dash(t, db, f.Acme, "adset", true, "9001")
	if got, want := rowsString(d.Rows), "8001|Messenger lookalike|true|USD|13500000|3|5|2\n8002|Website retarget|false|USD|5000000|0|0|1"; got != want {
		t.Errorf("rows:\ngot\n%s\nwant\n%s", got, want)
	}
	if got, want := spendString(d.Totals.Spend), "USD 18500000/3"; got != want {
		t.Errorf("spend got %q, want %q", got, want)
	}
	if d.Totals.LoggedLeads != 3 || d.Compare.AttributedLeads != 1 || d.Compare.LoggedLeads != 0 {
		t.Errorf("got logged %d, compare %d attributed %d logged; want 3, 1, 0", d.Totals.LoggedLeads, d.Compare.AttributedLeads, d.Compare.LoggedLeads)
	}
	if v, cur, ok := d.Totals.SpendMicros(); !ok || v != 18500000 || cur != "USD" {
		t.Errorf("SpendMicros got %d %s %v, want 18500000 USD true", v, cur, ok)
	}
	// Another client's campaign reads as empty, not as its numbers.
	other := dash(t, db, f.Acme, "adset", true, "9009")
	if len(other.Rows) != 0 || other.Totals.AttributedLeads != 0 || other.Totals.LoggedLeads != 0 {
		t.Errorf("another client's campaign: got %d rows, %+v; want nothing", len(other.Rows), other.Totals)
	}
}

func TestDashboardLoggedOnlyObject(t *testing.T) {
	db, f := openFixture(t)
	// On 11-03 campaign 9003 had no delivery but one (referral-attributed) logged lead.
	d, err := db.Dashboard(context.Background(), store.DashboardQuery{ClientID: f.Acme.ID, LeadActionType: f.Acme.LeadActionType,
		Level: "campaign", CTXOnly: true, Since: "2026-11-03", Until: "2026-11-03"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rowsString(d.Rows), "9003|WhatsApp EU|true|EUR|0|0|0|1\n||false||0|0|0|2"; got != want {
		t.Errorf("rows:\ngot\n%s\nwant\n%s", got, want)
	}
	if d.Compare != nil || len(d.Totals.Spend) != 0 || d.Totals.LoggedLeads != 3 {
		t.Errorf("got compare %v, spend %v, logged %d; want none, none, 3", d.Compare, d.Totals.Spend, d.Totals.LoggedLeads)
	}
}

// An ad set Meta reported but the ad sets table lacks still counts: the table falls back to
// the row-driven query when the fast sums do not add up.
func TestDashboardUnknownObjectFallsBack(t *testing.T) {
	db, f := openFixture(t)
	ctx := context.Background()
	l, err := db.BeginWindow(ctx, "1", "2026-11-02", "2026-11-02")
	if err != nil {
		t.Fatal(err)
	}
	rows := []store.InsightRow{
		{Level: "adset", Date: "2026-11-02", ObjectID: "8001", CampaignID: "9001", AdSetID: "8001", SpendMicros: 3_500_000, Impressions: 30, Clicks: 1,
			Actions: map[string]int64{store.ActionLeadGrouped: 1, store.ActionConversationsStarted: 2}},
		{Level: "adset", Date: "2026-11-02", ObjectID: "8099", CampaignID: "9001", AdSetID: "8099", SpendMicros: 1_000_000, Impressions: 10, Clicks: 1,
			Actions: map[string]int64{store.ActionLeadGrouped: 1}},
		{Level: "campaign", Date: "2026-11-02", ObjectID: "9001", CampaignID: "9001", SpendMicros: 4_500_000, Impressions: 40, Clicks: 2,
			Actions: map[string]int64{store.ActionLeadGrouped: 2, store.ActionConversationsStarted: 2}},
		{Level: "account", Date: "2026-11-02", ObjectID: "1", SpendMicros: 4_500_000, Impressions: 40, Clicks: 2,
			Actions: map[string]int64{store.ActionLeadGrouped: 2, store.ActionConversationsStarted: 2}},
	}
	if err := l.Add(ctx, rows); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Commit(ctx, store.Levels, 0); err != nil {
		t.Fatal(err)
	}
	d := dash(t, db, f.Acme, "adset", true, "")
	want := strings.Join([]string{
		"8004|WhatsApp DE|true|EUR|21250000|4|7|1",
		"8001|Messenger lookalike|true|USD|13500000|3|5|2",
		"8099||false|USD|1000000|1|0|0",
		"8002|Website retarget|false|USD|5000000|0|0|1",
		"||false||0|0|0|4"}, "\n")
	if got := rowsString(d.Rows); got != want {
		t.Errorf("rows:\ngot\n%s\nwant\n%s", got, want)
	}
}

func TestDashboardLeadDefinition(t *testing.T) {
	db, f := openFixture(t)
	c, err := db.UpdateClient(context.Background(), f.Acme.ID, store.ClientUpdate{Name: f.Acme.Name, Slug: f.Acme.Slug,
		LeadActionType: store.ActionConversationsStarted})
	if err != nil {
		t.Fatal(err)
	}
	d := dash(t, db, c, "campaign", true, "")
	if d.Totals.AttributedLeads != 12 {
		t.Errorf("conversations as the lead definition: got %d attributed, want 12", d.Totals.AttributedLeads)
	}
	if _, err := db.Dashboard(context.Background(), store.DashboardQuery{ClientID: c.ID, LeadActionType: "lead; DROP TABLE x",
		Level: "campaign", Since: "2026-11-01", Until: "2026-11-03"}); !store.IsValidation(err) {
		t.Errorf("unknown lead definition: got %v, want a validation error", err)
	}
}

func TestDashboardRejectsBadQueries(t *testing.T) {
	db, f := openFixture(t)
	for _, q := range []store.DashboardQuery{
		{Level: "ad", Since: "2026-11-01", Until: "2026-11-02"},
		{Level: "campaign", Since: "2026-11-03", Until: "2026-11-02"},
		{Level: "campaign", Since: "yesterday", Until: "2026-11-02"},
		{Level: "campaign", CampaignID: "9001", Since: "2026-11-01", Until: "2026-11-02"},
	} {
		q.ClientID, q.LeadActionType = f.Acme.ID, f.Acme.LeadActionType
		if _, err := db.Dashboard(context.Background(), q); !store.IsValidation(err) {
			t.Errorf("%+v: got %v, want a validation error", q, err)
		}
	}
}
