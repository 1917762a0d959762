package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/leadlens/leadlens/collector"
	"github.com/leadlens/leadlens/collector/graph"
	"github.com/leadlens/leadlens/forward"
	"github.com/leadlens/leadlens/handlers"
	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
)

// The admin console's adapters: handlers and collector never import each other, so main hands
// the HTTP layer small interfaces (handlers.Refresher, handlers.MetaTester) built on the
// collector and the Graph client, and hands the collector and the forwarder the HTTP layer's
// metrics as their observers.

// *handlers.Metrics has the collector Observer's method set.
var _ collector.Observer = (*handlers.Metrics)(nil)

// refresher adapts *collector.Service to handlers.Refresher.
type refresher struct{ svc *collector.Service }

var _ handlers.Refresher = refresher{}

// Refresh implements handlers.Refresher: a manual run in the background.
func (r refresher) Refresh(ctx context.Context, req handlers.RefreshRequest) (int64, bool, error) {
	id, running, err := r.svc.Trigger(ctx, collector.Request{Trigger: store.TriggerManual, StartedBy: req.StartedBy,
		ClientID: req.ClientID, AccountIDs: req.AccountIDs})
	if errors.Is(err, collector.ErrInvalidRequest) {
		return 0, false, &handlers.RefreshRefusedError{Reason: strings.TrimPrefix(err.Error(), collector.ErrInvalidRequest.Error()+": ")}
	}
	return id, running, err
}

// Current implements handlers.Refresher.
func (r refresher) Current() (handlers.RunProgress, bool) {
	p, ok := r.svc.Current()
	return progressOf(p), ok
}

// Progress implements handlers.Refresher.
func (r refresher) Progress(runID int64) (handlers.RunProgress, bool) {
	p, ok := r.svc.Progress(runID)
	return progressOf(p), ok
}

func progressOf(p collector.Progress) handlers.RunProgress {
	out := handlers.RunProgress{RunID: p.RunID, Trigger: p.Trigger, StartedBy: p.StartedBy, Status: p.Status, Error: p.Error,
		APIVersion: p.APIVersion, StartedAt: p.StartedAt, FinishedAt: p.FinishedAt, AccountsTotal: p.AccountsTotal,
		AccountsDone: p.AccountsDone, Calls: p.Calls, Rows: p.Rows, ThrottleWaits: p.ThrottleWaits, ThrottleWait: p.ThrottleWait}
	for _, a := range p.Accounts {
		out.Accounts = append(out.Accounts, handlers.AccountProgress{AccountID: a.AccountID, Name: a.Name, Status: a.Status,
			Step: a.Step, Plan: a.Plan, Rows: a.Rows, Calls: a.Calls, ThrottleWaits: a.ThrottleWaits, ThrottleWait: a.ThrottleWait,
			LastWait: a.LastWait, Error: a.Error, Advice: a.Advice, ErrorCode: a.ErrorCode})
	}
	return out
}

// forwardObserver reports the forwarder's outcomes to the metrics.
func forwardObserver(m *handlers.Metrics) forward.Observer {
	return forward.Observer{
		Outcome: m.ForwardOutcome,
		Request: func(mode string, kind graph.Kind, took time.Duration) {
			result := "ok"
			if kind != graph.KindNone {
				result = kind.String()
			}
			m.ForwardRequest(mode, result, took)
		},
		Stopped: m.ForwardStopped,
	}
}

// metaTestTimeout bounds one connection test: a person is waiting for the page.
const metaTestTimeout = 15 * time.Second

// metaTester implements handlers.MetaTester with the Graph client and the collector's token
// order (an account's own token, else the stored installation token, else META_ACCESS_TOKEN).
// Tokens go only into the Graph client, whose errors are redacted; every text that leaves is
// scrubbed of the token once more.
type metaTester struct {
	db         *store.DB
	box        *secret.Box
	graphURL   string
	apiVersion string
	envToken   string
	http       *http.Client
}

var _ handlers.MetaTester = metaTester{}

func (a *app) metaTester() metaTester {
	return metaTester{db: a.db, box: a.box, graphURL: a.cfg.GraphURL, apiVersion: a.cfg.APIVersion, envToken: a.cfg.AccessToken,
		http: &http.Client{}}
}

// Token sources as the page names them.
const (
	sourceAccount = "the ad account's own token"
	sourceStored  = "the token stored in Admin → Meta connection"
	sourceEnv     = "META_ACCESS_TOKEN"
)

// installationToken is the stored token, else META_ACCESS_TOKEN.
func (m metaTester) installationToken(ctx context.Context) (token, source string, err error) {
	sealed, err := m.db.Setting(ctx, store.SettingMetaToken)
	switch {
	case err == nil:
		t, err := m.open(sealed)
		return t, sourceStored, err
	case !errors.Is(err, store.ErrNotFound):
		return "", "", err
	}
	if m.envToken != "" {
		return m.envToken, sourceEnv, nil
	}
	return "", "", errNoToken
}

