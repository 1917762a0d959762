package handlers

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/leadlens/leadlens/money"
	"github.com/leadlens/leadlens/store"
	"github.com/leadlens/leadlens/views"
)

// pageSize is how many table rows one page shows; the CSV has them all.
const pageSize = 100

func (b dashBuilder) filters() views.Filters {
	q, path := b.q, b.path()
	reset := func(q *dashQuery) { q.Page = 1 }
	f := views.Filters{Action: path, Since: q.Since, Until: q.Until, Max: q.Today,
		RangeText: fmt.Sprintf("%s – %s (%s)", humanDate(q.Since), humanDate(q.Until), plural(daysIn(q.Since, q.Until), "day"))}
	for _, p := range rangePresets {
		key := p.Key
		f.Presets = append(f.Presets, views.Link{Label: p.Label, Current: q.Range == key, TestID: "range-" + key,
			Href: q.href(path, func(q *dashQuery) { reset(q); q.Range = key })})
	}
	f.Presets = append(f.Presets, views.Link{Label: "Custom", Current: q.Range == "custom", TestID: "range-custom",
		Href: q.href(path, func(q *dashQuery) { reset(q); q.Range = "custom" })})
	for _, v := range []struct{ name, value string }{{"compare", boolString(q.Compare)}, {"level", q.Level}, {"ctx", boolString(q.CTX)}} {
		f.Hidden = append(f.Hidden, views.Field{Name: v.name, Value: v.value})
	}
	if q.Sort != defaultSort || q.Dir != sortColumns[q.Sort] {
		f.Hidden = append(f.Hidden, views.Field{Name: "sort", Value: q.Sort}, views.Field{Name: "dir", Value: q.Dir})
	}
	if q.Compare {
		f.Compare = views.Link{Label: "Previous period: on", Current: true, TestID: "compare-toggle",
			Href: q.href(path, func(q *dashQuery) { q.Compare = false })}
		f.CompareText = fmt.Sprintf("compared with %s – %s", humanDate(q.CompareSince), humanDate(q.CompareUntil))
	} else {
		f.Compare = views.Link{Label: "Previous period: off", TestID: "compare-toggle",
			Href: q.href(path, func(q *dashQuery) { q.Compare = true })}
	}
	if q.CampaignID != "" {
		return f
	}
	for _, l := range []struct{ key, label string }{{"account", "Accounts"}, {"campaign", "Campaigns"}, {"adset", "Ad sets"}} {
		key := l.key
		f.Levels = append(f.Levels, views.Link{Label: l.label, Current: q.Level == key, TestID: "level-" + key,
			Href: q.href(path, func(q *dashQuery) { reset(q); q.Level = key })})
	}
	f.CTX = []views.Link{
		{Label: "CTX only", Current: q.CTX, TestID: "ctx-on", Href: q.href(path, func(q *dashQuery) { reset(q); q.CTX = true })},
		{Label: "All campaigns", Current: !q.CTX, TestID: "ctx-off", Href: q.href(path, func(q *dashQuery) { reset(q); q.CTX = false })},
	}
	f.CTXHelp = "CTX only counts click-to-message campaigns: a campaign is CTX when one of its ad sets opens Messenger, WhatsApp " +
		"or Instagram Direct, or its objective is MESSAGES. The filter is by campaign at every level — an account's row is the sum " +
		"of its CTX campaigns — so totals do not change with the level. An ad set's badge shows its own destination."
	return f
}

