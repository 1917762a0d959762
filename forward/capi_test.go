package forward_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadlens/leadlens/metasim"
	"github.com/leadlens/leadlens/store"
)

func TestCAPIRequestShapeAndNameMapping(t *testing.T) {
	e := newEnv(t)
	c := e.client("Acme", 0)
	e.capi(c, 0, metasim.DemoToken)
	acct := e.world.Accounts[0]
	now := time.Now().UTC().Truncate(time.Second)
	ids := e.log(c, "9876543210", "",
		store.NewEvent{Name: "lead_submitted", EventTime: now.Add(-time.Hour), IdemKey: "lead-123"},
		store.NewEvent{Name: "fb_mobile_purchase", Value: "57.23", Currency: "usd", EventTime: now.Add(-2 * time.Hour)},
		store.NewEvent{Name: "fb_mobile_complete_registration", EventTime: now.Add(-time.Hour)},
		store.NewEvent{Name: "lead_submitted", EventTime: now.Add(-8 * 24 * time.Hour)},
		store.NewEvent{Name: "fb_mobile_purchase", EventTime: now.Add(-time.Hour)},
		store.NewEvent{Name: "fb_messenger_bot_stopped", EventTime: now.Add(-time.Hour)},
		store.NewEvent{Name: "fb_mobile_add_to_cart", Value: "3", EventTime: now.Add(-time.Hour)},
	)

	st := e.pass(e.forwarder("v21.0"))
	if st.Requests != 1 || st.Sent != 3 || st.Skipped != 4 {
		t.Fatalf("got %+v, want 1 request, 3 sent, 4 skipped", st)
	}
	reqs := e.requests(metasim.RequestEvents)
	if len(reqs) != 1 {
		t.Fatalf("got %d events requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/v21.0/"+acct.DatasetID+"/events" || r.Status != 200 || r.AuthVia != "param" {
		t.Fatalf("got %s %s (HTTP %d, token via %q), want POST /v21.0/%s/events answered 200 with the token as a parameter",
			r.Method, r.Path, r.Status, r.AuthVia, acct.DatasetID)
	}
	evs := data(t, r)
	if len(evs) != 3 {
		t.Fatalf("got %d events in data, want 3", len(evs))
	}
	lead, purchase, cart := evs[0], evs[1], evs[2]
	const common = "action_source,event_id,event_name,event_time,messaging_channel,user_data"
	if got := keys(lead); got != common {
		t.Errorf("lead keys: got %s, want %s", got, common)
	}
	if got := keys(purchase); got != "action_source,custom_data,event_id,event_name,event_time,messaging_channel,user_data" {
		t.Errorf("purchase keys: got %s, want custom_data besides %s", got, common)
	}
	checks := []struct{ name, got, want string }{
		{"lead event_name", str(lead["event_name"]), "LeadSubmitted"},
		{"lead event_time", string(lead["event_time"]), strconv.FormatInt(now.Add(-time.Hour).Unix(), 10)},
		{"lead event_id (the bot's)", str(lead["event_id"]), "lead-123"},
		{"action_source", str(lead["action_source"]), "business_messaging"},
		{"messaging_channel", str(lead["messaging_channel"]), "messenger"},
		{"user_data", string(lead["user_data"]), `{"page_id":"` + acct.PageID + `","page_scoped_user_id":"9876543210"}`},
		{"purchase event_name", str(purchase["event_name"]), "Purchase"},
		{"purchase event_id (derived)", str(purchase["event_id"]), fmt.Sprintf("leadlens-%d-%d", c.ID, ids[1])},
		{"purchase custom_data", string(purchase["custom_data"]), `{"currency":"USD","value":57.23}`},
		{"add to cart name", str(cart["event_name"]), "AddToCart"},
		{"add to cart without currency has no custom_data", string(cart["custom_data"]), ""},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %s, want %s", ch.name, ch.got, ch.want)
		}
	}

	ent := e.entries(c)
	want := []struct {
		status, mention string
	}{
		{store.OutboxSent, "events_received 3"},
		{store.OutboxSent, "events_received 3"},
		{store.OutboxSkipped, `no Conversions API event for "fb_mobile_complete_registration"`},
		{store.OutboxSkipped, "older than 7 days: Meta would not attribute it"},
		{store.OutboxSkipped, "Purchase needs both"},
		{store.OutboxSkipped, "fb_messenger_bot_stopped is Meta's own event"},
		{store.OutboxSent, "events_received 3"},
	}
	for i, w := range want {
		got := ent[ids[i]]
		if got.Status != w.status || !strings.Contains(got.Response+got.LastError, w.mention) {
			t.Errorf("event %d: got %s (%q / %q), want %s mentioning %q", i, got.Status, got.LastError, got.Response, w.status, w.mention)
		}
	}
	if ent[ids[0]].SentAt.IsZero() || ent[ids[0]].Mode != store.ForwardCAPI || ent[ids[0]].Attempts != 1 {
		t.Errorf("got %+v, want a sent time, mode capi and one attempt", ent[ids[0]])
	}
	if n := e.sim.UniqueEventCount(); n != 3 {
		t.Errorf("Meta counts %d events, want 3", n)
	}
	// Nothing is due any more: a second pass sends nothing.
	if st := e.pass(e.forwarder("v21.0")); st.Due != 0 || st.Requests != 0 {
		t.Errorf("second pass: got %+v, want nothing due", st)
	}
}

func TestCAPIBatchesOfAtMost1000(t *testing.T) {
	e := newEnv(t)
	c := e.client("Acme", 0)
	e.capi(c, 0, metasim.DemoToken)
	e.log(c, "1001", "", leads(2500, time.Now().Add(-time.Minute))...)

	st := e.pass(e.forwarder("v21.0"))
	if st.Due != 2500 || st.Requests != 3 || st.Sent != 2500 {
		t.Fatalf("got %+v, want 2500 due, 3 requests, 2500 sent", st)
	}
	var sizes []int
	for _, r := range e.requests(metasim.RequestEvents) {
		sizes = append(sizes, len(data(t, r)))
	}
	if fmt.Sprint(sizes) != "[1000 1000 500]" {
		t.Fatalf("got batch sizes %v, want [1000 1000 500]", sizes)
	}
	if n := e.sim.UniqueEventCount(); n != 2500 {
		t.Fatalf("Meta counts %d events, want 2500", n)
	}
	if got := e.counts(c); got[store.OutboxSent] != 2500 || got[store.OutboxPending] != 0 {
		t.Fatalf("got counts %v, want 2500 sent and none pending", got)
	}
}

func TestCAPIBadEventIsolated(t *testing.T) {
	e := newEnv(t)
	c := e.client("Acme", 0)
	e.capi(c, 0, metasim.DemoToken)
	now := time.Now()
	evs := leads(10, now.Add(-time.Minute))
	evs[6].EventTime = now.Add(3 * time.Hour) // Meta rejects the whole batch: 2804004, in the future
	ids := e.log(c, "1001", "", evs...)

	st := e.pass(e.forwarder("v21.0"))
	if st.Sent != 9 || st.Failed != 1 || st.Requests > 9 {
		t.Fatalf("got %+v, want 9 sent and 1 failed within 9 requests", st)
	}
	bad := e.entries(c)[ids[6]]
	if bad.Status != store.OutboxFailed || !strings.Contains(bad.Response, "2804004") || !strings.Contains(bad.Response, "Event Timestamp In Future") {
		t.Fatalf("got %s with answer %q, want failed with Meta's 2804004 answer", bad.Status, bad.Response)
	}
	if n := e.sim.UniqueEventCount(); n != 9 {
		t.Fatalf("Meta counts %d events, want 9", n)
	}
}

func TestForwardingTurnedOffSkipsPending(t *testing.T) {
	e := newEnv(t)
	c := e.client("Acme", 0)
	e.capi(c, 0, metasim.DemoToken)
	ids := e.log(c, "1001", "", leads(2, time.Now())...)
	e.setForwarding(c, store.ForwardOff, e.world.Accounts[0].DatasetID, "", "")
	if st := e.pass(e.forwarder("v21.0")); st.Skipped != 2 || st.Requests != 0 {
		t.Fatalf("got %+v, want 2 skipped without a request", st)
	}
	if got := e.entries(c)[ids[0]]; got.Status != store.OutboxSkipped || !strings.Contains(got.LastError, "turned off") {
		t.Fatalf("got %s %q, want skipped because forwarding was turned off", got.Status, got.LastError)
	}
	// Off: new events are not queued at all.
	e.log(c, "1001", "", leads(1, time.Now())...)
	if got := e.counts(c); got[store.OutboxPending]+got[store.OutboxSkipped] != 2 {
		t.Fatalf("got %v, want no new outbox entry while off", got)
	}
}

func TestRequeueFailedSendsAgain(t *testing.T) {
	e := newEnv(t)
	c := e.client("Acme", 0)
	e.capi(c, 0, metasim.DemoToken)
	// A dataset-wide rejection that is no auth, permission or not-found error fails the events.
	id, err := e.sim.AddFault(metasim.Fault{Kind: metasim.FaultError, Request: metasim.RequestEvents, Times: 1,
		Code: 100, Subcode: 2804019, Message: "(#100) Invalid parameter"})
	if err != nil {
		t.Fatal(err)
	}
	e.log(c, "1001", "", leads(1, time.Now())...)
	f := e.forwarder("v21.0")
	if st := e.pass(f); st.Failed != 1 || e.sim.FaultFired(id) != 1 {
		t.Fatalf("got %+v, want 1 failed", st)
	}
	if n, err := e.db.RequeueFailed(context.Background(), c.ID); err != nil || n != 1 {
		t.Fatalf("requeue: got %d %v, want 1", n, err)
	}
	if st := e.pass(f); st.Sent != 1 {
		t.Fatalf("got %+v after re-queueing, want 1 sent", st)
	}
}
