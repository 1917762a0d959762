package csvexport_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/leadlens/leadlens/csvexport"
	"github.com/leadlens/leadlens/internal/synth"
	"github.com/leadlens/leadlens/store"
)

func fixture(t *testing.T) (*store.DB, *synth.Fixture) {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "leadlens.db"), store.Options{})
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

// The expected bytes are worked out by hand from synth.Fixture's comment.
func TestWriteCampaignLevelCTXOnly(t *testing.T) {
	db, f := fixture(t)
	var b bytes.Buffer
	err := csvexport.Write(context.Background(), &b, db, store.ExportQuery{ClientID: f.Acme.ID, LeadActionType: f.Acme.LeadActionType,
		Level: "campaign", CTXOnly: true, Since: "2026-11-01", Until: "2026-11-03"})
	if err != nil {
		t.Fatal(err)
	}
	want := `date,level,account_id,campaign_id,campaign_name,adset_id,adset_name,ctx,currency,spend,impressions,clicks,attributed_leads,conversations_started,logged_leads
2026-11-01,campaign,,,,,,false,,0.00,0,0,0,0,1
2026-11-01,campaign,1,9001,Spring CTX,,,true,USD,15.00,150,7,2,3,1
2026-11-01,campaign,2,9003,WhatsApp EU,,,true,EUR,20.00,200,10,4,6,0
2026-11-02,campaign,,,,,,false,,0.00,0,0,0,0,1
2026-11-02,campaign,1,9001,Spring CTX,,,true,USD,3.50,30,1,1,2,2
2026-11-02,campaign,2,9003,WhatsApp EU,,,true,EUR,1.25,10,1,0,1,0
2026-11-03,campaign,,,,,,false,,0.00,0,0,0,0,2
2026-11-03,campaign,2,9003,WhatsApp EU,,,true,EUR,0.00,0,0,0,0,1
`
	if got := b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestWriteAdSetLevelEveryCampaign(t *testing.T) {
	db, f := fixture(t)
	var b bytes.Buffer
	err := csvexport.Write(context.Background(), &b, db, store.ExportQuery{ClientID: f.Acme.ID, LeadActionType: f.Acme.LeadActionType,
		Level: "adset", Since: "2026-10-30", Until: "2026-11-04"})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(recs[0], ","); got != strings.Join(csvexport.Header, ",") {
		t.Fatalf("header got %q", got)
	}
	var rows []string
	var logged, leads int64
	for _, r := range recs[1:] {
		rows = append(rows, r[0]+" "+r[5]+" "+r[7]+" "+r[9]+" "+r[14])
		n, _ := strconv.ParseInt(r[14], 10, 64)
		logged += n
		n, _ = strconv.ParseInt(r[12], 10, 64)
		leads += n
	}
	want := []string{
		"2026-10-30 8001 true 4.00 0",
		"2026-10-30 8004 true 6.00 1",
		"2026-11-01  false 0.00 1", // the other client's ad
		"2026-11-01 8001 true 10.00 1",
		"2026-11-01 8002 false 5.00 0",
		"2026-11-01 8003 false 7.00 0",
		"2026-11-01 8004 true 20.00 0",
		"2026-11-02  false 0.00 1", // unknown ad
		"2026-11-02 8001 true 3.50 1",
		"2026-11-02 8002 false 0.00 1", // logged on an ad set without delivery that day
		"2026-11-02 8004 true 1.25 0",
		"2026-11-03  false 0.00 1", // no ad
		"2026-11-03 8003 false 2.00 1",
		"2026-11-03 8004 true 0.00 1",
		"2026-11-04 8001 true 99.00 0",
	}
	if got := strings.Join(rows, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("rows:\ngot\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
	// Every logged lead_submitted of the client in the range, and every attributed lead.
	if logged != 9 || leads != 20 {
		t.Errorf("sums: got %d logged, %d attributed; want 9, 20", logged, leads)
	}
}

func TestFilename(t *testing.T) {
	if got, want := csvexport.Filename("acme", "adset", "2026-11-01", "2026-11-28"), "acme_adset_2026-11-01_2026-11-28.csv"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