func (b dashBuilder) tiles() []views.Tile {
	t, cmp := b.data.Totals, b.data.Compare
	var prev store.Totals
	if cmp != nil {
		prev = *cmp
	}
	count := func(label, testID, help string, cur, was int64) views.Tile {
		line := views.TileLine{Value: grouped(cur)}
		if cmp != nil {
			line.Delta = countDelta(cur, was, b.compareLabel(), grouped)
		}
		return views.Tile{Label: label, TestID: testID, Help: help, Lines: []views.TileLine{line}}
	}
	rate := func(label, testID, help string, num, den, pnum, pden int64) views.Tile {
		line := views.TileLine{Value: percent(num, den)}
		if cmp != nil {
			line.Delta = rateDelta(num, den, pnum, pden, b.compareLabel())
		}
		return views.Tile{Label: label, TestID: testID, Help: help, Lines: []views.TileLine{line}}
	}
	spend := views.Tile{Label: "Spend", TestID: "tile-spend"}
	cpl := views.Tile{Label: "Cost per attributed lead", TestID: "tile-cpl"}
	for _, c := range t.Spend {
		was := findCurrency(prev.Spend, c.Currency)
		sl := views.TileLine{Value: money.Display(c.SpendMicros, c.Currency)}
		cl := views.TileLine{Value: cplText(c.SpendMicros, c.AttributedLeads, c.Currency)}
		if cmp != nil {
			display := func(v int64) string { return money.Display(v, c.Currency) }
			sl.Delta = countDelta(c.SpendMicros, was.SpendMicros, b.compareLabel(), display)
			if now, ok := money.PerUnit(c.SpendMicros, c.AttributedLeads); ok {
				if before, ok := money.PerUnit(was.SpendMicros, was.AttributedLeads); ok {
					cl.Delta = countDelta(now, before, b.compareLabel(), display)
					cl.Delta.Inverse = true
				}
			}
		}
		spend.Lines = append(spend.Lines, sl)
		cpl.Lines = append(cpl.Lines, cl)
	}
	if len(t.Spend) == 0 {
		spend.Lines = []views.TileLine{{Value: "0"}}
		cpl.Lines = []views.TileLine{{Value: "–"}}
	}
	if len(t.Spend) > 1 {
		spend.Help = "per currency, not added"
		cpl.Help = "per currency"
	}
	return []views.Tile{
		count("Attributed leads", "tile-attributed", "counted by Meta", t.AttributedLeads, prev.AttributedLeads),
		count("Logged leads", "tile-logged", "logged by your bot", t.LoggedLeads, prev.LoggedLeads),
		rate("Match rate", "tile-match", "logged ÷ attributed", t.LoggedLeads, t.AttributedLeads, prev.LoggedLeads, prev.AttributedLeads),
		spend,
		cpl,
		count("Conversations started", "tile-conversations", "", t.Conversations, prev.Conversations),
		rate("Conversation → lead", "tile-conv-rate", "attributed leads ÷ conversations", t.AttributedLeads, t.Conversations, prev.AttributedLeads, prev.Conversations),
	}
}

func (b dashBuilder) compareLabel() string {
	return fmt.Sprintf("compared with %s – %s", humanDate(b.q.CompareSince), humanDate(b.q.CompareUntil))
}

func findCurrency(cs []store.CurrencyTotal, cur string) store.CurrencyTotal {
	for _, c := range cs {
		if c.Currency == cur {
			return c
		}
	}
	return store.CurrencyTotal{Currency: cur}
}

func cplText(spend, leads int64, currency string) string {
	if v, ok := money.PerUnit(spend, leads); ok {
		return money.Display(v, currency)
	}
	return "–"
}

