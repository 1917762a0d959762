package metasim

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

func capiEvent(name, id string, at time.Time, extra string) string {
	return fmt.Sprintf(`{"event_name":%q,"event_time":%d,"event_id":%q,"action_source":"business_messaging",`+
		`"messaging_channel":"messenger","user_data":{"page_id":"1234567890","page_scoped_user_id":"9876543210"}%s}`,
		name, at.Unix(), id, extra)
}

func TestConversionsAPIEvents(t *testing.T) {
	m := newSim(t, Options{Seed: 12})
	a := m.s.World().Accounts[0]
	path := "/v21.0/" + a.DatasetID + "/events"
	now := testStart()
	post := func(data string) (int, []byte) {
		resp, body := m.do("POST", path, nil, "application/json", `{"data":[`+data+`]}`)
		return resp.StatusCode, body
	}
	status, body := post(capiEvent("LeadSubmitted", "lead-1", now.Add(-time.Hour), `,"custom_data":{"currency":"USD","value":57.23}`))
	var ok struct {
		Received *int   `json:"events_received"`
		Messages []any  `json:"messages"`
		Trace    string `json:"fbtrace_id"`
	}
	if err := json.Unmarshal(body, &ok); err != nil || status != 200 || ok.Received == nil || *ok.Received != 1 || ok.Messages == nil || len(ok.Messages) != 0 || ok.Trace == "" {
		t.Fatalf("got HTTP %d %s, want events_received 1, messages [], fbtrace_id", status, body)
	}
	evs := m.s.Events()
	if len(evs) != 1 || evs[0].EventName != "LeadSubmitted" || evs[0].PageScopedUserID != "9876543210" || evs[0].Value != "57.23" || evs[0].Currency != "USD" || evs[0].DatasetID != a.DatasetID {
		t.Fatalf("got recorded %+v, want the LeadSubmitted event with its value", evs)
	}

	rejects := []struct {
		name, data string
		sub        int
		mention    string
	}{
		{"Lead", capiEvent("Lead", "x", now, ""), 2804066, "LeadSubmitted"},
		{"unknown name", capiEvent("Subscribe", "x", now, ""), 0, "event_name"},
		{"old", capiEvent("LeadSubmitted", "x", now.Add(-8*24*time.Hour), ""), 2804003, "event_time"},
		{"future", capiEvent("LeadSubmitted", "x", now.Add(3*time.Hour), ""), 2804004, "event_time"},
		{"action_source", strings.Replace(capiEvent("LeadSubmitted", "x", now, ""), "business_messaging", "website", 1), 0, "action_source"},
		{"channel", strings.Replace(capiEvent("LeadSubmitted", "x", now, ""), `"messenger"`, `"sms"`, 1), 0, "messaging_channel"},
		{"page id", strings.Replace(capiEvent("LeadSubmitted", "x", now, ""), `"page_id":"1234567890",`, "", 1), 0, "user_data.page_id"},
		{"whatsapp ids", strings.Replace(capiEvent("LeadSubmitted", "x", now, ""), `"messenger"`, `"whatsapp"`, 1), 0, "whatsapp_business_account_id"},
		{"purchase value", capiEvent("Purchase", "x", now, ""), 0, "currency"},
		// one bad event rejects the whole batch
		{"batch", capiEvent("ViewContent", "ok", now, "") + "," + capiEvent("Lead", "x", now, ""), 2804066, "data[1]"},
	}
	for _, tc := range rejects {
		status, body := post(tc.data)
		ge := decodeJSON[graphErr](t, body)
		if status != 400 || ge.Error == nil || ge.Error.Code != 100 || ge.Error.ErrorSubcode != tc.sub || !strings.Contains(ge.Error.Message, tc.mention) {
			t.Errorf("%s: got HTTP %d %s, want 400 code 100 subcode %d naming %q", tc.name, status, body, tc.sub, tc.mention)
		}
	}
	if n := len(m.s.Events()); n != 1 {
		t.Fatalf("got %d events recorded after rejections, want still 1", n)
	}

	many := make([]string, MaxEventsPerRequest+1)
	for i := range many {
		many[i] = capiEvent("ViewContent", fmt.Sprint("v", i), now, "")
	}
	if status, _ := post(strings.Join(many, ",")); status != 400 {
		t.Fatalf("got HTTP %d for %d events, want 400", status, len(many))
	}
	if status, body := post(strings.Join(many[:MaxEventsPerRequest], ",")); status != 200 || !strings.Contains(string(body), `"events_received":1000`) {
		t.Fatalf("got HTTP %d %s for 1000 events, want 200 with events_received 1000", status, truncate(body))
	}

	// duplicates by event_id count once; a form-encoded body works too
	form := url.Values{"data": {"[" + capiEvent("LeadSubmitted", "lead-1", now, "") + "]"}}
	resp, body := m.do("POST", path, nil, "application/x-www-form-urlencoded", form.Encode())
	if resp.StatusCode != 200 {
		t.Fatalf("got HTTP %d %s for a form body, want 200", resp.StatusCode, body)
	}
	evs = m.s.Events()
	if last := evs[len(evs)-1]; !last.Duplicate || m.s.UniqueEventCount() != 1001 {
		t.Fatalf("got duplicate %v unique %d, want the repeat of lead-1 flagged and 1001 unique", last.Duplicate, m.s.UniqueEventCount())
	}

	resp, body = m.do("POST", "/v21.0/111/events", nil, "application/json", `{"data":[`+capiEvent("LeadSubmitted", "z", now, "")+`]}`)
	wantError(t, resp, body, 400, 100, 33)
}