var errNoToken = errors.New("no Meta token is set")

// errCannotOpen is a sealed token this installation's key cannot decrypt.
var errCannotOpen = errors.New("the stored token cannot be decrypted with this installation's key")

func (m metaTester) open(sealed []byte) (string, error) {
	if m.box == nil {
		return "", errCannotOpen
	}
	t, err := m.box.Open(sealed)
	if err != nil {
		return "", errCannotOpen
	}
	return strings.TrimSpace(t), nil
}

// TestInstallation implements handlers.MetaTester: GET /me with the installation's token.
func (m metaTester) TestInstallation(ctx context.Context) handlers.MetaTestResult {
	res := handlers.MetaTestResult{Request: "GET /me"}
	token, source, err := m.installationToken(ctx)
	res.TokenSource = source
	if err != nil {
		return tokenProblem(res, err)
	}
	start := time.Now()
	u, err := m.client(token).Me(ctx)
	res.Took = time.Since(start)
	if err != nil {
		return graphProblem(res, err, token)
	}
	res.OK, res.Answer = true, fmt.Sprintf("%s (user id %s)", u.Name, u.ID)
	return res
}

// TestAccount implements handlers.MetaTester: the account's fields with the token the
// collector would use for it.
func (m metaTester) TestAccount(ctx context.Context, accountID string) handlers.MetaTestResult {
	res := handlers.MetaTestResult{Request: "GET /act_" + accountID}
	acct, err := m.db.AdAccount(ctx, accountID)
	if err != nil {
		res.Error = "The ad account could not be read from the database."
		return res
	}
	var token, source string
	if acct.HasToken {
		sealed, err := m.db.AdAccountToken(ctx, acct.ID)
		if err == nil {
			token, err = m.open(sealed)
		}
		source = sourceAccount
		if err != nil {
			res.TokenSource = source
			return tokenProblem(res, err)
		}
	} else if token, source, err = m.installationToken(ctx); err != nil {
		res.TokenSource = source
		return tokenProblem(res, err)
	}
	res.TokenSource = source
	start := time.Now()
	a, err := m.client(token).Account(ctx, acct.ID)
	res.Took = time.Since(start)
	if err != nil {
		return graphProblem(res, err, token)
	}
	res.OK = true
	res.Answer = fmt.Sprintf("%s — %s, %s (act_%s)", a.Name, a.Currency, a.TimezoneName, a.ID)
	return res
}

// client is a Graph client with token and no retries: a test shows the first answer as it is.
func (m metaTester) client(token string) *graph.Client {
	c, err := graph.New(graph.Config{BaseURL: m.graphURL, Version: m.apiVersion, Token: token, HTTP: m.http,
		Timeout: metaTestTimeout, AppVersion: version})
	if err != nil {
		// The URL and version were checked at start-up (config and collector.New).
		panic(fmt.Sprintf("graph client: %v", err))
	}
	return c
}

// tokenProblem explains why no call was made.
func tokenProblem(res handlers.MetaTestResult, err error) handlers.MetaTestResult {
	switch {
	case errors.Is(err, errNoToken):
		res.Error = "No Meta token is set, so nothing was sent to Meta."
		res.Advice = "Paste a system user token with ads_read above (or set META_ACCESS_TOKEN)."
	case errors.Is(err, errCannotOpen):
		res.Error = "The stored token cannot be decrypted with this installation's key."
		res.Advice = "LEADLENS_SECRET (or the key file beside the database) changed since the token was saved: set it back, or enter the token again."
	default:
		res.Error = "The token could not be read from the database."
	}
	return res
}

// graphProblem is Meta's answer to a failed test: its message and code, and what to do.
func graphProblem(res handlers.MetaTestResult, err error, token string) handlers.MetaTestResult {
	var ge *graph.Error
	if errors.As(err, &ge) {
		msg := ge.Message
		if msg == "" {
			msg = ge.Error()
		}
		var meta []string
		if ge.Code != 0 {
			c := fmt.Sprintf("code %d", ge.Code)
			if ge.Subcode != 0 {
				c += fmt.Sprintf("/%d", ge.Subcode)
			}
			meta = append(meta, c)
		}
		if ge.HTTPStatus != 0 {
			meta = append(meta, fmt.Sprintf("HTTP %d", ge.HTTPStatus))
		}
		if ge.FBTraceID != "" {
			meta = append(meta, "fbtrace_id "+ge.FBTraceID)
		}
		if len(meta) > 0 {
			msg += " (" + strings.Join(meta, ", ") + ")"
		}
		res.Error, res.Advice = msg, ge.Advice()
	} else {
		res.Error = err.Error()
	}
	if token != "" {
		res.Error = strings.ReplaceAll(res.Error, token, "[token]")
		res.Advice = strings.ReplaceAll(res.Advice, token, "[token]")
	}
	return res
}
