package handlers

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/leadlens/leadlens/store"
)

// dashQuery is a dashboard view's state. All of it lives in the URL, so a view can be
// bookmarked and shared; missing parameters take the defaults, wrong ones are refused.
type dashQuery struct {
	Range        string // a preset (last_28d, …) or custom
	Since, Until string // the period, YYYY-MM-DD in the client's timezone
	Compare      bool
	Level        string // account, campaign, adset (a drill-down always lists ad sets)
	CTX          bool
	Sort         string // a sortColumns key
	Dir          string // asc, desc
	Page         int
	// CampaignID is the drill-down's campaign ("" on the client's page).
	CampaignID string

	CompareSince, CompareUntil string // the period before, as long as this one
	Today                      string // today in the client's timezone
	Loc                        *time.Location
}

// rangePresets are the date-range presets, in the order the page offers them. "Last N days" are
// N complete days ending yesterday, as in Meta's Ads Manager.
var rangePresets = []struct{ Key, Label string }{
	{"last_7d", "7 days"}, {"last_14d", "14 days"}, {"last_28d", "28 days"}, {"last_90d", "90 days"},
	{"this_month", "This month"}, {"last_month", "Last month"},
}

// sortColumns are the table's sortable columns and the direction each starts in.
var sortColumns = map[string]string{
	"name": "asc", "status": "asc", "ctx": "desc", "spend": "desc", "conversations": "desc",
	"attributed": "desc", "logged": "desc", "gap": "desc", "cpl": "asc",
}

// maxRangeDays bounds a custom range: Meta keeps 37 months of insights.
const maxRangeDays = 37 * 31

const (
	defaultRange = "last_28d"
	defaultLevel = "campaign"
	defaultSort  = "attributed"
)

// paramError is a 400 that names the parameter a person got wrong.
func paramError(name, format string, args ...any) error {
	return errBadRequest(fmt.Sprintf("The %s parameter is not valid: %s.", name, fmt.Sprintf(format, args...)))
}

// single returns a parameter's one value; a repeated parameter is an error.
func single(v url.Values, name string) (string, bool, error) {
	vals, ok := v[name]
	if !ok {
		return "", false, nil
	}
	if len(vals) > 1 {
		return "", false, paramError(name, "it is given %d times", len(vals))
	}
	return vals[0], true, nil
}

func boolParam(v url.Values, name string, def bool) (bool, error) {
	s, ok, err := single(v, name)
	if err != nil || !ok {
		return def, err
	}
	switch s {
	case "1":
		return true, nil
	case "0":
		return false, nil
	}
	return false, paramError(name, "%q is not 1 or 0", s)
}

