package events

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// testNow is the parser's clock in these tests.
var testNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

const jsonCT = "application/json"
const formCT = "application/x-www-form-urlencoded"

// metaSample is Meta's own page_activities sample (graph-api.md), numbers and all.
const metaSample = `{"custom_events":[{"_eventName":"lead_submitted"}],
 "advertiser_tracking_enabled":1,"application_tracking_enabled":1,
 "page_id":1234567890,"page_scoped_user_id":9876543210,
 "logging_source":"messenger_bot","logging_target":"page"}`

func TestParseMetaSampleJSON(t *testing.T) {
	// The collector keeps the same sample as a fixture; both must stay accepted.
	fixture, err := os.ReadFile("../collector/graph/testdata/page_activities_request.json")
	if err != nil {
		fixture = []byte(metaSample)
	}
	for _, body := range [][]byte{[]byte(metaSample), fixture} {
		req, err := ParseAt(jsonCT, body, nil, testNow)
		if err != nil {
			t.Fatalf("Meta's sample: got %v, want it accepted", err)
		}
		want := Request{PageID: "1234567890", PSID: "9876543210", AdvertiserTrackingEnabled: true, ApplicationTrackingEnabled: true,
			LoggingSource: "messenger_bot", LoggingTarget: "page", Events: []Event{{Name: "lead_submitted"}}}
		if !reflect.DeepEqual(req, want) {
			t.Fatalf("got %+v, want %+v", req, want)
		}
	}
}

func TestParseFormWithEncodedCustomEvents(t *testing.T) {
	form := url.Values{
		"custom_events":                {`[{"_eventName":"fb_mobile_purchase","_valueToSum":57.230,"fb_currency":"usd","_logTime":1767225600,"event_id":"ord-1","sku":"A1","qty":2}]`},
		"advertiser_tracking_enabled":  {"0"},
		"application_tracking_enabled": {"true"},
		"page_id":                      {"1234567890"},
		"page_scoped_user_id":          {"9876543210"},
		"logging_source":               {"messenger_bot"},
		"logging_target":               {"app_and_page"},
		"access_token":                 {"llk_secret"},
		"referral":                     {`{"ad_id":"6045246247433","source":"ADS"}`},
	}
	req, err := ParseAt(formCT+"; charset=UTF-8", []byte(form.Encode()), nil, testNow)
	if err != nil {
		t.Fatalf("form body: got %v, want it accepted", err)
	}
	want := Request{PageID: "1234567890", PSID: "9876543210", AdID: "6045246247433",
		AdvertiserTrackingEnabled: false, ApplicationTrackingEnabled: true,
		LoggingSource: "messenger_bot", LoggingTarget: "app_and_page",
		Events: []Event{{Name: "fb_mobile_purchase", Value: "57.230", Currency: "USD", LogTime: 1767225600, EventID: "ord-1",
			Custom: json.RawMessage(`{"qty":2,"sku":"A1"}`)}}}
	if !reflect.DeepEqual(req, want) {
		t.Fatalf("got %+v\nwant %+v", req, want)
	}
	if got := AccessToken(formCT, []byte(form.Encode())); got != "llk_secret" {
		t.Fatalf("AccessToken of the form: got %q, want llk_secret", got)
	}
}

func TestParseStringsQueryAndEncodedArrayInJSON(t *testing.T) {
	body := `{"custom_events":"[{\"_eventName\":\"lead_submitted\",\"_logTime\":\"1767225600\",\"_valueToSum\":\"12.50\"}]",
		"advertiser_tracking_enabled":"1","application_tracking_enabled":false,
		"page_scoped_user_id":"9876543210","logging_source":"messenger_bot","logging_target":"app","ad_id":6045246247433}`
	// page_id is taken from the query string when the body lacks it, as the Graph API does.
	req, err := ParseAt(jsonCT, []byte(body), url.Values{"page_id": {"1234567890"}, "access_token": {"x"}}, testNow)
	if err != nil {
		t.Fatalf("got %v, want accepted", err)
	}
	if req.PageID != "1234567890" || req.PSID != "9876543210" || req.AdID != "6045246247433" || !req.AdvertiserTrackingEnabled || req.ApplicationTrackingEnabled {
		t.Fatalf("got %+v, want ids from strings and the query", req)
	}
	if e := req.Events[0]; e.LogTime != 1767225600 || e.Value != "12.50" {
		t.Fatalf("got event %+v, want _logTime 1767225600 and value 12.50 kept as text", e)
	}
}

