package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/leadlens/leadlens/events"
	"github.com/leadlens/leadlens/store"
)

// apiEnv is a test server with the real batcher, a client "acme" (page 111, Los Angeles) with a
// key, and a client "other" (page 222) with a key.
type apiEnv struct {
	*testEnv
	acme, other       store.Client
	acmeKey, otherKey string
	acmeKeyID         int64
}

const maxBodyForTests = 4096

func newAPIEnv(t *testing.T) *apiEnv {
	t.Helper()
	e := newTestEnv(t, func(d *Deps) {
		b := events.NewBatcher(d.Store, events.BatcherOptions{Log: d.Log})
		t.Cleanup(func() { b.Close(context.Background()) })
		d.Events = b
		d.Config.MaxBodyBytes = maxBodyForTests
	})
	ctx := context.Background()
	a := &apiEnv{testEnv: e}
	var err error
	if a.acme, err = e.db.CreateClient(ctx, store.NewClient{Name: "Acme", Timezone: "America/Los_Angeles", AdAccounts: []string{"1"}, Pages: []string{"111"}}); err != nil {
		t.Fatal(err)
	}
	if a.other, err = e.db.CreateClient(ctx, store.NewClient{Name: "Other", AdAccounts: []string{"2"}, Pages: []string{"222"}}); err != nil {
		t.Fatal(err)
	}
	var k store.APIKey
	if a.acmeKey, k, err = e.db.CreateAPIKey(ctx, a.acme.ID, "bot", "test"); err != nil {
		t.Fatal(err)
	}
	a.acmeKeyID = k.ID
	if a.otherKey, _, err = e.db.CreateAPIKey(ctx, a.other.ID, "bot", "test"); err != nil {
		t.Fatal(err)
	}
	return a
}

// apiAnswer is a decoded answer of the event API.
type apiAnswer struct {
	Status  int
	Success bool `json:"success"`
	Events  []struct {
		ID        string `json:"id"`
		Duplicate bool   `json:"duplicate"`
	} `json:"events"`
	ID           string `json:"id"`
	Reattributed int    `json:"reattributed"`
	Error        *struct {
		Message   string `json:"message"`
		Type      string `json:"type"`
		Code      int    `json:"code"`
		FBTraceID string `json:"fbtrace_id"`
	} `json:"error"`
	Raw string
}

// post sends body to path with a content type and optional headers.
func (a *apiEnv) post(path, ct string, body io.Reader, headers ...string) apiAnswer {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodPost, a.srv.URL+path, body)
	if err != nil {
		a.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	ans := apiAnswer{Status: resp.StatusCode, Raw: string(raw)}
	if err := json.Unmarshal(raw, &ans); err != nil {
		a.t.Fatalf("POST %s: answer is not JSON (%v): %s", path, err, raw)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		a.t.Fatalf("POST %s: got Content-Type %q, want application/json", path, ct)
	}
	return ans
}

// postJSON posts a JSON body with the acme key as a bearer token.
func (a *apiEnv) postJSON(path, body string) apiAnswer {
	a.t.Helper()
	return a.post(path, "application/json", strings.NewReader(body), "Authorization", "Bearer "+a.acmeKey)
}

// rows counts a table's rows.
func (a *apiEnv) rows(table string) int {
	a.t.Helper()
	return strings.Count(dumpTable(a.t, a.db, table), "\n")
}

// sample is Meta's own page_activities sample on acme's page, with extra top-level JSON.
func sample(events string, extra string) string {
	return `{"custom_events":` + events + `,"advertiser_tracking_enabled":1,"application_tracking_enabled":1,
		"page_id":111,"page_scoped_user_id":9876543210,"logging_source":"messenger_bot","logging_target":"page"` + extra + `}`
}

