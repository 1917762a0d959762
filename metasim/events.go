package metasim

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// ReceivedEvent is one Conversions API for Business Messaging event the simulator accepted.
type ReceivedEvent struct {
	Received                  time.Time // injected clock
	Version                   string
	DatasetID                 string
	EventName                 string
	EventTime                 int64
	EventID                   string
	ActionSource              string
	MessagingChannel          string
	PageID                    string // messenger
	PageScopedUserID          string // messenger
	WhatsAppBusinessAccountID string // whatsapp
	CTWAClickID               string // whatsapp
	InstagramAccountID        string // instagram
	InstagramScopedID         string // instagram
	Currency                  string
	Value                     string // custom_data.value as sent (a JSON number's text), "" when absent
	// Duplicate is true when the same dataset already received this event_name and event_id:
	// Meta counts such an event once.
	Duplicate bool
	Raw       json.RawMessage
}

// ReceivedActivity is one accepted legacy Messaging Events API (page_activities) request.
type ReceivedActivity struct {
	Received         time.Time
	Version          string
	AppID            string
	PageID           string
	PageScopedUserID string
	LoggingSource    string
	LoggingTarget    string
	// Events are the custom_events entries as decoded; numbers are json.Number.
	Events      []map[string]any
	FormEncoded bool // the body was form-encoded rather than JSON
}

type eventStore struct {
	mu         sync.Mutex
	events     []ReceivedEvent
	seen       map[string]bool
	activities []ReceivedActivity
}

func newEventStore() *eventStore { return &eventStore{seen: map[string]bool{}} }

// Events returns a copy of every Conversions API event received, duplicates included.
func (s *Server) Events() []ReceivedEvent {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	return slices.Clone(s.events.events)
}

// UniqueEventCount is how many events Meta would count: duplicates by event_id once.
func (s *Server) UniqueEventCount() int {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	n := 0
	for _, e := range s.events.events {
		if !e.Duplicate {
			n++
		}
	}
	return n
}

// PageActivities returns a copy of every page_activities request accepted.
func (s *Server) PageActivities() []ReceivedActivity {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	return slices.Clone(s.events.activities)
}

var (
	acceptedEvents = []string{"LeadSubmitted", "Purchase", "AddToCart", "InitiateCheckout", "ViewContent"}
	digitsRE       = regexp.MustCompile(`^[0-9]{1,20}$`)
)

// scalar reads a JSON string or number as text.
func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	}
	return "", false
}

func decodeUseNumber(text string, v any) error {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	return dec.Decode(v)
}

// handleEvents validates a whole request before recording anything: like Meta, one invalid
// event rejects the batch.
func (s *Server) handleEvents(c *call, a *account) (any, *graphError) {
	text := c.params.Get("data")
	if text == "" {
		return nil, errParam("The parameter data is required")
	}
	var raw []map[string]any
	if err := decodeUseNumber(text, &raw); err != nil {
		return nil, errParam("data must be a JSON array of event objects: %v", err)
	}
	if len(raw) == 0 {
		return nil, errParam("data must hold at least one event")
	}
	if len(raw) > MaxEventsPerRequest {
		return nil, errParam("data holds %d events; at most %d may be sent in one request", len(raw), MaxEventsPerRequest)
	}
	now := s.now()
	evs := make([]ReceivedEvent, 0, len(raw))
	for i, e := range raw {
		ev, ge := validateEvent(i, e, now)
		if ge != nil {
			return nil, ge
		}
		ev.Received, ev.Version, ev.DatasetID = now, c.version, a.datasetID
		ev.Raw, _ = json.Marshal(e)
		evs = append(evs, ev)
	}
	st := s.events
	st.mu.Lock()
	for i := range evs {
		if evs[i].EventID != "" {
			k := evs[i].DatasetID + "\x00" + evs[i].EventName + "\x00" + evs[i].EventID
			evs[i].Duplicate = st.seen[k]
			st.seen[k] = true
		}
	}
	st.events = append(st.events, evs...)
	st.mu.Unlock()
	return object{{"events_received", len(evs)}, {"messages", []any{}}, {"fbtrace_id", c.trace}}, nil
}

