// Package forward sends logged events to Meta through the outbox: to the Conversions API for
// Business Messaging (POST /<dataset_id>/events) or, for installations still on Graph API v20.0
// or older, to the legacy Messaging Events API (POST /<app_id>/page_activities).
//
// # Outbox
//
// The event API writes an outbox entry in the same transaction as each event it accepts while
// the client's forwarding is on (store.InsertEventBatches). A Forwarder reads the entries that
// are due, groups them by client, sends them under the client's current settings, and records
// every outcome: sent (with Meta's answer), failed (Meta rejected the event; its answer is
// kept), skipped (never sent, with the reason), or still pending with a next attempt time.
//
// # Event names (Conversions API)
//
//	logged name                   Conversions API event   note
//	lead_submitted                LeadSubmitted
//	fb_mobile_purchase            Purchase                needs _valueToSum and fb_currency, else skipped
//	fb_mobile_add_to_cart         AddToCart
//	fb_mobile_initiated_checkout  InitiateCheckout
//	fb_mobile_content_view        ViewContent
//	anything else                 –                       skipped: "no Conversions API event for …"
//
// (fb_mobile_complete_registration and custom names have no business-messaging event;
// fb_messenger_bot_stopped, which Meta logs itself, is never forwarded, in either mode.) Value and currency go in custom_data when the event has both.
// event_time is the event's own time; event_id is the bot's event_id when it sent one, else
// "leadlens-<client id>-<event id>", stable across resends. The legacy edge takes the logged
// names as they are, grouped per (page, person) into one custom_events array per request, with
// the bot's tracking flags and logging target.
//
// Events older than 7 days when their turn comes are skipped ("older than 7 days: Meta would
// not attribute it"); so are events of a client whose forwarding was turned off meanwhile.
//
// # Errors
//
//   - Transient, throttling, network and unreadable answers: the batch stays pending and is
//     retried with exponential backoff and jitter (Config.Backoff, capped at one hour by
//     default, never sooner than Meta's own estimate); the client's other batches wait with it.
//     Exception: a legacy request answered 2xx with an unreadable body counts as accepted, since
//     a resend there cannot be deduplicated.
//   - Rejected as invalid: the Conversions API rejects a whole batch for one bad event, so the
//     batch is halved until the bad events stand alone; they fail with Meta's answer, the rest
//     is sent.
//   - Auth (190), permission, or an unknown dataset or app: the client's forwarding is stopped
//     with a reason the admin page shows, its entries stay pending, and other clients go on.
//     Saving the settings again (a new token) releases them.
//
// # Guarantees
//
// Delivery is at least once. An outcome is committed after Meta answers; a crash (or a
// shutdown that outlasts Config.Grace) between Meta's answer and that commit leaves the items
// pending, and they are sent again at the next start. Nothing pending is lost: an entry leaves
// pending only by a committed outcome.
//
//   - Conversions API: every event carries a stable event_id, and Meta counts an event_id once
//     per dataset, so a resend is harmless: effectively exactly once.
//   - Legacy page_activities: Meta has no dedupe there, so a resend after such a crash counts
//     twice. The forwarder never retries a legacy request inside one attempt (the Graph client
//     runs without a Retrier) to keep that window to the crash itself.
//
// Run one forwarder per database.
package forward
