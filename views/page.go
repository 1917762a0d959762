// Package views renders Leadlens's pages with templ. Components take plain structs built by the
// handlers; they never see a request or the database.
package views

// Page is what the layout needs around every page.
type Page struct {
	Title   string
	Assets  Assets
	Nav     []NavItem
	User    *User  // nil when nobody is signed in (anonymous pages, share links)
	Brand   *Brand // a client's branding on its shared view; nil for the product's own header
	Version string
	// Scripts lists extra script URLs (all served by us) for this page.
	Scripts []string
	// Flash is a one-off message shown at the top of the page.
	Flash *Flash
}

// Assets holds the versioned URLs of the static files every page uses.
type Assets struct {
	CSS      string
	Favicon  string
	Logo     string
	ECharts  string
	Charts   string
	HTMX     string
	AppJS    string
	NoCharts bool // pages without charts skip echarts' 1 MB
}

// NavItem is one link of the top navigation.
type NavItem struct {
	Label   string
	Href    string
	Current bool
}

// User is the signed-in person as the header shows them.
type User struct {
	Email string
	Role  string
}

// Brand is a client's name and logo for its shared dashboard.
type Brand struct {
	Name    string
	LogoURL string
}

// Flash is a one-off message: Kind is ok, info, warn or bad.
type Flash struct {
	Kind    string
	Message string
}