func (b dashBuilder) charts() []views.Chart {
	days := b.data.Days
	dates := make([]string, len(days))
	leads := views.DailyLeads{Dates: dates, Attributed: make([]int64, len(days)), Logged: make([]int64, len(days)),
		LookbackDays: b.h.cfg.LookbackDays}
	spend := views.DailySpend{Dates: dates}
	for _, cur := range b.data.Currencies {
		spend.Currencies = append(spend.Currencies, views.CurrencySeries{Currency: cur,
			Spend: make([]float64, len(days)), CPL: make([]*float64, len(days))})
	}
	for i, d := range days {
		dates[i] = d.Date
		leads.Attributed[i], leads.Logged[i] = d.AttributedLeads, d.LoggedLeads
		for j, c := range d.Spend {
			spend.Currencies[j].Spend[i] = money.Major(money.Round(c.SpendMicros, c.Currency))
			if v, ok := money.PerUnit(c.SpendMicros, c.AttributedLeads); ok {
				f := money.Major(money.Round(v, c.Currency))
				spend.Currencies[j].CPL[i] = &f
			}
		}
	}
	if from := provisionalFrom(b.q.Today, b.h.cfg.LookbackDays); from <= b.q.Until {
		leads.ProvisionalFrom = max(from, b.q.Since)
	}
	top := views.TopObjects{Title: "Leads by campaign (top 10)", Axis: "Campaign"}
	if b.q.CampaignID != "" {
		top = views.TopObjects{Title: "Leads by ad set (top 10)", Axis: "Ad set"}
	}
	for _, r := range b.data.Top {
		top.Names = append(top.Names, objectName(r))
		top.Attributed = append(top.Attributed, r.AttributedLeads)
		top.Logged = append(top.Logged, r.LoggedLeads)
	}
	spendChart := views.SpendChart("spend", spend)
	if len(spend.Currencies) == 0 {
		spendChart.Note = "No spend in this period."
	}
	return []views.Chart{views.LeadsChart("leads", leads), spendChart, views.TopChart("top", top)}
}

func objectName(r store.ObjectRow) string {
	if r.Name != "" {
		return r.Name
	}
	return r.ID
}

// table builds the sorted, paged table. Sorting happens here, on the rows the store summed:
// it is presentation, and the unattributed row always stays last.
func (b dashBuilder) table() views.Table {
	q, path := b.q, b.path()
	level := q.Level
	if q.CampaignID != "" {
		level = "adset"
	}
	t := views.Table{Caption: map[string]string{"account": "Ad accounts", "campaign": "Campaigns", "adset": "Ad sets"}[level]}
	if q.CTX && q.CampaignID == "" {
		t.Caption += " (CTX campaigns only)"
	}
	cols := []struct{ key, label, help string }{
		{"name", "Name", ""}, {"status", "Status", ""}, {"ctx", "CTX", ""}, {"spend", "Spend", ""},
		{"conversations", "Conversations", "conversations started"}, {"attributed", "Attributed", "leads counted by Meta"},
		{"logged", "Logged", "leads your bot logged"}, {"gap", "Gap", "attributed minus logged"}, {"cpl", "CPL", "cost per attributed lead"},
	}
	for i, c := range cols {
		key := c.key
		col := views.Column{Label: c.label, Help: c.help, Num: i >= 3}
		dir := sortColumns[key]
		if q.Sort == key {
			col.Sort = map[string]string{"asc": "ascending", "desc": "descending"}[q.Dir]
			dir = map[string]string{"asc": "desc", "desc": "asc"}[q.Dir]
		}
		col.Href = q.href(path, func(q *dashQuery) { q.Sort, q.Dir, q.Page = key, dir, 1 })
		t.Columns = append(t.Columns, col)
	}
	rows := append([]store.ObjectRow(nil), b.data.Rows...)
	var unattributed []store.ObjectRow
	if n := len(rows); n > 0 && rows[n-1].ID == "" {
		unattributed, rows = rows[n-1:], rows[:n-1]
	}
	sortObjectRows(rows, q.Sort, q.Dir == "desc")
	rows = append(rows, unattributed...)
	total := len(rows)
	from := (q.Page - 1) * pageSize
	to := min(from+pageSize, total)
	if from < total {
		for _, r := range rows[from:to] {
			t.Rows = append(t.Rows, b.row(r))
		}
		t.Showing = fmt.Sprintf("%s–%s of %s", grouped(int64(from+1)), grouped(int64(to)), grouped(int64(total)))
	} else if total > 0 {
		t.Showing = fmt.Sprintf("page %d is past the last row (%s)", q.Page, grouped(int64(total)))
	} else {
		t.Showing = "no rows"
	}
	if pages := (total + pageSize - 1) / pageSize; pages > 1 {
		for p := 1; p <= pages; p++ {
			page := p
			t.Pages = append(t.Pages, views.Link{Label: strconv.Itoa(p), Current: p == q.Page, TestID: "page-" + strconv.Itoa(p),
				Href: q.href(path, func(q *dashQuery) { q.Page = page })})
		}
	}
	t.Notes = append(t.Notes, "Gap is attributed minus logged leads. Spend and cost per lead are in each row's own account currency.")
	if level == "campaign" {
		t.Notes = append(t.Notes, "Open a campaign to see its ad sets.")
	}
	return t
}

