package metasim

import (
	"strconv"
	"strings"
	"time"
)

// view is the moment an answer is computed for: the restatement epoch and the clock. A sync
// answer uses the current one; an async job keeps the one of its submission.
type view struct {
	epoch int64
	now   time.Time
}

// epochAt is the restatement epoch at now: the Restate counter plus, when an interval is set,
// the number of whole intervals since the Unix epoch.
func (s *Server) epochAt(now time.Time) int64 {
	e := s.manual.Load()
	if iv := s.opts.RestatementInterval; iv > 0 {
		e += now.UnixNano() / int64(iv)
	}
	return e
}

func (s *Server) viewNow() view {
	now := s.now()
	return view{epoch: s.epochAt(now), now: now}
}

// Restate starts a new restatement epoch: values of days inside the last RestatementDays move.
func (s *Server) Restate() { s.manual.Add(1) }

// Epoch is the restatement epoch answers are computed at now.
func (s *Server) Epoch() int64 { return s.epochAt(s.now()) }

// group is one object of the requested level and the visible ad sets it sums.
type group struct {
	camp    *campaign // nil at account level
	adSet   *adSet    // set at ad-set level only
	members []*adSet
}

func (q *insightsQuery) groups() []group {
	var vis []*adSet
	for _, a := range q.scope {
		if visible(a, q.filters) {
			vis = append(vis, a)
		}
	}
	if len(vis) == 0 {
		return nil
	}
	var gs []group
	switch q.level {
	case "account":
		gs = []group{{members: vis}}
	case "campaign":
		// scope is in id order, which keeps each campaign's ad sets together
		for _, a := range vis {
			if n := len(gs); n > 0 && gs[n-1].camp == a.camp {
				gs[n-1].members = append(gs[n-1].members, a)
			} else {
				gs = append(gs, group{camp: a.camp, members: []*adSet{a}})
			}
		}
	default:
		for _, a := range vis {
			gs = append(gs, group{camp: a.camp, adSet: a, members: []*adSet{a}})
		}
	}
	return gs
}

// rowSource evaluates the rows of one query at one view. Position p is bucket p/G, object p%G
// (G objects), which is the answer's order: by date, then object id.
type rowSource struct {
	w      *world
	q      *insightsQuery
	groups []group
	today  int64
	epoch  int64
	first  int // positions outside [first, end) cannot hold rows
	end    int
}

func newRowSource(w *world, q *insightsQuery, v view) *rowSource {
	rs := &rowSource{w: w, q: q, groups: q.groups(), today: dayOf(v.now, q.acct.loc), epoch: v.epoch}
	g := int64(len(rs.groups))
	buckets := (q.until - q.since + q.step) / q.step
	lo := max(0, (w.historyStart-q.since)/q.step)
	hi := buckets - 1
	if rs.today < q.until {
		hi = (rs.today - q.since) / q.step
		if rs.today < q.since {
			hi = -1
		}
	}
	if hi >= lo {
		rs.first, rs.end = int(lo*g), int((hi+1)*g)
	}
	return rs
}

// at sums the cells of position pos into m and reports whether the row exists.
func (rs *rowSource) at(pos int, m *metrics) (d0, d1 int64, ok bool) {
	q := rs.q
	b, g := int64(pos/len(rs.groups)), pos%len(rs.groups)
	d0 = q.since + b*q.step
	d1 = min(d0+q.step-1, q.until)
	withWin := len(q.windows) > 0
	for d := max(d0, rs.w.historyStart); d <= min(d1, rs.today); d++ {
		inside := rs.today-d < RestatementDays
		for _, a := range rs.groups[g].members {
			var cm metrics
			if rs.w.cell(a, d, inside, rs.epoch, withWin, &cm) {
				m.add(&cm, withWin)
				ok = true
			}
		}
	}
	return d0, d1, ok
}