func TestParseErrorsNameTheField(t *testing.T) {
	base := func() map[string]any {
		return map[string]any{
			"custom_events":                []any{map[string]any{"_eventName": "lead_submitted"}},
			"advertiser_tracking_enabled":  1,
			"application_tracking_enabled": 1,
			"page_id":                      1234567890,
			"page_scoped_user_id":          "9876543210",
			"logging_source":               "messenger_bot",
			"logging_target":               "page",
		}
	}
	ev := func(kv ...any) []any {
		m := map[string]any{"_eventName": "lead_submitted"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return []any{map[string]any{"_eventName": "ok"}, m}
	}
	tests := []struct {
		name  string
		set   map[string]any // nil value deletes
		field string
	}{
		{"no page", map[string]any{"page_id": nil}, "page_id"},
		{"float page", map[string]any{"page_id": 12.5}, "page_id"},
		{"negative psid", map[string]any{"page_scoped_user_id": -3}, "page_scoped_user_id"},
		{"letters psid", map[string]any{"page_scoped_user_id": "abc"}, "page_scoped_user_id"},
		{"no psid", map[string]any{"page_scoped_user_id": nil}, "page_scoped_user_id"},
		{"flag 2", map[string]any{"advertiser_tracking_enabled": 2}, "advertiser_tracking_enabled"},
		{"no app flag", map[string]any{"application_tracking_enabled": nil}, "application_tracking_enabled"},
		{"bad source", map[string]any{"logging_source": "website"}, "logging_source"},
		{"no target", map[string]any{"logging_target": nil}, "logging_target"},
		{"bad target", map[string]any{"logging_target": "everywhere"}, "logging_target"},
		{"no events", map[string]any{"custom_events": nil}, "custom_events"},
		{"empty events", map[string]any{"custom_events": []any{}}, "custom_events"},
		{"events object", map[string]any{"custom_events": map[string]any{"_eventName": "x"}}, "custom_events"},
		{"event not object", map[string]any{"custom_events": []any{"lead_submitted"}}, "custom_events[0]"},
		{"no name", map[string]any{"custom_events": ev("_eventName", nil)}, "custom_events[1]._eventName"},
		{"bad name", map[string]any{"custom_events": ev("_eventName", "-lead")}, "custom_events[1]._eventName"},
		{"long name", map[string]any{"custom_events": ev("_eventName", strings.Repeat("a", 41))}, "custom_events[1]._eventName"},
		{"value text", map[string]any{"custom_events": ev("_valueToSum", "ten")}, "custom_events[1]._valueToSum"},
		{"currency", map[string]any{"custom_events": ev("fb_currency", "DOLLARS")}, "custom_events[1].fb_currency"},
		{"logtime ms", map[string]any{"custom_events": ev("_logTime", int64(1767225600000))}, "custom_events[1]._logTime"},
		{"logtime past", map[string]any{"custom_events": ev("_logTime", 86400)}, "custom_events[1]._logTime"},
		{"logtime float", map[string]any{"custom_events": ev("_logTime", 1767225600.5)}, "custom_events[1]._logTime"},
		{"event id number", map[string]any{"custom_events": ev("event_id", 7)}, "custom_events[1].event_id"},
		{"event id long", map[string]any{"custom_events": ev("event_id", strings.Repeat("x", 201))}, "custom_events[1].event_id"},
		{"custom value big", map[string]any{"custom_events": ev("note", strings.Repeat("x", 1001))}, "custom_events[1].note"},
		{"ad id letters", map[string]any{"ad_id": "ad-1"}, "ad_id"},
		{"referral not object", map[string]any{"referral": 5}, "referral"},
		{"referral ad mismatch", map[string]any{"ad_id": "1", "referral": map[string]any{"ad_id": "2"}}, "referral.ad_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := base()
			for k, v := range tc.set {
				if v == nil {
					delete(m, k)
				} else {
					m[k] = v
				}
			}
			b, _ := json.Marshal(m)
			_, err := ParseAt(jsonCT, b, nil, testNow)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a *ParseError for %s", err, tc.field)
			}
			if pe.Field != tc.field || pe.Status != http.StatusBadRequest {
				t.Fatalf("got field %q status %d (%v), want %q 400", pe.Field, pe.Status, err, tc.field)
			}
		})
	}
	t.Run("too many events", func(t *testing.T) {
		m := base()
		many := make([]any, MaxEvents+1)
		for i := range many {
			many[i] = map[string]any{"_eventName": "e"}
		}
		m["custom_events"] = many
		b, _ := json.Marshal(m)
		_, err := ParseAt(jsonCT, b, nil, testNow)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Field != "custom_events" {
			t.Fatalf("got %v, want an error on custom_events", err)
		}
	})
}

