package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Kind classifies a failed Graph API call by what the caller should do about it.
type Kind uint8

// The kinds of failure. KindNone is the kind of a nil error and of a successful call.
const (
	KindNone           Kind = iota // no error
	KindTransient                  // Meta had a temporary problem: retry with backoff
	KindThrottled                  // rate limited: wait (Error.RetryAfter when known), then retry
	KindAuth                       // the token is invalid or expired: a person must re-authenticate
	KindPermission                 // the token lacks a permission or access to the object
	KindDataTooLarge               // the request asks for too much data: smaller window/limit or async
	KindNotFound                   // the object does not exist or the token cannot see it
	KindInvalidRequest             // Meta rejected the request itself (bad parameter, 37-month limit, …)
	KindDecode                     // the answer could not be read (malformed/truncated JSON, bad number)
	KindNetwork                    // no usable answer: connection error or per-request timeout
	KindCanceled                   // the caller's context was canceled or its deadline passed
	KindUnknown                    // an error that did not come from this package's classification
)

var kindNames = [...]string{
	KindNone:           "none",
	KindTransient:      "transient",
	KindThrottled:      "throttled",
	KindAuth:           "auth",
	KindPermission:     "permission",
	KindDataTooLarge:   "data_too_large",
	KindNotFound:       "not_found",
	KindInvalidRequest: "invalid_request",
	KindDecode:         "decode",
	KindNetwork:        "network",
	KindCanceled:       "canceled",
	KindUnknown:        "unknown",
}

// String returns the kind's snake_case name, suitable as a metrics label.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Error is a failed Graph API call. Every non-2xx answer, every 200 answer carrying an
// "error" key, every unreadable answer and every transport failure becomes an *Error.
// No field ever holds the access token: messages and URLs are redacted before they get here.
type Error struct {
	Kind        Kind
	Op          string        // method and path, e.g. "GET /act_1/insights"; never the query
	AccountID   string        // ad account id without act_, when the call concerned one
	HTTPStatus  int           // 0 when no answer arrived
	Code        int           // Meta's error code
	Subcode     int           // Meta's error_subcode
	Type        string        // Meta's error type, e.g. "OAuthException"
	Message     string        // Meta's message, or a description of the failure
	UserTitle   string        // Meta's error_user_title, when sent
	UserMessage string        // Meta's error_user_msg, when sent
	FBTraceID   string        // Meta's fbtrace_id, for support requests
	IsTransient bool          // Meta's is_transient flag
	RetryAfter  time.Duration // for KindThrottled: Meta's estimated_time_to_regain_access; 0 = unknown
	Permission  string        // for KindPermission: the permission(s) Meta named, e.g. "ads_read"
	Field       string        // for KindDecode: the field whose value could not be read
	Err         error         // underlying cause (transport or JSON error), already redacted
}

// Error describes the failure, what Meta said and what a person should do.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("graph: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.summary())
	var meta []string
	if e.Code != 0 {
		c := fmt.Sprintf("code %d", e.Code)
		if e.Subcode != 0 {
			c += fmt.Sprintf("/%d", e.Subcode)
		}
		meta = append(meta, c)
	}
	if e.HTTPStatus != 0 {
		meta = append(meta, fmt.Sprintf("HTTP %d", e.HTTPStatus))
	}
	if e.FBTraceID != "" {
		meta = append(meta, "fbtrace_id "+e.FBTraceID)
	}
	if len(meta) > 0 {
		b.WriteString(" (" + strings.Join(meta, ", ") + ")")
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if a := e.Advice(); a != "" {
		b.WriteString(" — ")
		b.WriteString(a)
	}
	return b.String()
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) summary() string {
	switch e.Kind {
	case KindTransient:
		return "temporary error at Meta"
	case KindThrottled:
		return "rate limited by Meta"
	case KindAuth:
		return "Meta access token rejected"
	case KindPermission:
		if e.Permission != "" {
			return "missing permission " + e.Permission
		}
		return "missing permission"
	case KindDataTooLarge:
		return "too much data requested"
	case KindNotFound:
		return "object not found or not accessible"
	case KindInvalidRequest:
		if e.HTTPStatus == 0 {
			return "invalid request"
		}
		return "request rejected by Meta"
	case KindDecode:
		if e.Field != "" {
			return "unreadable value in Meta's answer"
		}
		return "unreadable answer from Meta"
	case KindNetwork:
		return "could not get an answer from the Graph API"
	case KindCanceled:
		return "canceled"
	}
	return "Graph API error"
}

