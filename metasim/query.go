package metasim

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// insightsQuery is a parsed insights request, everything but the page position and size. An
// async job keeps one, so its pages are read exactly as the submission asked.
type insightsQuery struct {
	acct    *account
	scope   []*adSet // ad sets under the requested node, in id order
	level   string
	fields  uint32
	since   int64
	until   int64
	step    int64 // days per row; the whole range when it covers it
	filters []filter
	windows []int
}

// Insights fields served, in the order they appear in a row.
const (
	fAccountID = 1 << iota
	fAccountName
	fAccountCurrency
	fCampaignID
	fCampaignName
	fAdSetID
	fAdSetName
	fObjective
	fOptGoal
	fImpressions
	fClicks
	fSpend
	fInlineLinkClicks
	fActions
	fDateStart
	fDateStop
	fIgnored // ad-level fields: accepted, never present at the levels served
)

var insightsFields = map[string]uint32{
	"account_id": fAccountID, "account_name": fAccountName, "account_currency": fAccountCurrency,
	"campaign_id": fCampaignID, "campaign_name": fCampaignName, "adset_id": fAdSetID,
	"adset_name": fAdSetName, "objective": fObjective, "optimization_goal": fOptGoal,
	"impressions": fImpressions, "clicks": fClicks, "spend": fSpend,
	"inline_link_clicks": fInlineLinkClicks, "actions": fActions, "date_start": fDateStart,
	"date_stop": fDateStop, "ad_id": fIgnored, "ad_name": fIgnored,
}

// filter is one entry of a filtering parameter.
type filter struct {
	field  string
	op     string
	values []string
}

func (f filter) match(v string) bool {
	in := slices.Contains(f.values, v)
	switch f.op {
	case "IN", "EQUAL":
		return in
	default: // NOT_IN, NOT_EQUAL
		return !in
	}
}

