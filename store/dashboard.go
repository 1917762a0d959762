package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"
)

// DashboardQuery selects one dashboard view of a client.
type DashboardQuery struct {
	ClientID int64
	// LeadActionType is the client's lead definition; it picks the attributed-leads column.
	LeadActionType string
	// Level is the grain of the table: account, campaign or adset.
	Level string
	// CTXOnly keeps only CTX campaigns, at every level (an account's row is then the sum of its
	// CTX campaigns). Ignored in a drill-down, which shows the one campaign asked for.
	CTXOnly bool
	// CampaignID, when set, narrows everything to one campaign of the client (the drill-down);
	// Level must then be adset.
	CampaignID string
	// Since and Until bound the period (YYYY-MM-DD, inclusive).
	Since, Until string
	// CompareSince and CompareUntil bound the comparison period; empty for none.
	CompareSince, CompareUntil string
	// TopN bounds Dashboard.Top (10 when 0).
	TopN int
}

// CurrencyTotal is spend and attributed leads of the accounts in one currency: spend is only
// ever added up within a currency.
type CurrencyTotal struct {
	Currency        string // "" for accounts whose currency is not known yet
	SpendMicros     int64
	AttributedLeads int64
}

// Totals are a period's numbers.
type Totals struct {
	AttributedLeads int64
	LoggedLeads     int64
	Conversations   int64
	Impressions     int64
	Clicks          int64
	// Spend has one entry per currency with delivery, by currency code.
	Spend []CurrencyTotal
}

// SpendMicros is the total spend when every entry shares one currency; ok is false when the
// period has more than one currency (they must not be added).
func (t Totals) SpendMicros() (micros int64, currency string, ok bool) {
	switch len(t.Spend) {
	case 0:
		return 0, "", true
	case 1:
		return t.Spend[0].SpendMicros, t.Spend[0].Currency, true
	}
	return 0, "", false
}

// DayTotals are one date's numbers. Spend has one entry per Dashboard.Currencies, in order.
type DayTotals struct {
	Date            string
	AttributedLeads int64
	LoggedLeads     int64
	Conversations   int64
	Spend           []CurrencyTotal
}

// ObjectRow is one account, campaign or ad set with its numbers over the period. A row with an
// empty ID holds the logged leads that could not be attributed at its level in this view.
type ObjectRow struct {
	Level        string
	ID           string // the object's id at Level; "" for the unattributed row
	AccountID    string
	CampaignID   string // "" at account level
	AdSetID      string // "" above ad-set level
	Name         string // the object's name ("" when Meta never told us)
	CampaignName string
	AccountName  string
	Status       string // effective status; "" for accounts
	// IsCTX is the campaign's CTX flag for a campaign row and the ad set's own destination for
	// an ad-set row; for an account row it says whether the row counts only CTX campaigns.
	IsCTX           bool
	Currency        string
	SpendMicros     int64
	Impressions     int64
	Clicks          int64
	AttributedLeads int64
	Conversations   int64
	LoggedLeads     int64
}

// Dashboard is everything one dashboard view shows, read in one transaction so the tiles, the
// charts and the table agree.
type Dashboard struct {
	Status  ClientStatus
	Totals  Totals
	Compare *Totals // nil without a comparison period
	// Currencies lists every currency with delivery in the period, in order; DayTotals.Spend
	// follows it.
	Currencies []string
	// Days has one entry per date of the period, zero-filled.
	Days []DayTotals
	// Rows is the table: one row per object at Level with delivery or logged leads in the
	// period, by attributed leads, then ids; last, when not empty, the unattributed row.
	Rows []ObjectRow
	// Top is the campaigns (ad sets in a drill-down) with the most attributed leads.
	Top []ObjectRow
}

func validRange(since, until string) error {
	s, err := time.Parse(DateLayout, since)
	if err != nil {
		return invalid("since", "%q is not a date (YYYY-MM-DD)", since)
	}
	u, err := time.Parse(DateLayout, until)
	if err != nil {
		return invalid("until", "%q is not a date (YYYY-MM-DD)", until)
	}
	if u.Before(s) {
		return invalid("until", "%s is before since %s", until, since)
	}
	return nil
}

func dayAfter(date string) string {
	t, err := time.Parse(DateLayout, date)
	if err != nil {
		return ""
	}
	return t.AddDate(0, 0, 1).Format(DateLayout)
}

// dayAgg is one date's level-independent numbers, spend per currency.
type dayAgg struct {
	leads, convs, impressions, clicks, logged int64
	spend                                     map[string]*CurrencyTotal
}

// readDays reads a scope's level-independent numbers per date: insights by date and currency
// (insightsDays), logged leads by day (loggedDays).
func readDays(ctx context.Context, tx *sql.Tx, s factScope) (map[string]*dayAgg, error) {
	out, err := insightsDays(ctx, tx, s)
	if err != nil {
		return nil, err
	}
	logged, err := loggedDays(ctx, tx, s)
	if err != nil {
		return nil, err
	}
	addLogged(out, logged)
	return out, nil
}

