package forward

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/leadlens/leadlens/collector/graph"
	"github.com/leadlens/leadlens/store"
)

// maxSplits bounds the extra requests spent isolating the events Meta rejected in one pass for
// one client: enough to find a few bad events among 1,000 by halving (about 10 per event).
const maxSplits = 64

// forwardClient sends one client's due items under its current settings.
func (f *Forwarder) forwardClient(stop, work context.Context, clientID int64, items []store.OutboxItem, st *Stats) error {
	cfg, err := f.st.Forwarding(work, clientID)
	if err != nil {
		return err
	}
	if cfg.Stopped() {
		return nil // stopped since the items were read: they wait for the settings to be fixed
	}
	s := &sender{f: f, cfg: cfg, now: f.now(), stats: st}
	if cfg.Mode == store.ForwardOff {
		for _, it := range items {
			s.skip(it, reasonOff)
		}
		return s.commit(work)
	}
	if cfg.Mode == store.ForwardLegacy {
		if r := f.LegacyRefusal(); r != "" {
			return f.stopClient(work, cfg, "Legacy forwarding stopped: "+r+". Switch this client to the Conversions API in Admin → Forwarding.")
		}
	}
	sealed, err := f.st.ForwardingToken(work, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return f.stopClient(work, cfg, "No access token is stored for forwarding: enter one in Admin → Forwarding.")
	}
	if err != nil {
		return err
	}
	token, err := f.box.Open(sealed)
	if err != nil {
		// secret.ErrCannotOpen's text says what happened and what to do; it holds no secret.
		return f.stopClient(work, cfg, "The stored forwarding token cannot be used: "+err.Error()+" (Admin → Forwarding).")
	}
	s.gc = f.gc.WithToken(token)

	var ready []store.OutboxItem
	for _, it := range items {
		if r := skipReason(it, cfg.Mode, s.now); r != "" {
			s.skip(it, r)
		} else {
			ready = append(ready, it)
		}
	}
	if err := s.commit(work); err != nil {
		return err
	}
	batches := f.batches(cfg.Mode, ready)
	for i, b := range batches {
		if stop.Err() != nil || work.Err() != nil {
			return nil // shutting down: what was not sent stays pending, untouched
		}
		if s.halt != nil {
			for _, rest := range batches[i:] {
				s.deferItems(rest)
			}
			return s.commit(work)
		}
		s.deliver(work, b)
		if err := s.commit(work); err != nil {
			return err
		}
		if s.stopReason != "" {
			return f.stopClient(work, cfg, s.stopReason)
		}
	}
	return nil
}

// batches cuts items into requests: the Conversions API takes up to BatchSize events of any
// people; the legacy edge takes one person of one page per request.
func (f *Forwarder) batches(mode string, items []store.OutboxItem) [][]store.OutboxItem {
	var groups [][]store.OutboxItem
	if mode == store.ForwardCAPI {
		groups = [][]store.OutboxItem{items}
	} else {
		idx := map[legacyKey]int{}
		for _, it := range items {
			k := keyOf(it)
			i, ok := idx[k]
			if !ok {
				i = len(groups)
				idx[k] = i
				groups = append(groups, nil)
			}
			groups[i] = append(groups[i], it)
		}
	}
	var out [][]store.OutboxItem
	for _, g := range groups {
		for len(g) > 0 {
			n := min(len(g), f.batch)
			out = append(out, g[:n])
			g = g[n:]
		}
	}
	return out
}

// stopClient stops a client's forwarding (unless its settings were saved again meanwhile).
func (f *Forwarder) stopClient(ctx context.Context, cfg store.ForwardingConfig, reason string) error {
	ok, err := f.st.StopForwarding(ctx, cfg.ClientID, reason, cfg.UpdatedAt)
	if err != nil {
		return err
	}
	if ok {
		f.log.Warn("forwarding: stopped a client", slog.Int64("client_id", cfg.ClientID), slog.String("reason", reason))
		if f.obs.Stopped != nil {
			f.obs.Stopped(cfg.ClientID, reason)
		}
	}
	return nil
}

// outcome is one update with the Observer status it counts as ("" for none).
type outcome struct {
	u     store.OutboxUpdate
	label string
}

// sender forwards one client's batches within one pass and collects the outcomes.
type sender struct {
	f      *Forwarder
	cfg    store.ForwardingConfig
	gc     *graph.Client
	now    time.Time
	stats  *Stats
	splits int
	// halt is set by a failure that ends this client's pass: retryable (the rest is deferred to
	// retryAt) or a stop (stopReason set; the rest stays pending for after the fix).
	halt       error
	retryAt    time.Time
	stopReason string
	pending    []outcome
}

func (s *sender) add(u store.OutboxUpdate, label string) {
	if u.Mode == "" {
		u.Mode = s.cfg.Mode
	}
	s.pending = append(s.pending, outcome{u, label})
}

