package forward

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadlens/leadlens/collector/graph"
	"github.com/leadlens/leadlens/store"
)

// Mapping is one row of the event-name table: a name as bots log it (the Messaging Events
// API's) and the Conversions API for Business Messaging event it becomes.
type Mapping struct {
	Name     string // as logged, e.g. lead_submitted
	CAPIName string // as sent to the Conversions API, e.g. LeadSubmitted
	// NeedsValue: Meta requires custom_data.value and currency; an event without them is skipped.
	NeedsValue bool
}

// mappings is the one place the table lives; the package doc and README repeat it.
var mappings = []Mapping{
	{Name: "lead_submitted", CAPIName: "LeadSubmitted"},
	{Name: "fb_mobile_purchase", CAPIName: "Purchase", NeedsValue: true},
	{Name: "fb_mobile_add_to_cart", CAPIName: "AddToCart"},
	{Name: "fb_mobile_initiated_checkout", CAPIName: "InitiateCheckout"},
	{Name: "fb_mobile_content_view", CAPIName: "ViewContent"},
}

// Mappings returns the event-name table, for documentation and the admin page.
func Mappings() []Mapping { return slices.Clone(mappings) }

// CAPIName returns the Conversions API event for a logged name; ok is false when there is none.
func CAPIName(name string) (m Mapping, ok bool) {
	for _, m := range mappings {
		if m.Name == name {
			return m, true
		}
	}
	return Mapping{}, false
}

// MaxEventAge is how old an event may be when it is sent: Meta does not attribute older ones
// (and the Conversions API rejects them with 2804003).
const MaxEventAge = 7 * 24 * time.Hour

// Skip reasons, shown on the admin page and in the CLI.
const (
	reasonTooOld = "older than 7 days: Meta would not attribute it"
	reasonOff    = "forwarding was turned off for this client before the event was sent"
)

// botStopped is the event Meta logs itself when a person blocks the page.
const botStopped = "fb_messenger_bot_stopped"

var numberRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// skipReason says why an item is not sent in mode at now, "" when it is to be sent.
func skipReason(it store.OutboxItem, mode string, now time.Time) string {
	if now.Sub(it.EventTime) > MaxEventAge {
		return reasonTooOld
	}
	if it.Value != "" && !numberRE.MatchString(it.Value) {
		return fmt.Sprintf("value %q is not a number Meta can sum", it.Value)
	}
	if it.Name == botStopped {
		return botStopped + " is Meta's own event (a person blocked the page); it is not forwarded"
	}
	if mode != store.ForwardCAPI {
		return ""
	}
	m, ok := CAPIName(it.Name)
	if !ok {
		return fmt.Sprintf("no Conversions API event for %q: only %s are forwarded", it.Name, mappedNames())
	}
	if m.NeedsValue && (it.Value == "" || it.Currency == "") {
		return fmt.Sprintf("%s without _valueToSum and fb_currency: the Conversions API's %s needs both", it.Name, m.CAPIName)
	}
	return ""
}

func mappedNames() string {
	names := make([]string, len(mappings))
	for i, m := range mappings {
		names[i] = m.Name
	}
	return strings.Join(names, ", ")
}

// EventID is the Conversions API event_id of an item: the bot's own event_id when it sent one
// (so Meta also dedupes against a copy the bot sent itself), else a stable id derived from the
// stored event, so a resend after a crash carries the same id and Meta counts it once.
func EventID(it store.OutboxItem) string {
	if it.IdemKey != "" {
		return it.IdemKey
	}
	return "leadlens-" + strconv.FormatInt(it.ClientID, 10) + "-" + strconv.FormatInt(it.EventID, 10)
}

// capiEvent turns a sendable item into a Conversions API event (Messenger channel).
func capiEvent(it store.OutboxItem) graph.ConversionEvent {
	m, _ := CAPIName(it.Name)
	ev := graph.ConversionEvent{
		EventName:        m.CAPIName,
		EventTime:        it.EventTime.Unix(),
		EventID:          EventID(it),
		ActionSource:     graph.ActionSourceBusinessMessaging,
		MessagingChannel: graph.ChannelMessenger,
		UserData:         graph.ConversionUserData{PageID: it.PageID, PageScopedUserID: it.PSID},
	}
	// A value means nothing to Meta without its currency, so custom_data goes only with both.
	if it.Value != "" && it.Currency != "" {
		ev.CustomData = &graph.ConversionCustomData{Currency: strings.ToUpper(it.Currency), Value: json.Number(it.Value)}
	}
	return ev
}

// requestMeta is what the event API kept of the bot's request (handlers' requestMeta).
type requestMeta struct {
	LoggingTarget              string `json:"logging_target"`
	AdvertiserTrackingEnabled  *int   `json:"advertiser_tracking_enabled"`
	ApplicationTrackingEnabled *int   `json:"application_tracking_enabled"`
}

// legacyKey groups items that can share one page_activities request: one person of one page,
// with the same tracking flags and logging target the bot sent.
type legacyKey struct {
	page, psid      string
	advertiser, app bool
	target          string
}

func keyOf(it store.OutboxItem) legacyKey {
	var m requestMeta
	_ = json.Unmarshal([]byte(it.RequestMeta), &m) // "{}" or unreadable: Meta's sample defaults
	k := legacyKey{page: it.PageID, psid: it.PSID, advertiser: true, app: true, target: "page"}
	// The bot's own flags go on: forwarding must not turn tracking on for a person who opted out.
	if m.AdvertiserTrackingEnabled != nil {
		k.advertiser = *m.AdvertiserTrackingEnabled != 0
	}
	if m.ApplicationTrackingEnabled != nil {
		k.app = *m.ApplicationTrackingEnabled != 0
	}
	switch m.LoggingTarget {
	case "app", "page", "app_and_page":
		k.target = m.LoggingTarget
	}
	return k
}

// legacyRequest builds one page_activities body from items sharing a key.
func legacyRequest(k legacyKey, items []store.OutboxItem) graph.PageActivitiesRequest {
	req := graph.PageActivitiesRequest{
		AdvertiserTrackingEnabled: k.advertiser, ApplicationTrackingEnabled: k.app,
		PageID: k.page, PageScopedUserID: k.psid, LoggingSource: "messenger_bot", LoggingTarget: k.target,
	}
	for _, it := range items {
		e := graph.PageActivityEvent{EventName: it.Name, ValueToSum: json.Number(it.Value),
			Currency: strings.ToUpper(it.Currency), LogTime: it.EventTime.Unix()}
		if it.Params != "" && it.Params != "{}" {
			dec := json.NewDecoder(strings.NewReader(it.Params))
			dec.UseNumber() // custom numbers go out as the bot wrote them
			var p map[string]any
			if dec.Decode(&p) == nil {
				e.Params = p
			}
		}
		req.CustomEvents = append(req.CustomEvents, e)
	}
	return req
}
