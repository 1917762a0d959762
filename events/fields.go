package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The rules of each field of a page_activities request. Values arrive as JSON text; form and
// query values have already been turned into JSON strings by readParams.

var digitsRE = regexp.MustCompile(`^[0-9]{1,25}$`)

// requiredID reads an id that Meta's sample sends as a number and bots send as a string.
func requiredID(p map[string]json.RawMessage, field string) (string, *ParseError) {
	raw, ok := p[field]
	if !ok || isNull(raw) {
		return "", bad(field, "is required")
	}
	return idText(raw, field)
}

// idText accepts a non-negative integer JSON number or a string of digits.
func idText(raw json.RawMessage, field string) (string, *ParseError) {
	s := string(raw)
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", bad(field, "must be a number or a string of digits")
		}
		s = strings.TrimSpace(s)
	}
	if !digitsRE.MatchString(s) {
		return "", bad(field, "must be an id of 1 to 25 digits (a number or a string of digits), not %.40s", string(raw))
	}
	return s, nil
}

func isNull(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

// flag reads a tracking flag: 0 or 1, also "0"/"1" and true/false as Meta's SDKs send them.
func flag(p map[string]json.RawMessage, field string) (bool, *ParseError) {
	raw, ok := p[field]
	if !ok || isNull(raw) {
		return false, bad(field, "is required (0 or 1)")
	}
	s := string(raw)
	if strings.HasPrefix(s, `"`) {
		_ = json.Unmarshal(raw, &s)
	}
	switch strings.TrimSpace(s) {
	case "1", "true":
		return true, nil
	case "0", "false":
		return false, nil
	}
	return false, bad(field, "must be 0 or 1, not %.40s", string(raw))
}

// oneOf reads a required string parameter with a fixed set of values.
func oneOf(p map[string]json.RawMessage, field string, allowed ...string) (string, *ParseError) {
	raw, ok := p[field]
	if !ok || isNull(raw) {
		return "", bad(field, "is required (%s)", strings.Join(allowed, ", "))
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		for _, a := range allowed {
			if s == a {
				return s, nil
			}
		}
	}
	return "", bad(field, "must be one of %s, not %.40s", strings.Join(allowed, ", "), string(raw))
}

// adID reads the ad-referral extension: top-level ad_id, or referral.ad_id as the Messenger
// webhook's referral object carries it (an object, or a JSON-encoded string of one in a form).
func adID(p map[string]json.RawMessage) (string, *ParseError) {
	var top, ref string
	var err *ParseError
	if raw, ok := p["ad_id"]; ok && !isNull(raw) {
		if top, err = idText(raw, "ad_id"); err != nil {
			return "", err
		}
	}
	if raw, ok := p["referral"]; ok && !isNull(raw) {
		obj, perr := objectOrString(raw, "referral")
		if perr != nil {
			return "", perr
		}
		if r, ok := obj["ad_id"]; ok && !isNull(r) {
			if ref, err = idText(r, "referral.ad_id"); err != nil {
				return "", err
			}
		}
	}
	if top != "" && ref != "" && top != ref {
		return "", bad("referral.ad_id", "is %s but ad_id is %s; give one ad", ref, top)
	}
	if top != "" {
		return top, nil
	}
	return ref, nil
}

// objectOrString decodes a JSON object given as itself or as a JSON-encoded string of one.
func objectOrString(raw json.RawMessage, field string) (map[string]json.RawMessage, *ParseError) {
	inner := []byte(raw)
	if bytes.HasPrefix(inner, []byte(`"`)) {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, bad(field, "must be a JSON object")
		}
		inner = []byte(s)
	}
	var obj map[string]json.RawMessage
	if err := decodeObject(inner, &obj); err != nil || obj == nil {
		return nil, bad(field, "must be a JSON object (or a JSON-encoded string of one)")
	}
	return obj, nil
}

