package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/leadlens/leadlens/events"
	"github.com/leadlens/leadlens/store"
)

// EventSink takes one request's events and answers once they are durably committed, all or
// nothing; the events package's group-commit Batcher satisfies it.
type EventSink interface {
	Submit(ctx context.Context, batch store.EventBatch) (store.BatchResult, error)
}

// The event API answers errors in the Graph API's envelope, with Meta's codes where Meta has
// one for the case, so a bot's existing error handling keeps working:
//
//	400 GraphMethodException 100  a parameter is missing or invalid (the message names it)
//	401 OAuthException       190  no API key, or an unknown or revoked one
//	403 OAuthException       200  the page is not registered for the key's client
//	404 GraphMethodException 100  unknown path (a version that is not like v21.0)
//	413 GraphMethodException 100  the body is over the limit
//	415 GraphMethodException 100  the Content-Type is neither JSON nor a form
//	500 OAuthException         1  an unexpected error (logged with the request id)
//	503 OAuthException         2  shutting down or overloaded; retry (is_transient)
type apiError struct {
	Status    int
	Type      string
	Code      int
	Message   string
	Transient bool
	Err       error // logged, never shown
}

func (e *apiError) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *apiError) Unwrap() error { return e.Err }

func apiInvalid(status int, format string, args ...any) *apiError {
	return &apiError{Status: status, Type: "GraphMethodException", Code: 100, Message: "(#100) " + fmt.Sprintf(format, args...)}
}

func apiUnauthorized(msg string) *apiError {
	return &apiError{Status: http.StatusUnauthorized, Type: "OAuthException", Code: 190, Message: msg}
}

func apiForeignPage(pageID string) *apiError {
	return &apiError{Status: http.StatusForbidden, Type: "OAuthException", Code: 200,
		Message: fmt.Sprintf("(#200) page %s is not registered for this client: add it to the client (leadlens clients add --page) or use that client's API key", pageID)}
}

// apiFail is the one error path of the event API.
func (h *Handler) apiFail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var pe *events.ParseError
	var ve *store.ValidationError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &pe):
		ae = apiInvalid(pe.Status, "%s", pe.Error())
	case errors.Is(err, store.ErrForeignPage):
		ae = &apiError{Status: http.StatusForbidden, Type: "OAuthException", Code: 200,
			Message: "(#200) the page is not registered for this client"}
	case errors.As(err, &ve):
		ae = apiInvalid(http.StatusBadRequest, "%s", ve.Error())
	case errors.Is(err, events.ErrClosed):
		ae = &apiError{Status: http.StatusServiceUnavailable, Type: "OAuthException", Code: 2, Transient: true,
			Message: "(#2) Service temporarily unavailable (shutting down); nothing was stored, retry", Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		// The batch may still be committed after the deadline: only a retry with the same
		// event_id tells, and it cannot store the event twice.
		ae = &apiError{Status: http.StatusServiceUnavailable, Type: "OAuthException", Code: 2, Transient: true,
			Message: "(#2) Service temporarily unavailable (timed out); retry with the same event_id", Err: err}
	case errors.Is(err, context.Canceled):
		ae = &apiError{Status: 499, Type: "OAuthException", Code: 2, Transient: true, Message: "(#2) request cancelled", Err: err}
	default:
		ae = &apiError{Status: http.StatusInternalServerError, Type: "OAuthException", Code: 1, Transient: true,
			Message: "(#1) An unknown error occurred; it was logged with the fbtrace_id", Err: err}
	}
	if ae.Status >= 500 && ae.Status != http.StatusServiceUnavailable {
		h.logError(r, err)
	}
	env := struct {
		Error struct {
			Message     string `json:"message"`
			Type        string `json:"type"`
			Code        int    `json:"code"`
			IsTransient bool   `json:"is_transient,omitempty"`
			FBTraceID   string `json:"fbtrace_id,omitempty"`
		} `json:"error"`
	}{}
	env.Error.Message, env.Error.Type, env.Error.Code = ae.Message, ae.Type, ae.Code
	env.Error.IsTransient = ae.Transient
	env.Error.FBTraceID = middleware.GetReqID(r.Context())
	writeJSON(w, ae.Status, env)
}

