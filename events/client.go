package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MarshalJSON renders the request as a Meta-compatible page_activities JSON body (ids as
// strings, tracking flags as 0/1). Parsing the result gives back the same Request. An empty
// LoggingSource or LoggingTarget is sent as messenger_bot and page, so a Go caller need only
// fill in the page, the person and the events.
func (r Request) MarshalJSON() ([]byte, error) {
	if r.LoggingSource == "" {
		r.LoggingSource = "messenger_bot"
	}
	if r.LoggingTarget == "" {
		r.LoggingTarget = "page"
	}
	var b bytes.Buffer
	b.WriteString(`{"custom_events":[`)
	for i, e := range r.Events {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := e.writeJSON(&b); err != nil {
			return nil, fmt.Errorf("events: custom_events[%d]: %w", i, err)
		}
	}
	b.WriteString(`]`)
	field := func(k string, v any) {
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(v)
		b.WriteByte(',')
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	field("advertiser_tracking_enabled", bit(r.AdvertiserTrackingEnabled))
	field("application_tracking_enabled", bit(r.ApplicationTrackingEnabled))
	field("page_id", r.PageID)
	field("page_scoped_user_id", r.PSID)
	field("logging_source", r.LoggingSource)
	field("logging_target", r.LoggingTarget)
	if r.AdID != "" {
		field("ad_id", r.AdID)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func bit(v bool) int {
	if v {
		return 1
	}
	return 0
}

func (e Event) writeJSON(b *bytes.Buffer) error {
	name, _ := json.Marshal(e.Name)
	b.WriteString(`{"_eventName":`)
	b.Write(name)
	if e.Value != "" {
		if !numberRE.MatchString(e.Value) {
			return fmt.Errorf("_valueToSum %q is not a number", e.Value)
		}
		b.WriteString(`,"_valueToSum":`)
		b.WriteString(e.Value)
	}
	if e.Currency != "" {
		c, _ := json.Marshal(e.Currency)
		b.WriteString(`,"fb_currency":`)
		b.Write(c)
	}
	if e.LogTime != 0 {
		b.WriteString(`,"_logTime":`)
		b.WriteString(strconv.FormatInt(e.LogTime, 10))
	}
	if e.EventID != "" {
		id, _ := json.Marshal(e.EventID)
		b.WriteString(`,"event_id":`)
		b.Write(id)
	}
	if len(e.Custom) > 0 {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(e.Custom, &obj); err != nil {
			return fmt.Errorf("the Custom field is not a JSON object: %w", err)
		}
		for _, k := range []string{"_eventName", "_valueToSum", "fb_currency", "_logTime", "event_id"} {
			if _, ok := obj[k]; ok {
				return fmt.Errorf("the Custom field must not hold %s; set the Event field", k)
			}
		}
		if inner := bytes.TrimSpace(e.Custom); len(obj) > 0 {
			b.WriteByte(',')
			b.Write(bytes.TrimSpace(inner[1 : len(inner)-1]))
		}
	}
	b.WriteByte('}')
	return nil
}

// MarshalJSON renders the referral as a /api/v1/referrals JSON body.
func (r Referral) MarshalJSON() ([]byte, error) {
	m := map[string]any{"page_id": r.PageID, "page_scoped_user_id": r.PSID, "ad_id": r.AdID}
	if r.Source != "" {
		m["source"] = r.Source
	}
	if r.Type != "" {
		m["type"] = r.Type
	}
	if !r.ReferredAt.IsZero() {
		m["referred_at"] = r.ReferredAt.UTC().Format(time.RFC3339Nano)
	}
	return json.Marshal(m)
}

// Client posts to Leadlens's event log API over HTTP, the way a bot does. The demo's simulated
// bot and the tests use it; it speaks only the public API.
type Client struct {
	// BaseURL is where Leadlens serves, e.g. http://localhost:8080 (no trailing path).
	BaseURL string
	// APIKey is a client's API key (llk_…), sent as a bearer token.
	APIKey string
	// HTTP is the client to use; nil means one with a 30 s timeout.
	HTTP *http.Client
}

// Result is the answer for one logged event, in the order sent.
type Result struct {
	ID        string `json:"id"`
	Duplicate bool   `json:"duplicate"`
}

// APIError is an error answer of the event API, in the Graph API's envelope.
type APIError struct {
	Status    int    `json:"-"`
	Message   string `json:"message"`
	Type      string `json:"type"`
	Code      int    `json:"code"`
	FBTraceID string `json:"fbtrace_id"`
}

func (e *APIError) Error() string {
	return fmt.Sprintf("event API: HTTP %d: %s (code %d)", e.Status, e.Message, e.Code)
}

// LogEvents posts a page_activities request to /api/v1/page_activities and returns one result
// per event. An error answer is an *APIError.
func (c *Client) LogEvents(ctx context.Context, req Request) ([]Result, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var out struct {
		Success bool     `json:"success"`
		Events  []Result `json:"events"`
	}
	if err := c.post(ctx, "/api/v1/page_activities", body, &out); err != nil {
		return nil, err
	}
	if !out.Success || len(out.Events) != len(req.Events) {
		return nil, fmt.Errorf("event API: answered %d results for %d events", len(out.Events), len(req.Events))
	}
	return out.Events, nil
}

// ReferralResult is the answer to a recorded referral.
type ReferralResult struct {
	ID        string `json:"id"`
	Duplicate bool   `json:"duplicate"`
	// Reattributed counts stored events that now belong to this referral.
	Reattributed int `json:"reattributed"`
}

// RecordReferral posts a referral to /api/v1/referrals.
func (c *Client) RecordReferral(ctx context.Context, r Referral) (ReferralResult, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return ReferralResult{}, err
	}
	var out struct {
		Success bool `json:"success"`
		ReferralResult
	}
	if err := c.post(ctx, "/api/v1/referrals", body, &out); err != nil {
		return ReferralResult{}, err
	}
	return out.ReferralResult, nil
}

func (c *Client) post(ctx context.Context, path string, body []byte, out any) error {
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.BaseURL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("event API: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.APIKey)
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("event API: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("event API: reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var env struct {
			Error *APIError `json:"error"`
		}
		if json.Unmarshal(b, &env) == nil && env.Error != nil {
			env.Error.Status = resp.StatusCode
			return env.Error
		}
		return &APIError{Status: resp.StatusCode, Message: http.StatusText(resp.StatusCode)}
	}
	if err := json.Unmarshal(b, out); err != nil {
		return errors.New("event API: the answer is not the expected JSON")
	}
	return nil
}
