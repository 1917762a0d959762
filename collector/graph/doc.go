// Package graph is Leadlens's client for the Meta Graph API: ad account objects, daily Ads
// Insights (sync and async), and event forwarding (Conversions API for Business Messaging and
// the legacy page_activities edge). Every Meta fact it relies on is in graph-api.md; the wire
// structs stay in this package and callers get plain Go values.
//
// # Streaming
//
// Paged edges (Campaigns, AdSets, Ads, Insights, JobInsights) take a callback per row and never
// hold more than one page. The first request carries limit=500; each later page is fetched by
// following paging.next exactly as Meta gave it (it carries the token and cursor). A page is
// decoded completely — every number checked — before any of its rows reaches the callback, so
// a bad page delivers nothing and a retried page never delivers a row twice. An error returned
// by the callback stops the stream and is returned unchanged.
//
// # Numbers
//
// Meta sends every number as a string. Spend becomes exact integer micro-units
// (InsightRow.SpendMicros, "14.35" → 14350000; more than 6 significant decimals is an error);
// impressions and clicks must be whole numbers; action values are rounded half up and their
// raw strings kept. Absent numbers are zero and an absent actions key means no actions. A value
// that cannot be read fails the page with a KindDecode *Error whose Field names it.
//
// # Errors
//
// Every failure is an *Error with a Kind saying what to do: KindTransient and KindNetwork
// (retry with backoff), KindThrottled (wait; RetryAfter carries Meta's
// estimated_time_to_regain_access from that answer's x-business-use-case-usage header, 0 when
// unknown), KindAuth (a person must re-authenticate the token), KindPermission (grant the named
// permission), KindNotFound, KindDataTooLarge (smaller window or limit, or an async job),
// KindInvalidRequest, KindDecode (unreadable answer: retryable unless a single field is at
// fault) and KindCanceled. KindOf and IsRetryable read any error chain. Error() says what
// happened and what Meta said; Advice() says what a person should do, and Error() ends with it.
//
// # Retries and hooks
//
// The retry policy belongs to the caller. The client consults Config.Retrier (nil: never
// retry) after every failed HTTP attempt of a single request — one page, not the stream — and
// sleeps the returned wait, abandoning it when the context ends. Retrying a page re-sends the
// same URL, so pages before it are not fetched again. DefaultRetrier is a ready policy:
// bounded attempts, exponential backoff with full jitter, Meta's RetryAfter honoured for
// throttling, never a retry for auth, permission, not-found, invalid or data-too-large errors.
//
// Hooks observe and pace every attempt: BeforeRequest (a pacer may block here; an error
// aborts the call), AfterResponse (outcome, status, duration, rows, usage headers) and OnRetry
// (the wait about to happen, so progress can show it). RequestInfo names the operation, ad
// account, page and attempt.
//
// # Usage headers
//
// x-business-use-case-usage, x-ad-account-usage, x-fb-ads-insights-throttle and x-app-usage
// are parsed on every answer (a malformed header is ignored and logged at debug level). Each
// Result carries the answer's Usage; LastUsage (per ad account) and LastUsageOverall keep the
// latest view, shared by every client derived with WithToken or WithRetrier. Usage.Max is the
// highest utilisation percentage, Usage.RegainAccess Meta's longest blocking estimate.
//
// # Secrets
//
// The access token travels as the access_token query parameter. It never appears in a log
// line, an error text, RequestInfo or Result: URLs are redacted before they are logged or put
// into an error (net/http's *url.Error prints the full URL; its URL is redacted in place) and
// every error text is scrubbed of the token.
//
// # Timeouts
//
// Each HTTP attempt runs under Config.Timeout (body read included); exceeding it is a
// KindNetwork failure. The caller's context is honoured everywhere: before each attempt,
// during retry waits and between pages. Answers are read up to Config.MaxBodyBytes; a larger
// one is KindDataTooLarge.
package graph
