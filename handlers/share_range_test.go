package handlers

import (
	"strings"
	"testing"

	"github.com/leadlens/leadlens/internal/pagetest"
	"github.com/leadlens/leadlens/store"
)

// csvDates returns the distinct dates of a CSV export's rows.
func csvDates(t *testing.T, csv string) map[string]bool {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "date,") {
		t.Fatalf("not a CSV with rows:\n%s", csv)
	}
	out := map[string]bool{}
	for _, l := range lines[1:] {
		d, _, _ := strings.Cut(l, ",")
		out[d] = true
	}
	return out
}

func onlyDates(got map[string]bool, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	for _, d := range want {
		if !got[d] {
			return false
		}
	}
	return true
}

// A fixed link always shows its dates: range parameters in the URL are ignored, the page has no
// range controls and no comparison, and the CSV holds only those days.
func TestShareFixedRange(t *testing.T) {
	e, f, _ := shareEnv(t)
	tok, _ := e.newLink(store.NewShareLink{ClientID: f.Acme.ID, RangeMode: store.RangeFixed, RangeSince: "2026-11-01", RangeUntil: "2026-11-02"})
	base := "/s/" + tok
	c := e.client()
	for _, q := range []string{"", "?range=last_90d", "?range=custom&since=2026-10-01&until=2026-11-04", "?since=garbage", "?compare=1&range=this_month",
		"?range=last_7d&range=last_14d"} {
		p := e.getPage(c, base+q)
		if p.Code != 200 {
			t.Fatalf("fixed%s: got %d, want 200 (range parameters are ignored)\n%s", q, p.Code, pagetest.Text(p.Root))
		}
		if got := p.TestID("range-text"); got != "1 Nov 2026 – 2 Nov 2026 (2 days)" {
			t.Errorf("fixed%s: range %q, want the link's", q, got)
		}
		for _, id := range []string{"custom-range", "range-last_7d", "range-custom", "compare-toggle", "delta"} {
			if p.Has(id) {
				t.Errorf("fixed%s: the page has %q; a fixed link has no range controls and no comparison", q, id)
			}
		}
		if got := p.TestID("share-range-note"); !strings.Contains(got, "always shows 1 Nov 2026 – 2 Nov 2026") {
			t.Errorf("fixed%s: note %q", q, got)
		}
		if got := p.TileValues("tile-spend"); strings.Join(got, " ") != "€21.25 $18.50" {
			t.Errorf("fixed%s: spend %q, want €21.25 $18.50 (1–2 Nov, CTX)", q, got)
		}
	}
	// Other view state still works inside the range.
	if p := e.getPage(c, base+"?level=adset&ctx=0"); p.Code != 200 || !strings.HasPrefix(p.TestID("table"), "Ad sets") {
		t.Errorf("fixed, level=adset: got %d, want the ad-set table", p.Code)
	}
	if code, _ := e.get(c, base+"?level=ads"); code != 400 {
		t.Errorf("fixed, level=ads: got %d, want 400", code)
	}
	_, csv := e.fetch(c, base+"/export.csv?range=last_90d&level=adset&ctx=0")
	if got := csvDates(t, csv); !onlyDates(got, "2026-11-01", "2026-11-02") {
		t.Errorf("fixed CSV asked for 90 days: dates %v, want 1–2 Nov only", got)
	}
}