// customEvents reads custom_events: a JSON array of objects, or a JSON-encoded string of one
// (the form-encoded variant Meta's older SDKs send, also seen inside JSON bodies).
func customEvents(raw json.RawMessage, now time.Time) ([]Event, *ParseError) {
	const field = "custom_events"
	if isNull(raw) {
		return nil, bad(field, "is required: a JSON array of events such as [{\"_eventName\":\"lead_submitted\"}]")
	}
	inner := []byte(raw)
	if bytes.HasPrefix(inner, []byte(`"`)) {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, bad(field, "must be a JSON array of events")
		}
		inner = []byte(s)
	}
	var entries []json.RawMessage
	if err := decodeObject(inner, &entries); err != nil || entries == nil {
		return nil, bad(field, "must be a JSON array of events (or a JSON-encoded string of one)")
	}
	if len(entries) == 0 {
		return nil, bad(field, "is empty; give at least one event")
	}
	if len(entries) > MaxEvents {
		return nil, bad(field, "has %d events; at most %d fit in one request", len(entries), MaxEvents)
	}
	out := make([]Event, 0, len(entries))
	for i, e := range entries {
		ev, err := parseEvent(e, fmt.Sprintf("%s[%d]", field, i), now)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

var (
	// Meta's rule for app event names: letters, digits, _, - and space, not starting with - or space.
	eventNameRE = regexp.MustCompile(`^[0-9A-Za-z_][0-9A-Za-z _-]*$`)
	// A JSON number, the only shape of a value Meta sums.
	numberRE   = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
	currencyRE = regexp.MustCompile(`^[A-Za-z]{3}$`)
)

func parseEvent(raw json.RawMessage, field string, now time.Time) (Event, *ParseError) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return Event{}, bad(field, "must be a JSON object such as {\"_eventName\":\"lead_submitted\"}")
	}
	var ev Event
	var err *ParseError
	if ev.Name, err = eventName(obj["_eventName"], field+"._eventName"); err != nil {
		return Event{}, err
	}
	if ev.Value, err = valueToSum(obj["_valueToSum"], field+"._valueToSum"); err != nil {
		return Event{}, err
	}
	if ev.Currency, err = currency(obj["fb_currency"], field+".fb_currency"); err != nil {
		return Event{}, err
	}
	if ev.LogTime, err = logTime(obj["_logTime"], field+"._logTime", now); err != nil {
		return Event{}, err
	}
	if ev.EventID, err = eventID(obj["event_id"], field+".event_id"); err != nil {
		return Event{}, err
	}
	// access_token is dropped too: a token pasted into an event must not be stored.
	for _, k := range []string{"_eventName", "_valueToSum", "fb_currency", "_logTime", "event_id", "access_token"} {
		delete(obj, k)
	}
	if ev.Custom, err = custom(obj, field); err != nil {
		return Event{}, err
	}
	return ev, nil
}

func eventName(raw json.RawMessage, field string) (string, *ParseError) {
	if isNull(raw) {
		return "", bad(field, "is required (e.g. lead_submitted)")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", bad(field, "must be a string such as lead_submitted")
	}
	if s == "" || utf8.RuneCountInString(s) > MaxEventNameLen || !eventNameRE.MatchString(s) {
		return "", bad(field, "%.60q is not an event name: use 1 to %d letters, digits, _, - or spaces, not starting with - or a space", s, MaxEventNameLen)
	}
	return s, nil
}

func valueToSum(raw json.RawMessage, field string) (string, *ParseError) {
	if isNull(raw) {
		return "", nil
	}
	s := string(raw)
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", bad(field, "must be a number")
		}
	}
	if len(s) > 40 || !numberRE.MatchString(s) {
		return "", bad(field, "must be a number such as 57.23, not %.40s", string(raw))
	}
	return s, nil
}

func currency(raw json.RawMessage, field string) (string, *ParseError) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || !currencyRE.MatchString(s) {
		return "", bad(field, "must be a three-letter ISO 4217 currency code such as USD, not %.40s", string(raw))
	}
	return strings.ToUpper(s), nil
}

func logTime(raw json.RawMessage, field string, now time.Time) (int64, *ParseError) {
	if isNull(raw) {
		return 0, nil
	}
	s := string(raw)
	if strings.HasPrefix(s, `"`) {
		_ = json.Unmarshal(raw, &s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || !digitsRE.MatchString(s) {
		return 0, bad(field, "must be a unix time in whole seconds, not %.40s", string(raw))
	}
	if n < earliestLogTime.Unix() {
		return 0, bad(field, "%d is before 2004; send unix seconds", n)
	}
	if n > now.Add(futureSlack).Unix() {
		return 0, bad(field, "%d is more than a day in the future; send unix seconds (not milliseconds)", n)
	}
	return n, nil
}

func eventID(raw json.RawMessage, field string) (string, *ParseError) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", bad(field, "must be a string")
	}
	if s == "" || utf8.RuneCountInString(s) > MaxEventIDLen {
		return "", bad(field, "must be 1 to %d characters", MaxEventIDLen)
	}
	return s, nil
}

// custom renders the remaining keys as canonical JSON — an object with sorted keys, no spaces,
// strings escaped one way, numbers as sent — so the stored text depends only on the values, not
// on how the bot ordered, spaced or escaped them.
func custom(obj map[string]json.RawMessage, field string) (json.RawMessage, *ParseError) {
	if len(obj) == 0 {
		return nil, nil
	}
	if len(obj) > MaxCustomKeys {
		return nil, bad(field, "has %d custom parameters; at most %d are kept", len(obj), MaxCustomKeys)
	}
	vals := make(map[string]any, len(obj))
	for k, raw := range obj {
		if k == "" || utf8.RuneCountInString(k) > MaxKeyLen {
			return nil, bad(field, "has a parameter name of %d characters; use 1 to %d", utf8.RuneCountInString(k), MaxKeyLen)
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, bad(field+"."+k, "is not valid JSON")
		}
		b, err := canonical(v)
		if err != nil {
			return nil, bad(field+"."+k, "is not valid JSON")
		}
		if len(b) > MaxValueLen {
			return nil, bad(field+"."+k, "is %d bytes; at most %d are kept", len(b), MaxValueLen)
		}
		vals[k] = v
	}
	b, err := canonical(vals)
	if err != nil {
		return nil, bad(field, "could not be encoded")
	}
	return json.RawMessage(b), nil
}

// canonical encodes v without HTML escaping (the text is data, never embedded in a page as is);
// encoding/json sorts map keys and writes json.Number literally.
func canonical(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
