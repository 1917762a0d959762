package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Level is an insights aggregation level, spelled as the Graph API spells it.
type Level string

// The levels Leadlens reads.
const (
	LevelAccount  Level = "account"
	LevelCampaign Level = "campaign"
	LevelAdSet    Level = "adset"
)

// InsightsFields is the fields parameter of every insights request (graph-api.md).
const InsightsFields = "account_id,account_currency,campaign_id,campaign_name,adset_id,adset_name,spend,impressions,clicks,actions,date_start,date_stop"

// DefaultStatuses returns the ad.effective_status values sent when InsightsQuery.Statuses is
// empty: every status, because once any filter is sent Meta hides non-active objects unless told.
func DefaultStatuses() []string {
	return []string{"ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "CAMPAIGN_PAUSED", "ADSET_PAUSED", "IN_PROCESS", "WITH_ISSUES"}
}

// InsightsQuery selects daily insight rows (time_increment=1) of one ad account.
type InsightsQuery struct {
	Level Level
	// Since and Until are inclusive calendar dates "YYYY-MM-DD" in the ad account's timezone;
	// Day formats a time.Time.
	Since, Until string
	Limit        int      // rows per page; default DefaultPageLimit
	Statuses     []string // ad.effective_status filter; default DefaultStatuses()
}

// Day formats t's calendar date (in t's own location) as "YYYY-MM-DD".
func Day(t time.Time) string { return t.Format(time.DateOnly) }

// InsightRow is one object's numbers for one day. Absent numbers are zero; a row without an
// "actions" key has no Actions.
type InsightRow struct {
	AccountID       string // numeric, without act_
	AccountCurrency string
	CampaignID      string // empty at account level
	CampaignName    string
	AdSetID         string // empty at account and campaign level
	AdSetName       string
	DateStart       string // "YYYY-MM-DD" in the account's timezone
	DateStop        string // equals DateStart with time_increment=1
	Spend           string // Meta's decimal string, as sent ("" when absent)
	SpendMicros     int64  // Spend exactly, in millionths of the account currency
	Impressions     int64
	Clicks          int64
	Actions         []Action // in Meta's order; nil when the row had no actions
}

// Action is one action type's count on a row.
type Action struct {
	Type  string // e.g. "onsite_conversion.lead_grouped"
	Value int64  // the count; a decimal value is rounded half up
	Raw   string // Meta's value string, as sent
}

// ActionValue returns the count of actionType on the row, 0 when absent.
func (r InsightRow) ActionValue(actionType string) int64 {
	var v int64
	for _, a := range r.Actions {
		if a.Type == actionType {
			v += a.Value
		}
	}
	return v
}

type wireInsight struct {
	AccountID       numString    `json:"account_id"`
	AccountCurrency string       `json:"account_currency"`
	CampaignID      numString    `json:"campaign_id"`
	CampaignName    string       `json:"campaign_name"`
	AdSetID         numString    `json:"adset_id"`
	AdSetName       string       `json:"adset_name"`
	Spend           numString    `json:"spend"`
	Impressions     numString    `json:"impressions"`
	Clicks          numString    `json:"clicks"`
	Actions         []wireAction `json:"actions"`
	DateStart       string       `json:"date_start"`
	DateStop        string       `json:"date_stop"`
}

type wireAction struct {
	ActionType string    `json:"action_type"`
	Value      numString `json:"value"`
}

// convertInsight turns a wire row into an InsightRow; i is its index on the page.
func convertInsight(i int, w wireInsight) (InsightRow, error) {
	r := InsightRow{
		AccountID: trimAct(w.AccountID.s), AccountCurrency: w.AccountCurrency,
		CampaignID: w.CampaignID.s, CampaignName: w.CampaignName, AdSetID: w.AdSetID.s, AdSetName: w.AdSetName,
		DateStart: w.DateStart, DateStop: w.DateStop, Spend: w.Spend.s,
	}
	fail := func(field string, err error) error {
		obj := r.AdSetID
		if obj == "" {
			obj = r.CampaignID
		}
		if obj == "" {
			obj = r.AccountID
		}
		return &Error{Kind: KindDecode, Field: field,
			Message: fmt.Sprintf("insights row %d (object %s, %s): field %q: %v", i+1, obj, r.DateStart, field, err)}
	}
	if _, err := time.Parse(time.DateOnly, r.DateStart); err != nil {
		return r, fail("date_start", fmt.Errorf("not a YYYY-MM-DD date: %q", truncate(r.DateStart, 40)))
	}
	if r.DateStop == "" {
		r.DateStop = r.DateStart
	} else if _, err := time.Parse(time.DateOnly, r.DateStop); err != nil {
		return r, fail("date_stop", fmt.Errorf("not a YYYY-MM-DD date: %q", truncate(r.DateStop, 40)))
	}
	var err error
	if w.Spend.set {
		if r.SpendMicros, err = ParseMicros(w.Spend.s); err != nil {
			return r, fail("spend", err)
		}
	}
	if w.Impressions.set {
		if r.Impressions, err = parseCount(w.Impressions.s); err != nil {
			return r, fail("impressions", err)
		}
	}
	if w.Clicks.set {
		if r.Clicks, err = parseCount(w.Clicks.s); err != nil {
			return r, fail("clicks", err)
		}
	}
	if len(w.Actions) > 0 {
		r.Actions = make([]Action, 0, len(w.Actions))
	}
	for j, a := range w.Actions {
		if a.ActionType == "" {
			return r, fail(fmt.Sprintf("actions[%d].action_type", j), fmt.Errorf("empty"))
		}
		act := Action{Type: a.ActionType, Raw: a.Value.s}
		if a.Value.set {
			if act.Value, err = parseRoundedCount(a.Value.s); err != nil {
				return r, fail(fmt.Sprintf("actions[%d].value (%s)", j, a.ActionType), err)
			}
		}
		r.Actions = append(r.Actions, act)
	}
	return r, nil
}

func trimAct(s string) string {
	if len(s) > 4 && s[:4] == "act_" {
		return s[4:]
	}
	return s
}

// insightsParams builds the query of a sync request or an async submission.
func insightsParams(q InsightsQuery) (url.Values, error) {
	bad := func(format string, args ...any) error {
		return &Error{Kind: KindInvalidRequest, Message: "insights query: " + fmt.Sprintf(format, args...)}
	}
	switch q.Level {
	case LevelAccount, LevelCampaign, LevelAdSet:
	default:
		return nil, bad("level %q: want account, campaign or adset", q.Level)
	}
	since, err := time.Parse(time.DateOnly, q.Since)
	if err != nil {
		return nil, bad("since %q: want YYYY-MM-DD", q.Since)
	}
	until, err := time.Parse(time.DateOnly, q.Until)
	if err != nil {
		return nil, bad("until %q: want YYYY-MM-DD", q.Until)
	}
	if until.Before(since) {
		return nil, bad("until %s is before since %s", q.Until, q.Since)
	}
	limit := q.Limit
	if limit < 0 {
		return nil, bad("limit %d is negative", limit)
	}
	if limit == 0 {
		limit = DefaultPageLimit
	}
	statuses := q.Statuses
	if len(statuses) == 0 {
		statuses = DefaultStatuses()
	}
	timeRange, _ := json.Marshal(struct {
		Since string `json:"since"`
		Until string `json:"until"`
	}{q.Since, q.Until})
	filtering, _ := json.Marshal([]struct {
		Field    string   `json:"field"`
		Operator string   `json:"operator"`
		Value    []string `json:"value"`
	}{{"ad.effective_status", "IN", statuses}})
	return url.Values{
		"level":          {string(q.Level)},
		"fields":         {InsightsFields},
		"time_increment": {"1"},
		"time_range":     {string(timeRange)},
		"filtering":      {string(filtering)},
		"limit":          {itoa(limit)},
	}, nil
}

// Insights streams the daily insight rows of an ad account (GET /act_<id>/insights with
// time_increment=1) to fn, page by page following paging.next. Rows of one page are
// delivered only after the whole page decoded; an error from fn stops the stream and is
// returned as is. A row whose numbers cannot be read exactly fails with a KindDecode *Error
// naming the field.
func (c *Client) Insights(ctx context.Context, accountID string, q InsightsQuery, fn func(InsightRow) error) error {
	id, err := accountPath(accountID)
	if err != nil {
		return err
	}
	params, err := insightsParams(q)
	if err != nil {
		return err
	}
	first := call{op: OpInsights, method: http.MethodGet, path: "/act_" + id + "/insights", query: params, accountID: id}
	return pages(ctx, c, first, convertInsight, fn)
}
