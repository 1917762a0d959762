package views

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func decode(t *testing.T, c Chart) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(c.Options), &m); err != nil {
		t.Fatalf("%s: options are not JSON: %v", c.ID, err)
	}
	return m
}

func TestLeadsChartShadesProvisionalDays(t *testing.T) {
	c := LeadsChart("leads", DailyLeads{Dates: []string{"2026-11-01", "2026-11-02", "2026-11-03"},
		Attributed: []int64{1, 2, 3}, Logged: []int64{0, 2, 1}, ProvisionalFrom: "2026-11-02", LookbackDays: 28})
	m := decode(t, c)
	series := m["series"].([]any)
	if c.Series != 2 || len(series) != 2 {
		t.Fatalf("series: got %d (%d in JSON), want 2", c.Series, len(series))
	}
	data := series[0].(map[string]any)["data"].([]any)
	for i, want := range []bool{false, true, true} {
		_, light := data[i].(map[string]any)["itemStyle"]
		if light != want {
			t.Errorf("bar %d drawn provisional: got %v, want %v", i, light, want)
		}
	}
	if !strings.Contains(c.Note, "from 2026-11-02 on are provisional") || !strings.Contains(c.Summary, "6 leads attributed") {
		t.Errorf("note %q / summary %q", c.Note, c.Summary)
	}
	for _, k := range []string{"title", "tooltip", "legend", "xAxis", "yAxis"} {
		if m[k] == nil {
			t.Errorf("options have no %s", k)
		}
	}
	if strings.Contains(c.Options, "function") {
		t.Errorf("options carry a JS function: %s", c.Options)
	}
}

func TestSpendChartOneSeriesPairPerCurrency(t *testing.T) {
	cpl := 2.5
	c := SpendChart("spend", DailySpend{Dates: []string{"a", "b"}, Currencies: []CurrencySeries{
		{Currency: "EUR", Spend: []float64{1, 2}, CPL: []*float64{&cpl, nil}},
		{Currency: "USD", Spend: []float64{3, 4}, CPL: []*float64{nil, nil}},
	}})
	m := decode(t, c)
	var names []string
	for _, s := range m["series"].([]any) {
		names = append(names, s.(map[string]any)["name"].(string))
	}
	if got := strings.Join(names, ","); got != "Spend EUR,Spend USD,Cost per lead EUR,Cost per lead USD" || c.Series != 4 {
		t.Errorf("series got %s (%d), want a spend and a CPL series per currency", got, c.Series)
	}
	if !strings.Contains(c.Options, `{"value":"-"}`) {
		t.Errorf("a day without leads should have no CPL point: %s", c.Options)
	}
	if !strings.Contains(c.Note, "not added") {
		t.Errorf("note got %q", c.Note)
	}
}

func TestChartOptionsAreInertInHTML(t *testing.T) {
	c := TopChart("top", TopObjects{Title: "Top", Axis: "Campaign", Names: []string{`</script><script>alert(1)</script>"'&`},
		Attributed: []int64{1}, Logged: []int64{0}})
	if strings.ContainsAny(c.Options, "<>&") {
		t.Errorf("options JSON contains raw <, > or &: %s", c.Options)
	}
	var b bytes.Buffer
	if err := ChartPanel(c).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<script") {
		t.Errorf("a campaign name became markup: %s", b.String())
	}
	if !strings.Contains(b.String(), `data-expected-series="2"`) {
		t.Errorf("no data-expected-series: %s", b.String())
	}
}

func TestSparkline(t *testing.T) {
	s := NewSparkline([]int64{0, 5, 10}, 100, 20, "leads")
	if s.Points != "1,19 50,10 99,1" {
		t.Errorf("points got %q", s.Points)
	}
	if NewSparkline([]int64{0, 0}, 10, 10, "").Points != "1,9 9,9" {
		t.Errorf("a flat zero line should lie on the bottom")
	}
}
