package views

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// Chart is one chart on a page: a <div data-chart> that static/js/charts.js fills from the
// ECharts options in its data-chart-options attribute, so no inline script is needed (the
// Content-Security-Policy forbids it). An attribute rather than a <script type="application/json">
// because htmx, configured with allowScriptTags:false, removes every script element from the
// content it swaps in.
type Chart struct {
	ID    string
	Title string
	// Options is the ECharts option object as JSON (<, > and & escaped as well, so it stays
	// inert wherever it is placed).
	Options string
	// Series is how many series the options hold (the browser tests compare it with what
	// charts.js reports).
	Series int
	// Summary describes the chart in words for screen readers and as the no-JS fallback.
	Summary string
	// Note is a sentence under the chart (e.g. what the shaded days mean).
	Note  string
	Small bool
}

// DailyLeads is the input of LeadsChart: one entry per date.
type DailyLeads struct {
	Dates      []string
	Attributed []int64
	Logged     []int64
	// ProvisionalFrom is the first provisional date shown ("" when none is in range): Meta may
	// still restate it and the days after it.
	ProvisionalFrom string
	LookbackDays    int
}

// CurrencySeries is one currency's spend and cost per lead by day, in major units (display only;
// every sum behind them was made in integer micro-units). A nil CPL means no leads that day.
type CurrencySeries struct {
	Currency string
	Spend    []float64
	CPL      []*float64
}

// DailySpend is the input of SpendChart.
type DailySpend struct {
	Dates      []string
	Currencies []CurrencySeries
}

// TopObjects is the input of TopChart: objects in rank order.
type TopObjects struct {
	Title      string // "Leads by campaign (top 10)"
	Axis       string // "Campaign"
	Names      []string
	Attributed []int64
	Logged     []int64
}

// Series colours: attributed (Meta) blue, logged (the bot) green, spend amber, CPL red.
const (
	colorAttributed = "#2f5bea"
	colorLogged     = "#16a34a"
	colorSpend      = "#d97706"
	colorCPL        = "#b42318"
	// provisionalOpacity lightens the bars of days Meta may still restate.
	provisionalOpacity = 0.45
)

func baseOptions(title string) []charts.GlobalOpts {
	return []charts.GlobalOpts{
		charts.WithTitleOpts(opts.Title{Title: title, Left: "0", TitleStyle: &opts.TextStyle{FontSize: 14}}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "24", Left: "0"}),
		charts.WithGridOpts(opts.Grid{Left: "8", Right: "16", Top: "72", Bottom: "30", ContainLabel: opts.Bool(true)}),
		charts.WithAnimation(false),
		charts.WithAriaOpts(&opts.Aria{Enabled: opts.Bool(true)}),
	}
}

// LeadsChart draws attributed leads as bars and logged leads as a line per day, with the
// the provisional days drawn lighter.
func LeadsChart(id string, d DailyLeads) Chart {
	bar := charts.NewBar()
	bar.SetGlobalOptions(append(baseOptions("Attributed vs logged leads per day"),
		charts.WithXAxisOpts(opts.XAxis{Name: "Date", NameLocation: "middle", NameGap: 28, Type: "category"}),
		charts.WithYAxisOpts(opts.YAxis{Name: "Leads", Type: "value", MinInterval: 1}),
		charts.WithColorsOpts(opts.Colors{colorAttributed, colorLogged}),
	)...)
	bar.SetXAxis(d.Dates)
	// Provisional days are drawn as lighter bars rather than with a markArea: ECharts places a
	// markArea over category bars a band or two off at some widths, which would mislabel days.
	attributed := make([]opts.BarData, len(d.Attributed))
	for i, v := range d.Attributed {
		attributed[i] = opts.BarData{Value: v}
		if d.ProvisionalFrom != "" && i < len(d.Dates) && d.Dates[i] >= d.ProvisionalFrom {
			attributed[i].ItemStyle = &opts.ItemStyle{Opacity: opts.Float(provisionalOpacity)}
		}
	}
	bar.AddSeries("Attributed (Meta)", attributed)
	line := charts.NewLine()
	logged := make([]opts.LineData, len(d.Logged))
	for i, v := range d.Logged {
		logged[i] = opts.LineData{Value: v}
	}
	line.AddSeries("Logged (your bot)", logged)
	bar.Overlap(line)
	var a, l int64
	for i := range d.Attributed {
		a += d.Attributed[i]
		l += d.Logged[i]
	}
	c := render(id, bar, "Attributed vs logged leads per day")
	c.Summary = fmt.Sprintf("Bar and line chart over %d days: %d leads attributed by Meta (bars), %d logged by your bot (line).", len(d.Dates), a, l)
	if d.ProvisionalFrom != "" {
		c.Note = fmt.Sprintf("Lighter bars: days from %s on are provisional. Meta may still restate attributed leads for %d days after they happen; each sync re-reads them.",
			d.ProvisionalFrom, d.LookbackDays)
	}
	return c
}

