package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Upgrades: for every earlier schema version, a database is made by that version's migrations,
// filled with rows in every table it has, and opened by this binary (which migrates it to the
// latest version). Every row must survive with every value it had, and the read paths people
// use must work on the result. A new migration is tested from every version before it without
// touching this file; a new table fails TestUpgradeFromEveryVersion until upgradeFixture gives
// it rows.

// upgradeFixture gives every table representative rows, in foreign-key order. Statements name
// their columns, so a table's later columns take their defaults.
var upgradeFixture = []struct {
	table string
	rows  []string
}{
	{"clients", []string{
		`INSERT INTO clients (id, slug, name, timezone, lead_action_type, brand_name, logo, logo_type, created_at, updated_at)
		 VALUES (1, 'acme', 'Acme Dental', 'UTC', 'onsite_conversion.lead_grouped', 'Acme', X'89504E47', 'image/png', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z')`,
		`INSERT INTO clients (id, slug, name, archived_at, created_at, updated_at)
		 VALUES (2, 'old-co', 'Old Co', '2026-02-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z')`}},
	{"ad_accounts", []string{
		`INSERT INTO ad_accounts (id, client_id, name, currency, timezone_name, token_enc, last_success_at, last_error, last_error_at, created_at)
		 VALUES ('101', 1, 'Acme – Main', 'USD', 'UTC', X'0102', '2026-03-02T10:00:00.000Z', 'old error', '2026-03-01T10:00:00.000Z', '2026-01-01T00:00:00.000Z')`}},
	{"pages", []string{`INSERT INTO pages (id, client_id, name, created_at) VALUES ('111', 1, 'Acme page', '2026-01-01T00:00:00.000Z')`}},
	{"campaigns", []string{
		`INSERT INTO campaigns (id, account_id, name, objective, status, effective_status, is_ctx, updated_at)
		 VALUES ('c1', '101', 'CTM spring', 'MESSAGES', 'ACTIVE', 'ACTIVE', 1, '2026-03-02T10:00:00.000Z')`}},
	{"adsets", []string{
		`INSERT INTO adsets (id, account_id, campaign_id, name, destination_type, optimization_goal, status, effective_status, is_ctx, updated_at)
		 VALUES ('s1', '101', 'c1', 'Messenger 25-40', 'MESSENGER', 'CONVERSATIONS', 'ACTIVE', 'ACTIVE', 1, '2026-03-02T10:00:00.000Z')`}},
	{"ads", []string{
		`INSERT INTO ads (id, account_id, adset_id, campaign_id, name, status, updated_at)
		 VALUES ('a1', '101', 's1', 'c1', 'Ad one', 'ACTIVE', '2026-03-02T10:00:00.000Z')`}},
	{"insights_daily", []string{
		`INSERT INTO insights_daily (account_id, level, date, object_id, campaign_id, adset_id, spend_micros, impressions, clicks,
		 leads_grouped, leads_all, leads_pixel, conversations_started, first_replies, messaging_connections, link_clicks, actions, fetched_at)
		 VALUES ('101', 'account', '2026-03-01', '101', '', '', 14350000, 185, 9, 2, 2, 0, 4, 3, 5, 8,
		 '{"lead":2,"onsite_conversion.lead_grouped":2,"onsite_conversion.messaging_conversation_started_7d":4}', '2026-03-02T10:00:00.000Z')`,
		`INSERT INTO insights_daily (account_id, level, date, object_id, campaign_id, adset_id, spend_micros, impressions, clicks,
		 leads_grouped, leads_all, conversations_started, actions, fetched_at)
		 VALUES ('101', 'campaign', '2026-03-01', 'c1', 'c1', '', 14350000, 185, 9, 2, 2, 4,
		 '{"lead":2,"onsite_conversion.lead_grouped":2,"onsite_conversion.messaging_conversation_started_7d":4}', '2026-03-02T10:00:00.000Z')`,
		`INSERT INTO insights_daily (account_id, level, date, object_id, campaign_id, adset_id, spend_micros, impressions, clicks,
		 leads_grouped, leads_all, conversations_started, actions, fetched_at)
		 VALUES ('101', 'adset', '2026-03-01', 's1', 'c1', 's1', 14350000, 185, 9, 2, 2, 4,
		 '{"lead":2,"onsite_conversion.lead_grouped":2,"onsite_conversion.messaging_conversation_started_7d":4}', '2026-03-02T10:00:00.000Z')`}},
	{"insights_cum", []string{
		`INSERT INTO insights_cum (object_id, level, account_id, date, spend_micros, impressions, clicks, conversations_started,
		 leads_grouped, leads_all, leads_pixel, first_replies, messaging_connections)
		 VALUES ('101', 'account', '101', '2026-03-01', 14350000, 185, 9, 4, 2, 2, 0, 3, 5)`,
		`INSERT INTO insights_cum (object_id, level, account_id, date, spend_micros, impressions, clicks, conversations_started,
		 leads_grouped, leads_all, leads_pixel, first_replies, messaging_connections)
		 VALUES ('c1', 'campaign', '101', '2026-03-01', 14350000, 185, 9, 4, 2, 2, 0, 0, 0)`,
		`INSERT INTO insights_cum (object_id, level, account_id, date, spend_micros, impressions, clicks, conversations_started,
		 leads_grouped, leads_all, leads_pixel, first_replies, messaging_connections)
		 VALUES ('s1', 'adset', '101', '2026-03-01', 14350000, 185, 9, 4, 2, 2, 0, 0, 0)`}},
	{"insights_cum_stale", []string{
		`INSERT INTO insights_cum_stale (account_id, level, from_date) VALUES ('101', 'adset', '2026-03-02')`}},
	{"insights_ctx_days", []string{
		`INSERT INTO insights_ctx_days (account_id, date, spend_micros, impressions, clicks, conversations_started,
		 leads_grouped, leads_all, leads_pixel, first_replies, messaging_connections)
		 VALUES ('101', '2026-03-01', 14350000, 185, 9, 4, 2, 2, 0, 0, 0)`}},
	{"insight_days", []string{
		`INSERT INTO insight_days (account_id, level, date, fetched_at, run_id) VALUES ('101', 'account', '2026-03-01', '2026-03-02T10:00:00.000Z', 1)`,
		`INSERT INTO insight_days (account_id, level, date, fetched_at, run_id) VALUES ('101', 'campaign', '2026-03-01', '2026-03-02T10:00:00.000Z', 1)`,
		`INSERT INTO insight_days (account_id, level, date, fetched_at, run_id) VALUES ('101', 'adset', '2026-03-01', '2026-03-02T10:00:00.000Z', 1)`}},
	{"referrals", []string{
		`INSERT INTO referrals (id, client_id, page_id, psid, ad_id, source, type, referred_at, received_at)
		 VALUES (1, 1, '111', '9001', 'a1', 'ADS', 'OPEN_THREAD', '2026-02-28T09:00:00.000Z', '2026-02-28T09:00:01.000Z')`}},
	{"lead_events", []string{
		`INSERT INTO lead_events (id, client_id, page_id, psid, event_name, value, currency, params, event_time, event_day, received_at, idem_key, ad_id, attribution, referral_id, request_meta)
		 VALUES (1, 1, '111', '9001', 'lead_submitted', '12.5', 'USD', '{"form":"quote"}', '2026-03-01T12:00:00.000Z', '2026-03-01', '2026-03-01T12:00:01.000Z', 'lead-1', 'a1', 'event', NULL, '{"logging_source":"messenger_bot"}')`,
		`INSERT INTO lead_events (id, client_id, page_id, psid, event_name, event_time, event_day, received_at, idem_key, ad_id, attribution, referral_id)
		 VALUES (2, 1, '111', '9001', 'lead_submitted', '2026-03-01T13:00:00.000Z', '2026-03-01', '2026-03-01T13:00:01.000Z', 'lead-2', 'a1', 'referral', 1)`,
		`INSERT INTO lead_events (id, client_id, page_id, psid, event_name, event_time, event_day, received_at)
		 VALUES (3, 1, '111', '9002', 'lead_submitted', '2026-03-01T14:00:00.000Z', '2026-03-01', '2026-03-01T14:00:01.000Z')`}},
	// Counts of the events above. From version 6 on the events' triggers have made them
	// already, so the rows are written as upserts of the same values.
	{"lead_counts", []string{
		`INSERT INTO lead_counts (client_id, ad_id, event_day, n) VALUES (1, 'a1', '2026-03-01', 2)
		 ON CONFLICT (client_id, ad_id, event_day) DO UPDATE SET n = excluded.n`,
		`INSERT INTO lead_counts (client_id, ad_id, event_day, n) VALUES (1, '', '2026-03-01', 1)
		 ON CONFLICT (client_id, ad_id, event_day) DO UPDATE SET n = excluded.n`}},
	{"lead_day_counts", []string{
		`INSERT INTO lead_day_counts (client_id, event_day, n) VALUES (1, '2026-03-01', 3)
		 ON CONFLICT (client_id, event_day) DO UPDATE SET n = excluded.n`}},
	{"forwarding", []string{
		`INSERT INTO forwarding (client_id, mode, dataset_id, app_id, token_enc, stopped_at, stopped_reason, updated_at)
		 VALUES (1, 'capi', '555', '', X'0304', '2026-03-01T15:00:00.000Z', 'token expired', '2026-03-01T15:00:00.000Z')`}},
	{"outbox", []string{
		`INSERT INTO outbox (event_id, client_id, mode, status, attempts, next_attempt_at, last_error, response, sent_at, updated_at)
		 VALUES (1, 1, 'capi', 'sent', 1, '2026-03-01T12:00:02.000Z', '', '{"events_received":1}', '2026-03-01T12:00:03.000Z', '2026-03-01T12:00:03.000Z')`,
		`INSERT INTO outbox (event_id, client_id, mode, next_attempt_at, updated_at) VALUES (2, 1, 'capi', '2026-03-01T13:00:02.000Z', '2026-03-01T13:00:02.000Z')`}},
	{"collector_runs", []string{
		`INSERT INTO collector_runs (id, trigger, started_by, scope_client_id, scope_account_id, since, until, status, api_version, graph_calls, rows_written, throttle_wait_ms, error, started_at, finished_at)
		 VALUES (1, 'schedule', 'schedule', NULL, '', '', '', 'succeeded', 'v21.0', 12, 3, 0, '', '2026-03-02T10:00:00.000Z', '2026-03-02T10:00:05.000Z')`}},
	{"run_accounts", []string{
		`INSERT INTO run_accounts (run_id, account_id, status, step, since, until, graph_calls, rows_written, throttle_wait_ms, error, error_code, advice, started_at, finished_at)
		 VALUES (1, '101', 'succeeded', 'done', '2026-02-02', '2026-03-02', 12, 3, 0, '', 0, '', '2026-03-02T10:00:00.000Z', '2026-03-02T10:00:05.000Z')`}},
	{"users", []string{
		`INSERT INTO users (id, email, password_hash, role, client_id, created_at, last_login_at) VALUES (1, 'ann@example.com', '$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA', 'admin', NULL, '2026-01-01T00:00:00.000Z', '2026-03-01T08:00:00.000Z')`,
		`INSERT INTO users (id, email, password_hash, role, client_id, created_at) VALUES (2, 'owner@acme.example', '$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA', 'viewer', 1, '2026-01-01T00:00:00.000Z')`}},
	{"sessions", []string{`INSERT INTO sessions (token_hash, data, expires_at) VALUES ('abc123', X'00FF', '2026-03-03T00:00:00.000Z')`}},
	{"share_links", []string{
		`INSERT INTO share_links (id, client_id, label, prefix, token_hash, password_hash, expires_at, range_mode, range_since, range_until, allow_embed, view_count, last_viewed_at, created_by, created_at, revoked_at)
		 VALUES (1, 1, 'owner', 'lls_abcdef', 'deadbeef', '', '2026-12-31T00:00:00.000Z', 'bounded', '2026-01-01', '2026-12-31', 1, 4, '2026-03-01T09:00:00.000Z', 'ann@example.com', '2026-01-05T00:00:00.000Z', NULL)`}},
	{"api_keys", []string{
		`INSERT INTO api_keys (id, client_id, name, prefix, key_hash, created_by, created_at, last_used_at, revoked_at)
		 VALUES (1, 1, 'bot', 'llk_abcdef', 'cafebabe', 'ann@example.com', '2026-01-05T00:00:00.000Z', '2026-03-01T12:00:01.000Z', NULL)`}},
	{"settings", []string{`INSERT INTO settings (key, value, updated_at) VALUES ('meta_token', X'0506', '2026-01-05T00:00:00.000Z')`}},
	{"backups", []string{
		`INSERT INTO backups (id, path, trigger, status, size_bytes, schema_version, error, started_at, finished_at)
		 VALUES (1, '/var/lib/leadlens/backups/leadlens-20260301T033000Z.db', 'schedule', 'succeeded', 123456, 1, '', '2026-03-01T03:30:00.000Z', '2026-03-01T03:30:02.000Z')`}},
	{"insights_staging", []string{
		`INSERT INTO insights_staging (load_id, level, date, object_id, campaign_id, spend_micros, actions) VALUES (1, 'campaign', '2026-03-02', 'c1', 'c1', 100, '{}')`}},
	{"insights_loads", []string{
		`INSERT INTO insights_loads (id, account_id, since, until, started_at) VALUES (1, '101', '2026-03-02', '2026-03-02', '2026-03-02T11:00:00.000Z')`}},
}

