-- Running totals (insights_cum) an account's level holds from a date on that are stale: a
-- back-fill chunk older than stored days changed every later total, and rewriting them all at
-- each chunk would make a back-fill quadratic (store/cumulative.go, updateCum). The dashboard
-- sums the daily rows for views that would read stale totals; commits at the end of the stored
-- days rebuild them, oldest first, a bounded number of days at a time.

-- +goose Up
CREATE TABLE insights_cum_stale (
    account_id TEXT NOT NULL REFERENCES ad_accounts (id) ON DELETE CASCADE,
    level      TEXT NOT NULL,
    from_date  TEXT NOT NULL,
    PRIMARY KEY (account_id, level)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE insights_cum_stale;
