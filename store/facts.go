package store

// The dashboard's aggregates are SQL over two kinds of daily rows: insights_daily (what Meta
// attributed) and lead_events (what the bot logged). Each builder below returns a subquery with
// the same columns,
//
//	date, account_id, campaign_id, adset_id, spend, impressions, clicks, leads, convs, logged
//
// already reduced to the chosen level: ids deeper than the level are ''. Callers group their
// UNION ALL by the ids (the table), by the date (the charts) or by both (the CSV).
//
// Only fixed SQL fragments and whitelisted column names (leadColumn) reach the text; every value
// is a parameter. Joins written "a CROSS JOIN b WHERE …" fix the loop order in SQLite (an inner
// join everywhere else): the outer table decides which index the inner one is read through.
// Object ids are Meta's, unique across accounts, so the object id alone finds an object's rows
// (adding the account id would steer SQLite to the primary key and a full range per object).

// factScope selects the rows of one view.
type factScope struct {
	clientID   int64
	level      string // account, campaign, adset: the grain of the ids
	ctxOnly    bool   // only CTX campaigns (campaign-based at every level)
	campaignID string // drill-down: only this campaign ("" for the whole client)
	since      string
	until      string
	leadCol    string // a column name from leadColumn, never user text
	byDate     bool   // keep the date (charts, CSV); '' otherwise
	// ctxDays reads a CTX-only view's days from insights_ctx_days; the table must then add up
	// to them (tableRows answers errRecheck when it does not).
	ctxDays bool
}

const clientAccounts = `(SELECT id FROM ad_accounts WHERE client_id = ?)`

// numbers is the insights columns every fact carries, for a lead column.
func numbers(leadCol string) string {
	return `i.spend_micros AS spend, i.impressions AS impressions, i.clicks AS clicks, i.` + leadCol + ` AS leads,
		i.conversations_started AS convs, 0 AS logged`
}

// insightsRows selects the attributed side row by row from the primary key (account, level,
// date). It reads objects Meta reported but that are missing from the campaigns and ad sets
// tables too, so it is the reference: the CSV uses it, and the table falls back to it.
func insightsRows(s factScope) (string, []any) {
	date := "''"
	if s.byDate {
		date = "i.date"
	}
	source := s.level
	if source == "account" && (s.ctxOnly || s.campaignID != "") {
		// An account's CTX numbers are the sums of its CTX campaigns' rows.
		source = "campaign"
	}
	// The campaign of a campaign-level row is the row's object.
	campCol := "i.campaign_id"
	if source == "campaign" {
		campCol = "i.object_id"
	}
	campaign, adset := "''", "''"
	switch s.level {
	case "campaign":
		campaign = campCol
	case "adset":
		campaign, adset = campCol, "i.object_id"
	}
	q := `SELECT ` + date + ` AS date, i.account_id AS account_id, ` + campaign + ` AS campaign_id, ` + adset + ` AS adset_id, ` +
		numbers(s.leadCol) + `
		FROM insights_daily i WHERE i.account_id IN ` + clientAccounts + ` AND i.level = ? AND i.date BETWEEN ? AND ?`
	args := []any{s.clientID, source, s.since, s.until}
	switch {
	case s.campaignID != "":
		q += ` AND ` + campCol + ` = ?`
		args = append(args, s.campaignID)
	case s.ctxOnly:
		q += ` AND ` + campCol + ` IN (SELECT id FROM campaigns WHERE is_ctx = 1 AND account_id IN ` + clientAccounts + `)`
		args = append(args, s.clientID)
	}
	return q, args
}