// openAtVersion makes a database at path with the migrations up to version v applied, and
// returns a plain connection to it (no Leadlens code between the test and the file).
func openAtVersion(t *testing.T, path string, v int64) *sql.DB {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, path, Options{NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.provider()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, v); err != nil {
		t.Fatalf("migrating up to %d: %v", v, err)
	}
	if got, err := db.appliedVersion(ctx, db.w); err != nil || got != v {
		t.Fatalf("database at version %d: got %d %v", v, got, err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	return raw
}

// userTables lists the tables of a database other than SQLite's and goose's own.
func userTables(t *testing.T, q queryer) []string {
	t.Helper()
	rows, err := q.QueryContext(context.Background(),
		`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// tableDump is a table's rows as text, one string per row, sorted, over the given columns.
func tableDump(t *testing.T, q queryer, table string, cols []string) ([]string, []string) {
	t.Helper()
	sel := "*"
	if cols != nil {
		sel = `"` + strings.Join(cols, `", "`) + `"`
	}
	rows, err := q.QueryContext(context.Background(), `SELECT `+sel+` FROM "`+table+`"`)
	if err != nil {
		t.Fatalf("reading %s: %v", table, err)
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = fmt.Sprintf("%s=%T:%v", names[i], v, v)
		}
		out = append(out, strings.Join(parts, " | "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return names, out
}

func TestUpgradeFromEveryVersion(t *testing.T) {
	latest := LatestSchemaVersion()
	if latest < 2 {
		t.Skip("only one schema version: nothing to upgrade from")
	}
	for v := int64(1); v < latest; v++ {
		t.Run(fmt.Sprintf("from_%d", v), func(t *testing.T) {
			ctx := context.Background()
			path := t.TempDir() + "/ll.db"
			raw := openAtVersion(t, path, v)
			tables := userTables(t, raw)
			for _, f := range upgradeFixture {
				if !slices.Contains(tables, f.table) {
					continue
				}
				for _, stmt := range f.rows {
					if _, err := raw.ExecContext(ctx, stmt); err != nil {
						t.Fatalf("fixture row of %s at version %d: %v", f.table, v, err)
					}
				}
			}
			before := map[string][]string{}
			cols := map[string][]string{}
			for _, table := range tables {
				cols[table], before[table] = tableDump(t, raw, table, nil)
				if len(before[table]) == 0 {
					t.Fatalf("table %s exists at version %d but upgradeFixture gives it no rows: add some", table, v)
				}
			}
			raw.Close()

			db, err := Open(ctx, path, Options{})
			if err != nil {
				t.Fatalf("opening a version %d database with this binary: %v", v, err)
			}
			defer db.Close()
			if cur, _, err := db.SchemaVersion(ctx); err != nil || cur != latest {
				t.Fatalf("schema after the upgrade: got %d %v, want %d", cur, err, latest)
			}
			for _, table := range tables {
				_, after := tableDump(t, db.w, table, cols[table])
				if !slices.Equal(after, before[table]) {
					t.Errorf("table %s after upgrading from %d:\n got %q\nwant %q", table, v, after, before[table])
				}
			}
			checkReadPaths(t, db)
			// Derived tables are rebuilt from the rows they derive from.
			checkRunningTotals(t, db, fmt.Sprintf("after upgrading from %d", v))
			checkLeadCounts(t, db, fmt.Sprintf("after upgrading from %d", v))
			checkCTXDays(t, db, fmt.Sprintf("after upgrading from %d", v))
		})
	}
}

// checkReadPaths reads the fixture through what people use: a dashboard and an export.
func checkReadPaths(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	d, err := db.Dashboard(ctx, DashboardQuery{ClientID: 1, LeadActionType: ActionLeadGrouped, Level: "campaign", CTXOnly: true,
		Since: "2026-03-01", Until: "2026-03-01"})
	if err != nil {
		t.Fatalf("dashboard on the upgraded database: %v", err)
	}
	spend, cur, ok := d.Totals.SpendMicros()
	if d.Totals.AttributedLeads != 2 || d.Totals.LoggedLeads != 3 || d.Totals.Conversations != 4 || !ok || spend != 14350000 || cur != "USD" {
		t.Errorf("dashboard totals: got %+v, want 2 attributed, 3 logged, 4 conversations, 14.35 USD", d.Totals)
	}
	if len(d.Rows) == 0 || d.Rows[0].ID != "c1" || d.Rows[0].Name != "CTM spring" || d.Rows[0].LoggedLeads != 2 {
		t.Errorf("dashboard rows: got %+v, want campaign c1 'CTM spring' first with its 2 attributed logged leads", d.Rows)
	}
	var rows []ExportRow
	err = db.ExportRows(ctx, ExportQuery{ClientID: 1, LeadActionType: ActionLeadGrouped, Level: "adset", Since: "2026-03-01", Until: "2026-03-01"},
		func(r ExportRow) error { rows = append(rows, r); return nil })
	if err != nil {
		t.Fatalf("export on the upgraded database: %v", err)
	}
	var logged, leads, micros int64
	for _, r := range rows {
		logged += r.LoggedLeads
		leads += r.AttributedLeads
		micros += r.SpendMicros
	}
	if logged != 3 || leads != 2 || micros != 14350000 {
		t.Errorf("export rows: got %+v, want 3 logged and 2 attributed leads, 14350000 micros", rows)
	}
}
