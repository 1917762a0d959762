package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"
)

// The logged-lead counts (lead_counts, lead_day_counts) are checked against the events after
// every kind of change to events: inserted (with duplicates and a failing batch), re-attributed
// by a late referral, re-bucketed by a timezone change, deleted with their client; and the
// dashboard's logged numbers read from them against the plain computation from the events.

// checkLeadCounts compares both count tables with counts of lead_submitted events.
func checkLeadCounts(t *testing.T, db *DB, label string) {
	t.Helper()
	read := func(q string) []string {
		rs, err := db.r.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		var out []string
		for rs.Next() {
			var client, n int64
			var ad, day string
			if err := rs.Scan(&client, &ad, &day, &n); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%d %q %s %d", client, ad, day, n))
		}
		if err := rs.Err(); err != nil {
			t.Fatal(err)
		}
		slices.Sort(out)
		return out
	}
	got := read(`SELECT client_id, ad_id, event_day, n FROM lead_counts`)
	want := read(`SELECT client_id, ad_id, event_day, count(*) FROM lead_events WHERE event_name = 'lead_submitted' GROUP BY 1, 2, 3`)
	if !slices.Equal(got, want) {
		t.Errorf("%s: lead_counts:\n got %q\nwant %q", label, got, want)
	}
	got = read(`SELECT client_id, '', event_day, n FROM lead_day_counts`)
	want = read(`SELECT client_id, '', event_day, count(*) FROM lead_events WHERE event_name = 'lead_submitted' GROUP BY 1, 3`)
	if !slices.Equal(got, want) {
		t.Errorf("%s: lead_day_counts:\n got %q\nwant %q", label, got, want)
	}
}

// checkLoggedReads compares the dashboard's logged numbers from the counts with the plain
// computation from the events, for every level, CTX-only or not, and the drill-down; and, when
// the counts are meant to be right, the counts alone too.
func checkLoggedReads(t *testing.T, db *DB, clientID int64, since, until, label string) {
	t.Helper()
	checkLogged(t, db, clientID, since, until, label, true)
}

