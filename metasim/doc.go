// Package metasim is a simulated Meta Graph API: the Ads Insights, object, async-report and
// event-logging endpoints Leadlens uses, served over real HTTP on loopback, faithful to the
// project's graph-api.md (the simulator is never kinder than Meta). Tests, benchmarks and
// `leadlens demo` collect from it because no machine here can reach Meta.
//
// # World model
//
// New builds a deterministic world from Options.Seed and the size options: ad accounts in
// different currencies and timezones (USD/Los Angeles, EUR/Berlin, JPY/Tokyo with no minor
// digits, BRL/São Paulo, GBP/London, …), each with a page, a Conversions API dataset and
// campaigns. Campaign objectives rotate through the OUTCOME_* ones and the legacy MESSAGES and
// LEAD_GENERATION; ad sets mix messaging destinations (MESSENGER, WHATSAPP, INSTAGRAM_DIRECT,
// MESSAGING_*) with WEBSITE, ON_AD, APP and UNDEFINED, so click-to-message classification is
// exercised both ways. Statuses cover ACTIVE, PAUSED, ARCHIVED and DELETED with Meta's
// inherited effective statuses (CAMPAIGN_PAUSED, ADSET_PAUSED, WITH_ISSUES); stopped objects
// keep their past delivery. Every ad set has a flight; ids grow in creation order, so id order
// is (campaign, ad set) order.
//
// Only the structure is stored. Each (ad set, day) value is a hash-seeded function computed on
// demand with integer arithmetic: spend follows a daily budget with weekly seasonality and
// noise; impressions, clicks and actions follow the destination (conversations and
// onsite_conversion.lead_grouped for messaging, link clicks and pixel leads for websites,
// instant-form leads for ON_AD; `lead` = lead_grouped + pixel leads). Some days have no
// delivery (no row at all), some rows have no actions key, and action types with zero are
// missing. Campaign and account rows are exact sums of the visible ad-set rows, spend in
// integer minor units. Cursors encode a position, so every page of a large world costs the same.
//
// # Restatement model
//
// Days inside the last RestatementDays (28, today included, in the account's timezone, by the
// injected clock) depend on the restatement epoch: Restate bumps it, and so does every
// Options.RestatementInterval of the clock. Between epochs those days drift slightly and an
// ad set's row sometimes vanishes (campaign and account sums follow). Older days never change.
// Within one epoch every answer is stable, so the three levels of one pass agree. An async job
// keeps the epoch and clock of its submission. Truth gives the rows a consumer should hold now.
//
// # Limits, errors and faults
//
// Every answer carries the usage headers (x-business-use-case-usage, x-ad-account-usage,
// x-fb-ads-insights-throttle, x-app-usage) computed over a sliding window of the clock; with
// EnforceLimits a call past the budget answers 80000 (account) or 4 (app). Errors use Meta's
// envelope. Faults (Options.Faults, or AddFault at run time) match by account, request kind and
// level, fire for the first N calls, every call or with a seeded probability, and produce
// throttling (4, 17, 613, 80000 with a regain estimate), transient errors (1/99, 2), "reduce the
// amount of data", 100/1487534 and 100/1504018 (optionally only for windows longer than
// MinWindowDays), slow answers, expired tokens, permission errors, not-found, malformed or
// truncated JSON, and async jobs that end Failed or Skipped.
//
// # Usage
//
//	sim, err := metasim.New(metasim.DemoOptions())
//	if err != nil { … }
//	base, stop, err := sim.Start() // http://127.0.0.1:PORT, no version
//	if err != nil { … }
//	defer stop()
//	sim.AddFault(metasim.Fault{Kind: metasim.FaultThrottleAccount, Times: 1, RegainMinutes: 2})
//	// point the collector at base with token metasim.DemoToken, run it, then compare:
//	want, _ := sim.Truth(sim.World().Accounts[0].ID, "adset", "2026-02-01", "2026-03-01")
//
// Inspect what the consumer did with Requests, CallCount, Events and PageActivities.
package metasim