// insightsByObject sums the attributed side per object over the period, with the object's
// name, status and CTX flag, driven from the objects tables in id order: each object's sums are
// the difference of two running totals of insights_cum (see cumulative.go), so the cost does not
// grow with the period's length, and rows follow the loop, so SQLite needs no sort.
// Objects missing from the campaigns or ad sets tables are not seen, nor would running totals
// that went wrong be; tableRows checks the sums against the period's totals (read from
// insights_daily) and falls back to insightsRows when they differ.
//
// Columns: account_id, campaign_id, adset_id, name, status, is_ctx, campaign_name (empty for ad
// sets: tableRows names their campaigns), spend, impressions, clicks, leads, convs. Grouping by
// a primary key and reading the columns that depend on it is standard SQL.
func insightsByObject(s factScope) (string, []any) {
	if s.level == "adset" {
		// Ad sets in (account, id) order, the campaign filter checked per ad set: a loop over
		// campaigns, then their ad sets, would make SQLite sort the rows again.
		q := `SELECT o.account_id, o.campaign_id, o.id, o.name, o.effective_status, o.is_ctx, '', ` + cumSums(s.leadCol, false) + `
			FROM adsets o` + cumObject("o.id", "o.account_id", "adset") + `
			WHERE o.account_id IN ` + clientAccounts
		args := []any{s.since, s.clientID}
		switch {
		case s.campaignID != "":
			q += ` AND o.campaign_id = ?`
			args = append(args, s.campaignID)
		case s.ctxOnly:
			q += ` AND o.campaign_id IN (SELECT id FROM campaigns WHERE is_ctx = 1)`
		}
		return q + cumWhere("o.id", "o.account_id", "adset"), append(args, s.until, s.since)
	}
	campaigns := ` c.account_id IN ` + clientAccounts
	args := []any{s.since, s.clientID}
	switch {
	case s.campaignID != "":
		campaigns += ` AND c.id = ?`
		args = append(args, s.campaignID)
	case s.ctxOnly:
		campaigns += ` AND c.is_ctx = 1`
	}
	args = append(args, s.until, s.since)
	switch {
	case s.level == "campaign":
		return `SELECT c.account_id, c.id, '', c.name, c.effective_status, c.is_ctx, c.name, ` + cumSums(s.leadCol, false) + `
			FROM campaigns c` + cumObject("c.id", "c.account_id", "campaign") + `
			WHERE` + campaigns + cumWhere("c.id", "c.account_id", "campaign"), args
	case s.ctxOnly || s.campaignID != "":
		// An account's CTX numbers are the sums of its CTX campaigns' rows.
		return `SELECT c.account_id, '', '', '', '', 1, '', ` + cumSums(s.leadCol, true) + `
			FROM campaigns c` + cumObject("c.id", "c.account_id", "campaign") + `
			WHERE` + campaigns + cumWhere("c.id", "c.account_id", "campaign") + `
			GROUP BY c.account_id`, args
	}
	return `SELECT o.id, '', '', '', '', 0, '', ` + cumSums(s.leadCol, false) + `
		FROM ad_accounts o` + cumObject("o.id", "o.id", "account") + `
		WHERE o.client_id = ?` + cumWhere("o.id", "o.id", "account"), []any{s.since, s.clientID, s.until, s.since}
}

// insightsByDay sums the level-independent numbers per date and currency: the account rows, or
// with CTX-only the CTX campaigns' rows, or in a drill-down the campaign's own rows. So the
// tiles and charts do not change when the table's level does.
func insightsByDay(s factScope) (string, []any) {
	cols := `i.date AS date, a.currency AS currency, SUM(i.spend_micros) AS spend, SUM(i.impressions) AS impressions,
		SUM(i.clicks) AS clicks, SUM(i.` + s.leadCol + `) AS leads, SUM(i.conversations_started) AS convs`
	period := ` AND i.date BETWEEN ? AND ? GROUP BY i.date, a.currency`
	switch {
	case s.ctxDays && s.ctxOnly && s.campaignID == "":
		return ctxDaysByDay(s)
	case s.campaignID != "":
		return `SELECT ` + cols + ` FROM ad_accounts a CROSS JOIN campaigns c CROSS JOIN insights_daily i
			WHERE a.client_id = ? AND c.account_id = a.id AND c.id = ?
			AND i.object_id = c.id AND i.level = 'campaign'` + period,
			[]any{s.clientID, s.campaignID, s.since, s.until}
	case s.ctxOnly:
		return `SELECT ` + cols + ` FROM ad_accounts a CROSS JOIN campaigns c CROSS JOIN insights_daily i
			WHERE a.client_id = ? AND c.account_id = a.id AND c.is_ctx = 1
			AND i.object_id = c.id AND i.level = 'campaign'` + period,
			[]any{s.clientID, s.since, s.until}
	default:
		return `SELECT ` + cols + ` FROM ad_accounts a CROSS JOIN insights_daily i
			WHERE a.client_id = ? AND i.account_id = a.id AND i.level = 'account'` + period,
			[]any{s.clientID, s.since, s.until}
	}
}

// loggedEvents is the filter of the logged leads a view counts: the client's lead_submitted
// events by event_day (already in the client's timezone) — in a drill-down only those whose ad
// belongs to the campaign.
func loggedEvents(s factScope) (string, []any) {
	q := `e.client_id = ? AND e.event_name = 'lead_submitted' AND e.event_day BETWEEN ? AND ?`
	args := []any{s.clientID, s.since, s.until}
	if s.campaignID != "" {
		q += ` AND e.ad_id IN (SELECT id FROM ads WHERE campaign_id = ? AND account_id IN ` + clientAccounts + `)`
		args = append(args, s.campaignID, s.clientID)
	}
	return q, args
}

// loggedByDay counts the logged leads of a view per day from the events themselves: the
// reference for loggedCountsByDay.
func loggedByDay(s factScope) (string, []any) {
	where, args := loggedEvents(s)
	return `SELECT e.event_day, count(*) FROM lead_events e WHERE ` + where + ` GROUP BY e.event_day`, args
}

