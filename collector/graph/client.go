package graph

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Defaults used when the matching Config field is zero.
const (
	DefaultBaseURL      = "https://graph.facebook.com"
	DefaultTimeout      = 60 * time.Second
	DefaultMaxBodyBytes = 32 << 20
	DefaultPageLimit    = 500
)

// Config configures a Client. Only Version is required; Token may be empty when every
// ad account uses its own token (WithToken).
type Config struct {
	BaseURL      string           // e.g. https://graph.facebook.com, without the version; default DefaultBaseURL
	Version      string           // Graph API version, "v21.0" ("21.0" is accepted and normalised)
	Token        string           // the installation's access token; never logged
	HTTP         *http.Client     // default: a new client on http.DefaultTransport
	Timeout      time.Duration    // per HTTP attempt, body read included; default DefaultTimeout
	MaxBodyBytes int64            // cap on one answer's body; default DefaultMaxBodyBytes
	Now          func() time.Time // clock for Usage.At; default time.Now (durations use the monotonic clock)
	Logger       *slog.Logger     // default: discard
	Hooks        Hooks            // pacing, metrics and progress callbacks; all optional
	Retrier      Retrier          // consulted after each failed attempt; nil = no retries
	AppVersion   string           // Leadlens's version for the User-Agent "leadlens/<AppVersion>"; default "dev"
}

// Client calls the Graph API. It is safe for concurrent use.
type Client struct {
	base      string // scheme://host[/prefix], no trailing slash
	baseHost  string
	version   string
	token     string
	http      *http.Client
	timeout   time.Duration
	maxBody   int64
	now       func() time.Time
	log       *slog.Logger
	hooks     Hooks
	retrier   Retrier
	userAgent string
	shared    *shared
}