// Advice tells a person what to do about the error, in one sentence.
func (e *Error) Advice() string {
	switch e.Kind {
	case KindAuth:
		return "re-authenticate the token in Admin → Meta connection (or the ad account's own token): it expired, was revoked, or its user changed password or logged out"
	case KindPermission:
		p := e.Permission
		if p == "" {
			p = "ads_read"
		}
		return "grant " + p + " to the token and give its user access to the ad account in Meta Business Settings, then test the connection in Admin → Meta connection"
	case KindNotFound:
		return "check the id: the object was deleted or this token cannot see it; remove it from Leadlens or grant the token access"
	case KindDataTooLarge:
		return "ask for less data per call: a shorter date window, a smaller page limit, or an async report job"
	case KindInvalidRequest:
		if e.Code == 3018 {
			return "ask for at most 37 months of history"
		}
		return "the request itself was rejected; check the ids and the configured Graph API version, and report it with the fbtrace_id if it persists"
	case KindThrottled:
		if e.RetryAfter > 0 {
			return fmt.Sprintf("wait about %s (Meta's estimate) before calling again", e.RetryAfter.Round(time.Second))
		}
		return "wait a few minutes before calling again; Leadlens slows down when Meta's usage headers near 100%"
	case KindTransient:
		return "retry later; Meta reports a temporary problem"
	case KindDecode:
		if e.Field != "" {
			return "Meta sent a value Leadlens cannot read exactly; report it with the fbtrace_id"
		}
		return "retry; if it persists, check META_GRAPH_URL points at the Graph API"
	case KindNetwork:
		return "check network access to the Graph API and META_GRAPH_URL, then retry"
	case KindCanceled:
		return "the operation was stopped before it finished"
	}
	return ""
}

// KindOf returns the kind of err: the Kind of the first *Error in its chain, KindCanceled
// for context cancellation, KindNone for nil and KindUnknown otherwise.
func KindOf(err error) Kind {
	if err == nil {
		return KindNone
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return KindCanceled
	}
	return KindUnknown
}

// IsRetryable reports whether repeating the same request may succeed: transient, throttled
// and network failures, and unreadable answers — except a Decode error naming a field, which
// is a value Meta will send again.
func IsRetryable(err error) bool {
	switch KindOf(err) {
	case KindTransient, KindThrottled, KindNetwork:
		return true
	case KindDecode:
		var e *Error
		return errors.As(err, &e) && e.Field == ""
	}
	return false
}

// wireError is Meta's error envelope body.
type wireError struct {
	Message     string    `json:"message"`
	Type        string    `json:"type"`
	Code        numString `json:"code"`
	Subcode     numString `json:"error_subcode"`
	UserTitle   string    `json:"error_user_title"`
	UserMessage string    `json:"error_user_msg"`
	FBTraceID   string    `json:"fbtrace_id"`
	IsTransient bool      `json:"is_transient"`
}

var (
	missingPermRe = regexp.MustCompile(`(?i)missing permission|permissions? (?:must|need to) be granted|requires? (?:the )?[a-z_]+ permission|not grant(?:ed)? .*permission|does not have (?:the )?(?:[a-z_]+ )?permission`)
	permNameRe    = regexp.MustCompile(`\b(ads_read|ads_management|business_management|read_insights|leads_retrieval|catalog_management|pages_[a-z_]+|instagram_[a-z_]+|whatsapp_business_[a-z_]+)\b`)
)