// parseDashQuery reads a view's state from the URL, computing its period in loc as of now.
func parseDashQuery(v url.Values, loc *time.Location, now time.Time) (dashQuery, error) {
	q := dashQuery{Range: defaultRange, Compare: true, Level: defaultLevel, CTX: true, Sort: defaultSort, Page: 1, Loc: loc}
	y, m, d := now.In(loc).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	q.Today = today.Format(store.DateLayout)

	r, hasRange, err := single(v, "range")
	if err != nil {
		return q, err
	}
	since, hasSince, err := single(v, "since")
	if err != nil {
		return q, err
	}
	until, hasUntil, err := single(v, "until")
	if err != nil {
		return q, err
	}
	if hasRange {
		q.Range = r
	} else if hasSince || hasUntil {
		q.Range = "custom"
	}
	var s, u time.Time
	switch q.Range {
	case "last_7d", "last_14d", "last_28d", "last_90d":
		n, _ := strconv.Atoi(q.Range[len("last_") : len(q.Range)-1])
		s, u = today.AddDate(0, 0, -n), today.AddDate(0, 0, -1)
	case "this_month":
		s, u = time.Date(y, m, 1, 0, 0, 0, 0, time.UTC), today
	case "last_month":
		first := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
		s, u = first.AddDate(0, -1, 0), first.AddDate(0, 0, -1)
	case "custom":
		if !hasSince || since == "" {
			return q, paramError("since", "a custom range needs a first day (since=YYYY-MM-DD)")
		}
		if !hasUntil || until == "" {
			return q, paramError("until", "a custom range needs a last day (until=YYYY-MM-DD)")
		}
		if s, err = time.Parse(store.DateLayout, since); err != nil {
			return q, paramError("since", "%q is not a date (YYYY-MM-DD)", since)
		}
		if u, err = time.Parse(store.DateLayout, until); err != nil {
			return q, paramError("until", "%q is not a date (YYYY-MM-DD)", until)
		}
		if u.Before(s) {
			return q, paramError("until", "%s is before since %s", until, since)
		}
		if days := int(u.Sub(s).Hours()/24) + 1; days > maxRangeDays {
			return q, paramError("since", "the range is %d days; the longest is %d (Meta keeps 37 months)", days, maxRangeDays)
		}
	default:
		return q, paramError("range", "%q is not one of last_7d, last_14d, last_28d, last_90d, this_month, last_month, custom", q.Range)
	}
	if q.Range != "custom" && (hasSince || hasUntil) {
		name := "since"
		if !hasSince {
			name = "until"
		}
		return q, paramError(name, "dates are only read with range=custom, not with range=%s", q.Range)
	}
	q.Since, q.Until = s.Format(store.DateLayout), u.Format(store.DateLayout)
	days := int(u.Sub(s).Hours()/24) + 1
	q.CompareUntil = s.AddDate(0, 0, -1).Format(store.DateLayout)
	q.CompareSince = s.AddDate(0, 0, -days).Format(store.DateLayout)

	if q.Compare, err = boolParam(v, "compare", true); err != nil {
		return q, err
	}
	if q.CTX, err = boolParam(v, "ctx", true); err != nil {
		return q, err
	}
	if lv, ok, err := single(v, "level"); err != nil {
		return q, err
	} else if ok {
		if store.ValidateLevel(lv) != nil {
			return q, paramError("level", "%q is not account, campaign or adset", lv)
		}
		q.Level = lv
	}
	if so, ok, err := single(v, "sort"); err != nil {
		return q, err
	} else if ok {
		if _, known := sortColumns[so]; !known {
			return q, paramError("sort", "%q is not a column (name, status, ctx, spend, conversations, attributed, logged, gap, cpl)", so)
		}
		q.Sort = so
	}
	q.Dir = sortColumns[q.Sort]
	if dir, ok, err := single(v, "dir"); err != nil {
		return q, err
	} else if ok {
		if dir != "asc" && dir != "desc" {
			return q, paramError("dir", "%q is not asc or desc", dir)
		}
		q.Dir = dir
	}
	if p, ok, err := single(v, "page"); err != nil {
		return q, err
	} else if ok {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 1_000_000 {
			return q, paramError("page", "%q is not a page number", p)
		}
		q.Page = n
	}
	return q, nil
}

// values is the URL query of a view: the defaults spelled out where they are state a person
// chose (range, comparison, level, CTX), sorting and paging only when not the defaults.
func (q dashQuery) values() url.Values {
	v := url.Values{}
	v.Set("range", q.Range)
	if q.Range == "custom" {
		v.Set("since", q.Since)
		v.Set("until", q.Until)
	}
	v.Set("compare", boolString(q.Compare))
	v.Set("level", q.Level)
	v.Set("ctx", boolString(q.CTX))
	if q.Sort != defaultSort || q.Dir != sortColumns[q.Sort] {
		v.Set("sort", q.Sort)
		v.Set("dir", q.Dir)
	}
	if q.Page > 1 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	return v
}

// href is the URL of the view at path after change (which edits a copy).
func (q dashQuery) href(path string, change func(*dashQuery)) string {
	if change != nil {
		change(&q)
	}
	return path + "?" + q.values().Encode()
}

func boolString(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// provisionalFrom is the first provisional date: Meta may restate the lookback window's days, so
// dates from today − lookback on are not final.
func provisionalFrom(today string, lookbackDays int) string {
	t, err := time.Parse(store.DateLayout, today)
	if err != nil {
		return today
	}
	return t.AddDate(0, 0, -lookbackDays).Format(store.DateLayout)
}
