-- Running totals of every summed insights number per object, so a period's sum per object is
-- two index lookups (the total at the period's last row minus the total before its first) instead
-- of one index entry per day: the ad-set table of a 28-day view reads 2 × 1 500 rows instead of
-- 42 000. See docs/benchmarks.md, "Dashboard".
--
-- A row exists for every insights_daily row (same object, level, account, date) and holds the
-- sums of that object's rows up to and including its date. WindowLoad.Commit keeps it in step
-- inside the window's transaction (store/cumulative.go); the dashboard checks the sums it reads
-- against insights_daily and falls back to it on any difference.

-- +goose Up
CREATE TABLE insights_cum (
    object_id             TEXT    NOT NULL,
    level                 TEXT    NOT NULL,
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
    PRIMARY KEY (object_id, level, account_id, date)
) WITHOUT ROWID;

-- A window's commit replaces the running totals from the window's first date on.
CREATE INDEX insights_cum_window ON insights_cum (account_id, level, date);

INSERT INTO insights_cum (object_id, level, account_id, date, spend_micros, impressions, clicks,
    conversations_started, leads_grouped, leads_all, leads_pixel, first_replies, messaging_connections)
SELECT object_id, level, account_id, date,
    SUM(spend_micros) OVER w, SUM(impressions) OVER w, SUM(clicks) OVER w, SUM(conversations_started) OVER w,
    SUM(leads_grouped) OVER w, SUM(leads_all) OVER w, SUM(leads_pixel) OVER w,
    SUM(first_replies) OVER w, SUM(messaging_connections) OVER w
FROM insights_daily
WINDOW w AS (PARTITION BY object_id, level, account_id ORDER BY date ROWS UNBOUNDED PRECEDING);

-- +goose Down
DROP TABLE insights_cum;
