package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
)

// Defaults filled into a ConversionEvent's empty fields.
const (
	ActionSourceBusinessMessaging = "business_messaging"
	ChannelMessenger              = "messenger"
	ChannelWhatsApp               = "whatsapp"
	ChannelInstagram              = "instagram"
)

// maxConversionEvents is Meta's limit of events per Conversions API request.
const maxConversionEvents = 1000

// ConversionEvent is one event for the Conversions API for Business Messaging.
type ConversionEvent struct {
	EventName        string                `json:"event_name"`         // LeadSubmitted, Purchase, AddToCart, InitiateCheckout, ViewContent
	EventTime        int64                 `json:"event_time"`         // Unix seconds
	EventID          string                `json:"event_id,omitempty"` // deduplication key
	ActionSource     string                `json:"action_source"`      // default business_messaging
	MessagingChannel string                `json:"messaging_channel"`  // messenger (default), whatsapp, instagram
	UserData         ConversionUserData    `json:"user_data"`
	CustomData       *ConversionCustomData `json:"custom_data,omitempty"`
}

// ConversionUserData identifies the person, per channel.
type ConversionUserData struct {
	PageID                    string `json:"page_id,omitempty"`             // messenger
	PageScopedUserID          string `json:"page_scoped_user_id,omitempty"` // messenger
	WhatsAppBusinessAccountID string `json:"whatsapp_business_account_id,omitempty"`
	CTWAClid                  string `json:"ctwa_clid,omitempty"`
	IGAccountID               string `json:"ig_account_id,omitempty"` // instagram account id
	IGSID                     string `json:"ig_sid,omitempty"`        // Instagram-scoped user id
}

// ConversionCustomData is custom_data: currency and value plus any other keys.
type ConversionCustomData struct {
	Currency string
	Value    json.Number    // exact decimal, sent as a JSON number; omitted when empty
	Extra    map[string]any // further custom_data keys, sent as given
}

// MarshalJSON writes currency and value beside the Extra keys.
func (d ConversionCustomData) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(d.Extra)+2)
	maps.Copy(m, d.Extra)
	if d.Currency != "" {
		m["currency"] = d.Currency
	}
	if d.Value != "" {
		m["value"] = d.Value
	}
	return json.Marshal(m)
}

// ConversionsResult is Meta's answer to SendConversions.
type ConversionsResult struct {
	EventsReceived int      // events Meta accepted
	Messages       []string // Meta's warnings, as text
	FBTraceID      string   // for support requests
}

// SendConversions posts events to a dataset (POST /<dataset_id>/events with {"data":[…]}).
// Empty ActionSource and MessagingChannel are filled with business_messaging and messenger.
// Meta deduplicates by EventID, so retrying a send is safe when every event has one.
func (c *Client) SendConversions(ctx context.Context, datasetID string, events []ConversionEvent) (ConversionsResult, error) {
	id, err := objectID("dataset", datasetID)
	if err != nil {
		return ConversionsResult{}, err
	}
	if len(events) == 0 || len(events) > maxConversionEvents {
		return ConversionsResult{}, &Error{Kind: KindInvalidRequest,
			Message: fmt.Sprintf("conversions: %d events: want 1 to %d per request", len(events), maxConversionEvents)}
	}
	data := make([]ConversionEvent, len(events))
	for i, ev := range events {
		if ev.ActionSource == "" {
			ev.ActionSource = ActionSourceBusinessMessaging
		}
		if ev.MessagingChannel == "" {
			ev.MessagingChannel = ChannelMessenger
		}
		if field := missingConversionField(ev); field != "" {
			return ConversionsResult{}, &Error{Kind: KindInvalidRequest,
				Message: fmt.Sprintf("conversions: event %d: %s is required", i, field)}
		}
		data[i] = ev
	}
	body, err := json.Marshal(struct {
		Data []ConversionEvent `json:"data"`
	}{data})
	if err != nil {
		return ConversionsResult{}, &Error{Kind: KindInvalidRequest, Message: "conversions: cannot encode events: " + err.Error()}
	}
	var out struct {
		EventsReceived numString         `json:"events_received"`
		Messages       []json.RawMessage `json:"messages"`
		FBTraceID      string            `json:"fbtrace_id"`
	}
	err = c.do(ctx, call{op: OpConversions, method: http.MethodPost, path: "/" + id + "/events", body: body, ctype: "application/json"},
		func(b []byte) (int, error) { return 0, json.Unmarshal(b, &out) })
	if err != nil {
		return ConversionsResult{}, err
	}
	res := ConversionsResult{FBTraceID: out.FBTraceID}
	res.EventsReceived, _ = strconv.Atoi(out.EventsReceived.s)
	for _, m := range out.Messages {
		var s string
		if json.Unmarshal(m, &s) != nil {
			s = string(m)
		}
		res.Messages = append(res.Messages, s)
	}
	return res, nil
}

