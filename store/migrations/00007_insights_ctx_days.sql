-- Each account's CTX campaigns added up per date: the tiles and charts of a CTX-only view (the
-- default) read one row per account and date instead of one per CTX campaign and date — for a
-- 90-day view with its comparison, 180 rows instead of 27 000. See docs/benchmarks.md.
--
-- account_id is the campaign's account (campaigns.account_id), as the dashboard's reads join
-- it. WindowLoad.Commit recomputes the window's dates; UpsertObjects recomputes every date of an
-- account when a campaign's CTX flag changes (store/ctxdays.go). The dashboard checks the days'
-- totals against its table and reads the campaigns' rows on any difference.

-- +goose Up
CREATE TABLE insights_ctx_days (
    account_id            TEXT    NOT NULL REFERENCES ad_accounts (id) ON DELETE CASCADE,
    date                  TEXT    NOT NULL,
    spend_micros          INTEGER NOT NULL,
    impressions           INTEGER NOT NULL,
    clicks                INTEGER NOT NULL,
    conversations_started INTEGER NOT NULL,
    leads_grouped         INTEGER NOT NULL,
    leads_all             INTEGER NOT NULL,
    leads_pixel           INTEGER NOT NULL,
    first_replies         INTEGER NOT NULL,
    messaging_connections INTEGER NOT NULL,
    PRIMARY KEY (account_id, date)
) WITHOUT ROWID;

INSERT INTO insights_ctx_days (account_id, date, spend_micros, impressions, clicks, conversations_started,
    leads_grouped, leads_all, leads_pixel, first_replies, messaging_connections)
SELECT c.account_id, i.date, SUM(i.spend_micros), SUM(i.impressions), SUM(i.clicks), SUM(i.conversations_started),
    SUM(i.leads_grouped), SUM(i.leads_all), SUM(i.leads_pixel), SUM(i.first_replies), SUM(i.messaging_connections)
FROM campaigns c CROSS JOIN insights_daily i
WHERE c.is_ctx = 1 AND i.object_id = c.id AND i.level = 'campaign'
GROUP BY c.account_id, i.date;

-- +goose Down
DROP TABLE insights_ctx_days;
