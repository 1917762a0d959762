package graph

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
)

// Query parameters whose values are secrets wherever a URL is printed.
var secretParamRe = regexp.MustCompile(`(?i)\b(access_token|input_token|appsecret_proof|client_secret|fb_exchange_token)=([^&\s"'#]*)`)

const redacted = "REDACTED"

// redactText removes secret query parameter values and every occurrence of token (raw and
// query-escaped) from s.
func redactText(s, token string) string {
	s = secretParamRe.ReplaceAllString(s, "${1}="+redacted)
	if token != "" {
		s = strings.ReplaceAll(s, token, redacted)
		if esc := url.QueryEscape(token); esc != token {
			s = strings.ReplaceAll(s, esc, redacted)
		}
	}
	return s
}

func (c *Client) redact(s string) string { return redactText(s, c.token) }

// redactedError prints a redacted text and keeps the original chain for errors.Is/As.
type redactedError struct {
	text string
	err  error
}

// Error returns the redacted text.
func (e *redactedError) Error() string { return e.text }

// Unwrap returns the original error (any *url.Error in it already redacted).
func (e *redactedError) Unwrap() error { return e.err }

// scrubErr redacts err's text. A *url.Error in the chain (net/http prints the full URL, token
// included) has its URL redacted in place, so unwrapping does not reveal it either.
func (c *Client) scrubErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = c.redact(ue.URL)
	}
	return &redactedError{text: c.redact(err.Error()), err: err}
}