func (b dashBuilder) row(r store.ObjectRow) views.Row {
	row := views.Row{
		Name: objectName(r), Spend: money.Display(r.SpendMicros, r.Currency), Conversations: grouped(r.Conversations),
		Attributed: grouped(r.AttributedLeads), Logged: grouped(r.LoggedLeads), Gap: signed(r.AttributedLeads - r.LoggedLeads),
		CPL: cplText(r.SpendMicros, r.AttributedLeads, r.Currency), TestID: "row-" + r.ID,
	}
	switch r.Level {
	case "account":
		row.Sub = "act_" + r.AccountID
		if r.IsCTX {
			row.Sub += " · CTX campaigns only"
		}
	case "campaign":
		row.ShowCTX, row.CTX = true, r.IsCTX
		row.Sub = r.AccountName
		if r.ID != "" {
			row.Href = b.q.href(b.base+"/campaigns/"+url.PathEscape(r.ID), func(q *dashQuery) { q.Page, q.Sort, q.Dir = 1, defaultSort, sortColumns[defaultSort] })
		}
	case "adset":
		row.ShowCTX, row.CTX = true, r.IsCTX
		if b.q.CampaignID == "" {
			row.Sub = r.CampaignName
		}
	}
	if r.Name == "" && r.ID != "" {
		row.Sub = strings.TrimPrefix(row.Sub+" · id "+r.ID, " · ")
	}
	if r.Status != "" {
		bd := objectStatusBadge(r.Status)
		row.Status, row.StatusKind = bd.Text, bd.Kind
	}
	if r.ID == "" {
		row.Unattributed, row.TestID, row.ShowCTX = true, "row-unattributed", false
		row.Name = "Not attributed in this view"
		row.Sub = "Logged leads without a known ad of this client"
		if b.q.CTX {
			row.Sub += ", or whose ad is in a campaign that is not CTX"
		}
		row.Spend, row.CPL, row.Gap = "–", "–", "–"
	}
	return row
}

// sortObjectRows sorts by a column; ties keep the store's order (attributed leads, then ids).
func sortObjectRows(rows []store.ObjectRow, key string, desc bool) {
	less := func(a, b store.ObjectRow) int {
		switch key {
		case "name":
			return strings.Compare(strings.ToLower(objectName(a)), strings.ToLower(objectName(b)))
		case "status":
			return strings.Compare(a.Status, b.Status)
		case "ctx":
			return cmpBool(a.IsCTX, b.IsCTX)
		case "spend":
			// Amounts in different currencies are not comparable: group by currency first.
			if c := strings.Compare(a.Currency, b.Currency); c != 0 {
				return c
			}
			return cmpInt(a.SpendMicros, b.SpendMicros)
		case "conversations":
			return cmpInt(a.Conversations, b.Conversations)
		case "logged":
			return cmpInt(a.LoggedLeads, b.LoggedLeads)
		case "gap":
			return cmpInt(a.AttributedLeads-a.LoggedLeads, b.AttributedLeads-b.LoggedLeads)
		case "cpl":
			if c := strings.Compare(a.Currency, b.Currency); c != 0 {
				return c
			}
			ca, oka := money.PerUnit(a.SpendMicros, a.AttributedLeads)
			cb, okb := money.PerUnit(b.SpendMicros, b.AttributedLeads)
			if oka != okb {
				return cmpBool(!oka, !okb) // rows without leads (no CPL) after the others
			}
			return cmpInt(ca, cb)
		}
		return cmpInt(a.AttributedLeads, b.AttributedLeads)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		c := less(rows[i], rows[j])
		if desc {
			return c > 0
		}
		return c < 0
	})
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	}
	return 1
}