func TestParseBodyAndContentTypeErrors(t *testing.T) {
	tests := []struct {
		ct, body string
		field    string
		status   int
	}{
		{"text/plain", metaSample, "Content-Type", 415},
		{"", metaSample, "Content-Type", 415},
		{"multipart/form-data; boundary=x", metaSample, "Content-Type", 415},
		{"application/json; charset=latin1", metaSample, "Content-Type", 415},
		{jsonCT, `[1,2]`, "body", 400},
		{jsonCT, metaSample + `{}`, "body", 400},
		{jsonCT, ``, "body", 400},
		{jsonCT, "{\"page_id\":\"\xff\"}", "body", 400},
		{formCT, "page_id=1&page_id=2", "page_id", 400},
		{formCT, "page_id=%zz", "body", 400},
	}
	for _, tc := range tests {
		_, err := ParseAt(tc.ct, []byte(tc.body), nil, testNow)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Field != tc.field || pe.Status != tc.status {
			t.Errorf("Content-Type %q body %.30q: got %v, want %d on %s", tc.ct, tc.body, err, tc.status, tc.field)
		}
	}
}

func TestMarshalJSONRoundTrips(t *testing.T) {
	in := Request{PageID: "1", PSID: "2", AdID: "3", AdvertiserTrackingEnabled: true, LoggingSource: "messenger_bot", LoggingTarget: "page",
		Events: []Event{{Name: "lead_submitted", Value: "1e3", Currency: "EUR", LogTime: 1767225600, EventID: "é-1",
			Custom: json.RawMessage(`{"a<b":[1,{"x":null}],"z":"q"}`)}, {Name: "x"}}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ParseAt(jsonCT, b, nil, testNow)
	if err != nil {
		t.Fatalf("parsing %s: %v", b, err)
	}
	if !reflect.DeepEqual(out, in) {
		t.Fatalf("got %+v, want %+v", out, in)
	}
	bad := in
	bad.Events = []Event{{Name: "x", Custom: json.RawMessage(`{"_eventName":"y"}`)}}
	if _, err := json.Marshal(bad); err == nil {
		t.Fatal("Custom holding _eventName: got no error, want one")
	}
}

func TestParseReferral(t *testing.T) {
	body := `{"page_id":1234567890,"page_scoped_user_id":"9876543210",
		"referral":{"ad_id":"6045246247433","source":"ADS","type":"OPEN_THREAD"},"timestamp":1767225600123}`
	r, err := ParseReferralAt(jsonCT, []byte(body), nil, testNow)
	if err != nil {
		t.Fatal(err)
	}
	want := Referral{PageID: "1234567890", PSID: "9876543210", AdID: "6045246247433", Source: "ADS", Type: "OPEN_THREAD",
		ReferredAt: time.UnixMilli(1767225600123).UTC()}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("got %+v, want %+v", r, want)
	}
	form := "page_id=1&page_scoped_user_id=2&ad_id=3&referred_at=2026-01-01T00:00:00Z"
	r, err = ParseReferralAt(formCT, []byte(form), nil, testNow)
	if err != nil || !r.ReferredAt.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("form referral: got %+v %v, want referred_at 2026-01-01", r, err)
	}
	b, _ := json.Marshal(want)
	if back, err := ParseReferralAt(jsonCT, b, nil, testNow); err != nil || !reflect.DeepEqual(back, want) {
		t.Fatalf("round trip: got %+v %v, want %+v", back, err, want)
	}
	for _, tc := range []struct{ body, field string }{
		{`{"page_id":"1","page_scoped_user_id":"2"}`, "ad_id"},
		{`{"page_id":"1","page_scoped_user_id":"2","ad_id":"3","referred_at":"yesterday"}`, "referred_at"},
		{`{"page_id":"1","page_scoped_user_id":"2","ad_id":"3","timestamp":1767225600}`, "timestamp"},
		{`{"page_scoped_user_id":"2","ad_id":"3"}`, "page_id"},
		{`{"page_id":"1","page_scoped_user_id":"2","ad_id":"3","source":7}`, "source"},
	} {
		_, err := ParseReferralAt(jsonCT, []byte(tc.body), nil, testNow)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Field != tc.field {
			t.Errorf("%s: got %v, want an error on %s", tc.body, err, tc.field)
		}
	}
}

