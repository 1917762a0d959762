package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// The running totals (insights_cum) are checked against a plain computation after every kind
// of window commit: each stored total must be the sum of its object's daily rows up to its
// date, with no total left for a row that is gone; and the dashboard's object sums read from
// them must equal the plain sums of the daily rows.

// cumWorld is one account with two campaigns of two ad sets each, their rows drawn at random.
type cumWorld struct {
	t  *testing.T
	db *DB
	r  *rand.Rand
}

func newCumWorld(t *testing.T) *cumWorld {
	t.Helper()
	db := openTest(t)
	ctx := context.Background()
	if _, err := db.CreateClient(ctx, NewClient{Name: "Acme", AdAccounts: []string{"act_1"}}); err != nil {
		t.Fatal(err)
	}
	set := ObjectSet{}
	for _, c := range []string{"c1", "c2"} {
		set.Campaigns = append(set.Campaigns, Campaign{ID: c, AccountID: "1", Name: c, Objective: "MESSAGES", Status: "ACTIVE", EffectiveStatus: "ACTIVE"})
		for _, s := range []string{"a", "b"} {
			set.AdSets = append(set.AdSets, AdSet{ID: c + s, AccountID: "1", CampaignID: c, Name: c + s, DestinationType: "MESSENGER",
				Status: "ACTIVE", EffectiveStatus: "ACTIVE"})
		}
	}
	if err := db.UpsertObjects(ctx, "1", set); err != nil {
		t.Fatal(err)
	}
	return &cumWorld{t: t, db: db, r: rand.New(rand.NewPCG(7, 11))}
}

// rows draws every level's rows of the dates since..until, leaving out the ad sets in skip.
func (w *cumWorld) rows(since, until string, skip ...string) []InsightRow {
	dates, err := datesBetween(since, until)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []InsightRow
	for _, d := range dates {
		acct := InsightRow{Level: "account", Date: d, ObjectID: "1", Actions: map[string]int64{}}
		for _, c := range []string{"c1", "c2"} {
			camp := InsightRow{Level: "campaign", Date: d, ObjectID: c, CampaignID: c, Actions: map[string]int64{}}
			for _, s := range []string{"a", "b"} {
				if slices.Contains(skip, c+s) {
					continue
				}
				r := InsightRow{Level: "adset", Date: d, ObjectID: c + s, CampaignID: c, AdSetID: c + s,
					SpendMicros: int64(1+w.r.IntN(90)) * 10_000, Impressions: int64(w.r.IntN(500)), Clicks: int64(w.r.IntN(20)),
					Actions: map[string]int64{ActionLeadGrouped: int64(w.r.IntN(4)), ActionConversationsStarted: int64(w.r.IntN(6)),
						ActionLead: int64(w.r.IntN(5)), ActionFirstReply: int64(w.r.IntN(3))}}
				out = append(out, r)
				for _, dst := range []*InsightRow{&camp, &acct} {
					dst.SpendMicros += r.SpendMicros
					dst.Impressions += r.Impressions
					dst.Clicks += r.Clicks
					for k, v := range r.Actions {
						dst.Actions[k] += v
					}
				}
			}
			out = append(out, camp)
		}
		out = append(out, acct)
	}
	return out
}

// load commits one window of rows at the given levels.
func (w *cumWorld) load(since, until string, rows []InsightRow, levels ...string) {
	w.t.Helper()
	ctx := context.Background()
	if len(levels) == 0 {
		levels = Levels
	}
	l, err := w.db.BeginWindow(ctx, "1", since, until)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := l.Add(ctx, rows); err != nil {
		w.t.Fatal(err)
	}
	if _, err := l.Commit(ctx, levels, 0); err != nil {
		w.t.Fatal(err)
	}
}

