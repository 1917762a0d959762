package metasim

import "fmt"

// graphError is one answer in Meta's error envelope. regain, when >= 0, is written as
// estimated_time_to_regain_access (minutes) into the usage header of the throttled account.
type graphError struct {
	status    int
	message   string
	typ       string
	code      int
	subcode   int
	transient bool
	userTitle string
	userMsg   string
	regain    int
}

func (e *graphError) Error() string {
	return fmt.Sprintf("graph error %d/%d: %s", e.code, e.subcode, e.message)
}

func (e *graphError) envelope(trace string) object {
	o := object{{"message", e.message}, {"type", e.typ}, {"code", e.code}}
	if e.subcode != 0 {
		o = append(o, field{"error_subcode", e.subcode})
	}
	o = append(o, field{"is_transient", e.transient})
	if e.userTitle != "" {
		o = append(o, field{"error_user_title", e.userTitle}, field{"error_user_msg", e.userMsg})
	}
	o = append(o, field{"fbtrace_id", trace})
	return object{{"error", o}}
}

// gerr builds an OAuthException answered with HTTP 400, the most common shape.
func gerr(code, subcode int, format string, args ...any) *graphError {
	return &graphError{status: 400, typ: "OAuthException", code: code, subcode: subcode,
		message: fmt.Sprintf(format, args...), regain: -1}
}

// errParam names the parameter at fault, as Meta's code-100 messages do.
func errParam(format string, args ...any) *graphError {
	return gerr(100, 0, "(#100) "+format, args...)
}

// errNoObject is Meta's answer for an id that does not exist or cannot be seen with this token.
func errNoObject(method, id string) *graphError {
	e := gerr(100, 33, "Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api", method, id)
	e.typ = "GraphMethodException"
	return e
}

func errNoField(name, node string) *graphError {
	return gerr(100, 0, "(#100) Tried accessing nonexisting field (%s) on node type (%s)", name, node)
}

func errInvalidToken() *graphError {
	return gerr(190, 0, "Invalid OAuth access token - Cannot parse access token")
}

func errNoToken() *graphError {
	return gerr(104, 0, "An access token is required to request this resource.")
}

func errAccountThrottled(regain int) *graphError {
	e := gerr(80000, 2446079, "(#80000) There have been too many calls from this ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting#ads-management.")
	e.regain = regain
	return e
}

func errAppThrottled() *graphError {
	e := gerr(4, 0, "(#4) Application request limit reached")
	e.transient = true
	return e
}

func errJobNotReady(transient bool) *graphError {
	e := gerr(2601, 1815107, "(#2601) Error accessing adreport job.")
	e.transient = transient
	e.userTitle = "Loading Async Ads Report Failed"
	e.userMsg = "Sorry, the report cannot be loaded successfully. Please check if your job status is completed instead of failed or running before fetching the data."
	return e
}