// FuzzParse feeds the parser arbitrary content types, bodies and query strings. Whatever comes
// in, it must not panic, must fail only with a *ParseError naming a field, and what it accepts
// must satisfy every rule of the API and survive a round trip through MarshalJSON.
func FuzzParse(f *testing.F) {
	f.Add(jsonCT, []byte(metaSample), "")
	f.Add(jsonCT, []byte(`{"custom_events":"[{\"_eventName\":\"lead_submitted\",\"event_id\":\"a\"}]","advertiser_tracking_enabled":"1","application_tracking_enabled":true,"page_id":"1","page_scoped_user_id":"2","logging_source":"messenger_bot","logging_target":"app","referral":{"ad_id":3}}`), "")
	f.Add(formCT, []byte(`custom_events=%5B%7B%22_eventName%22%3A%22fb_mobile_purchase%22%2C%22_valueToSum%22%3A5.5%2C%22fb_currency%22%3A%22usd%22%2C%22_logTime%22%3A1767225600%2C%22k%22%3A%7B%22n%22%3A1%7D%7D%5D&advertiser_tracking_enabled=0&application_tracking_enabled=0&page_id=1&page_scoped_user_id=2&logging_source=messenger_bot&logging_target=page&access_token=llk_x`), "ad_id=9")
	f.Add(formCT+"; charset=utf-8", []byte(`page_id=1`), "page_scoped_user_id=2&custom_events=%5B%5D")
	f.Add(jsonCT, []byte(`{"custom_events":[{"_eventName":"a","a\u0000":"\ud800"}],"page_id":1e3}`), "")
	f.Add("text/plain", []byte(`{}`), "")
	f.Fuzz(func(t *testing.T, ct string, body []byte, rawQuery string) {
		q, _ := url.ParseQuery(rawQuery)
		req, err := ParseAt(ct, body, q, testNow)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got error %T %v, want a *ParseError", err, err)
			}
			if pe.Field == "" || pe.Message == "" || (pe.Status != 400 && pe.Status != 415) {
				t.Fatalf("got ParseError %+v, want a field, a message and status 400 or 415", pe)
			}
			return
		}
		checkRequest(t, req)
		b, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("MarshalJSON of an accepted request: %v", err)
		}
		again, err := ParseAt(jsonCT, b, nil, testNow)
		if err != nil {
			t.Fatalf("re-parsing %s: %v", b, err)
		}
		if !reflect.DeepEqual(again, req) {
			t.Fatalf("round trip changed the request:\ngot  %+v\nwant %+v", again, req)
		}
	})
}