// countDelta is the relative change of a count (or an amount) against the comparison period;
// format renders the earlier value for the screen-reader detail.
func countDelta(cur, was int64, title string, format func(int64) string) *views.Delta {
	d := &views.Delta{Title: fmt.Sprintf("%s; was %s", title, format(was))}
	switch {
	case cur == was:
		d.Text, d.Dir = "no change", "flat"
	case was == 0:
		d.Text, d.Dir = "new", "up"
	default:
		// Tenths of a percent, rounded half away from zero, in integers.
		tenths := (cur - was) * 1000 / was
		if r := (cur - was) * 1000 % was; 2*abs(r) >= abs(was) {
			if cur > was {
				tenths++
			} else {
				tenths--
			}
		}
		d.Text = signedTenths(tenths) + "%"
		d.Dir = "up"
		if cur < was {
			d.Dir = "down"
		}
	}
	return d
}

// rateDelta is the change of a ratio in percentage points.
func rateDelta(num, den, pnum, pden int64, title string) *views.Delta {
	if den == 0 || pden == 0 {
		return &views.Delta{Text: "–", Dir: "flat", Title: title + "; no rate to compare"}
	}
	// Tenths of a percentage point: 1000·(num/den − pnum/pden).
	diff := (num*pden - pnum*den) * 1000
	q := diff / (den * pden)
	if r := diff % (den * pden); 2*abs(r) >= abs(den*pden) {
		if diff > 0 {
			q++
		} else {
			q--
		}
	}
	d := &views.Delta{Text: signedTenths(q) + " pp", Title: fmt.Sprintf("%s; was %s", title, percent(pnum, pden))}
	switch {
	case q > 0:
		d.Dir = "up"
	case q < 0:
		d.Dir = "down"
	default:
		d.Text, d.Dir = "no change", "flat"
	}
	return d
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// signedTenths renders tenths with a sign: 125 → "+12.5", -3 → "−0.3".
func signedTenths(t int64) string {
	sign := "+"
	if t < 0 {
		sign, t = "−", -t
	}
	return fmt.Sprintf("%s%s.%d", sign, money.Group(strconv.FormatInt(t/10, 10)), t%10)
}

// percent renders num ÷ den with one decimal ("82.5%"), "–" without a denominator.
func percent(num, den int64) string {
	if den <= 0 {
		return "–"
	}
	tenths := num * 1000 / den
	if 2*(num*1000%den) >= den {
		tenths++
	}
	return money.Group(strconv.FormatInt(tenths/10, 10)) + "." + strconv.FormatInt(tenths%10, 10) + "%"
}

func grouped(n int64) string { return money.Group(strconv.FormatInt(n, 10)) }

func signed(n int64) string {
	switch {
	case n > 0:
		return "+" + grouped(n)
	case n < 0:
		return "−" + grouped(-n)
	}
	return "0"
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

func daysIn(since, until string) int {
	s, err1 := time.Parse(store.DateLayout, since)
	u, err2 := time.Parse(store.DateLayout, until)
	if err1 != nil || err2 != nil {
		return 0
	}
	return int(u.Sub(s).Hours()/24) + 1
}

// humanDate renders YYYY-MM-DD as "2 Nov 2026".
func humanDate(d string) string {
	t, err := time.Parse(store.DateLayout, d)
	if err != nil {
		return d
	}
	return t.Format("2 Jan 2006")
}

// ago renders how long ago t was, coarsely ("just now", "5 minutes ago", "3 days ago").
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case t.IsZero():
		return "never"
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	}
	return plural(int(d/(24*time.Hour)), "day") + " ago"
}
