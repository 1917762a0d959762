package handlers

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/leadlens/leadlens/store"
	"github.com/leadlens/leadlens/views"
)

// A share link's date rule decides which periods its view may show:
//
//   - open: whatever the dashboard allows.
//   - fixed: always the link's dates. range, since, until and compare in the URL are ignored —
//     the page has no control to change them, and an edited URL simply shows the link's period.
//     No comparison: the previous period is outside the link's dates.
//   - bounded: any period that overlaps the link's dates, cut to them; a period entirely outside
//     them is refused with a 400 naming the parameter. Comparison only while the previous
//     period lies inside the link's dates too. Without a range in the URL the view shows the
//     link's dates up to today.
//
// Both the page and its CSV go through shareQuery, so neither can show a day outside the link.
func (h *Handler) shareQuery(ctx context.Context, c store.Client, l store.ShareLink, v url.Values) (dashQuery, views.ShareRange, error) {
	loc, err := h.db.ClientTimezone(ctx, c)
	if err != nil {
		return dashQuery{}, views.ShareRange{}, err
	}
	now := h.now()
	switch l.RangeMode {
	case store.RangeFixed:
		v = withoutRange(v)
		v.Set("range", "custom")
		v.Set("since", l.RangeSince)
		v.Set("until", l.RangeUntil)
		v.Set("compare", "0")
		q, err := parseDashQuery(v, loc, now)
		return q, views.ShareRange{Locked: true, NoCompare: true,
			Note: fmt.Sprintf("This link always shows %s – %s.", humanDate(l.RangeSince), humanDate(l.RangeUntil))}, err
	case store.RangeBounded:
		return h.boundedQuery(v, l, loc, now)
	}
	q, err := parseDashQuery(v, loc, now)
	return q, views.ShareRange{}, err
}

// withoutRange copies v without the parameters that choose a period.
func withoutRange(v url.Values) url.Values {
	out := url.Values{}
	for k, vals := range v {
		switch k {
		case "range", "since", "until", "compare":
		default:
			out[k] = vals
		}
	}
	return out
}

func (h *Handler) boundedQuery(v url.Values, l store.ShareLink, loc *time.Location, now time.Time) (dashQuery, views.ShareRange, error) {
	today := now.In(loc).Format(store.DateLayout)
	last := l.RangeUntil
	if today >= l.RangeSince && today < last {
		last = today
	}
	sr := views.ShareRange{Min: l.RangeSince, Max: last,
		Note: fmt.Sprintf("This link shows dates from %s to %s only.", humanDate(l.RangeSince), humanDate(l.RangeUntil))}
	if !v.Has("range") && !v.Has("since") && !v.Has("until") {
		d := url.Values{}
		for k, vals := range v {
			d[k] = vals
		}
		d.Set("range", "custom")
		d.Set("since", l.RangeSince)
		d.Set("until", last)
		v = d
	}
	q, err := parseDashQuery(v, loc, now)
	if err != nil {
		return q, sr, err
	}
	if q.Until < l.RangeSince || q.Since > l.RangeUntil {
		name := "range"
		if q.Range == "custom" {
			name = "until"
			if q.Since > l.RangeUntil {
				name = "since"
			}
		}
		return q, sr, paramError(name, "%s – %s is outside this link's dates, %s – %s",
			humanDate(q.Since), humanDate(q.Until), humanDate(l.RangeSince), humanDate(l.RangeUntil))
	}
	q.Since, q.Until = max(q.Since, l.RangeSince), min(q.Until, l.RangeUntil)
	s, _ := time.Parse(store.DateLayout, q.Since)
	days := daysIn(q.Since, q.Until)
	q.CompareUntil = s.AddDate(0, 0, -1).Format(store.DateLayout)
	q.CompareSince = s.AddDate(0, 0, -days).Format(store.DateLayout)
	if q.CompareSince < l.RangeSince {
		q.Compare, sr.NoCompare = false, true
	}
	return q, sr, nil
}

// presetsWithin keeps the date-range presets whose period overlaps a bounded link's dates:
// the others would only answer 400. Presets are recognised by their "range-<key>" test id.
func (h *Handler) presetsWithin(presets []views.Link, q dashQuery, l store.ShareLink) []views.Link {
	now := h.now()
	out := presets[:0:0]
	for _, p := range presets {
		key := strings.TrimPrefix(p.TestID, "range-")
		if key != "custom" {
			pq, err := parseDashQuery(url.Values{"range": {key}}, q.Loc, now)
			if err != nil || pq.Until < l.RangeSince || pq.Since > l.RangeUntil {
				continue
			}
		}
		out = append(out, p)
	}
	return out
}