// loggedTotal counts the logged leads of a view from the events, without grouping: what the
// counts read by loggedCountsByDay must add up to.
func loggedTotal(s factScope) (string, []any) {
	where, args := loggedEvents(s)
	return `SELECT count(*) FROM lead_events e WHERE ` + where, args
}

// loggedCountsByDay reads the logged leads of a view per day from the counts the lead_events
// triggers keep (migration 00006): one row per day, or in a drill-down one per ad of the
// campaign and day.
func loggedCountsByDay(s factScope) (string, []any) {
	if s.campaignID != "" {
		return `SELECT l.event_day, SUM(l.n) FROM ads d CROSS JOIN lead_counts l
			WHERE d.campaign_id = ? AND d.account_id IN ` + clientAccounts + `
			AND l.client_id = ? AND l.ad_id = d.id AND l.event_day BETWEEN ? AND ?
			GROUP BY l.event_day`, []any{s.campaignID, s.clientID, s.clientID, s.since, s.until}
	}
	return `SELECT event_day, n FROM lead_day_counts WHERE client_id = ? AND event_day BETWEEN ? AND ?`,
		[]any{s.clientID, s.since, s.until}
}

// loggedCountsByObject reads the attributed logged leads of a view per object at its level
// from the counts per ad, driven from the client's ads in (account, campaign, ad set) order so
// the groups follow the loop and need no sort: each ad's days are one range of lead_counts.
// Only ads that are known, of the client's accounts and — in a CTX-only view — of a CTX
// campaign count, as in loggedFact; what is not attributed is the period's total minus these.
func loggedCountsByObject(s factScope) (string, []any) {
	cols, group := "d.account_id, '', ''", "d.account_id"
	switch s.level {
	case "campaign":
		cols, group = "d.account_id, d.campaign_id, ''", "d.account_id, d.campaign_id"
	case "adset":
		cols, group = "d.account_id, d.campaign_id, d.adset_id", "d.account_id, d.campaign_id, d.adset_id"
	}
	q := `SELECT ` + cols + `, SUM(l.n) FROM ads d CROSS JOIN lead_counts l
		WHERE d.account_id IN ` + clientAccounts
	args := []any{s.clientID}
	switch {
	case s.campaignID != "":
		q += ` AND d.campaign_id = ?`
		args = append(args, s.campaignID)
	case s.ctxOnly:
		q += ` AND d.campaign_id IN (SELECT id FROM campaigns WHERE is_ctx = 1)`
	}
	return q + ` AND l.client_id = ? AND l.ad_id = d.id AND l.event_day BETWEEN ? AND ?
		GROUP BY ` + group, append(args, s.clientID, s.since, s.until)
}

// loggedFact selects the logged side, counted per ad first (so each ad is resolved once), then
// resolved lazily through the ads table to the ids of the chosen level. An event is attributed
// when its ad is known, belongs to one of the client's accounts and — in a CTX-only view — to a
// CTX campaign; otherwise it lands on the row with empty ids, so the logged column always adds
// up to every logged lead of the view.
func loggedFact(s factScope) (string, []any) {
	date, group := "''", "e.ad_id"
	if s.byDate {
		date, group = "e.event_day", "e.event_day, e.ad_id"
	}
	ok := "d.id IS NOT NULL"
	join := ""
	if s.ctxOnly && s.campaignID == "" {
		ok += " AND c.is_ctx = 1"
		join = " LEFT JOIN campaigns c ON c.id = d.campaign_id"
	}
	account := "CASE WHEN " + ok + " THEN d.account_id ELSE '' END"
	campaign, adset := "''", "''"
	if s.level == "campaign" || s.level == "adset" {
		campaign = "CASE WHEN " + ok + " THEN d.campaign_id ELSE '' END"
	}
	if s.level == "adset" {
		adset = "CASE WHEN " + ok + " THEN d.adset_id ELSE '' END"
	}
	where, args := loggedEvents(s)
	q := `SELECT g.date AS date, ` + account + ` AS account_id, ` + campaign + ` AS campaign_id, ` + adset + ` AS adset_id,
		0 AS spend, 0 AS impressions, 0 AS clicks, 0 AS leads, 0 AS convs, g.n AS logged
		FROM (SELECT ` + date + ` AS date, e.ad_id AS ad_id, count(*) AS n FROM lead_events e WHERE ` + where + `
			GROUP BY ` + group + `) g
		LEFT JOIN ads d ON d.id = g.ad_id AND g.ad_id <> '' AND d.account_id IN ` + clientAccounts + join
	return q, append(args, s.clientID)
}

// sums is the aggregate column list every grouping of the facts reads.
const sums = `SUM(spend) AS spend, SUM(impressions) AS impressions, SUM(clicks) AS clicks, SUM(leads) AS leads,
	SUM(convs) AS convs, SUM(logged) AS logged`
