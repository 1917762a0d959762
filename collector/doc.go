// Package collector reads Meta Ads Insights into the store: one collection pass per ad account
// (account fields, campaigns, ad sets and ads, then daily insights at account, campaign and
// ad-set level), on a cron schedule and on demand, one run at a time.
//
// # Windows
//
// Each account gets a plan of windows (calendar dates in the account's timezone), all computed
// by pure functions in window.go from an injected clock:
//
//   - incremental: today and the LookbackDays (28) days before it, because Meta restates
//     attributed numbers for 28 days;
//   - back-fill, when the account has no stored day yet (or the run's trigger is backfill): the
//     last BackfillDays (90) days, never more than 37 months, in chunks of ChunkDays, newest
//     first — the days a dashboard shows first arrive first, and a back-fill stopped half way is
//     resumed by the next pass, which re-reads every day of the back-fill horizon never read;
//   - explicit: exactly the Since..Until of the request, in chunks.
//
// # Atomicity
//
// A chunk is one store window load: BeginWindow, the three levels streamed into it in batches,
// then Commit swaps the account's rows of all three levels for the chunk's dates in one
// transaction and records each day as read. Any error, or a cancelled context, aborts the load:
// the stored window is untouched, so a day's three levels always agree and a failed fetch
// never leaves half a window.
//
// # Calls
//
// Per account and pass: one account read, the campaigns, ad sets and ads edges (their pages),
// and per chunk per level the insights pages (limit 500) — never a request per campaign or ad
// set. When Meta answers "too much data" (graph.KindDataTooLarge) the (level, window) is split
// in halves into the same load, down to one day; one day still too large goes through an async
// report job (submitted, polled with a growing interval, read). Windows longer than
// Async.WindowDays use a job directly when that is set.
//
// # Pacing and retries
//
// Before every request the pacer reads the latest usage headers for the account: past
// Pacing.SoftPercent (85) it pauses a little, past HardPercent (95) longer. Failed requests go
// through a graph.DefaultRetrier: bounded attempts, exponential backoff with jitter, Meta's
// estimated_time_to_regain_access honoured (an estimate of 0 backs off for seconds). Token and
// permission errors fail that account at once with advice; other accounts go on. Every wait is
// counted in the run's progress and logged with its reason.
//
// # Runs
//
// Every pass is a run in the store (collector_runs, run_accounts) with a live Progress in
// memory. Run, Trigger and the schedule share one lock: a request while a run is in progress
// gets that run. Stop cancels the running pass and waits for it; its windows are aborted and
// the run is recorded cancelled. Access tokens never reach a log line, an error text or a run
// row.
package collector