func TestEventAPIAcceptsMetaSamples(t *testing.T) {
	a := newAPIEnv(t)
	// Meta's JSON sample, token in the query, on the Graph-style path.
	ans := a.post("/v20.0/123456/page_activities?access_token="+url.QueryEscape(a.acmeKey), "application/json",
		strings.NewReader(sample(`[{"_eventName":"lead_submitted"}]`, "")))
	if ans.Status != 200 || !ans.Success || len(ans.Events) != 1 || ans.Events[0].ID == "" || ans.Events[0].Duplicate {
		t.Fatalf("JSON sample: got %d %s, want 200 with one new event", ans.Status, ans.Raw)
	}
	// The form-encoded variant: custom_events as a JSON-encoded string, token in the form.
	form := url.Values{
		"custom_events":                {`[{"_eventName":"fb_mobile_purchase","_valueToSum":57.230,"fb_currency":"usd","_logTime":1767225600,"sku":"A1"}]`},
		"advertiser_tracking_enabled":  {"1"},
		"application_tracking_enabled": {"0"},
		"page_id":                      {"111"},
		"page_scoped_user_id":          {"9876543210"},
		"logging_source":               {"messenger_bot"},
		"logging_target":               {"app_and_page"},
		"access_token":                 {a.acmeKey},
	}
	ans = a.post("/api/v1/page_activities", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if ans.Status != 200 || len(ans.Events) != 1 {
		t.Fatalf("form sample: got %d %s, want 200 with one event", ans.Status, ans.Raw)
	}
	evs, err := a.db.LeadEvents(context.Background(), a.acme.ID, 10)
	if err != nil || len(evs) != 2 {
		t.Fatalf("got %d events %v, want 2", len(evs), err)
	}
	p := evs[0] // newest first
	if p.Name != "fb_mobile_purchase" || p.Value != "57.230" || p.Currency != "USD" || p.Params != `{"sku":"A1"}` ||
		!p.EventTime.Equal(time.Unix(1767225600, 0)) || p.EventDay != "2025-12-31" || p.PSID != "9876543210" {
		t.Fatalf("got %+v, want the purchase with value 57.230 USD, sku kept, day 2025-12-31 in Los Angeles", p)
	}
	var meta map[string]any
	if err := json.Unmarshal([]byte(evs[1].RequestMeta), &meta); err != nil || meta["app_id"] != "123456" || meta["api_version"] != "v20.0" {
		t.Fatalf("got request meta %s, want app id 123456 and v20.0", evs[1].RequestMeta)
	}
	if strings.Contains(a.log.String(), a.acmeKey) || strings.Contains(a.log.String(), "9876543210") {
		t.Fatal("the log holds the API key or a PSID")
	}
}

func TestEventAPIDuplicates(t *testing.T) {
	a := newAPIEnv(t)
	body := sample(`[{"_eventName":"lead_submitted","event_id":"lead-1"},{"_eventName":"lead_submitted","event_id":"lead-1"}]`, "")
	first := a.postJSON("/api/v1/page_activities", body)
	if first.Status != 200 || len(first.Events) != 2 || first.Events[0].Duplicate || !first.Events[1].Duplicate || first.Events[0].ID != first.Events[1].ID {
		t.Fatalf("got %d %s, want the repeat within the request answered as a duplicate of the first", first.Status, first.Raw)
	}
	again := a.postJSON("/api/v1/page_activities", body)
	if again.Status != 200 || !again.Events[0].Duplicate || again.Events[0].ID != first.Events[0].ID {
		t.Fatalf("repeat request: got %d %s, want 200 duplicate of id %s", again.Status, again.Raw, first.Events[0].ID)
	}
	if n := a.rows("lead_events"); n != 1 {
		t.Fatalf("got %d stored events, want 1", n)
	}
}

func TestEventAPIAttribution(t *testing.T) {
	a := newAPIEnv(t)
	ctx := context.Background()
	stored := func(ans apiAnswer) store.LeadEvent {
		t.Helper()
		if ans.Status != 200 || len(ans.Events) != 1 {
			t.Fatalf("got %d %s, want 200", ans.Status, ans.Raw)
		}
		evs, err := a.db.LeadEvents(ctx, a.acme.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if id := ans.Events[0].ID; id == jsonID(e.ID) {
				return e
			}
		}
		t.Fatalf("event %s not stored", ans.Events[0].ID)
		return store.LeadEvent{}
	}
	lead := func(psid string, logTime int64, extra string) string {
		return strings.Replace(sample(`[{"_eventName":"lead_submitted","_logTime":`+jsonID(logTime)+`}]`, extra),
			"9876543210", psid, 1)
	}
	base := time.Now().Add(-10 * 24 * time.Hour).Unix()
	if e := stored(a.postJSON("/api/v1/page_activities", lead("1", base, `,"ad_id":"6045246247433"`))); e.AdID != "6045246247433" || e.Attribution != "event" {
		t.Fatalf("top-level ad_id: got %q %q, want the ad attributed by the event", e.AdID, e.Attribution)
	}
	if e := stored(a.postJSON("/api/v1/page_activities", lead("1", base, `,"referral":{"ad_id":42,"source":"ADS"}`))); e.AdID != "42" || e.Attribution != "event" {
		t.Fatalf("referral.ad_id: got %q %q, want 42 by the event", e.AdID, e.Attribution)
	}
	// A referral first, then an event of the same person: attributed by the referral.
	ref := a.postJSON("/api/v1/referrals", `{"page_id":"111","page_scoped_user_id":"2","referral":{"ad_id":"777","source":"ADS","type":"OPEN_THREAD"},"referred_at":`+jsonID(base)+`}`)
	if ref.Status != 200 || ref.ID == "" {
		t.Fatalf("referral: got %d %s, want 200 with an id", ref.Status, ref.Raw)
	}
	if e := stored(a.postJSON("/api/v1/page_activities", lead("2", base+3600, ""))); e.AdID != "777" || e.Attribution != "referral" {
		t.Fatalf("event after a referral: got %q %q, want 777 by referral", e.AdID, e.Attribution)
	}
	// An event first, its referral later (dated before the event): the event is re-attributed.
	late := stored(a.postJSON("/api/v1/page_activities", lead("3", base+7200, "")))
	if late.AdID != "" || late.Attribution != "" {
		t.Fatalf("event with no referral yet: got %q %q, want unattributed", late.AdID, late.Attribution)
	}
	ref = a.postJSON("/api/v1/referrals", `{"page_id":111,"page_scoped_user_id":3,"ad_id":"888","timestamp":`+jsonID(base*1000)+`}`)
	if ref.Status != 200 || ref.Reattributed != 1 {
		t.Fatalf("late referral: got %d %s, want 200 reattributing 1 event", ref.Status, ref.Raw)
	}
	if e, _ := a.db.LeadEvent(ctx, a.acme.ID, late.ID); e.AdID != "888" || e.Attribution != "referral" {
		t.Fatalf("after the late referral: got %q %q, want 888 by referral", e.AdID, e.Attribution)
	}
}

func jsonID(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestEventAPIRejectionsStoreNothing(t *testing.T) {
	a := newAPIEnv(t)
	revoked, k, err := a.db.CreateAPIKey(context.Background(), a.acme.ID, "old", "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.db.RevokeAPIKey(context.Background(), a.acme.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	good := sample(`[{"_eventName":"lead_submitted","event_id":"x"}]`, "")
	form := func(token string) string {
		v := url.Values{"custom_events": {`[{"_eventName":"lead_submitted"}]`}, "advertiser_tracking_enabled": {"1"},
			"application_tracking_enabled": {"1"}, "page_id": {"111"}, "page_scoped_user_id": {"5"},
			"logging_source": {"messenger_bot"}, "logging_target": {"page"}}
		if token != "" {
			v.Set("access_token", token)
		}
		return v.Encode()
	}
	const jsonCT, formCT = "application/json", "application/x-www-form-urlencoded"
	bearer := func(k string) []string { return []string{"Authorization", "Bearer " + k} }
	big := sample(`[{"_eventName":"lead_submitted","note":"`+strings.Repeat("x", maxBodyForTests)+`"}]`, "")
	tests := []struct {
		name    string
		path    string
		ct      string
		body    io.Reader
		headers []string
		status  int
		code    int
		want    string // in the message
	}{
		{"no key", "/api/v1/page_activities", jsonCT, strings.NewReader(good), nil, 401, 190, "API key is required"},
		{"bad key in header", "/api/v1/page_activities", jsonCT, strings.NewReader(good), bearer("llk_nope"), 401, 190, "Invalid API key"},
		{"bad key in query", "/api/v1/page_activities?access_token=llk_nope", jsonCT, strings.NewReader(good), nil, 401, 190, "Invalid API key"},
		{"bad key in form", "/api/v1/page_activities", formCT, strings.NewReader(form("llk_nope")), nil, 401, 190, "Invalid API key"},
		{"no key in form", "/api/v1/page_activities", formCT, strings.NewReader(form("")), nil, 401, 190, "API key is required"},
		{"revoked key", "/api/v1/page_activities", jsonCT, strings.NewReader(good), bearer(revoked), 401, 190, "revoked"},
		{"unreadable scheme", "/api/v1/page_activities", jsonCT, strings.NewReader(good), []string{"Authorization", "Basic " + a.acmeKey}, 401, 190, "Invalid API key"},
		{"other client's page", "/api/v1/page_activities", jsonCT, strings.NewReader(strings.Replace(good, `"page_id":111`, `"page_id":222`, 1)), bearer(a.acmeKey), 403, 200, "page 222 is not registered"},
		{"unknown page", "/api/v1/page_activities", jsonCT, strings.NewReader(strings.Replace(good, `"page_id":111`, `"page_id":333`, 1)), bearer(a.acmeKey), 403, 200, "page 333"},
		{"oversized", "/api/v1/page_activities", jsonCT, strings.NewReader(big), bearer(a.acmeKey), 413, 100, "limit"},
		{"oversized chunked", "/api/v1/page_activities", jsonCT, io.MultiReader(strings.NewReader(big)), bearer(a.acmeKey), 413, 100, "limit"},
		{"text/plain", "/api/v1/page_activities", "text/plain", strings.NewReader(good), bearer(a.acmeKey), 415, 100, "Content-Type"},
		{"no content type", "/api/v1/page_activities", "", strings.NewReader(good), bearer(a.acmeKey), 415, 100, "Content-Type"},
		{"bad version", "/latest/123/page_activities", jsonCT, strings.NewReader(good), bearer(a.acmeKey), 404, 100, "version"},
		{"bad app id", "/v21.0/my-app/page_activities", jsonCT, strings.NewReader(good), bearer(a.acmeKey), 400, 100, "app_id"},
		{"psid", "/api/v1/page_activities", jsonCT, strings.NewReader(strings.Replace(good, `9876543210`, `"98x"`, 1)), bearer(a.acmeKey), 400, 100, "page_scoped_user_id"},
		{"source", "/api/v1/page_activities", jsonCT, strings.NewReader(strings.Replace(good, `messenger_bot`, `web`, 1)), bearer(a.acmeKey), 400, 100, "logging_source"},
		{"event name", "/api/v1/page_activities", jsonCT, strings.NewReader(sample(`[{"_valueToSum":1}]`, "")), bearer(a.acmeKey), 400, 100, "custom_events[0]._eventName"},
		{"second event bad: batch refused", "/api/v1/page_activities", jsonCT, strings.NewReader(sample(`[{"_eventName":"ok","event_id":"y"},{"_eventName":"lead_submitted","_logTime":99999999999}]`, "")), bearer(a.acmeKey), 400, 100, "custom_events[1]._logTime"},
		{"not json", "/api/v1/page_activities", jsonCT, strings.NewReader(`{"page_id":`), bearer(a.acmeKey), 400, 100, "body"},
		{"referral no key", "/api/v1/referrals", jsonCT, strings.NewReader(`{"page_id":"111","page_scoped_user_id":"5","ad_id":"1"}`), nil, 401, 190, "API key"},
		{"referral no ad", "/api/v1/referrals", jsonCT, strings.NewReader(`{"page_id":"111","page_scoped_user_id":"5"}`), bearer(a.acmeKey), 400, 100, "ad_id"},
		{"referral other page", "/api/v1/referrals", jsonCT, strings.NewReader(`{"page_id":"222","page_scoped_user_id":"5","ad_id":"1"}`), bearer(a.acmeKey), 403, 200, "page 222"},
		{"referral via other key", "/api/v1/referrals", jsonCT, strings.NewReader(`{"page_id":"111","page_scoped_user_id":"5","ad_id":"1"}`), bearer(a.otherKey), 403, 200, "page 111"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ans := a.post(tc.path, tc.ct, tc.body, tc.headers...)
			if ans.Status != tc.status || ans.Error == nil || ans.Error.Code != tc.code || !strings.Contains(ans.Error.Message, tc.want) {
				t.Fatalf("got %d %s, want %d code %d with %q in the message", ans.Status, ans.Raw, tc.status, tc.code, tc.want)
			}
			if ans.Error.Type == "" || ans.Error.FBTraceID == "" {
				t.Fatalf("got error %+v, want a type and an fbtrace_id", ans.Error)
			}
			if strings.Contains(ans.Raw, a.acmeKey) || strings.Contains(ans.Raw, revoked) {
				t.Fatal("the answer echoes an API key")
			}
			for _, table := range []string{"lead_events", "referrals", "outbox"} {
				if n := a.rows(table); n != 0 {
					t.Fatalf("after a rejected request: got %d rows in %s, want 0", n, table)
				}
			}
		})
	}
}

func TestEventAPIAfterShutdownIs503(t *testing.T) {
	a := newAPIEnv(t)
	if err := a.h.events.(*events.Batcher).Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	ans := a.postJSON("/api/v1/page_activities", sample(`[{"_eventName":"lead_submitted"}]`, ""))
	if ans.Status != 503 || ans.Error == nil || ans.Error.Code != 2 {
		t.Fatalf("got %d %s, want 503 code 2 (retry)", ans.Status, ans.Raw)
	}
	if n := a.rows("lead_events"); n != 0 {
		t.Fatalf("got %d events, want 0", n)
	}
}

// TestEventsClientSpeaksTheAPI checks the Go client the demo bot uses against the real API.
func TestEventsClientSpeaksTheAPI(t *testing.T) {
	a := newAPIEnv(t)
	ctx := context.Background()
	c := &events.Client{BaseURL: a.srv.URL, APIKey: a.acmeKey}
	ref, err := c.RecordReferral(ctx, events.Referral{PageID: "111", PSID: "42", AdID: "555", Source: "ADS", ReferredAt: time.Now().Add(-time.Hour)})
	if err != nil || ref.ID == "" || ref.Duplicate {
		t.Fatalf("RecordReferral: got %+v %v, want a new referral", ref, err)
	}
	res, err := c.LogEvents(ctx, events.Request{PageID: "111", PSID: "42",
		Events: []events.Event{{Name: "lead_submitted", EventID: "c-1"}, {Name: "lead_submitted", EventID: "c-1"}}})
	if err != nil || len(res) != 2 || res[0].Duplicate || !res[1].Duplicate || res[0].ID != res[1].ID {
		t.Fatalf("LogEvents: got %+v %v, want a new event and its duplicate", res, err)
	}
	evs, err := a.db.LeadEvents(ctx, a.acme.ID, 10)
	if err != nil || len(evs) != 1 || evs[0].AdID != "555" || evs[0].Attribution != "referral" {
		t.Fatalf("got %+v %v, want one event attributed to ad 555 by the referral", evs, err)
	}
	c.APIKey = "llk_wrong"
	_, err = c.LogEvents(ctx, events.Request{PageID: "111", PSID: "42", Events: []events.Event{{Name: "x"}}})
	var ae *events.APIError
	if !errors.As(err, &ae) || ae.Status != 401 || ae.Code != 190 {
		t.Fatalf("wrong key: got %v, want an *events.APIError 401 code 190", err)
	}
}