var (
	versionRe     = regexp.MustCompile(`^v?(\d{1,3})(?:\.(\d{1,2}))?$`)
	versionPathRe = regexp.MustCompile(`(^|/)v\d+(\.\d+)?(/|$)`)
)

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	version, err := normaliseVersion(cfg.Version)
	if err != nil {
		return nil, err
	}
	base, host, err := normaliseBase(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout < 0 || cfg.MaxBodyBytes < 0 {
		return nil, errors.New("graph: Timeout and MaxBodyBytes must not be negative")
	}
	c := &Client{
		base: base, baseHost: host, version: version, token: cfg.Token,
		http: cfg.HTTP, timeout: cfg.Timeout, maxBody: cfg.MaxBodyBytes,
		now: cfg.Now, log: cfg.Logger, hooks: cfg.Hooks, retrier: cfg.Retrier,
		shared: &shared{byAccount: map[string]Usage{}, jobs: map[string]string{}},
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBody == 0 {
		c.maxBody = DefaultMaxBodyBytes
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	app := cfg.AppVersion
	if app == "" {
		app = "dev"
	}
	c.userAgent = "leadlens/" + app
	return c, nil
}

func normaliseVersion(v string) (string, error) {
	m := versionRe.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil {
		return "", fmt.Errorf("graph: invalid Graph API version %q: want the form v21.0", v)
	}
	minor := m[2]
	if minor == "" {
		minor = "0"
	}
	return "v" + m[1] + "." + minor, nil
}

func normaliseBase(raw string) (base, host string, err error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("graph: invalid base URL %q: %v", redactText(raw, ""), err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", "", fmt.Errorf("graph: invalid base URL %q: scheme must be http or https", redactText(raw, ""))
	case u.Host == "":
		return "", "", fmt.Errorf("graph: invalid base URL %q: no host", redactText(raw, ""))
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "", "", fmt.Errorf("graph: invalid base URL %q: must not carry a query, fragment or credentials", redactText(raw, ""))
	case versionPathRe.MatchString(u.Path):
		return "", "", fmt.Errorf("graph: invalid base URL %q: it must not include the API version; set the version separately (e.g. v21.0)", raw)
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"), u.Host, nil
}

// WithToken returns a client that uses token instead (an ad account's own token). It shares
// the receiver's configuration and usage tracking.
func (c *Client) WithToken(token string) *Client {
	d := *c
	d.token = token
	return &d
}

// WithRetrier returns a client that consults r (nil: no retries), sharing everything else.
// Use it for calls that must not be repeated blindly, e.g. LogPageActivities.
func (c *Client) WithRetrier(r Retrier) *Client {
	d := *c
	d.retrier = r
	return &d
}

// Version returns the normalised Graph API version, e.g. "v21.0".
func (c *Client) Version() string { return c.version }

// call describes one logical request (retried as a unit).
type call struct {
	op        string
	method    string
	path      string     // below the version; used when rawURL is empty
	query     url.Values // without access_token
	rawURL    string     // a paging.next URL, followed as given
	body      []byte
	ctype     string
	accountID string
	page      int
}

// maxAttempts is a hard stop however permissive a Retrier is.
const maxAttempts = 50

// do runs cl, retrying per the Retrier. decode runs inside each attempt on a 2xx body without
// an error key, so unreadable answers are retried like any other failure; it returns the
// number of rows it decoded.
func (c *Client) do(ctx context.Context, cl call, decode func([]byte) (int, error)) error {
	target, err := c.target(cl)
	if err != nil {
		return err
	}
	info := RequestInfo{Op: cl.op, Method: cl.method, Path: pathBelowVersion(target), URL: c.redact(target.String()),
		AccountID: cl.accountID, Page: cl.page}
	for attempt := 1; ; attempt++ {
		info.Attempt = attempt
		if err := ctx.Err(); err != nil {
			return c.canceled(info, err)
		}
		if h := c.hooks.BeforeRequest; h != nil {
			if err := h(ctx, info); err != nil {
				if ctx.Err() != nil {
					return c.canceled(info, ctx.Err())
				}
				return fmt.Errorf("graph: %s %s: before request: %w", info.Method, info.Path, err)
			}
		}
		res, err := c.attempt(ctx, info, target, cl, decode)
		if h := c.hooks.AfterResponse; h != nil {
			h(info, res)
		}
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return c.canceled(info, ctx.Err())
		}
		if c.retrier == nil || attempt >= maxAttempts {
			return err
		}
		wait, ok := c.retrier.Retry(ctx, attempt, err)
		if !ok {
			return err
		}
		if h := c.hooks.OnRetry; h != nil {
			h(info, err, wait)
		}
		c.log.InfoContext(ctx, "graph: retrying", "op", info.Op, "path", info.Path, "page", info.Page,
			"attempt", attempt, "kind", res.Kind.String(), "wait", wait, "err", err.Error())
		if err := sleep(ctx, wait); err != nil {
			return c.canceled(info, err)
		}
	}
}

// target builds the attempt URL: base/version/path?query&access_token, or the next URL as given.
func (c *Client) target(cl call) (*url.URL, error) {
	if cl.rawURL != "" {
		u, err := url.Parse(cl.rawURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, &Error{Kind: KindDecode, Op: cl.method + " (paging.next)", AccountID: cl.accountID,
				Message: "paging.next is not an absolute http(s) URL: " + truncate(c.redact(cl.rawURL), 200)}
		}
		// Meta's next URLs carry the token; add ours only if a server left it out of a URL
		// pointing back at the configured host.
		if u.Query().Get("access_token") == "" && u.Host == c.baseHost && c.token != "" {
			if u.RawQuery != "" {
				u.RawQuery += "&"
			}
			u.RawQuery += "access_token=" + url.QueryEscape(c.token)
		}
		return u, nil
	}
	if c.token == "" {
		return nil, &Error{Kind: KindAuth, Op: cl.method + " " + cl.path, AccountID: cl.accountID,
			Message: "no Meta access token is configured"}
	}
	u, err := url.Parse(c.base + "/" + c.version + cl.path)
	if err != nil {
		return nil, &Error{Kind: KindInvalidRequest, Op: cl.method + " " + cl.path, Message: "cannot build URL: " + err.Error()}
	}
	q := url.Values{}
	for k, v := range cl.query {
		q[k] = v
	}
	q.Set("access_token", c.token)
	u.RawQuery = q.Encode()
	return u, nil
}

// attempt performs one HTTP exchange.
func (c *Client) attempt(ctx context.Context, info RequestInfo, target *url.URL, cl call, decode func([]byte) (int, error)) (Result, error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := time.Now()
	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(actx, cl.method, target.String(), body)
	if err != nil {
		e := c.fail(info, &Error{Kind: KindInvalidRequest, Message: "cannot build request", Err: c.scrubErr(err)})
		return Result{Kind: e.Kind, Err: e}, e
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if cl.ctype != "" {
		req.Header.Set("Content-Type", cl.ctype)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		e := c.fail(info, c.networkError(ctx, actx, err))
		res := Result{Kind: e.Kind, Err: e, Duration: time.Since(start)}
		c.logAttempt(ctx, info, res)
		return res, e
	}
	defer resp.Body.Close()
	res := Result{Status: resp.StatusCode}
	res.Usage = parseUsage(resp.Header, c.now(), func(h string, err error) {
		c.log.DebugContext(ctx, "graph: ignoring malformed usage header", "header", h, "err", err.Error())
	})
	c.shared.observe(info.AccountID, res.Usage)
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	res.Bytes = len(data)
	var e *Error
	switch {
	case rerr != nil:
		e = c.networkError(ctx, actx, rerr)
		e.HTTPStatus = resp.StatusCode
	case int64(len(data)) > c.maxBody:
		e = &Error{Kind: KindDataTooLarge, HTTPStatus: resp.StatusCode,
			Message: fmt.Sprintf("answer larger than %d bytes", c.maxBody)}
	default:
		e = c.check(resp.StatusCode, data, res.Usage, info.AccountID)
		if e == nil && decode != nil {
			n, derr := decode(data)
			res.Rows = n
			if derr != nil {
				if !errors.As(derr, &e) {
					e = &Error{Kind: KindDecode, Message: describeJSONError(derr), Err: derr}
					var typ *json.UnmarshalTypeError
					if errors.As(derr, &typ) {
						// A value of the wrong JSON type will come again: not worth a retry.
						e.Field = cmp.Or(typ.Field, "(top level)")
					}
				}
				e.HTTPStatus = resp.StatusCode
			}
		}
	}
	res.Duration = time.Since(start)
	if e != nil {
		if e.FBTraceID == "" {
			e.FBTraceID = resp.Header.Get("X-Fb-Trace-Id")
		}
		c.fail(info, e)
		res.Kind, res.Err = e.Kind, e
	}
	c.logAttempt(ctx, info, res)
	if e != nil {
		return res, e
	}
	return res, nil
}

// check returns the error an answer carries: a non-2xx status or a 2xx with an "error" key.
func (c *Client) check(status int, data []byte, u Usage, accountID string) *Error {
	env, envErr := parseEnvelope(data)
	ok := status >= 200 && status < 300
	switch {
	case env != nil:
		return classifyGraph(status, env, u, accountID)
	case ok && envErr != nil:
		return &Error{Kind: KindDecode, HTTPStatus: status, Message: describeJSONError(envErr), Err: envErr}
	case ok:
		return nil
	}
	k := classifyStatus(status)
	e := &Error{Kind: k, HTTPStatus: status, Message: fmt.Sprintf("HTTP %d %s without a Graph API error body", status, http.StatusText(status))}
	if snippet := strings.TrimSpace(string(data)); snippet != "" {
		e.Message += ": " + truncate(snippet, 200)
	}
	if k == KindThrottled {
		e.RetryAfter = u.regainFor(accountID)
	}
	return e
}

// fail fills in the request context and redacts the texts of e.
func (c *Client) fail(info RequestInfo, e *Error) *Error {
	if e.Op == "" {
		e.Op = info.Method + " " + info.Path
	}
	if e.AccountID == "" {
		e.AccountID = info.AccountID
	}
	e.Message = c.redact(e.Message)
	e.UserTitle = c.redact(e.UserTitle)
	e.UserMessage = c.redact(e.UserMessage)
	return e
}

// networkError classifies a transport failure: the caller's cancellation, the per-attempt
// timeout, or a connection error. *url.Error texts carry the full URL; it is redacted here.
func (c *Client) networkError(ctx, actx context.Context, err error) *Error {
	if ctx.Err() != nil {
		return &Error{Kind: KindCanceled, Message: ctx.Err().Error(), Err: ctx.Err()}
	}
	scrubbed := c.scrubErr(err)
	if actx.Err() != nil {
		return &Error{Kind: KindNetwork, Message: fmt.Sprintf("no complete answer within %s", c.timeout), Err: scrubbed}
	}
	return &Error{Kind: KindNetwork, Message: scrubbed.Error(), Err: scrubbed}
}

func (c *Client) canceled(info RequestInfo, err error) error {
	return c.fail(info, &Error{Kind: KindCanceled, Message: err.Error(), Err: err})
}

func (c *Client) logAttempt(ctx context.Context, info RequestInfo, res Result) {
	if !c.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []any{"op", info.Op, "method", info.Method, "url", info.URL, "page", info.Page,
		"attempt", info.Attempt, "status", res.Status, "duration", res.Duration, "bytes", res.Bytes}
	if res.Err != nil {
		attrs = append(attrs, "kind", res.Kind.String(), "err", res.Err.Error())
	}
	if !res.Usage.IsZero() {
		attrs = append(attrs, "usage_max", res.Usage.Max())
	}
	c.log.DebugContext(ctx, "graph: request", attrs...)
}

// pathBelowVersion returns u's path without the base prefix and version segment.
func pathBelowVersion(u *url.URL) string {
	p := u.Path
	if loc := versionPathRe.FindStringIndex(p); loc != nil {
		return "/" + strings.TrimPrefix(p[loc[1]:], "/")
	}
	return p
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// accountPath validates an ad account id ("act_123" or "123") and returns its numeric part.
func accountPath(id string) (string, error) {
	n := strings.TrimPrefix(strings.TrimSpace(id), "act_")
	if n == "" || !allDigits(n) {
		return "", &Error{Kind: KindInvalidRequest, Message: fmt.Sprintf("invalid ad account id %q: want act_<digits> or <digits>", truncate(id, 40))}
	}
	return n, nil
}

// objectID validates a plain Graph object id (report run, dataset, app).
func objectID(what, id string) (string, error) {
	id = strings.TrimSpace(id)
	if id == "" || !allDigits(id) {
		return "", &Error{Kind: KindInvalidRequest, Message: fmt.Sprintf("invalid %s id %q: want digits", what, truncate(id, 40))}
	}
	return id, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
