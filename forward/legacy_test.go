package forward_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadlens/leadlens/metasim"
	"github.com/leadlens/leadlens/store"
)

func TestLegacyRequestShape(t *testing.T) {
	e := newEnv(t)
	c := e.client("Acme", 0)
	e.setForwarding(c, store.ForwardLegacy, "", e.world.AppID, metasim.DemoToken)
	acct := e.world.Accounts[0]
	now := time.Now().UTC().Truncate(time.Second)
	// Two events of one person in one request, one of another person who opted out of
	// advertiser tracking and logged to app and page.
	e.log(c, "1111", `{"logging_source":"messenger_bot","logging_target":"page","advertiser_tracking_enabled":1,"application_tracking_enabled":1}`,
		store.NewEvent{Name: "lead_submitted", EventTime: now.Add(-time.Hour)},
		store.NewEvent{Name: "fb_mobile_purchase", Value: "10.50", Currency: "eur", Params: `{"plan":"gold","seats":3}`, EventTime: now.Add(-time.Minute)})
	e.log(c, "2222", `{"logging_source":"messenger_bot","logging_target":"app_and_page","advertiser_tracking_enabled":0,"application_tracking_enabled":1}`,
		store.NewEvent{Name: "booked_call", EventTime: now.Add(-time.Minute)})
	e.log(c, "1111", "", store.NewEvent{Name: "lead_submitted", EventTime: now.Add(-8 * 24 * time.Hour)})

	st := e.pass(e.forwarder("v20.0"))
	if st.Requests != 2 || st.Sent != 3 || st.Skipped != 1 {
		t.Fatalf("got %+v, want 2 requests, 3 sent, 1 skipped (too old)", st)
	}
	acts := e.sim.PageActivities()
	if len(acts) != 2 {
		t.Fatalf("got %d page_activities requests, want 2", len(acts))
	}
	a, b := acts[0], acts[1]
	if a.Version != "v20.0" || a.AppID != e.world.AppID || a.PageID != acct.PageID || a.PageScopedUserID != "1111" ||
		a.LoggingSource != "messenger_bot" || a.LoggingTarget != "page" || a.FormEncoded {
		t.Fatalf("got %+v, want v20.0 JSON to app %s for page %s, person 1111, messenger_bot → page", a, e.world.AppID, acct.PageID)
	}
	if len(a.Events) != 2 {
		t.Fatalf("got %d custom_events, want 2", len(a.Events))
	}
	lead, buy := a.Events[0], a.Events[1]
	if lead["_eventName"] != "lead_submitted" || lead["_logTime"] != json.Number(strconv.FormatInt(now.Add(-time.Hour).Unix(), 10)) || len(lead) != 2 {
		t.Errorf("got %v, want _eventName lead_submitted and _logTime only", lead)
	}
	if buy["_eventName"] != "fb_mobile_purchase" || buy["_valueToSum"] != json.Number("10.50") || buy["fb_currency"] != "EUR" ||
		buy["plan"] != "gold" || buy["seats"] != json.Number("3") {
		t.Errorf("got %v, want the purchase with _valueToSum 10.50, fb_currency EUR and its custom keys", buy)
	}
	if b.PageScopedUserID != "2222" || b.LoggingTarget != "app_and_page" || len(b.Events) != 1 || b.Events[0]["_eventName"] != "booked_call" {
		t.Errorf("got %+v, want person 2222's booked_call logged to app_and_page", b)
	}
	reqs := e.requests(metasim.RequestPageActivities)
	if len(reqs) != 2 || reqs[0].Path != "/v20.0/"+e.world.AppID+"/page_activities" ||
		reqs[0].Params.Get("advertiser_tracking_enabled") != "1" || reqs[1].Params.Get("advertiser_tracking_enabled") != "0" ||
		reqs[1].Params.Get("application_tracking_enabled") != "1" || reqs[0].Params.Get("page_id") != acct.PageID {
		t.Fatalf("got %+v, want POST /v20.0/<app>/page_activities with the bots' own tracking flags", reqs)
	}
	if n := len(e.requests(metasim.RequestEvents)); n != 0 {
		t.Fatalf("got %d Conversions API requests in legacy mode, want 0", n)
	}
}

func TestLegacyStoppedOnNewerAPIVersion(t *testing.T) {
	e := newEnv(t)
	c := e.client("Acme", 0)
	e.setForwarding(c, store.ForwardLegacy, "", e.world.AppID, metasim.DemoToken)
	e.log(c, "1111", "", leads(2, time.Now())...)

	st := e.pass(e.forwarder("v21.0"))
	if st.Requests != 0 {
		t.Fatalf("got %d requests, want none with v21.0", st.Requests)
	}
	cfg, err := e.db.Forwarding(t.Context(), c.ID)
	if err != nil || !cfg.Stopped() || !strings.Contains(cfg.StoppedReason, "v20.0") || !strings.Contains(cfg.StoppedReason, "Conversions API") {
		t.Fatalf("got %+v %v, want stopped with the version reason", cfg, err)
	}
	if got := e.counts(c); got[store.OutboxPending] != 2 {
		t.Fatalf("got %v, want both events still pending", got)
	}
	// Back on v20.0 and saved again, they go out.
	e.setForwarding(c, store.ForwardLegacy, "", e.world.AppID, "")
	if st := e.pass(e.forwarder("v20.0")); st.Sent != 2 || st.Requests != 1 {
		t.Fatalf("got %+v, want 2 sent in 1 request", st)
	}
}

func TestUnreadableAnswers(t *testing.T) {
	e := newEnv(t)
	legacy := e.client("Acme", 0)
	capi := e.client("Beta", 1)
	e.setForwarding(legacy, store.ForwardLegacy, "", e.world.AppID, metasim.DemoToken)
	e.capi(capi, 1, metasim.DemoToken)
	for _, kind := range []metasim.RequestKind{metasim.RequestPageActivities, metasim.RequestEvents} {
		if _, err := e.sim.AddFault(metasim.Fault{Kind: metasim.FaultTruncatedJSON, Request: kind, Times: 1}); err != nil {
			t.Fatal(err)
		}
	}
	e.log(legacy, "1111", "", leads(1, time.Now())...)
	e.log(capi, "2222", "", leads(1, time.Now())...)
	f := e.forwarder("v20.0")
	// Legacy cannot dedupe: Meta's 200 counts as accepted. CAPI can: it is sent again.
	if st := e.pass(f); st.Sent != 1 || st.Retried != 1 {
		t.Fatalf("got %+v, want the legacy event sent and the CAPI one retried", st)
	}
	time.Sleep(10 * time.Millisecond) // past the test backoff
	if st := e.pass(f); st.Sent != 1 {
		t.Fatalf("got %+v, want the CAPI event sent", st)
	}
	if n := len(e.sim.PageActivities()); n != 1 {
		t.Fatalf("got %d page_activities requests, want 1 (no resend)", n)
	}
	if all, unique := len(e.sim.Events()), e.sim.UniqueEventCount(); all != 2 || unique != 1 {
		t.Fatalf("Meta got %d CAPI events, %d unique; want the resend deduplicated (2, 1)", all, unique)
	}
}