// parseFiltering reads [{"field":…,"operator":…,"value":…}], checking fields against allowed.
func parseFiltering(text string, allowed map[string]bool) ([]filter, *graphError) {
	var raw []struct {
		Field    string          `json:"field"`
		Operator string          `json:"operator"`
		Value    json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal([]byte(text), &raw); err != nil {
		return nil, errParam(`filtering must be a JSON array of {"field":…,"operator":…,"value":…} objects: %v`, err)
	}
	var out []filter
	for i, r := range raw {
		if !allowed[r.Field] {
			return nil, errParam("filtering[%d]: field %q is invalid; supported fields: %s", i, r.Field, strings.Join(sortedKeys(allowed), ", "))
		}
		f := filter{field: r.Field, op: strings.ToUpper(r.Operator)}
		switch f.op {
		case "IN", "NOT_IN", "EQUAL", "NOT_EQUAL":
		default:
			return nil, errParam("filtering[%d]: operator %q is invalid; use IN, NOT_IN, EQUAL or NOT_EQUAL", i, r.Operator)
		}
		var one string
		var num json.Number
		switch {
		case json.Unmarshal(r.Value, &f.values) == nil:
		case json.Unmarshal(r.Value, &one) == nil:
			f.values = []string{one}
		case json.Unmarshal(r.Value, &num) == nil:
			f.values = []string{num.String()}
		default:
			return nil, errParam("filtering[%d]: value must be a string or an array of strings", i)
		}
		out = append(out, f)
	}
	return out, nil
}

func sortedKeys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

var insightsFilterFields = map[string]bool{
	"ad.effective_status": true, "adset.effective_status": true, "campaign.effective_status": true,
	"campaign.id": true, "adset.id": true, "campaign.objective": true,
}

func insightsFilterValue(s *adSet, fieldName string) string {
	switch fieldName {
	case "ad.effective_status":
		return s.adEff
	case "adset.effective_status":
		return s.eff
	case "campaign.effective_status":
		return s.camp.eff
	case "campaign.id":
		return s.camp.id
	case "adset.id":
		return s.id
	case "campaign.objective":
		return s.camp.objective
	}
	return ""
}

// visible applies graph-api.md's quirk: with no filter every object shows; once any filter is
// sent, an ad set whose ads are not ACTIVE shows only if an ad.effective_status filter lists
// their status.
func visible(s *adSet, fs []filter) bool {
	if len(fs) == 0 {
		return true
	}
	adStatusFiltered := false
	for _, f := range fs {
		if f.field == "ad.effective_status" {
			adStatusFiltered = true
		}
		if !f.match(insightsFilterValue(s, f.field)) {
			return false
		}
	}
	return adStatusFiltered || s.adEff == "ACTIVE"
}

// parseInsights checks every parameter of an insights request against the node it targets.
func (s *Server) parseInsights(p url.Values, acct *account, camp *campaign, as *adSet, now time.Time) (*insightsQuery, *graphError) {
	q := &insightsQuery{acct: acct}
	switch {
	case as != nil:
		q.scope, q.level = []*adSet{as}, "adset"
	case camp != nil:
		q.scope, q.level = camp.adSets, "campaign"
	default:
		q.scope, q.level = acct.adSets, "account"
	}
	if l := p.Get("level"); l != "" {
		switch l {
		case "account", "campaign", "adset":
			q.level = l
		case "ad":
			return nil, errParam("level ad is not served by this simulator; use account, campaign or adset")
		default:
			return nil, errParam("level must be one of the following values: ad, adset, campaign, account")
		}
	}
	q.fields = fImpressions | fSpend
	if fl := p.Get("fields"); fl != "" {
		q.fields = 0
		for _, f := range splitList(fl) {
			bit, ok := insightsFields[f]
			if !ok {
				return nil, errParam("%s is not valid for fields param. please check https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ for all valid values", f)
			}
			q.fields |= bit
		}
	}
	today := dayOf(now, acct.loc)
	var ge *graphError
	if q.since, q.until, ge = parseRange(p, today); ge != nil {
		return nil, ge
	}
	limit := dayNum(time.Unix(today*86400, 0).UTC().AddDate(0, -MaxHistoryMonths, 0).Date())
	if q.since < limit {
		return nil, gerr(3018, 0, "The start date of the time range cannot be beyond 37 months from the current date")
	}
	q.step = q.until - q.since + 1
	switch ti := p.Get("time_increment"); ti {
	case "", "all_days":
	default:
		n, err := strconv.Atoi(ti)
		if err != nil || n < 1 || n > 90 {
			return nil, errParam("time_increment must be an integer from 1 to 90 or all_days (monthly is not served by this simulator), got %q", ti)
		}
		q.step = min(int64(n), q.step)
	}
	if fl := p.Get("filtering"); fl != "" {
		if q.filters, ge = parseFiltering(fl, insightsFilterFields); ge != nil {
			return nil, ge
		}
	}
	if ge = q.parseWindows(p.Get("action_attribution_windows")); ge != nil {
		return nil, ge
	}
	switch ab := p.Get("action_breakdowns"); ab {
	case "", "action_type", `["action_type"]`:
	default:
		return nil, errParam("action_breakdowns %s is not served by this simulator; only action_type", ab)
	}
	if b := p.Get("breakdowns"); b != "" && b != "[]" {
		return nil, errParam("breakdowns are not served by this simulator")
	}
	return q, nil
}

// parseWindows reads action_attribution_windows. 7d_view and 28d_view are accepted and left
// out of the answer, as Meta no longer returns them; "default" adds nothing beyond value.
func (q *insightsQuery) parseWindows(text string) *graphError {
	if text == "" {
		return nil
	}
	var ws []string
	if json.Unmarshal([]byte(text), &ws) != nil {
		ws = strings.Split(text, ",")
	}
	for _, w := range ws {
		w = strings.TrimSpace(w)
		switch w {
		case "7d_view", "28d_view", "default":
			continue
		}
		i := slices.Index(windowNames[:], w)
		if i < 0 {
			return errParam("action_attribution_windows: %q must be one of 1d_click, 7d_click, 28d_click, 1d_view, 7d_view, 28d_view, default", w)
		}
		if !slices.Contains(q.windows, i) {
			q.windows = append(q.windows, i)
		}
	}
	return nil
}

// parseRange reads time_range (JSON) or date_preset (default last_30d) into day numbers.
func parseRange(p url.Values, today int64) (since, until int64, ge *graphError) {
	if tr := p.Get("time_range"); tr != "" {
		var v struct {
			Since string `json:"since"`
			Until string `json:"until"`
		}
		if err := json.Unmarshal([]byte(tr), &v); err != nil {
			return 0, 0, errParam(`time_range must be a JSON object like {"since":"YYYY-MM-DD","until":"YYYY-MM-DD"}, got %s`, tr)
		}
		var ok1, ok2 bool
		since, ok1 = parseDay(v.Since)
		until, ok2 = parseDay(v.Until)
		if !ok1 || !ok2 {
			return 0, 0, errParam("time_range: since and until must both be dates written YYYY-MM-DD, got since %q until %q", v.Since, v.Until)
		}
		if until < since {
			return 0, 0, errParam("time_range: until (%s) must not be before since (%s)", v.Until, v.Since)
		}
		return since, until, nil
	}
	t := time.Unix(today*86400, 0).UTC()
	y, m, _ := t.Date()
	switch preset := p.Get("date_preset"); preset {
	case "today":
		return today, today, nil
	case "yesterday":
		return today - 1, today - 1, nil
	case "", "last_30d":
		return today - 30, today - 1, nil
	case "last_3d", "last_7d", "last_14d", "last_28d", "last_90d":
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(preset, "last_"), "d"))
		return today - int64(n), today - 1, nil
	case "this_month":
		return dayNum(y, m, 1), today, nil
	case "last_month":
		return dayNum(y, m-1, 1), dayNum(y, m, 1) - 1, nil
	case "maximum":
		return dayNum(t.AddDate(0, -MaxHistoryMonths, 0).Date()), today, nil
	default:
		return 0, 0, errParam("date_preset must be one of today, yesterday, last_3d, last_7d, last_14d, last_28d, last_30d, last_90d, this_month, last_month, maximum, got %q", preset)
	}
}