func validateEvent(i int, e map[string]any, now time.Time) (ReceivedEvent, *graphError) {
	var ev ReceivedEvent
	at := func(f string) string { return fmt.Sprintf("data[%d].%s", i, f) }
	name, _ := scalar(e["event_name"])
	switch {
	case name == "":
		return ev, errParam("%s is required", at("event_name"))
	case name == "Lead":
		ge := gerr(100, 2804066, "(#100) %s: Lead is not supported for action_source business_messaging; send LeadSubmitted", at("event_name"))
		ge.userTitle, ge.userMsg = "Invalid event name", "Lead cannot be sent for business messaging; use LeadSubmitted."
		return ev, ge
	case !slices.Contains(acceptedEvents, name):
		return ev, errParam("%s %q is not accepted for business_messaging; use one of %s", at("event_name"), name, strings.Join(acceptedEvents, ", "))
	}
	ev.EventName = name
	tn, ok := e["event_time"].(json.Number)
	t, err := tn.Int64()
	if !ok || err != nil {
		return ev, errParam("%s is required: Unix time in seconds", at("event_time"))
	}
	switch age := now.Sub(time.Unix(t, 0)); {
	case age > 7*24*time.Hour:
		ge := gerr(100, 2804003, "(#100) %s %d is more than 7 days in the past", at("event_time"), t)
		ge.userTitle, ge.userMsg = "Event Timestamp Too Old", "The timestamp for this event is too far in the past. Events need to be sent within 7 days of when they occurred."
		return ev, ge
	case age < -time.Hour:
		ge := gerr(100, 2804004, "(#100) %s %d is in the future", at("event_time"), t)
		ge.userTitle, ge.userMsg = "Event Timestamp In Future", "The timestamp for this event is in the future."
		return ev, ge
	}
	ev.EventTime = t
	ev.EventID, _ = scalar(e["event_id"])
	if ev.ActionSource, _ = scalar(e["action_source"]); ev.ActionSource != "business_messaging" {
		return ev, errParam("%s must be business_messaging, got %q", at("action_source"), ev.ActionSource)
	}
	ud, _ := e["user_data"].(map[string]any)
	need := func(key string) (string, *graphError) {
		v, ok := scalar(ud[key])
		if !ok || v == "" {
			return "", errParam("%s is required for messaging_channel %s", at("user_data."+key), ev.MessagingChannel)
		}
		return v, nil
	}
	var ge *graphError
	ev.MessagingChannel, _ = scalar(e["messaging_channel"])
	switch ev.MessagingChannel {
	case "messenger":
		if ev.PageID, ge = need("page_id"); ge == nil {
			ev.PageScopedUserID, ge = need("page_scoped_user_id")
		}
	case "whatsapp":
		if ev.WhatsAppBusinessAccountID, ge = need("whatsapp_business_account_id"); ge == nil {
			ev.CTWAClickID, ge = need("ctwa_clid")
		}
	case "instagram":
		if ev.InstagramAccountID, ge = need("ig_account_id"); ge == nil {
			ev.InstagramScopedID, ge = need("ig_sid")
		}
	default:
		return ev, errParam("%s must be messenger, whatsapp or instagram, got %q", at("messaging_channel"), ev.MessagingChannel)
	}
	if ge != nil {
		return ev, ge
	}
	if cd, ok := e["custom_data"].(map[string]any); ok {
		ev.Currency, _ = scalar(cd["currency"])
		if v, ok := cd["value"].(json.Number); ok {
			ev.Value = v.String()
		} else if cd["value"] != nil {
			return ev, errParam("%s must be a number", at("custom_data.value"))
		}
	} else if e["custom_data"] != nil {
		return ev, errParam("%s must be an object", at("custom_data"))
	}
	if name == "Purchase" && (ev.Currency == "" || ev.Value == "") {
		return ev, errParam("%s: Purchase needs custom_data.currency and custom_data.value", at("custom_data"))
	}
	return ev, nil
}

// handlePageActivities serves the legacy Messaging Events API (routes.go refuses it on v21.0+).
func (s *Server) handlePageActivities(c *call) (any, *graphError) {
	p := c.params
	text := p.Get("custom_events")
	if text == "" {
		return nil, errParam("custom_events is required")
	}
	var evs []map[string]any
	if decodeUseNumber(text, &evs) != nil {
		// the older form variant may double-encode: a JSON string holding the array
		var inner string
		if json.Unmarshal([]byte(text), &inner) != nil || decodeUseNumber(inner, &evs) != nil {
			return nil, errParam("custom_events must be a JSON array of objects")
		}
	}
	if len(evs) == 0 {
		return nil, errParam("custom_events must hold at least one event")
	}
	for i, e := range evs {
		if n, _ := e["_eventName"].(string); n == "" {
			return nil, errParam("custom_events[%d]._eventName is required", i)
		}
	}
	act := ReceivedActivity{Received: s.now(), Version: c.version, AppID: c.objectID, Events: evs,
		PageID: p.Get("page_id"), PageScopedUserID: p.Get("page_scoped_user_id"),
		LoggingSource: p.Get("logging_source"), LoggingTarget: p.Get("logging_target"),
		FormEncoded: !strings.Contains(c.r.Header.Get("Content-Type"), "json")}
	switch {
	case !digitsRE.MatchString(act.PageID):
		return nil, errParam("page_id is required: the page's numeric id")
	case !digitsRE.MatchString(act.PageScopedUserID):
		return nil, errParam("page_scoped_user_id is required: the person's page-scoped numeric id")
	case act.LoggingSource != "messenger_bot":
		return nil, errParam("logging_source must be messenger_bot, got %q", act.LoggingSource)
	case act.LoggingTarget != "app" && act.LoggingTarget != "page" && act.LoggingTarget != "app_and_page":
		return nil, errParam("logging_target must be app, page or app_and_page, got %q", act.LoggingTarget)
	}
	for _, k := range []string{"advertiser_tracking_enabled", "application_tracking_enabled"} {
		if v, ok := p[k]; ok && !slices.Contains([]string{"0", "1", "true", "false"}, v[0]) {
			return nil, errParam("%s must be 0 or 1, got %q", k, v[0])
		}
	}
	s.events.mu.Lock()
	s.events.activities = append(s.events.activities, act)
	s.events.mu.Unlock()
	return object{{"success", true}}, nil
}