// SpendChart draws spend (bars, left axis) and cost per lead (line, right axis) per day, one
// pair of series per currency: amounts in different currencies are never stacked or added.
func SpendChart(id string, d DailySpend) Chart {
	names := make([]string, 0, len(d.Currencies))
	for _, c := range d.Currencies {
		names = append(names, c.Currency)
	}
	unit := strings.Join(names, ", ")
	colors := opts.Colors{colorSpend, colorCPL}
	if len(d.Currencies) > 1 {
		colors = opts.Colors{colorSpend, colorCPL, "#7c3aed", "#0891b2", "#be185d", "#4d7c0f"}
	}
	bar := charts.NewBar()
	bar.SetGlobalOptions(append(baseOptions("Spend and cost per lead per day"),
		charts.WithXAxisOpts(opts.XAxis{Name: "Date", NameLocation: "middle", NameGap: 28, Type: "category"}),
		charts.WithYAxisOpts(opts.YAxis{Name: "Spend (" + unit + ")", Type: "value"}),
		charts.WithColorsOpts(colors),
	)...)
	bar.ExtendYAxis(opts.YAxis{Name: "Cost per lead (" + unit + ")", Type: "value", Position: "right"})
	bar.SetXAxis(d.Dates)
	line := charts.NewLine()
	for _, c := range d.Currencies {
		spend := make([]opts.BarData, len(c.Spend))
		for i, v := range c.Spend {
			spend[i] = opts.BarData{Value: v}
		}
		bar.AddSeries("Spend "+c.Currency, spend)
		cpl := make([]opts.LineData, len(c.CPL))
		for i, v := range c.CPL {
			if v == nil {
				cpl[i] = opts.LineData{Value: "-"} // ECharts' "no value": the line breaks
			} else {
				cpl[i] = opts.LineData{Value: *v}
			}
		}
		line.AddSeries("Cost per lead "+c.Currency, cpl, charts.WithLineChartOpts(opts.LineChart{YAxisIndex: 1, ConnectNulls: opts.Bool(false)}))
	}
	bar.Overlap(line)
	c := render(id, bar, "Spend and cost per lead per day")
	c.Summary = fmt.Sprintf("Bar and line chart over %d days: spend per day (bars) and cost per attributed lead (line), in %s.", len(d.Dates), unit)
	if len(d.Currencies) > 1 {
		c.Note = "Each currency has its own series; amounts in different currencies are not added."
	}
	return c
}

// TopChart draws the objects with the most attributed leads as horizontal bars, attributed and
// logged side by side, the first at the top.
func TopChart(id string, t TopObjects) Chart {
	bar := charts.NewBar()
	bar.SetGlobalOptions(append(baseOptions(t.Title),
		charts.WithXAxisOpts(opts.XAxis{Name: "Leads", NameLocation: "middle", NameGap: 28, Type: "value", MinInterval: 1}),
		charts.WithYAxisOpts(opts.YAxis{Name: t.Axis, NameLocation: "start", Type: "category", Inverse: opts.Bool(true),
			AxisLabel: &opts.AxisLabel{Width: 160, Overflow: "truncate"}}),
		charts.WithColorsOpts(opts.Colors{colorAttributed, colorLogged}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis", AxisPointer: &opts.AxisPointer{Type: "shadow"}}),
	)...)
	bar.SetXAxis(t.Names)
	attributed := make([]opts.BarData, len(t.Attributed))
	logged := make([]opts.BarData, len(t.Logged))
	for i := range t.Attributed {
		attributed[i] = opts.BarData{Value: t.Attributed[i]}
		logged[i] = opts.BarData{Value: t.Logged[i]}
	}
	bar.AddSeries("Attributed (Meta)", attributed)
	bar.AddSeries("Logged (your bot)", logged)
	bar.XYReversal()
	c := render(id, bar, t.Title)
	c.Summary = fmt.Sprintf("Horizontal bar chart of the %d objects with the most attributed leads.", len(t.Names))
	if len(t.Names) > 0 {
		c.Summary += fmt.Sprintf(" First: %s with %d attributed and %d logged.", t.Names[0], t.Attributed[0], t.Logged[0])
	}
	return c
}

// optionHolder is what render needs of a go-echarts chart.
type optionHolder interface {
	Validate()
	JSON() map[string]interface{}
}

// render turns a chart into its option JSON. encoding/json escapes <, > and & (\u003c …); templ
// escapes the attribute's quotes.
func render(id string, c optionHolder, title string) Chart {
	c.Validate()
	obj := c.JSON()
	// The Go-side defaults for the page's own renderer do not apply: charts.js sizes the chart
	// to its container.
	delete(obj, "toolbox")
	b, err := json.Marshal(obj)
	if err != nil {
		// Options are built from numbers and strings only; this cannot happen.
		panic(fmt.Sprintf("views: chart %s: %v", id, err))
	}
	// go-echarts has no nameTextStyle for axes: set it on the generic form, so a value axis's
	// name starts at its axis instead of being centred on it and cut off at the chart's edge.
	var generic map[string]any
	if err := json.Unmarshal(b, &generic); err != nil {
		panic(fmt.Sprintf("views: chart %s: %v", id, err))
	}
	if axes, ok := generic["yAxis"].([]any); ok {
		for _, a := range axes {
			if ax, ok := a.(map[string]any); ok && ax["name"] != nil {
				align := "left"
				if ax["position"] == "right" {
					align = "right"
				}
				ax["nameTextStyle"] = map[string]any{"align": align}
			}
		}
	}
	if b, err = json.Marshal(generic); err != nil {
		panic(fmt.Sprintf("views: chart %s: %v", id, err))
	}
	series, _ := generic["series"].([]any)
	return Chart{ID: id, Title: title, Options: string(b), Series: len(series)}
}