// classifyGraph turns Meta's error envelope into an *Error. buc is the answer's usage, used
// for RetryAfter on throttling.
func classifyGraph(status int, w *wireError, u Usage, accountID string) *Error {
	code, _ := atoiLoose(w.Code.s)
	sub, _ := atoiLoose(w.Subcode.s)
	e := &Error{
		HTTPStatus: status, Code: code, Subcode: sub, Type: w.Type, Message: w.Message,
		UserTitle: w.UserTitle, UserMessage: w.UserMessage, FBTraceID: w.FBTraceID, IsTransient: w.IsTransient,
	}
	lower := strings.ToLower(w.Message)
	switch {
	case code == 190:
		e.Kind = KindAuth
	case code == 100 && sub == 33:
		// Checked before the permission wording: Meta's text for 33 reads "does not exist,
		// cannot be loaded due to missing permissions, or does not support this operation".
		e.Kind = KindNotFound
	case code == 10 || (code >= 200 && code <= 299) || (code == 100 && missingPermRe.MatchString(w.Message)):
		e.Kind = KindPermission
		e.Permission = permissionNames(w.Message + " " + w.UserMessage)
	case code == 100 && (sub == 1487534 || sub == 1504018),
		code == 1 && strings.Contains(lower, "reduce the amount of data"):
		e.Kind = KindDataTooLarge
	case isThrottleCode(code):
		e.Kind = KindThrottled
		e.RetryAfter = u.regainFor(accountID)
	case code == 2601, code == 1, code == 2, w.IsTransient, status >= 500:
		e.Kind = KindTransient
	case code == 0 && classifyStatus(status) != KindDecode:
		// An envelope without a code (not Meta's, perhaps a proxy's): go by the status.
		e.Kind = classifyStatus(status)
		if e.Kind == KindThrottled {
			e.RetryAfter = u.regainFor(accountID)
		}
	default:
		e.Kind = KindInvalidRequest
	}
	return e
}

func isThrottleCode(code int) bool {
	switch code {
	case 4, 17, 32, 613, 80008:
		return true
	}
	return code >= 80000 && code <= 80006
}

// classifyStatus classifies a non-2xx answer that carried no readable error envelope.
func classifyStatus(status int) Kind {
	switch {
	case status >= 500, status == http.StatusRequestTimeout:
		return KindTransient
	case status == http.StatusTooManyRequests:
		return KindThrottled
	case status == http.StatusUnauthorized:
		return KindAuth
	case status == http.StatusForbidden:
		return KindPermission
	case status == http.StatusNotFound:
		return KindNotFound
	}
	// A 4xx whose body we cannot read may be a truncated Meta envelope: retrying is bounded.
	return KindDecode
}

func permissionNames(msg string) string {
	var names []string
	for _, m := range permNameRe.FindAllString(msg, -1) {
		dup := false
		for _, n := range names {
			dup = dup || n == m
		}
		if !dup {
			names = append(names, m)
		}
	}
	return strings.Join(names, " or ")
}

// parseEnvelope returns the "error" object of an answer, nil when there is none. An empty
// body has none; a body that is not a JSON object is an error.
func parseEnvelope(data []byte) (*wireError, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	var env struct {
		Error *wireError `json:"error"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, err
	}
	return env.Error, nil
}

// describeJSONError says what was wrong with an answer's JSON without Go type names.
func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err.Error() == "unexpected end of JSON input":
		return "truncated JSON"
	case errors.As(err, &syn):
		return fmt.Sprintf("malformed JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Sprintf("unexpected JSON %s where an object was expected", typ.Value)
		}
		return fmt.Sprintf("unexpected JSON %s in field %q", typ.Value, typ.Field)
	}
	return "malformed JSON: " + err.Error()
}