func missingConversionField(ev ConversionEvent) string {
	u := ev.UserData
	switch {
	case ev.EventName == "":
		return "event_name"
	case ev.EventTime <= 0:
		return "event_time"
	case ev.MessagingChannel == ChannelMessenger && u.PageID == "":
		return "user_data.page_id"
	case ev.MessagingChannel == ChannelMessenger && u.PageScopedUserID == "":
		return "user_data.page_scoped_user_id"
	case ev.MessagingChannel == ChannelWhatsApp && u.WhatsAppBusinessAccountID == "":
		return "user_data.whatsapp_business_account_id"
	case ev.MessagingChannel == ChannelWhatsApp && u.CTWAClid == "":
		return "user_data.ctwa_clid"
	case ev.MessagingChannel == ChannelInstagram && u.IGAccountID == "":
		return "user_data.ig_account_id"
	case ev.MessagingChannel == ChannelInstagram && u.IGSID == "":
		return "user_data.ig_sid"
	}
	return ""
}

// PageActivitiesRequest is the legacy Messaging Events API body.
type PageActivitiesRequest struct {
	CustomEvents               []PageActivityEvent
	AdvertiserTrackingEnabled  bool   // sent as 1/0
	ApplicationTrackingEnabled bool   // sent as 1/0
	PageID                     string // sent as a JSON number when all digits, as in Meta's sample
	PageScopedUserID           string // likewise
	LoggingSource              string // default "messenger_bot"
	LoggingTarget              string // "app", "page" (default) or "app_and_page"
}

// PageActivityEvent is one entry of custom_events.
type PageActivityEvent struct {
	EventName  string         // _eventName, required
	ValueToSum json.Number    // _valueToSum, omitted when empty
	Currency   string         // fb_currency
	LogTime    int64          // _logTime (Unix seconds), omitted when 0
	Params     map[string]any // custom keys, sent as given
}

// MarshalJSON writes the event as Meta's flat object.
func (e PageActivityEvent) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(e.Params)+4)
	maps.Copy(m, e.Params)
	m["_eventName"] = e.EventName
	if e.ValueToSum != "" {
		m["_valueToSum"] = e.ValueToSum
	}
	if e.Currency != "" {
		m["fb_currency"] = e.Currency
	}
	if e.LogTime != 0 {
		m["_logTime"] = e.LogTime
	}
	return json.Marshal(m)
}

// MarshalJSON writes the body with Meta's field names and defaults.
func (r PageActivitiesRequest) MarshalJSON() ([]byte, error) {
	flag := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	source, target := r.LoggingSource, r.LoggingTarget
	if source == "" {
		source = "messenger_bot"
	}
	if target == "" {
		target = "page"
	}
	return json.Marshal(struct {
		CustomEvents               []PageActivityEvent `json:"custom_events"`
		AdvertiserTrackingEnabled  int                 `json:"advertiser_tracking_enabled"`
		ApplicationTrackingEnabled int                 `json:"application_tracking_enabled"`
		PageID                     json.RawMessage     `json:"page_id"`
		PageScopedUserID           json.RawMessage     `json:"page_scoped_user_id"`
		LoggingSource              string              `json:"logging_source"`
		LoggingTarget              string              `json:"logging_target"`
	}{r.CustomEvents, flag(r.AdvertiserTrackingEnabled), flag(r.ApplicationTrackingEnabled),
		idLiteral(r.PageID), idLiteral(r.PageScopedUserID), source, target})
}

// idLiteral renders an id as a JSON number when it is all digits, else as a string.
func idLiteral(id string) json.RawMessage {
	if id != "" && allDigits(id) && !(len(id) > 1 && id[0] == '0') {
		return json.RawMessage(id)
	}
	b, _ := json.Marshal(id)
	return b
}

// LogPageActivities posts events to the legacy Messaging Events API
// (POST /<app_id>/page_activities). Meta serves it only up to v20.0: with a newer configured
// version it fails at once with KindInvalidRequest; use SendConversions. Meta does not
// deduplicate these events, so use a client WithRetrier(nil) unless double counting is acceptable.
func (c *Client) LogPageActivities(ctx context.Context, appID string, body PageActivitiesRequest) error {
	id, err := objectID("app", appID)
	if err != nil {
		return err
	}
	major, _ := strconv.Atoi(strings.TrimPrefix(strings.SplitN(c.version, ".", 2)[0], "v"))
	if major >= 21 {
		return &Error{Kind: KindInvalidRequest, Op: "POST /" + id + "/page_activities",
			Message: fmt.Sprintf("the Messaging Events API is not served from v21.0 on (configured %s); forward with the Conversions API instead", c.version)}
	}
	if len(body.CustomEvents) == 0 {
		return &Error{Kind: KindInvalidRequest, Message: "page_activities: custom_events is empty"}
	}
	for i, e := range body.CustomEvents {
		if e.EventName == "" {
			return &Error{Kind: KindInvalidRequest, Message: fmt.Sprintf("page_activities: custom_events[%d]._eventName is required", i)}
		}
	}
	if body.PageID == "" || body.PageScopedUserID == "" {
		return &Error{Kind: KindInvalidRequest, Message: "page_activities: page_id and page_scoped_user_id are required"}
	}
	b, err := json.Marshal(body)
	if err != nil {
		return &Error{Kind: KindInvalidRequest, Message: "page_activities: cannot encode body: " + err.Error()}
	}
	return c.do(ctx, call{op: OpPageActivities, method: http.MethodPost, path: "/" + id + "/page_activities",
		body: b, ctype: "application/json"}, nil)
}
