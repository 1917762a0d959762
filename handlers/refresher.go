package handlers

import (
	"context"
	"time"
)

// Refresher starts collection runs and reports their progress. main adapts *collector.Service
// to it: handlers and collector never import each other, so the request and the progress are
// handler-side types here.
type Refresher interface {
	// Refresh starts a manual run in the background and returns its id; while another run is
	// in progress it returns that run's id with alreadyRunning. A request that cannot run (an
	// account of no client, …) is a *RefreshRefusedError.
	Refresh(ctx context.Context, req RefreshRequest) (runID int64, alreadyRunning bool, err error)
	// Current returns the live progress of the run in progress, if any.
	Current() (RunProgress, bool)
	// Progress returns a run's progress: live while it runs, else as recorded.
	Progress(runID int64) (RunProgress, bool)
}

// RefreshRequest asks for one manual run. Zero ClientID and no AccountIDs: everything.
type RefreshRequest struct {
	StartedBy  string // who asked (an email)
	ClientID   int64  // only this client's accounts
	AccountIDs []string
}

// RefreshRefusedError is a refresh that cannot run; Reason says why, for a person.
type RefreshRefusedError struct{ Reason string }

// Error implements error.
func (e *RefreshRefusedError) Error() string { return "refresh refused: " + e.Reason }

// RunProgress is a snapshot of a run, as the admin pages show it.
type RunProgress struct {
	RunID         int64
	Trigger       string
	StartedBy     string
	Status        string // running, succeeded, partial, failed, cancelled
	Error         string
	APIVersion    string
	StartedAt     time.Time
	FinishedAt    time.Time // zero while running
	AccountsTotal int
	AccountsDone  int
	Calls         int64
	Rows          int64
	ThrottleWaits int
	ThrottleWait  time.Duration
	Accounts      []AccountProgress
}

// AccountProgress is one ad account's part of a run.
type AccountProgress struct {
	AccountID     string // Meta's numeric id, without act_
	Name          string
	Status        string // pending, running, succeeded, failed, cancelled
	Step          string
	Plan          string
	Rows          int64
	Calls         int64
	ThrottleWaits int
	ThrottleWait  time.Duration
	LastWait      string
	Error         string // what went wrong, as Meta said it
	Advice        string // what a person should do about it
	ErrorCode     int
}

// MetaTester checks Meta tokens against the Graph API; main implements it with the Graph client.
// Results never carry a token.
type MetaTester interface {
	// TestInstallation calls GET /me with the installation's token: the one stored in Admin →
	// Meta connection, else META_ACCESS_TOKEN.
	TestInstallation(ctx context.Context) MetaTestResult
	// TestAccount reads an ad account (id without act_) with the token the collector would use
	// for it: its own, else the installation's.
	TestAccount(ctx context.Context, accountID string) MetaTestResult
}

// MetaTestResult is what Meta answered to a connection test.
type MetaTestResult struct {
	OK          bool
	Request     string // e.g. "GET /me"
	TokenSource string // which token was used, in words ("stored installation token")
	Answer      string // on success: who or what Meta named
	Error       string // on failure: Meta's message (with its code), or why no call was made
	Advice      string // what to do about Error
	Took        time.Duration
}