func (s *sender) skip(it store.OutboxItem, reason string) {
	s.pending = append(s.pending, outcome{store.OutboxUpdate{EventID: it.EventID, Status: store.OutboxSkipped,
		Attempts: it.Attempts, LastError: reason}, store.OutboxSkipped})
}

// deferItems moves items not attempted (an earlier batch of the client failed) to the retry
// time without counting an attempt, so they do not hit a throttled API again at once.
func (s *sender) deferItems(items []store.OutboxItem) {
	for _, it := range items {
		s.add(store.OutboxUpdate{EventID: it.EventID, Status: store.OutboxPending, Attempts: it.Attempts,
			NextAttemptAt: s.retryAt, LastError: it.LastError}, "")
	}
}

// commitTimeout bounds recording outcomes. It runs even after the work context ended: what
// Meta answered for a batch in flight must be recorded, or the batch is sent again.
const commitTimeout = 10 * time.Second

// commit records the collected outcomes in one transaction, then counts them.
func (s *sender) commit(ctx context.Context) error {
	if len(s.pending) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	ups := make([]store.OutboxUpdate, len(s.pending))
	for i, o := range s.pending {
		ups[i] = o.u
	}
	if _, err := s.f.st.MarkOutbox(ctx, ups); err != nil {
		return err
	}
	counts := map[string]int{}
	for _, o := range s.pending {
		counts[o.label]++
	}
	s.stats.Sent += counts[store.OutboxSent]
	s.stats.Failed += counts[store.OutboxFailed]
	s.stats.Skipped += counts[store.OutboxSkipped]
	s.stats.Retried += counts[StatusRetried]
	s.stats.Deferred += counts[""]
	for _, status := range []string{store.OutboxSent, store.OutboxFailed, store.OutboxSkipped, StatusRetried} {
		s.f.obs.outcome(s.cfg.Mode, status, counts[status])
	}
	s.pending = s.pending[:0]
	return nil
}

// deliver sends items in one request and records the outcome. When Meta rejects the request
// as invalid — the Conversions API rejects a whole batch for one bad event — the batch is split
// in halves (bounded by maxSplits) until the bad events stand alone; they fail with Meta's
// answer and the rest goes through.
func (s *sender) deliver(ctx context.Context, items []store.OutboxItem) {
	if s.halt != nil {
		s.deferItems(items)
		return
	}
	answer, err := s.post(ctx, items)
	kind := graph.KindOf(err)
	switch {
	case err == nil:
		for _, it := range items {
			s.add(store.OutboxUpdate{EventID: it.EventID, Status: store.OutboxSent, Attempts: it.Attempts + 1,
				Response: answer, SentAt: s.f.now()}, store.OutboxSent)
		}
	case s.cfg.Mode == store.ForwardLegacy && acceptedUnreadable(err):
		// Meta said 2xx but the body was not JSON. The legacy edge cannot dedupe a resend, so the
		// answer's status is taken at its word rather than risking a double count.
		for _, it := range items {
			s.add(store.OutboxUpdate{EventID: it.EventID, Status: store.OutboxSent, Attempts: it.Attempts + 1,
				Response: "accepted (HTTP 2xx) with an unreadable answer: " + err.Error(), SentAt: s.f.now()}, store.OutboxSent)
		}
	case kind == graph.KindCanceled:
		// Shutdown outlasted the grace period: Meta may or may not have the batch. The items stay
		// pending as they were and go again at the next start (CAPI dedupes them by event_id).
		s.halt = err
	case kind == graph.KindTransient, kind == graph.KindThrottled, kind == graph.KindNetwork, kind == graph.KindDecode:
		s.halt = err
		s.retryAt = s.f.now().Add(s.wait(items, err))
		for _, it := range items {
			s.add(store.OutboxUpdate{EventID: it.EventID, Status: store.OutboxPending, Attempts: it.Attempts + 1,
				NextAttemptAt: s.retryAt, LastError: err.Error()}, StatusRetried)
		}
	case kind == graph.KindAuth, kind == graph.KindPermission, kind == graph.KindNotFound:
		s.halt = err
		s.stopReason = s.stopText(err)
		for _, it := range items {
			s.add(store.OutboxUpdate{EventID: it.EventID, Status: store.OutboxPending, Attempts: it.Attempts + 1,
				LastError: s.stopReason, Response: metaAnswer(err)}, "")
		}
	case len(items) > 1 && s.splits < maxSplits:
		s.splits++
		mid := len(items) / 2
		s.deliver(ctx, items[:mid])
		s.deliver(ctx, items[mid:])
	case len(items) == 1:
		it := items[0]
		s.add(store.OutboxUpdate{EventID: it.EventID, Status: store.OutboxFailed, Attempts: it.Attempts + 1,
			LastError: err.Error(), Response: metaAnswer(err)}, store.OutboxFailed)
	default:
		// Out of splits for this pass: try again later, where isolating goes on.
		at := s.f.now().Add(s.wait(items, err))
		for _, it := range items {
			s.add(store.OutboxUpdate{EventID: it.EventID, Status: store.OutboxPending, Attempts: it.Attempts + 1,
				NextAttemptAt: at, LastError: "Meta rejected a batch holding this event; finding the rejected events goes on at the next attempt: " + err.Error(),
				Response: metaAnswer(err)}, StatusRetried)
		}
	}
}