// dayOf returns a date's entry of days, adding it when missing.
func dayOf(days map[string]*dayAgg, date string) *dayAgg {
	d := days[date]
	if d == nil {
		d = &dayAgg{spend: map[string]*CurrencyTotal{}}
		days[date] = d
	}
	return d
}

// addLogged adds logged leads per day to days.
func addLogged(days map[string]*dayAgg, logged map[string]int64) {
	for date, n := range logged {
		dayOf(days, date).logged += n
	}
}

// insightsDays reads a scope's insights per date and currency.
func insightsDays(ctx context.Context, tx *sql.Tx, s factScope) (map[string]*dayAgg, error) {
	out := map[string]*dayAgg{}
	iq, ia := insightsByDay(s)
	rows, err := tx.QueryContext(ctx, iq, ia...)
	if err != nil {
		return nil, fmt.Errorf("store: dashboard days: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var date, currency string
		var spend, impr, clicks, leads, convs int64
		if err := rows.Scan(&date, &currency, &spend, &impr, &clicks, &leads, &convs); err != nil {
			return nil, fmt.Errorf("store: dashboard days: %w", err)
		}
		d := dayOf(out, date)
		d.leads += leads
		d.convs += convs
		d.impressions += impr
		d.clicks += clicks
		c := d.spend[currency]
		if c == nil {
			c = &CurrencyTotal{Currency: currency}
			d.spend[currency] = c
		}
		c.SpendMicros += spend
		c.AttributedLeads += leads
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: dashboard days: %w", err)
	}
	return out, nil
}

// sumDays totals the dates since..until. Spend stays per currency; counts are added across
// currencies (a lead is a lead in any).
func sumDays(days map[string]*dayAgg, since, until string) Totals {
	var t Totals
	spend := map[string]*CurrencyTotal{}
	for date, d := range days {
		if date < since || date > until {
			continue
		}
		t.AttributedLeads += d.leads
		t.LoggedLeads += d.logged
		t.Conversations += d.convs
		t.Impressions += d.impressions
		t.Clicks += d.clicks
		for cur, c := range d.spend {
			s := spend[cur]
			if s == nil {
				s = &CurrencyTotal{Currency: cur}
				spend[cur] = s
			}
			s.SpendMicros += c.SpendMicros
			s.AttributedLeads += c.AttributedLeads
		}
	}
	for _, c := range spend {
		t.Spend = append(t.Spend, *c)
	}
	sort.Slice(t.Spend, func(i, j int) bool { return t.Spend[i].Currency < t.Spend[j].Currency })
	return t
}

// denseDays lists every date since..until, zero-filled, with spend aligned to currencies.
func denseDays(days map[string]*dayAgg, since, until string, currencies []string) ([]DayTotals, error) {
	dates, err := datesBetween(since, until)
	if err != nil {
		return nil, err
	}
	out := make([]DayTotals, len(dates))
	for i, date := range dates {
		out[i] = DayTotals{Date: date, Spend: make([]CurrencyTotal, len(currencies))}
		d := days[date]
		for j, cur := range currencies {
			out[i].Spend[j].Currency = cur
			if d != nil && d.spend[cur] != nil {
				out[i].Spend[j].SpendMicros = d.spend[cur].SpendMicros
				out[i].Spend[j].AttributedLeads = d.spend[cur].AttributedLeads
			}
		}
		if d != nil {
			out[i].AttributedLeads, out[i].LoggedLeads, out[i].Conversations = d.leads, d.logged, d.convs
		}
	}
	return out, nil
}

// ClientSummary is a client's level-independent numbers for a period: what the overview shows.
type ClientSummary struct {
	Status     ClientStatus
	Totals     Totals
	Currencies []string
	Days       []DayTotals
}

// Summaries reads the totals and days of several clients in one read transaction. Each query's
// Level, CampaignID, comparison and TopN are ignored.
func (db *DB) Summaries(ctx context.Context, qs []DashboardQuery) ([]ClientSummary, error) {
	out := make([]ClientSummary, len(qs))
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		for i, q := range qs {
			col, err := leadColumn(q.LeadActionType)
			if err != nil {
				return err
			}
			if err := validRange(q.Since, q.Until); err != nil {
				return err
			}
			s := factScope{clientID: q.ClientID, level: "account", ctxOnly: q.CTXOnly, since: q.Since, until: q.Until, leadCol: col}
			sum := &out[i]
			if sum.Status, err = clientStatus(ctx, tx, q.ClientID); err != nil {
				return err
			}
			days, err := readDays(ctx, tx, s)
			if err != nil {
				return err
			}
			sum.Totals = sumDays(days, q.Since, q.Until)
			for _, c := range sum.Totals.Spend {
				sum.Currencies = append(sum.Currencies, c.Currency)
			}
			if sum.Days, err = denseDays(days, q.Since, q.Until, sum.Currencies); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}