// A bounded link shows any period overlapping its dates, cut to them; a period outside them is
// refused naming the parameter; comparison only inside the dates.
func TestShareBoundedRange(t *testing.T) {
	e, f, _ := shareEnv(t)
	tok, _ := e.newLink(store.NewShareLink{ClientID: f.Acme.ID, RangeMode: store.RangeBounded, RangeSince: "2026-10-31", RangeUntil: "2026-11-03"})
	base := "/s/" + tok
	c := e.client()

	p := e.getPage(c, base)
	if p.Code != 200 || p.TestID("range-text") != "31 Oct 2026 – 3 Nov 2026 (4 days)" {
		t.Fatalf("bounded default: got %d %q, want the link's dates", p.Code, p.TestID("range-text"))
	}
	if p.Has("compare-toggle") || p.Has("delta") {
		t.Error("bounded default: a comparison with days before the link's dates is offered")
	}
	since := pagetest.Find(p.Root, "since")
	if attr(since, "min") != "2026-10-31" || attr(since, "max") != "2026-11-03" {
		t.Errorf("date picker bounds: min %q max %q, want the link's dates", attr(since, "min"), attr(since, "max"))
	}

	tests := []struct {
		query, want string
		compare     bool
	}{
		{"?range=last_7d", "31 Oct 2026 – 3 Nov 2026 (4 days)", false},
		{"?range=this_month", "1 Nov 2026 – 3 Nov 2026 (3 days)", false},
		{"?range=custom&since=2026-10-01&until=2026-11-01", "31 Oct 2026 – 1 Nov 2026 (2 days)", false},
		{"?range=custom&since=2026-11-02&until=2026-11-03", "2 Nov 2026 – 3 Nov 2026 (2 days)", true},
	}
	for _, tc := range tests {
		p := e.getPage(c, base+tc.query)
		if p.Code != 200 || p.TestID("range-text") != tc.want && !strings.HasPrefix(p.TestID("range-text"), tc.want+" ·") {
			t.Errorf("bounded%s: got %d %q, want %q", tc.query, p.Code, p.TestID("range-text"), tc.want)
		}
		if p.Has("compare-toggle") != tc.compare {
			t.Errorf("bounded%s: comparison offered %v, want %v", tc.query, p.Has("compare-toggle"), tc.compare)
		}
	}
	for query, param := range map[string]string{
		"?range=custom&since=2026-11-04&until=2026-11-04": "since",
		"?range=custom&since=2026-10-01&until=2026-10-30": "until",
		"?range=last_month&compare=1&since=2026-10-01":    "since",
	} {
		code, body := e.get(c, base+query)
		if code != 400 || !strings.Contains(body, "The "+param+" parameter is not valid") {
			t.Errorf("bounded%s: got %d, want 400 naming %s", query, code, param)
		}
	}
	_, csv := e.fetch(c, base+"/export.csv?range=last_90d&level=adset&ctx=0")
	if got := csvDates(t, csv); !onlyDates(got, "2026-11-01", "2026-11-02", "2026-11-03") {
		t.Errorf("bounded CSV asked for 90 days: dates %v, want the delivered days inside 31 Oct – 3 Nov", got)
	}
	if code, _ := e.get(c, base+"/export.csv?range=custom&since=2026-10-01&until=2026-10-30"); code != 400 {
		t.Errorf("bounded CSV outside the dates: got %d, want 400", code)
	}

	// Presets that cannot overlap an old link's dates are not offered, and refused by URL.
	old, _ := e.newLink(store.NewShareLink{ClientID: f.Acme.ID, RangeMode: store.RangeBounded, RangeSince: "2026-01-01", RangeUntil: "2026-03-31"})
	p = e.getPage(c, "/s/"+old)
	if p.Code != 200 || p.Has("range-last_7d") || p.Has("range-last_90d") || !p.Has("range-custom") {
		t.Errorf("old bounded link: got %d, want only the custom range offered", p.Code)
	}
	if code, body := e.get(c, "/s/"+old+"?range=last_7d"); code != 400 || !strings.Contains(body, "The range parameter is not valid") {
		t.Errorf("old bounded link, last_7d: got %d, want 400 naming range", code)
	}
}

// An open link offers what the dashboard offers.
func TestShareOpenRange(t *testing.T) {
	e, f, _ := shareEnv(t)
	tok, _ := e.newLink(store.NewShareLink{ClientID: f.Acme.ID})
	p := e.getPage(e.client(), "/s/"+tok+"?range=custom&since=2026-10-30&until=2026-11-04")
	if p.Code != 200 || !p.Has("compare-toggle") || !p.Has("custom-range") || !p.Has("range-last_90d") || p.Has("share-range-note") {
		t.Fatalf("open link: got %d, want the dashboard's controls", p.Code)
	}
	if got := p.TileValues("tile-spend"); strings.Join(got, " ") != "€27.25 $121.50" {
		t.Errorf("open link spend: got %q, want €27.25 $121.50", got)
	}
}