// each calls fn for every existing row from position start on, until fn returns false.
func (rs *rowSource) each(start int, fn func(pos int, g *group, d0, d1 int64, m *metrics) bool) {
	m := new(metrics) // one allocation for the whole scan: fn may keep no reference to it
	for pos := max(start, rs.first); pos < rs.end; pos++ {
		*m = metrics{}
		d0, d1, ok := rs.at(pos, m)
		if ok && !fn(pos, &rs.groups[pos%len(rs.groups)], d0, d1, m) {
			return
		}
	}
}

// envelope is one page of the answer.
func (rs *rowSource) envelope(c *call, pr pageRequest) object {
	rows := []object{}
	first, last, more := -1, -1, false
	rs.each(pr.start, func(pos int, g *group, d0, d1 int64, m *metrics) bool {
		if len(rows) == pr.limit {
			more = true
			return false
		}
		if first < 0 {
			first = pos
		}
		last = pos
		rows = append(rows, rs.q.render(g, d0, d1, m))
		return true
	})
	return pageEnvelope(c, 'i', rows, first, last, more, pr.limit)
}

func (s *Server) handleInsights(c *call) (any, *graphError) {
	pr, ge := parsePage(c, 'i')
	if ge != nil {
		return nil, ge
	}
	return newRowSource(s.w, c.q, s.viewNow()).envelope(c, pr), nil
}

// formatMinor writes minor units as Meta writes spend: a plain decimal with trailing zeros of
// the fraction dropped ("14.3", "14", "0.07"; "1435" for a zero-decimal currency).
func formatMinor(minor int64, digits int) string {
	if digits == 0 {
		return strconv.FormatInt(minor, 10)
	}
	neg := minor < 0
	if neg {
		minor = -minor
	}
	scale := int64(1)
	for range digits {
		scale *= 10
	}
	frac := strconv.FormatInt(minor%scale, 10)
	frac = strings.Repeat("0", digits-len(frac)) + frac
	frac = strings.TrimRight(frac, "0")
	s := strconv.FormatInt(minor/scale, 10)
	if frac != "" {
		s += "." + frac
	}
	if neg {
		s = "-" + s
	}
	return s
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// render writes one row with the requested fields, every number as a string, and the actions
// key only when some action type is non-zero.
func (q *insightsQuery) render(g *group, d0, d1 int64, m *metrics) object {
	a, f := q.acct, q.fields
	o := make(object, 0, 16)
	add := func(bit uint32, k string, v any) {
		if f&bit != 0 {
			o = append(o, field{k, v})
		}
	}
	add(fAccountID, "account_id", a.id)
	add(fAccountName, "account_name", a.name)
	add(fAccountCurrency, "account_currency", a.currency)
	if g.camp != nil {
		add(fCampaignID, "campaign_id", g.camp.id)
		add(fCampaignName, "campaign_name", g.camp.name)
	}
	if g.adSet != nil {
		add(fAdSetID, "adset_id", g.adSet.id)
		add(fAdSetName, "adset_name", g.adSet.name)
	}
	if g.camp != nil {
		add(fObjective, "objective", g.camp.objective)
	}
	if g.adSet != nil {
		add(fOptGoal, "optimization_goal", g.adSet.goal)
	}
	add(fImpressions, "impressions", itoa(m.impressions))
	add(fClicks, "clicks", itoa(m.clicks))
	add(fSpend, "spend", formatMinor(m.spend, a.digits))
	add(fInlineLinkClicks, "inline_link_clicks", itoa(m.act[actLinkClick]))
	if f&fActions != 0 {
		var acts []object
		for i, v := range m.act {
			if v == 0 {
				continue
			}
			e := object{{"action_type", actionNames[i]}, {"value", itoa(v)}}
			for _, wi := range q.windows {
				if wv := m.win[i][wi]; wv != 0 {
					e = append(e, field{windowNames[wi], itoa(wv)})
				}
			}
			acts = append(acts, e)
		}
		if len(acts) > 0 {
			o = append(o, field{"actions", acts})
		}
	}
	return append(o, field{"date_start", dayString(d0)}, field{"date_stop", dayString(d1)})
}