func checkLogged(t *testing.T, db *DB, clientID int64, since, until, label string, countsExact bool) {
	t.Helper()
	ctx := context.Background()
	scopes := []factScope{}
	for _, level := range Levels {
		for _, ctxOnly := range []bool{false, true} {
			scopes = append(scopes, factScope{clientID: clientID, level: level, ctxOnly: ctxOnly, since: since, until: until, leadCol: "leads_grouped"})
		}
	}
	scopes = append(scopes, factScope{clientID: clientID, level: "adset", campaignID: "c1", since: since, until: until, leadCol: "leads_grouped"})
	for _, s := range scopes {
		err := db.readTx(ctx, func(tx *sql.Tx) error {
			days, err := loggedDays(ctx, tx, s)
			if err != nil {
				return err
			}
			q, args := loggedByDay(s)
			plainDays, err := countsByDay(ctx, tx, q, args)
			if err != nil {
				return err
			}
			var total int64
			for _, n := range plainDays {
				total += n
			}
			q, args = loggedCountsByDay(s)
			counted, err := countsByDay(ctx, tx, q, args)
			if err != nil {
				return err
			}
			if fmt.Sprint(days) != fmt.Sprint(plainDays) || (countsExact && fmt.Sprint(counted) != fmt.Sprint(plainDays)) {
				t.Errorf("%s: %+v: logged days got %v (counts alone %v), want %v", label, s, days, counted, plainDays)
			}
			objects, err := loggedByObject(ctx, tx, s, total)
			if err != nil {
				return err
			}
			lq, la := loggedFact(s)
			plain, err := loggedObjects(ctx, tx, `SELECT account_id, campaign_id, adset_id, SUM(logged) FROM (`+lq+`) l
				GROUP BY account_id, campaign_id, adset_id`, la)
			if err != nil {
				return err
			}
			if fmt.Sprint(objects) != fmt.Sprint(plain) {
				t.Errorf("%s: %+v: logged per object got %v, want %v", label, s, objects, plain)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestLeadCountsFollowEveryChangeOfEvents(t *testing.T) {
	f := newEventsFixture(t)
	ctx := context.Background()
	db := f.db
	// Ads of account 1: a1 in a CTX campaign, a2 in a website one; a9 is nobody's.
	set := ObjectSet{
		Campaigns: []Campaign{{ID: "c1", AccountID: "1", Name: "CTX", Objective: "MESSAGES"}, {ID: "c2", AccountID: "1", Name: "Web", Objective: "OUTCOME_TRAFFIC"}},
		AdSets: []AdSet{{ID: "s1", AccountID: "1", CampaignID: "c1", DestinationType: "MESSENGER"},
			{ID: "s2", AccountID: "1", CampaignID: "c2", DestinationType: "WEBSITE"}},
		Ads: []Ad{{ID: "11", AccountID: "1", AdSetID: "s1", CampaignID: "c1"}, {ID: "12", AccountID: "1", AdSetID: "s2", CampaignID: "c2"}},
	}
	if err := db.UpsertObjects(ctx, "1", set); err != nil {
		t.Fatal(err)
	}
	at := func(d, h int) time.Time { return time.Date(2026, 10, d, h, 0, 0, 0, time.UTC) }
	insert := func(bs ...EventBatch) []BatchResult {
		t.Helper()
		res, err := db.InsertEventBatches(ctx, bs)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	withAd := func(b EventBatch, ad string) EventBatch { b.AdID = ad; return b }

	insert(
		withAd(f.batch("1", ev("lead_submitted", "k1", at(3, 12)), ev("lead_submitted", "k2", at(3, 13)), ev("page_view", "", at(3, 14))), "11"),
		withAd(f.batch("2", ev("lead_submitted", "k3", at(4, 2))), "12"), // the 3rd in Los Angeles
		withAd(f.batch("3", ev("lead_submitted", "", at(5, 12))), "99"),  // an ad nobody collected
		f.batch("4", ev("lead_submitted", "", at(5, 12))),                // no ad: unattributed
		f.batch("5", ev("lead_submitted", "k1", at(6, 12))),              // a duplicate: stored once
	)
	// A batch that fails halfway is rolled back with its counts.
	res := insert(f.batch("6", ev("lead_submitted", "k6", at(6, 12)), NewEvent{Name: "lead_submitted"}))
	if res[0].Err == nil {
		t.Fatal("a batch with an event without a time: got stored, want an error")
	}
	checkLeadCounts(t, db, "inserted")
	checkLoggedReads(t, db, f.client.ID, "2026-10-01", "2026-10-31", "inserted")
	checkLoggedReads(t, db, f.client.ID, "2026-10-04", "2026-10-05", "inserted, part of the month")

	// A late referral attributes person 4's earlier lead to ad 11.
	if _, err := db.RecordReferral(ctx, NewReferral{ClientID: f.client.ID, PageID: "111", PSID: "4", AdID: "11", ReferredAt: at(2, 12)}); err != nil {
		t.Fatal(err)
	}
	checkLeadCounts(t, db, "re-attributed")
	checkLoggedReads(t, db, f.client.ID, "2026-10-01", "2026-10-31", "re-attributed")

	// A new timezone moves events across days.
	c, err := db.ClientByID(ctx, f.client.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateClient(ctx, c.ID, ClientUpdate{Name: c.Name, Slug: c.Slug, Timezone: "Asia/Tokyo", LeadActionType: c.LeadActionType}); err != nil {
		t.Fatal(err)
	}
	var day string
	if err := db.r.QueryRow(`SELECT event_day FROM lead_events WHERE idem_key = 'k3'`).Scan(&day); err != nil || day != "2026-10-04" {
		t.Fatalf("event day after the timezone change: got %q %v, want 2026-10-04", day, err)
	}
	checkLeadCounts(t, db, "re-bucketed")
	checkLoggedReads(t, db, f.client.ID, "2026-10-01", "2026-10-31", "re-bucketed")
	checkLoggedReads(t, db, f.client.ID, "2026-10-04", "2026-10-04", "re-bucketed, one day")

	// Counts that went wrong (here: by hand) are caught by the check against the events.
	if _, err := db.w.Exec(`UPDATE lead_day_counts SET n = n + 5 WHERE event_day = '2026-10-04'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.Exec(`UPDATE lead_counts SET n = n + 7 WHERE ad_id = '11'`); err != nil {
		t.Fatal(err)
	}
	checkLogged(t, db, f.client.ID, "2026-10-01", "2026-10-31", "counts gone wrong", false)
	if _, err := db.w.Exec(`DELETE FROM lead_counts; DELETE FROM lead_day_counts;
		INSERT INTO lead_counts SELECT client_id, ad_id, event_day, count(*) FROM lead_events WHERE event_name = 'lead_submitted' GROUP BY 1, 2, 3;
		INSERT INTO lead_day_counts SELECT client_id, event_day, count(*) FROM lead_events WHERE event_name = 'lead_submitted' GROUP BY 1, 2`); err != nil {
		t.Fatal(err)
	}

	// Events deleted (with their client, by cascade) take their counts with them.
	if _, err := db.w.Exec(`DELETE FROM lead_events WHERE idem_key = 'k2'`); err != nil {
		t.Fatal(err)
	}
	checkLeadCounts(t, db, "one deleted")
	if _, err := db.w.Exec(`DELETE FROM clients WHERE id = ?`, f.client.ID); err != nil {
		t.Fatal(err)
	}
	checkLeadCounts(t, db, "client deleted")
	if n := f.count(t, "lead_counts") + f.count(t, "lead_day_counts"); n != 0 {
		t.Errorf("counts left after the client's deletion: got %d rows, want 0", n)
	}
}