// writeJSON answers with v as JSON. HTML escaping is off: the answer is read by programs, and
// "<app_id>" reads better than "\u003capp_id\u003e".
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":{"message":"(#1) An unknown error occurred","type":"OAuthException","code":1}}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

type apiCtxKey int

const apiBodyKey apiCtxKey = iota

// apiBodyFrom returns the request body read by eventAPI.
func apiBodyFrom(ctx context.Context) []byte {
	b, _ := ctx.Value(apiBodyKey).([]byte)
	return b
}

// eventAPI guards every event API route: the Content-Type (415), the body limit (413), the
// API key (401) — resolved into the request's Principal — and a deadline of its own (these
// routes are not behind the pages' timeout, which would answer in HTML).
func (h *Handler) eventAPI(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct := r.Header.Get("Content-Type")
		if _, err := events.MediaType(ct); err != nil {
			h.apiFail(w, r, err)
			return
		}
		if r.ContentLength > h.cfg.MaxBodyBytes {
			h.apiFail(w, r, apiInvalid(http.StatusRequestEntityTooLarge, "body: the request is %d bytes; the limit is %d", r.ContentLength, h.cfg.MaxBodyBytes))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				h.apiFail(w, r, apiInvalid(http.StatusRequestEntityTooLarge, "body: the request is larger than the limit of %d bytes", mbe.Limit))
				return
			}
			h.apiFail(w, r, apiInvalid(http.StatusBadRequest, "body: could not be read"))
			return
		}
		token, given := apiToken(r, ct, body)
		if !given {
			h.apiFail(w, r, apiUnauthorized("(#190) An API key is required: send it as Authorization: Bearer <key> or as the access_token parameter"))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), h.cfg.RequestTimeout)
		defer cancel()
		key, err := h.db.AuthenticateAPIKey(ctx, token)
		if errors.Is(err, store.ErrNotFound) {
			h.apiFail(w, r, apiUnauthorized("(#190) Invalid API key: it is unknown or was revoked"))
			return
		}
		if err != nil {
			h.apiFail(w, r, err)
			return
		}
		p := Principal{Kind: APIKeyPrincipal, ClientID: key.ClientID, APIKeyID: key.ID}
		ctx = context.WithValue(withPrincipal(ctx, p), apiBodyKey, body)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// apiToken finds the API key where Meta's clients put the access token: the Authorization
// header (Bearer, or Graph's OAuth scheme), the query string, or the body.
func apiToken(r *http.Request, contentType string, body []byte) (string, bool) {
	if a := r.Header.Get("Authorization"); a != "" {
		scheme, tok, _ := strings.Cut(a, " ")
		if !strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "OAuth") {
			return "", true // a credential we cannot read is a bad one, not a missing one
		}
		return strings.TrimSpace(tok), true
	}
	if vals, ok := r.URL.Query()["access_token"]; ok && len(vals) > 0 {
		return vals[0], true
	}
	if t := events.AccessToken(contentType, body); t != "" {
		return t, true
	}
	return "", false
}

// graphVersionRE is a Graph API version in a path: v20.0, v21.0.
var graphVersionRE = regexp.MustCompile(`^v[0-9]{1,3}\.[0-9]{1,2}$`)

var appIDRE = regexp.MustCompile(`^[0-9]{1,25}$`)

// requestMeta is what is kept of a request besides its events, for forwarding and audits.
type requestMeta struct {
	AppID                      string `json:"app_id,omitempty"`
	APIVersion                 string `json:"api_version,omitempty"`
	LoggingSource              string `json:"logging_source"`
	LoggingTarget              string `json:"logging_target"`
	AdvertiserTrackingEnabled  int    `json:"advertiser_tracking_enabled"`
	ApplicationTrackingEnabled int    `json:"application_tracking_enabled"`
	APIKeyID                   int64  `json:"api_key_id"`
}