// checkRequest asserts the invariants of an accepted request.
func checkRequest(t *testing.T, req Request) {
	t.Helper()
	if !digitsRE.MatchString(req.PageID) || !digitsRE.MatchString(req.PSID) || (req.AdID != "" && !digitsRE.MatchString(req.AdID)) {
		t.Fatalf("ids %q %q %q, want digits", req.PageID, req.PSID, req.AdID)
	}
	if req.LoggingSource != "messenger_bot" || (req.LoggingTarget != "app" && req.LoggingTarget != "page" && req.LoggingTarget != "app_and_page") {
		t.Fatalf("logging %q/%q, want messenger_bot and a known target", req.LoggingSource, req.LoggingTarget)
	}
	if len(req.Events) == 0 || len(req.Events) > MaxEvents {
		t.Fatalf("%d events, want 1..%d", len(req.Events), MaxEvents)
	}
	lo, hi := earliestLogTime.Unix(), testNow.Add(futureSlack).Unix()
	for i, e := range req.Events {
		if e.Name == "" || !eventNameRE.MatchString(e.Name) || len(e.Name) > MaxEventNameLen {
			t.Fatalf("event %d name %q, want a valid name", i, e.Name)
		}
		if e.Value != "" && !numberRE.MatchString(e.Value) {
			t.Fatalf("event %d value %q, want a number", i, e.Value)
		}
		if e.Currency != "" && (len(e.Currency) != 3 || strings.ToUpper(e.Currency) != e.Currency) {
			t.Fatalf("event %d currency %q, want 3 upper-case letters", i, e.Currency)
		}
		if e.LogTime != 0 && (e.LogTime < lo || e.LogTime > hi) {
			t.Fatalf("event %d _logTime %d, want within %d..%d", i, e.LogTime, lo, hi)
		}
		if utf8.RuneCountInString(e.EventID) > MaxEventIDLen {
			t.Fatalf("event %d event_id of %d characters", i, len(e.EventID))
		}
		if e.Custom != nil {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(e.Custom, &m); err != nil || len(m) == 0 || len(m) > MaxCustomKeys {
				t.Fatalf("event %d custom %s, want a JSON object of 1..%d keys", i, e.Custom, MaxCustomKeys)
			}
			for _, k := range []string{"_eventName", "_valueToSum", "fb_currency", "_logTime", "event_id", "access_token"} {
				if _, ok := m[k]; ok {
					t.Fatalf("event %d custom keeps %s, want it in its field", i, k)
				}
			}
		}
	}
}

// TestFuzzSeedFilesAreAccepted keeps the seed corpus files meaningful: each is a realistic
// request the API accepts, so fuzzing starts from the accepting paths.
func TestFuzzSeedFilesAreAccepted(t *testing.T) {
	files, err := filepath.Glob("testdata/fuzz/FuzzParse/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("got %d seed files (%v), want some", len(files), err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != 4 {
			t.Fatalf("%s: got %d lines, want a header and three values", f, len(lines))
		}
		var vals [3]string
		for i, l := range lines[1:] {
			l = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(l, "string("), "[]byte("), ")")
			if vals[i], err = strconv.Unquote(l); err != nil {
				t.Fatalf("%s line %d: %v", f, i+2, err)
			}
		}
		q, _ := url.ParseQuery(vals[2])
		req, err := ParseAt(vals[0], []byte(vals[1]), q, testNow)
		if err != nil {
			t.Fatalf("%s: got %v, want it accepted", f, err)
		}
		checkRequest(t, req)
	}
}
