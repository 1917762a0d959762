package views

// The admin console's plain data (views/admin*.templ). Handlers fill every field, URLs included;
// a form that was refused carries what was typed (never a secret) and Errors keyed by field name.

// FormErrors maps a form field's name to the message shown next to it.
type FormErrors map[string]string

// Has reports whether field has a message.
func (e FormErrors) Has(field string) bool { return e[field] != "" }

// ariaInvalid is the aria-invalid value of a field.
func (e FormErrors) ariaInvalid(field string) string {
	if e.Has(field) {
		return "true"
	}
	return "false"
}

// describedBy links a field to its error message (when it has one) and its hint.
func (e FormErrors) describedBy(field string, hint bool) string {
	s := ""
	if e.Has(field) {
		s = field + "-error"
	}
	if hint {
		if s != "" {
			s += " "
		}
		s += field + "-hint"
	}
	return s
}

// Admin is what every admin page shares: the sub-navigation.
type Admin struct {
	Nav []NavItem
}

// AdminIndex is /admin: the installation's setup at a glance.
type AdminIndex struct {
	Admin
	TokenSet    bool
	TokenSource string // where the collector's token comes from, in words
	Clients     int
	Archived    int
	Accounts    int
	// Attention lists what needs an admin: accounts never synced or failing, stopped forwarding.
	Attention []AdminNotice
	Current   *RunProgress // the run in progress; nil when idle
	Refresh   RefreshForm
	LastRuns  []RunRow
	Backups   BackupPanel
}

// BackupPanel is the latest backups on /admin and how they are scheduled.
type BackupPanel struct {
	// Schedule says when serve makes backups, where and how many it keeps; "" when it does not.
	Schedule string
	Rows     []BackupRow
}

// BackupRow is one recorded backup, newest first.
type BackupRow struct {
	Started  string
	Duration string
	Size     string
	Status   string
	Badge    string // ok or bad
	Trigger  string
	Path     string
	Error    string
	TestID   string
}

// AdminNotice is one line of "needs attention".
type AdminNotice struct {
	Kind    string // warn or bad
	Text    string
	Href    string
	TestID  string
	Details string
}

// RefreshForm is a "refresh now" button: it posts Client (a slug) and Account (act_…), either
// possibly empty (empty both: everything).
type RefreshForm struct {
	Action  string
	Client  string
	Account string
	Label   string
	TestID  string
	// Disabled says why no refresh can start here ("" when one can).
	Disabled string
}

// ClientRow is one client in the admin list.
type ClientRow struct {
	Name     string
	Slug     string
	Href     string
	Accounts int
	Pages    int
	Timezone string
	Archived bool
	LastSync string
	Failing  bool
	TestID   string
}

// AdminClients is /admin/clients.
type AdminClients struct {
	Admin
	Rows      []ClientRow
	ShowAll   bool   // archived clients included
	ToggleURL string // show / hide archived
	// New is the create form (with what was typed and the errors when it was refused).
	New ClientForm
}

// LeadOption is one lead definition a client may choose, with what it counts.
type LeadOption struct {
	ActionType  string
	Label       string
	Explanation string
	Checked     bool
}

// ClientForm is the create and edit form of a client.
type ClientForm struct {
	Action    string
	Editing   bool
	Name      string
	Slug      string
	Timezone  string
	BrandName string
	// AdAccounts and Pages are the create form's textareas, as typed.
	AdAccounts string
	Pages      string
	Leads      []LeadOption
	Timezones  []string // suggestions for the timezone input
	Errors     FormErrors
}

// AccountRow is one ad account on a client's admin page.
type AccountRow struct {
	ActID        string
	Name         string
	Currency     string
	Timezone     string
	LastSync     string
	LastError    string
	HasToken     bool
	TokenAction  string // set or remove the account's own token
	TestAction   string
	RemoveAction string
	Refresh      RefreshForm
	// Test is the connection test's answer when it was just run for this account.
	Test   *MetaTestResult
	Errors FormErrors // the token form's
	TestID string
}

// PageRow is one Facebook page of a client.
type PageRow struct {
	ID           string
	Name         string
	RemoveAction string
}