// pageActivities serves POST /v{N}/{app_id}/page_activities and POST /api/v1/page_activities:
// Meta's Messaging Events API request, each custom_events entry stored as one event, answered
// once committed.
func (h *Handler) pageActivities(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	meta := requestMeta{}
	if v := chi.URLParam(r, "version"); v != "" {
		if !graphVersionRE.MatchString(v) {
			h.apiFail(w, r, apiInvalid(http.StatusNotFound, "Unknown path: %.20q is not a Graph API version; use e.g. /v20.0/<app_id>/page_activities or /api/v1/page_activities", v))
			return
		}
		meta.APIVersion = v
		if meta.AppID = chi.URLParam(r, "app_id"); !appIDRE.MatchString(meta.AppID) {
			h.apiFail(w, r, apiInvalid(http.StatusBadRequest, "app_id: the path's app id must be digits"))
			return
		}
	}
	req, err := events.ParseAt(r.Header.Get("Content-Type"), apiBodyFrom(ctx), r.URL.Query(), h.now())
	if err != nil {
		h.apiFail(w, r, err)
		return
	}
	p := principalFrom(ctx)
	if err := h.checkPage(ctx, p, req.PageID); err != nil {
		h.apiFail(w, r, err)
		return
	}
	if h.events == nil {
		h.apiFail(w, r, events.ErrClosed)
		return
	}
	meta.LoggingSource, meta.LoggingTarget, meta.APIKeyID = req.LoggingSource, req.LoggingTarget, p.APIKeyID
	meta.AdvertiserTrackingEnabled = boolInt(req.AdvertiserTrackingEnabled)
	meta.ApplicationTrackingEnabled = boolInt(req.ApplicationTrackingEnabled)
	metaJSON, _ := json.Marshal(meta)
	now := h.now().UTC()
	batch := store.EventBatch{
		ClientID: p.ClientID, APIKeyID: p.APIKeyID,
		PageID: req.PageID, PSID: req.PSID, AdID: req.AdID,
		ReceivedAt: now, RequestMeta: string(metaJSON),
		Events: make([]store.NewEvent, len(req.Events)),
	}
	for i, e := range req.Events {
		at := now
		if e.LogTime != 0 {
			at = time.Unix(e.LogTime, 0).UTC()
		}
		batch.Events[i] = store.NewEvent{Name: e.Name, Value: e.Value, Currency: e.Currency,
			Params: string(e.Custom), EventTime: at, IdemKey: e.EventID}
	}
	res, err := h.events.Submit(ctx, batch)
	if err != nil {
		h.apiFail(w, r, err)
		return
	}
	type result struct {
		ID        string `json:"id"`
		Duplicate bool   `json:"duplicate"`
	}
	out := struct {
		Success bool     `json:"success"`
		Events  []result `json:"events"`
	}{Success: true, Events: make([]result, len(res.Events))}
	dups := 0
	for i, e := range res.Events {
		out.Events[i] = result{ID: strconv.FormatInt(e.ID, 10), Duplicate: e.Duplicate}
		if e.Duplicate {
			dups++
		}
	}
	h.log.DebugContext(ctx, "events logged", slog.String("request_id", middleware.GetReqID(ctx)),
		slog.Int64("client_id", p.ClientID), slog.Int("events", len(res.Events)), slog.Int("duplicates", dups))
	writeJSON(w, http.StatusOK, out)
}

// checkPage lets a caller log for a page only when the page is registered for a client it may
// reach; an unknown page is refused the same way, naming the page.
func (h *Handler) checkPage(ctx context.Context, p Principal, pageID string) error {
	if p.Kind != APIKeyPrincipal {
		return apiUnauthorized("(#190) An API key is required")
	}
	owner, err := h.db.PageClient(ctx, pageID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err != nil || !p.CanSeeClient(owner) {
		return apiForeignPage(pageID)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
