package events

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Referral is a parsed, valid POST /api/v1/referrals request: the person (page, PSID) arrived
// from ad AdID at ReferredAt.
type Referral struct {
	PageID string
	PSID   string
	AdID   string
	Source string // the webhook referral's source, e.g. ADS; "" when not given
	Type   string // the webhook referral's type, e.g. OPEN_THREAD; "" when not given
	// ReferredAt is when the person arrived, UTC; zero when not given (the server's clock then).
	ReferredAt time.Time
}

// ParseReferralAt reads a referral request, JSON or form, in the shape a bot has at hand when
// the Messenger webhook delivers a referral:
//
//	{"page_id":"1234567890","page_scoped_user_id":"9876543210",
//	 "referral":{"ad_id":"6045246247433","source":"ADS","type":"OPEN_THREAD"},
//	 "timestamp":1767225600000}
//
// ad_id may also be top-level; the time is referred_at (unix seconds) or timestamp (unix
// milliseconds, as the webhook sends it). now bounds the time. Every error is a *ParseError.
func ParseReferralAt(contentType string, body []byte, query url.Values, now time.Time) (Referral, error) {
	p, err := readParams(contentType, body, query)
	if err != nil {
		return Referral{}, err
	}
	var r Referral
	var perr *ParseError
	if r.PageID, perr = requiredID(p, "page_id"); perr != nil {
		return Referral{}, perr
	}
	if r.PSID, perr = requiredID(p, "page_scoped_user_id"); perr != nil {
		return Referral{}, perr
	}
	if r.AdID, perr = adID(p); perr != nil {
		return Referral{}, perr
	}
	if r.AdID == "" {
		return Referral{}, bad("ad_id", "is required (top-level ad_id or referral.ad_id)")
	}
	var ref map[string]json.RawMessage
	if raw, ok := p["referral"]; ok && !isNull(raw) {
		ref, _ = objectOrString(raw, "referral") // adID already checked it is an object
	}
	if r.Source, perr = label(p, ref, "source"); perr != nil {
		return Referral{}, perr
	}
	if r.Type, perr = label(p, ref, "type"); perr != nil {
		return Referral{}, perr
	}
	if r.ReferredAt, perr = referralTime(p, now); perr != nil {
		return Referral{}, perr
	}
	return r, nil
}

// label reads an optional short string from the top level or the referral object.
func label(p, ref map[string]json.RawMessage, key string) (string, *ParseError) {
	raw, field := p[key], key
	if isNull(raw) {
		raw, field = ref[key], "referral."+key
	}
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || len(s) > 40 {
		return "", bad(field, "must be a string of at most 40 characters, such as ADS or OPEN_THREAD")
	}
	return s, nil
}

// referralTime reads referred_at (unix seconds, or RFC 3339) or timestamp (unix milliseconds).
func referralTime(p map[string]json.RawMessage, now time.Time) (time.Time, *ParseError) {
	field, unit := "referred_at", time.Second
	raw := p[field]
	if isNull(raw) {
		field, unit = "timestamp", time.Millisecond
		raw = p[field]
	}
	if isNull(raw) {
		return time.Time{}, nil
	}
	s := string(raw)
	if strings.HasPrefix(s, `"`) {
		_ = json.Unmarshal(raw, &s)
	}
	var t time.Time
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && digitsRE.MatchString(s) && n < 1<<53 {
		t = time.UnixMilli(n * int64(unit/time.Millisecond)).UTC()
	} else if ts, err := time.Parse(time.RFC3339Nano, s); err == nil && field == "referred_at" {
		t = ts.UTC()
	} else if field == "referred_at" {
		return time.Time{}, bad(field, "must be a unix time in seconds or an RFC 3339 time, not %.40s", string(raw))
	} else {
		return time.Time{}, bad(field, "must be a unix time in milliseconds, not %.40s", string(raw))
	}
	if t.Before(earliestLogTime) {
		return time.Time{}, bad(field, "%s is before 2004; check the unit", t.Format(time.RFC3339))
	}
	if t.After(now.Add(futureSlack)) {
		return time.Time{}, bad(field, "%s is more than a day in the future; check the unit", t.Format(time.RFC3339))
	}
	return t.Truncate(time.Millisecond), nil
}
