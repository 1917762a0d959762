// Package events is Leadlens's event log: the parser of Meta's Messaging Events API request
// (`page_activities`), the referral request, and the group-commit batcher that writes accepted
// events durably, many requests per transaction.
//
// The parser is pure (no I/O, the clock passed in) so it can be fuzzed; every error it returns
// is a *ParseError naming the offending field the way a bot author would write it
// (`custom_events[2]._eventName`).
package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of one request. Meta documents no exact figures for page_activities; these follow its
// app-event limits where they exist and are generous elsewhere, so a bot Meta accepted is
// accepted here.
const (
	// MaxEvents is the most custom_events entries one request may carry (Meta's batch size).
	MaxEvents = 1000
	// MaxCustomKeys is the most custom parameters one event may carry.
	MaxCustomKeys = 50
	// MaxKeyLen is the longest custom parameter name, in characters.
	MaxKeyLen = 100
	// MaxValueLen is the longest custom parameter value, in bytes of its JSON text.
	MaxValueLen = 1000
	// MaxEventIDLen is the longest event_id, in characters.
	MaxEventIDLen = 200
	// MaxEventNameLen is Meta's limit on app event names.
	MaxEventNameLen = 40
)

// earliestLogTime is the first instant a _logTime may name: Facebook did not exist before it,
// so an earlier value is a unit mistake (milliseconds read as seconds the other way round are
// caught by the future bound).
var earliestLogTime = time.Date(2004, 1, 1, 0, 0, 0, 0, time.UTC)

// futureSlack is how far ahead of the server's clock a _logTime may be (clock skew, time zones
// mistaken for offsets); anything later is a bug in the bot.
const futureSlack = 24 * time.Hour

// Format is the body encoding of a request.
type Format int

// The body encodings the event API accepts.
const (
	JSON Format = iota + 1
	Form
)

// ParseError says which field of a request is wrong and why. Status is the HTTP status it
// deserves: 400 for a bad field, 415 for an unsupported Content-Type.
type ParseError struct {
	Field   string
	Message string
	Status  int
}

func (e *ParseError) Error() string { return e.Field + ": " + e.Message }

func bad(field, format string, args ...any) *ParseError {
	return &ParseError{Field: field, Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

// Request is a parsed, valid page_activities request.
type Request struct {
	PageID string // digits
	PSID   string // page-scoped user id, digits
	// AdID is the request's ad (top-level ad_id or referral.ad_id), "" when not given.
	AdID                       string
	AdvertiserTrackingEnabled  bool
	ApplicationTrackingEnabled bool
	LoggingSource              string // always "messenger_bot"
	LoggingTarget              string // app, page or app_and_page
	Events                     []Event
}

// Event is one entry of custom_events.
type Event struct {
	Name     string // _eventName
	Value    string // _valueToSum exactly as sent (decimal text), "" when absent
	Currency string // fb_currency, upper-case ISO 4217, "" when absent
	LogTime  int64  // _logTime in unix seconds, 0 when absent
	EventID  string // the event_id extension, "" when absent
	// Custom holds every other key as a compact JSON object with sorted keys; nil when none.
	Custom json.RawMessage
}

// MediaType checks a Content-Type header: application/json or application/x-www-form-urlencoded,
// with an optional UTF-8 charset. Anything else is a 415 *ParseError.
func MediaType(contentType string) (Format, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return 0, unsupported(contentType)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return 0, &ParseError{Field: "Content-Type", Status: http.StatusUnsupportedMediaType,
			Message: fmt.Sprintf("charset %q is not supported; send UTF-8", cs)}
	}
	switch mt {
	case "application/json":
		return JSON, nil
	case "application/x-www-form-urlencoded":
		return Form, nil
	}
	return 0, unsupported(contentType)
}

func unsupported(ct string) *ParseError {
	if ct == "" {
		ct = "(none)"
	}
	return &ParseError{Field: "Content-Type", Status: http.StatusUnsupportedMediaType,
		Message: fmt.Sprintf("%.100q is not supported; send application/json or application/x-www-form-urlencoded", ct)}
}

// Parse reads a page_activities request against the current time; see ParseAt.
func Parse(contentType string, body []byte, query url.Values) (Request, error) {
	return ParseAt(contentType, body, query, time.Now())
}

// ParseAt reads a page_activities request: a JSON body, or a form whose values are strings
// (custom_events then a JSON-encoded string). Parameters missing from the body are taken from
// the query string, as the Graph API does. access_token is never part of the result. now bounds
// _logTime. Every error is a *ParseError.
func ParseAt(contentType string, body []byte, query url.Values, now time.Time) (Request, error) {
	params, err := readParams(contentType, body, query)
	if err != nil {
		return Request{}, err
	}
	return parseRequest(params, now)
}

// readParams turns a body and query string into top-level parameters, each as JSON text: form
// and query values become JSON strings, so one set of rules reads both encodings.
func readParams(contentType string, body []byte, query url.Values) (map[string]json.RawMessage, error) {
	format, err := MediaType(contentType)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(body) {
		return nil, bad("body", "is not valid UTF-8")
	}
	params := map[string]json.RawMessage{}
	switch format {
	case JSON:
		if err := decodeObject(body, &params); err != nil {
			return nil, bad("body", "is not a JSON object: %s", jsonProblem(err))
		}
	case Form:
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, bad("body", "is not a valid form (application/x-www-form-urlencoded)")
		}
		if err := addValues(params, vals, "body"); err != nil {
			return nil, err
		}
	}
	q := url.Values{}
	for k, v := range query {
		if _, inBody := params[k]; !inBody {
			q[k] = v
		}
	}
	if err := addValues(params, q, "query"); err != nil {
		return nil, err
	}
	delete(params, "access_token")
	return params, nil
}