// post makes one request for items and returns Meta's answer as text.
func (s *sender) post(ctx context.Context, items []store.OutboxItem) (string, error) {
	start := time.Now()
	s.stats.Requests++
	var answer string
	var err error
	if s.cfg.Mode == store.ForwardCAPI {
		evs := make([]graph.ConversionEvent, len(items))
		for i, it := range items {
			evs[i] = capiEvent(it)
		}
		var res graph.ConversionsResult
		res, err = s.gc.SendConversions(ctx, s.cfg.DatasetID, evs)
		if err == nil {
			answer = fmt.Sprintf("events_received %d of %d in the request", res.EventsReceived, len(evs))
			if len(res.Messages) > 0 {
				answer += "; messages: " + strings.Join(res.Messages, "; ")
			}
			if res.FBTraceID != "" {
				answer += " (fbtrace_id " + res.FBTraceID + ")"
			}
		}
	} else {
		err = s.gc.LogPageActivities(ctx, s.cfg.AppID, legacyRequest(keyOf(items[0]), items))
		answer = fmt.Sprintf("success: %d custom_events in the request", len(items))
	}
	if s.f.obs.Request != nil {
		s.f.obs.Request(s.cfg.Mode, graph.KindOf(err), time.Since(start))
	}
	if err != nil {
		s.f.log.Info("forwarding: request failed", slog.Int64("client_id", s.cfg.ClientID), slog.String("mode", s.cfg.Mode),
			slog.Int("events", len(items)), slog.String("kind", graph.KindOf(err).String()), slog.String("err", err.Error()))
	}
	return answer, err
}

// wait is the backoff before retrying items after err: by the most-tried item, at least Meta's
// own estimate. One wait for the whole batch keeps it together for the retry.
func (s *sender) wait(items []store.OutboxItem, err error) time.Duration {
	attempts := 0
	for _, it := range items {
		attempts = max(attempts, it.Attempts+1)
	}
	d := s.f.backoff.Delay(attempts)
	var ge *graph.Error
	if errors.As(err, &ge) && ge.RetryAfter > d {
		d = ge.RetryAfter
	}
	return d
}

// stopText is the stored reason of a stop: what Meta said and what a person should do.
func (s *sender) stopText(err error) string {
	msg := err.Error()
	var ge *graph.Error
	if errors.As(err, &ge) {
		msg = ge.Message
	}
	switch graph.KindOf(err) {
	case graph.KindAuth:
		return "Meta refused the token: " + msg + " — re-enter the token in Admin → Forwarding."
	case graph.KindPermission:
		perm := "the needed permission"
		if ge != nil && ge.Permission != "" {
			perm = ge.Permission
		}
		return fmt.Sprintf("Meta refused the request for lack of %s: %s — grant it to the token's user, then save the settings again in Admin → Forwarding.", perm, msg)
	}
	what := "dataset " + s.cfg.DatasetID
	if s.cfg.Mode == store.ForwardLegacy {
		what = "app " + s.cfg.AppID
	}
	return fmt.Sprintf("Meta does not know %s, or the token cannot reach it: %s — check the id and the token in Admin → Forwarding.", what, msg)
}

// acceptedUnreadable reports a 2xx answer whose body could not be read.
func acceptedUnreadable(err error) bool {
	var ge *graph.Error
	return errors.As(err, &ge) && ge.Kind == graph.KindDecode && ge.HTTPStatus >= 200 && ge.HTTPStatus < 300
}

// metaAnswer renders Meta's error answer: status, code, message, user title and trace id.
func metaAnswer(err error) string {
	var ge *graph.Error
	if !errors.As(err, &ge) || ge.HTTPStatus == 0 {
		return ""
	}
	b := fmt.Sprintf("HTTP %d, code %d", ge.HTTPStatus, ge.Code)
	if ge.Subcode != 0 {
		b += fmt.Sprintf("/%d", ge.Subcode)
	}
	b += ": " + ge.Message
	if ge.UserTitle != "" || ge.UserMessage != "" {
		b += " — " + strings.TrimSpace(ge.UserTitle+": "+ge.UserMessage)
	}
	if ge.FBTraceID != "" {
		b += " (fbtrace_id " + ge.FBTraceID + ")"
	}
	return b
}