// checkRunningTotals compares every stored running total with the running sums of
// insights_daily computed here, row by row.
func checkRunningTotals(t *testing.T, db *DB, label string) {
	t.Helper()
	ctx := context.Background()
	cols := strings.Join(cumNumbers, ", ")
	type total struct {
		key [4]string // object, level, account, date
		v   []int64
	}
	read := func(table string) []total {
		rs, err := db.r.QueryContext(ctx, `SELECT object_id, level, account_id, date, `+cols+` FROM `+table+`
			ORDER BY object_id, level, account_id, date`)
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		var out []total
		for rs.Next() {
			r := total{v: make([]int64, len(cumNumbers))}
			dst := []any{&r.key[0], &r.key[1], &r.key[2], &r.key[3]}
			for i := range r.v {
				dst = append(dst, &r.v[i])
			}
			if err := rs.Scan(dst...); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		if err := rs.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	// Totals marked stale are not compared: they are rebuilt later (see updateCum).
	stale := map[[2]string]string{}
	srs, err := db.r.QueryContext(ctx, `SELECT account_id, level, from_date FROM insights_cum_stale`)
	if err != nil {
		t.Fatal(err)
	}
	for srs.Next() {
		var a, l, from string
		if err := srs.Scan(&a, &l, &from); err != nil {
			t.Fatal(err)
		}
		stale[[2]string{a, l}] = from
	}
	if err := srs.Close(); err != nil {
		t.Fatal(err)
	}
	fresh := func(r total) bool {
		from, ok := stale[[2]string{r.key[2], r.key[1]}]
		return !ok || r.key[3] < from
	}
	var want []string
	var run total
	for _, r := range read("insights_daily") {
		if run.v == nil || [3]string(run.key[:3]) != [3]string(r.key[:3]) {
			run = total{v: make([]int64, len(cumNumbers))}
		}
		run.key = r.key
		for i := range r.v {
			run.v[i] += r.v[i]
		}
		if fresh(run) {
			want = append(want, fmt.Sprint(run.key, run.v))
		}
	}
	var got []string
	for _, r := range read("insights_cum") {
		if fresh(r) {
			got = append(got, fmt.Sprint(r.key, r.v))
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s: running totals:\n got %q\nwant %q", label, got, want)
	}
}

// check compares every running total with the plain running sums of insights_daily, then the
// dashboard's object sums with the plain sums over a few periods.
func (w *cumWorld) check(label string) {
	w.t.Helper()
	ctx := context.Background()
	checkRunningTotals(w.t, w.db, label)
	checkCTXDays(w.t, w.db, label)
	var client int64
	if err := w.db.r.QueryRowContext(ctx, `SELECT client_id FROM ad_accounts WHERE id = '1'`).Scan(&client); err != nil {
		w.t.Fatal(err)
	}
	for _, p := range [][2]string{{"2026-10-01", "2026-10-31"}, {"2026-10-05", "2026-10-05"}, {"2026-10-12", "2026-10-25"}, {"2026-07-15", "2026-08-20"},
		{"2026-09-20", "2026-10-03"}, {"2026-10-28", "2026-11-10"}} {
		for _, level := range Levels {
			for i, lead := range []string{"leads_grouped", "leads_all", "first_replies"} {
				// The CTX-only account row is its CTX campaigns added up (a grouped read).
				s := factScope{clientID: client, level: level, ctxOnly: i == 0, since: p[0], until: p[1], leadCol: lead}
				if err := w.db.readTx(ctx, func(tx *sql.Tx) error {
					fast, err := fastRows(ctx, tx, s, map[string]AdAccount{})
					if err != nil {
						return err
					}
					iq, ia := insightsRows(s)
					plain, err := referenceRows(ctx, tx, s, iq, ia)
					if err != nil {
						return err
					}
					f, pl := sumsOf(fast), sumsOf(plain)
					if !slices.Equal(f, pl) {
						w.t.Errorf("%s: %s %s..%s %s: object sums from running totals\n got %q\nwant %q", label, level, p[0], p[1], lead, f, pl)
					}
					return nil
				}); err != nil {
					w.t.Fatal(err)
				}
			}
		}
	}
}

// sumsOf renders the attributed side of table rows by id, sorted.
func sumsOf(rows []ObjectRow) []string {
	var out []string
	for _, r := range rows {
		if r.ID == "" {
			continue
		}
		out = append(out, fmt.Sprintf("%s/%s %d %d %d %d %d", r.AccountID, r.ID, r.SpendMicros, r.Impressions, r.Clicks, r.AttributedLeads, r.Conversations))
	}
	slices.Sort(out)
	return out
}

func TestRunningTotalsRestatedWindow(t *testing.T) {
	w := newCumWorld(t)
	w.load("2026-10-01", "2026-10-31", w.rows("2026-10-01", "2026-10-31"))
	w.check("first load")
	// Meta restates the last 10 days: every number changes.
	w.load("2026-10-22", "2026-10-31", w.rows("2026-10-22", "2026-10-31"))
	w.check("restated")
	// The next day's incremental window overlaps the last one and adds a day.
	w.load("2026-10-04", "2026-11-01", w.rows("2026-10-04", "2026-11-01"))
	w.check("incremental")
}

func TestRunningTotalsVanishedObject(t *testing.T) {
	w := newCumWorld(t)
	w.load("2026-10-01", "2026-10-31", w.rows("2026-10-01", "2026-10-31"))
	// Restated: ad set c1b no longer has any row from the 20th (Meta moved its numbers away),
	// and c2a none in the middle of the window.
	rows := w.rows("2026-10-20", "2026-10-31", "c1b")
	var kept []InsightRow
	for _, r := range rows {
		if r.ObjectID == "c2a" && r.Date >= "2026-10-24" && r.Date <= "2026-10-26" {
			continue
		}
		kept = append(kept, r)
	}
	w.load("2026-10-20", "2026-10-31", kept)
	w.check("vanished")
	var n int
	if err := w.db.r.QueryRow(`SELECT count(*) FROM insights_cum WHERE object_id = 'c1b' AND date >= '2026-10-20'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("running totals of the vanished ad set's restated days: got %d (%v), want 0", n, err)
	}
	// A window of one level leaves the other levels' totals alone.
	w.load("2026-10-25", "2026-10-31", w.rows("2026-10-25", "2026-10-31"), "campaign")
	w.check("one level")
	// An empty window (no delivery at all) removes the days' totals.
	w.load("2026-10-30", "2026-10-31", nil)
	w.check("empty window")
}

func TestRunningTotalsBackfillChunksInAnyOrder(t *testing.T) {
	// Four chunks over more than cumCatchUpDays, so rebuilding stale totals takes several commits.
	chunks := [][2]string{{"2026-07-01", "2026-08-01"}, {"2026-08-02", "2026-09-02"}, {"2026-09-03", "2026-10-04"}, {"2026-10-05", "2026-11-05"}}
	orders := map[string][]int{"oldest first": {0, 1, 2, 3}, "newest first": {3, 2, 1, 0}, "middle first": {2, 0, 3, 1}}
	for name, order := range orders {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			w := newCumWorld(t)
			for _, i := range order {
				c := chunks[i]
				w.load(c[0], c[1], w.rows(c[0], c[1]))
				w.check(fmt.Sprintf("%s, after chunk %s..%s", name, c[0], c[1]))
			}
			var stale int
			if err := w.db.r.QueryRow(`SELECT count(*) FROM insights_cum_stale`).Scan(&stale); err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{true: 0, false: 3}[name == "oldest first"]; stale != want {
				t.Errorf("%s: (account, level) pairs with stale totals after the back-fill: got %d, want %d", name, stale, want)
			}
			// Incremental windows at the end of the stored days rebuild stale totals, a
			// bounded number of days per commit, until none are left.
			for i := 0; ; i++ {
				w.load("2026-10-20", "2026-11-05", w.rows("2026-10-20", "2026-11-05"))
				w.check(fmt.Sprintf("%s, incremental %d", name, i))
				var n int
				if err := w.db.r.QueryRow(`SELECT count(*) FROM insights_cum_stale`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					break
				}
				if i == 3 {
					t.Fatalf("%s: running totals still stale after %d incremental commits", name, i+1)
				}
			}
		})
	}
}

func TestRunningTotalsRebuiltByMigration(t *testing.T) {
	w := newCumWorld(t)
	w.load("2026-10-01", "2026-10-31", w.rows("2026-10-01", "2026-10-31"))
	ctx := context.Background()
	// Drop the totals and run the migration's statement again, as an upgrade does.
	if _, err := w.db.w.ExecContext(ctx, `DELETE FROM insights_cum`); err != nil {
		t.Fatal(err)
	}
	body, err := migrationFiles.ReadFile("migrations/00005_insights_cum.sql")
	if err != nil {
		t.Fatal(err)
	}
	text := string(body)
	start := strings.Index(text, "INSERT INTO insights_cum")
	end := strings.Index(text, "-- +goose Down")
	if start < 0 || end < start {
		t.Fatal("migration 00005 has no INSERT INTO insights_cum before its Down section")
	}
	if _, err := w.db.w.ExecContext(ctx, text[start:end]); err != nil {
		t.Fatal(err)
	}
	w.check("rebuilt")
}

// checkCTXDays compares insights_ctx_days with the CTX campaigns' rows added up per date.
func checkCTXDays(t *testing.T, db *DB, label string) {
	t.Helper()
	cols := strings.Join(cumNumbers, ", ")
	sums := "SUM(i." + strings.Join(cumNumbers, "), SUM(i.") + ")"
	read := func(q string) []string {
		rs, err := db.r.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		var out []string
		for rs.Next() {
			var account, date string
			v := make([]int64, len(cumNumbers))
			dst := []any{&account, &date}
			for i := range v {
				dst = append(dst, &v[i])
			}
			if err := rs.Scan(dst...); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(account, date, v))
		}
		if err := rs.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	got := read(`SELECT account_id, date, ` + cols + ` FROM insights_ctx_days ORDER BY account_id, date`)
	want := read(`SELECT c.account_id, i.date, ` + sums + ` FROM campaigns c JOIN insights_daily i ON i.object_id = c.id AND i.level = 'campaign'
		WHERE c.is_ctx = 1 GROUP BY c.account_id, i.date ORDER BY c.account_id, i.date`)
	if !slices.Equal(got, want) {
		t.Fatalf("%s: CTX days:\n got %q\nwant %q", label, got, want)
	}
}

func TestCTXDaysFollowCampaignFlagsAndAreChecked(t *testing.T) {
	w := newCumWorld(t)
	ctx := context.Background()
	w.load("2026-10-01", "2026-10-31", w.rows("2026-10-01", "2026-10-31"))
	w.check("loaded")
	// Campaign c2 stops being CTX: its ad sets now send to a website.
	set := ObjectSet{Campaigns: []Campaign{{ID: "c2", AccountID: "1", Name: "c2", Objective: "OUTCOME_TRAFFIC"}},
		AdSets: []AdSet{{ID: "c2a", AccountID: "1", CampaignID: "c2", DestinationType: "WEBSITE"}, {ID: "c2b", AccountID: "1", CampaignID: "c2", DestinationType: "WEBSITE"}}}
	if err := w.db.UpsertObjects(ctx, "1", set); err != nil {
		t.Fatal(err)
	}
	w.check("c2 no longer CTX")
	// And back.
	set.AdSets[0].DestinationType = "WHATSAPP"
	if err := w.db.UpsertObjects(ctx, "1", set); err != nil {
		t.Fatal(err)
	}
	w.check("c2 CTX again")

	// Derived days gone wrong (here: by hand) are noticed: the view is read from the rows.
	var client int64
	if err := w.db.r.QueryRow(`SELECT client_id FROM ad_accounts WHERE id = '1'`).Scan(&client); err != nil {
		t.Fatal(err)
	}
	q := DashboardQuery{ClientID: client, LeadActionType: ActionLeadGrouped, Level: "campaign", CTXOnly: true,
		Since: "2026-10-10", Until: "2026-10-20", CompareSince: "2026-10-01", CompareUntil: "2026-10-09"}
	before, err := w.db.Dashboard(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.w.Exec(`UPDATE insights_ctx_days SET leads_grouped = leads_grouped + 3, spend_micros = spend_micros + 1 WHERE date = '2026-10-12'`); err != nil {
		t.Fatal(err)
	}
	after, err := w.db.Dashboard(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if after.Compare == nil || before.Compare == nil {
		t.Fatal("no comparison totals")
	}
	ac, bc := *after.Compare, *before.Compare
	after.Compare, before.Compare = nil, nil
	if got, want := fmt.Sprintf("%+v %+v", after, ac), fmt.Sprintf("%+v %+v", before, bc); got != want {
		t.Errorf("dashboard over wrong CTX days:\n got %s\nwant %s", got, want)
	}
}