func TestPageActivities(t *testing.T) {
	m := newSim(t, Options{Seed: 12})
	app := m.s.World().AppID
	body := `{"custom_events":[{"_eventName":"lead_submitted","_valueToSum":12.5,"fb_currency":"USD","plan":"gold"}],` +
		`"advertiser_tracking_enabled":1,"application_tracking_enabled":1,"page_id":1234567890,` +
		`"page_scoped_user_id":9876543210,"logging_source":"messenger_bot","logging_target":"page"}`
	resp, b := m.do("POST", "/v20.0/"+app+"/page_activities", nil, "application/json", body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"success":true`) {
		t.Fatalf("got HTTP %d %s, want 200 success", resp.StatusCode, b)
	}
	// the older form variant: custom_events as a JSON-encoded string, ids as strings
	form := url.Values{
		"custom_events":       {`[{"_eventName":"fb_mobile_purchase","_valueToSum":3}]`},
		"page_id":             {"1234567890"},
		"page_scoped_user_id": {"555"},
		"logging_source":      {"messenger_bot"},
		"logging_target":      {"app_and_page"},
	}
	resp, b = m.do("POST", "/v19.0/"+app+"/page_activities", nil, "application/x-www-form-urlencoded", form.Encode())
	if resp.StatusCode != 200 {
		t.Fatalf("got HTTP %d %s for the form variant, want 200", resp.StatusCode, b)
	}
	acts := m.s.PageActivities()
	if len(acts) != 2 || acts[0].PageID != "1234567890" || acts[0].PageScopedUserID != "9876543210" ||
		acts[0].Events[0]["_eventName"] != "lead_submitted" || acts[0].Events[0]["plan"] != "gold" ||
		acts[0].Version != "v20.0" || acts[0].FormEncoded || !acts[1].FormEncoded || acts[1].Events[0]["_eventName"] != "fb_mobile_purchase" {
		t.Fatalf("got %+v, want both requests recorded as sent", acts)
	}
	resp, b = m.do("POST", "/v21.0/"+app+"/page_activities", nil, "application/json", body)
	ge := wantError(t, resp, b, 400, 12, 0)
	if !strings.Contains(ge.Error.Message, "v21.0") {
		t.Errorf("got %q, want it to name v21.0", ge.Error.Message)
	}
	for name, bad := range map[string]string{
		"_eventName":     strings.Replace(body, `"_eventName":"lead_submitted",`, "", 1),
		"page_id":        strings.Replace(body, `"page_id":1234567890,`, "", 1),
		"logging_source": strings.Replace(body, `"messenger_bot"`, `"web"`, 1),
		"logging_target": strings.Replace(body, `"logging_target":"page"`, `"logging_target":"inbox"`, 1),
		"custom_events":  strings.Replace(body, `"custom_events":[`, `"custom_events":"nope","x":[`, 1),
	} {
		resp, b := m.do("POST", "/v20.0/"+app+"/page_activities", nil, "application/json", bad)
		if ge := wantError(t, resp, b, 400, 100, 0); !strings.Contains(ge.Error.Message, name) {
			t.Errorf("got %q, want the message to name %s", ge.Error.Message, name)
		}
	}
	resp, b = m.do("POST", "/v20.0/123/page_activities", nil, "application/json", body)
	wantError(t, resp, b, 400, 100, 33)
	if n := len(m.s.PageActivities()); n != 2 {
		t.Fatalf("got %d recorded, want 2 (rejections record nothing)", n)
	}
}