// addValues adds form or query values as JSON strings; a parameter given twice is ambiguous
// (which page would be checked, which stored?) and refused.
func addValues(params map[string]json.RawMessage, vals url.Values, where string) error {
	for k, v := range vals {
		if len(v) > 1 && k != "access_token" {
			return bad(k, "is given %d times in the %s; give it once", len(v), where)
		}
		if !utf8.ValidString(k) || !utf8.ValidString(v[0]) {
			return bad("body", "is not valid UTF-8")
		}
		b, _ := json.Marshal(v[0])
		params[k] = b
	}
	return nil
}

// decodeObject decodes exactly one JSON object, refusing trailing data.
func decodeObject(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the JSON value")
	}
	if _, err := dec.Token(); err == nil {
		return fmt.Errorf("unexpected data after the JSON value")
	}
	return nil
}

// jsonProblem shortens encoding/json's messages for people.
func jsonProblem(err error) string {
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if strings.Contains(msg, "cannot unmarshal") {
		return "expected a JSON object"
	}
	if msg == "EOF" {
		return "the body is empty"
	}
	return msg
}

func parseRequest(p map[string]json.RawMessage, now time.Time) (Request, error) {
	var req Request
	var err *ParseError
	if req.PageID, err = requiredID(p, "page_id"); err != nil {
		return Request{}, err
	}
	if req.PSID, err = requiredID(p, "page_scoped_user_id"); err != nil {
		return Request{}, err
	}
	if req.AdvertiserTrackingEnabled, err = flag(p, "advertiser_tracking_enabled"); err != nil {
		return Request{}, err
	}
	if req.ApplicationTrackingEnabled, err = flag(p, "application_tracking_enabled"); err != nil {
		return Request{}, err
	}
	if req.LoggingSource, err = oneOf(p, "logging_source", "messenger_bot"); err != nil {
		return Request{}, err
	}
	if req.LoggingTarget, err = oneOf(p, "logging_target", "app", "page", "app_and_page"); err != nil {
		return Request{}, err
	}
	if req.AdID, err = adID(p); err != nil {
		return Request{}, err
	}
	if req.Events, err = customEvents(p["custom_events"], now); err != nil {
		return Request{}, err
	}
	return req, nil
}

// AccessToken returns the access_token parameter of a JSON or form body, "" when there is none.
// The handler authenticates with it before parsing, so an unauthenticated caller learns nothing
// about its request's validity.
func AccessToken(contentType string, body []byte) string {
	format, err := MediaType(contentType)
	if err != nil {
		return ""
	}
	if format == Form {
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return ""
		}
		return vals.Get("access_token")
	}
	var v struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	return v.AccessToken
}