// AdminClient is /admin/clients/{slug}: settings, accounts, pages, branding and links.
type AdminClient struct {
	Admin
	Name          string
	Slug          string
	Archived      bool
	DashboardHref string
	Edit          ClientForm
	ArchiveAction string
	Accounts      []AccountRow
	AddAccounts   string // the add form's action
	AccountsInput string // as typed when refused
	Pages         []PageRow
	AddPages      string
	PagesInput    string
	Errors        FormErrors // add account/page and logo forms
	LogoURL       string     // "" when none
	LogoAction    string
	LogoRemove    string
	MaxLogoKiB    int
	Refresh       RefreshForm
	Links         []Link // API keys, share links, forwarding, runs
}

// MetaTestResult is what Meta answered to a connection test; it never holds a token.
type MetaTestResult struct {
	OK          bool
	Request     string // "GET /me"
	TokenSource string
	Answer      string // who or what Meta named
	Error       string // Meta's message
	Advice      string
	Took        string
	TestID      string
}

// AdminMeta is /admin/meta: the installation's Meta token and its test.
type AdminMeta struct {
	Admin
	GraphURL     string
	APIVersion   string
	Stored       bool
	StoredMask   string // "EAAB…(212 chars)"
	StoredAt     string
	EnvSet       bool // META_ACCESS_TOKEN is set
	TokenAction  string
	RemoveAction string
	TestAction   string
	Test         *MetaTestResult
	Errors       FormErrors
	// Overrides counts ad accounts with their own token.
	Overrides int
}

// RunRow is one run in the history.
type RunRow struct {
	ID        string
	Href      string
	Trigger   string
	StartedBy string
	Scope     string
	Status    string
	Badge     string
	Started   string
	Duration  string
	Calls     string
	Rows      string
	Waits     string
	Error     string
	TestID    string
}

// RunOption is one option of a filter select.
type RunOption struct {
	Value    string
	Label    string
	Selected bool
}

// AdminRuns is /admin/runs: the history with filters and paging.
type AdminRuns struct {
	Admin
	Statuses []RunOption
	Triggers []RunOption
	Clients  []RunOption
	Rows     []RunRow
	Prev     string // URL of the newer page, "" on the first
	Next     string // URL of the older page, "" on the last
	PageText string
	Refresh  RefreshForm
	Current  *RunProgress
}

// AdminRun is /admin/runs/{id}.
type AdminRun struct {
	Admin
	ID        string
	Trigger   string
	StartedBy string
	Scope     string
	Version   string
	Progress  RunProgress
	Dashboard []Link // the dashboards of the clients the run read
}

// RunProgress is a run's live (or final) progress: the fragment the run page polls.
type RunProgress struct {
	ID            string
	PollURL       string // set while the run runs: the fragment polls itself
	Href          string
	Running       bool
	Status        string
	Badge         string
	Started       string
	Finished      string
	Elapsed       string
	AccountsDone  int
	AccountsTotal int
	Calls         string
	Rows          string
	Waits         string // "2 (4.1s)"
	Error         string
	Accounts      []AccountProgressRow
}

// AccountProgressRow is one ad account's part of a run.
type AccountProgressRow struct {
	ActID     string
	Name      string
	Status    string
	Badge     string
	Step      string
	Plan      string
	Rows      string
	Calls     string
	Waits     string
	LastWait  string
	Error     string
	ErrorCode string
	Advice    string
	TestID    string
}

// APIKeyRow is one API key of a client.
type APIKeyRow struct {
	Name         string
	Prefix       string
	CreatedBy    string
	Created      string
	LastUsed     string
	Revoked      string // when; "" while valid
	RevokeAction string
	TestID       string
}

// AdminAPIKeys is /admin/clients/{slug}/api-keys.
type AdminAPIKeys struct {
	Admin
	ClientName string
	ClientHref string
	Action     string
	Name       string
	Errors     FormErrors
	// NewKey is the key just created, shown this once; Curl is an example using it.
	NewKey string
	Curl   string
	Keys   []APIKeyRow
}

// RoleOption is a role choice.
type RoleOption = RunOption

// UserRow is one user.
type UserRow struct {
	ID           string
	Email        string
	Role         string
	Client       string
	Created      string
	LastLogin    string
	Self         bool
	RoleAction   string
	RemoveAction string
	Roles        []RoleOption
	Clients      []RunOption
	Error        string // a refused change of this row
	TestID       string
}

// AdminUsers is /admin/users.
type AdminUsers struct {
	Admin
	Action  string
	Email   string
	Roles   []RoleOption
	Clients []RunOption
	Errors  FormErrors
	// NewUser and NewPassword show a generated password once.
	NewUser     string
	NewPassword string
	Users       []UserRow
}
