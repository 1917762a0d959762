package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/leadlens/leadlens/collector/graph"
)

// sameJSON reports whether a and b hold equal JSON values.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("unmarshal %s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func TestSendConversionsRequestShape(t *testing.T) {
	f := newFake(t)
	f.on("POST /v21.0/1122334455/events", f.ok("conversions_ok.json"))
	c := newClient(t, f, nil, nil)
	res, err := c.SendConversions(context.Background(), "1122334455", []graph.ConversionEvent{{
		EventName: "LeadSubmitted", EventTime: 1767225600, EventID: "lead-123",
		UserData:   graph.ConversionUserData{PageID: "1234567890", PageScopedUserID: "9876543210"},
		CustomData: &graph.ConversionCustomData{Currency: "USD", Value: "57.23"},
	}})
	if err != nil {
		t.Fatalf("SendConversions: %v", err)
	}
	if res.EventsReceived != 1 || res.FBTraceID != "AbC123" || len(res.Messages) != 0 {
		t.Errorf("result: got %+v, want 1 event received, trace AbC123, no messages", res)
	}
	req := f.requests()[0]
	q, _ := url.ParseQuery(req.RawQuery)
	if req.Method != "POST" || q.Get("access_token") != testToken || req.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request: got %s ?%s type %q, want POST with access_token and application/json", req.Method, req.RawQuery, req.Header.Get("Content-Type"))
	}
	if want := f.fixture("conversions_request.json"); !sameJSON(t, []byte(req.Body), want) {
		t.Errorf("body:\ngot  %s\nwant %s", req.Body, want)
	}
	if !strings.Contains(req.Body, `"value":57.23`) {
		t.Errorf("body: got %s, want value as the exact JSON number 57.23", req.Body)
	}
}

func TestSendConversionsValidationAndRejection(t *testing.T) {
	f := newFake(t)
	f.on("POST /v21.0/1122334455/events", f.reply(400, "errors/invalid_100_lead.json", nil))
	c := newClient(t, f, nil, nil)
	ctx := context.Background()
	lead := graph.ConversionEvent{EventName: "Lead", EventTime: 1767225600,
		UserData: graph.ConversionUserData{PageID: "1", PageScopedUserID: "2"}}
	_, err := c.SendConversions(ctx, "1122334455", []graph.ConversionEvent{lead})
	if e := asGraphError(t, err); e.Kind != graph.KindInvalidRequest || e.Subcode != 2804066 || e.UserMessage == "" {
		t.Errorf("plain Lead: got %+v, want invalid_request subcode 2804066 with Meta's user message", e)
	}
	if got := f.count("POST /v21.0/1122334455/events"); got != 1 {
		t.Errorf("requests: got %d, want 1 (invalid is not retried)", got)
	}
	bad := []graph.ConversionEvent{
		{EventTime: 1, UserData: graph.ConversionUserData{PageID: "1", PageScopedUserID: "2"}},
		{EventName: "Purchase", UserData: graph.ConversionUserData{PageID: "1", PageScopedUserID: "2"}},
		{EventName: "Purchase", EventTime: 1, UserData: graph.ConversionUserData{PageID: "1"}},
		{EventName: "Purchase", EventTime: 1, MessagingChannel: graph.ChannelWhatsApp, UserData: graph.ConversionUserData{WhatsAppBusinessAccountID: "1"}},
	}
	for _, ev := range bad {
		if _, err := c.SendConversions(ctx, "1122334455", []graph.ConversionEvent{ev}); graph.KindOf(err) != graph.KindInvalidRequest {
			t.Errorf("SendConversions(%+v): got %v, want invalid_request", ev, err)
		}
	}
	if _, err := c.SendConversions(ctx, "1122334455", nil); graph.KindOf(err) != graph.KindInvalidRequest {
		t.Errorf("no events: got %v, want invalid_request", err)
	}
	if got := f.count("POST /v21.0/1122334455/events"); got != 1 {
		t.Errorf("requests after local validation failures: got %d, want 1", got)
	}
}

func TestLogPageActivities(t *testing.T) {
	f := newFake(t)
	f.on("POST /v20.0/555666/page_activities", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"success":true}`)) })
	c := newClient(t, f, nil, func(cfg *graph.Config) { cfg.Version = "20.0"; cfg.Retrier = nil })
	body := graph.PageActivitiesRequest{
		CustomEvents:              []graph.PageActivityEvent{{EventName: "lead_submitted"}},
		AdvertiserTrackingEnabled: true, ApplicationTrackingEnabled: true,
		PageID: "1234567890", PageScopedUserID: "9876543210",
	}
	if err := c.LogPageActivities(context.Background(), "555666", body); err != nil {
		t.Fatalf("LogPageActivities: %v", err)
	}
	req := f.requests()[0]
	if want := f.fixture("page_activities_request.json"); !sameJSON(t, []byte(req.Body), want) {
		t.Errorf("body:\ngot  %s\nwant %s", req.Body, want)
	}
	if q, _ := url.ParseQuery(req.RawQuery); q.Get("access_token") != testToken {
		t.Errorf("query: got %q, want access_token", req.RawQuery)
	}

	ev := graph.PageActivityEvent{EventName: "fb_mobile_purchase", ValueToSum: "57.23", Currency: "USD", LogTime: 1767225600,
		Params: map[string]any{"order": "A-1"}}
	b, _ := json.Marshal(ev)
	if !sameJSON(t, b, []byte(`{"_eventName":"fb_mobile_purchase","_valueToSum":57.23,"fb_currency":"USD","_logTime":1767225600,"order":"A-1"}`)) {
		t.Errorf("event JSON: got %s", b)
	}

	v21 := newClient(t, f, nil, nil)
	err := v21.LogPageActivities(context.Background(), "555666", body)
	if graph.KindOf(err) != graph.KindInvalidRequest || !strings.Contains(err.Error(), "Conversions API") {
		t.Errorf("v21.0: got %v, want invalid_request pointing at the Conversions API", err)
	}
	if got := len(f.requests()); got != 1 {
		t.Errorf("requests: got %d, want 1", got)
	}
}
