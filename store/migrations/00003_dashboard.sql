-- Indexes for the dashboard's aggregates (store/facts.go, store/dashboard.go), measured on a
-- client with 365 days × 200 campaigns × 10 ad sets; see docs/benchmarks.md.

-- +goose Up
-- Every insights read of a dashboard is driven from the objects (accounts, campaigns, ad sets)
-- and reads each object's days as one range of this index, which also carries every number a
-- dashboard sums: the wide table rows (with their actions JSON) are never touched, and because
-- the objects are visited in id order the sums per object need no sort.
CREATE INDEX insights_object_cover ON insights_daily (object_id, level, date,
    spend_micros, impressions, clicks, conversations_started,
    leads_grouped, leads_all, leads_pixel, first_replies, messaging_connections);

-- The loops the index above is read from: an account's campaigns and ad sets in id order,
-- covering what the dashboard shows of them.
CREATE INDEX campaigns_account_id ON campaigns (account_id, id, is_ctx, effective_status, name);
CREATE INDEX adsets_account_id ON adsets (account_id, id, campaign_id, is_ctx, effective_status, name);

-- Logged leads resolve their ad lazily: ad → account, campaign, ad set, and the campaign's CTX
-- flag, each from an index alone. ads_campaign finds a drill-down's ads.
CREATE INDEX ads_resolve ON ads (id, account_id, campaign_id, adset_id);
CREATE INDEX ads_campaign ON ads (campaign_id, account_id);
CREATE INDEX campaigns_ctx ON campaigns (id, is_ctx);

-- Logged leads per day and per ad without reading the event rows.
CREATE INDEX lead_events_day_ad ON lead_events (client_id, event_name, event_day, ad_id);

-- The "run in progress" line of every dashboard.
CREATE INDEX collector_runs_status ON collector_runs (status, started_at);

-- +goose Down
SELECT 1;
