package views

// Link is a labelled URL; Current marks the choice in effect.
type Link struct {
	Label   string
	Href    string
	Current bool
	TestID  string
}

// Field is a hidden form field that carries view state.
type Field struct {
	Name  string
	Value string
}

// Dashboard is a client's dashboard — or one campaign's drill-down — as the page shows it.
// Handlers build every URL in it, so the same view serves /clients/{slug} and share links.
type Dashboard struct {
	Heading string // the client's name, or the campaign's in a drill-down
	Crumbs  []Link // where a drill-down came from
	Badges  []Badge
	Facts   Facts
	Filters Filters
	Alerts  []Alert
	// Empty, when set, replaces tiles, charts and table with an explanation.
	Empty  *Empty
	Tiles  []Tile
	Charts []Chart
	Table  Table
	// ExportHref downloads the CSV of the view ("" hides the link).
	ExportHref  string
	ExportLabel string
	// Refresh is the "refresh now" form; nil where the viewer may not refresh (share links,
	// viewers) or no collector is wired.
	Refresh *Action
}

// Badge is a small label next to the heading.
type Badge struct {
	Text string
	Kind string // ctx, ok, warn, bad or ""
}

// Facts are the lines that say what the numbers are: the lead definition, the timezone(s), how
// fresh the data is.
type Facts struct {
	LeadLabel      string
	LeadActionType string
	LeadHelp       string
	Timezone       string
	// Accounts lists each ad account with its timezone, currency and last sync; shown when the
	// client has more than one.
	Accounts []AccountFact
	LastSync string // "3 hours ago", "never"
	// LastSyncISO is the instant for <time datetime>; "" when never.
	LastSyncISO string
	// Running says a collection run covering the client is in progress ("" when none).
	Running string
}

// AccountFact is one ad account's line.
type AccountFact struct {
	Name     string
	ID       string // act_…
	Timezone string
	Currency string
	LastSync string
	Failing  bool
}

// Alert is a message above the numbers.
type Alert struct {
	Kind    string // info, warn, bad
	Title   string
	Message string
	TestID  string
}

// Empty is an empty state: why there is nothing to show and what to do.
type Empty struct {
	TestID  string
	Title   string
	Message string
}

// Tile is one KPI.
type Tile struct {
	Label  string
	Help   string
	TestID string
	// Lines holds one value per line (one per currency for money).
	Lines []TileLine
}

// TileLine is a value with its change against the comparison period.
type TileLine struct {
	Value string
	Delta *Delta
}

// Delta is a change against the comparison period.
type Delta struct {
	Text string // "+12.5%", "−3.0 pp", "new"
	Dir  string // up, down, flat
	// Inverse marks metrics where up is bad (cost per lead).
	Inverse bool
	Title   string // "was 120 in 1 Oct – 28 Oct"
}

// Filters is the view's state and the links that change it.
type Filters struct {
	Action       string // the form's target (the dashboard's own path)
	Presets      []Link
	Since, Until string // the period, for the custom-range form
	Max          string // the last date a person may pick
	Hidden       []Field
	RangeText    string // "1 Nov 2026 – 28 Nov 2026 (28 days)"
	Compare      Link
	CompareText  string // "vs 4 Oct – 31 Oct 2026"
	Levels       []Link // nil in a drill-down
	CTX          []Link // nil in a drill-down
	CTXHelp      string
}

// Column is a table column header.
type Column struct {
	Label string
	Href  string // sort link ("" for unsortable)
	Sort  string // ascending, descending or "" (aria-sort)
	Num   bool
	Help  string
}

// Row is one table row, already formatted.
type Row struct {
	Name          string
	Href          string // drill-down ("" when none)
	Sub           string // a second line: the id, or the campaign of an ad set
	Status        string
	StatusKind    string // ok, warn or ""
	ShowCTX       bool
	CTX           bool
	Spend         string
	Conversations string
	Attributed    string
	Logged        string
	Gap           string
	CPL           string
	Unattributed  bool
	TestID        string
}

// Table is the per-object table.
type Table struct {
	Caption string
	Columns []Column
	Rows    []Row
	// Showing says which rows of how many are shown ("1–100 of 2,001").
	Showing string
	Pages   []Link
	Notes   []string
}

// Action is a button that posts to a URL.
type Action struct {
	Label string
	Href  string
}
