-- Staging for atomic window replacement: a collection pass streams rows here in short
-- transactions, then swaps the whole window into insights_daily in one transaction. Memory stays
-- flat however large the window, and the single writer is never held for the length of a fetch.

-- +goose Up
CREATE TABLE insights_staging (
    load_id               INTEGER NOT NULL,
    level                 TEXT    NOT NULL,
    date                  TEXT    NOT NULL,
    object_id             TEXT    NOT NULL,
    campaign_id           TEXT    NOT NULL DEFAULT '',
    adset_id              TEXT    NOT NULL DEFAULT '',
    spend_micros          INTEGER NOT NULL DEFAULT 0,
    impressions           INTEGER NOT NULL DEFAULT 0,
    clicks                INTEGER NOT NULL DEFAULT 0,
    leads_grouped         INTEGER NOT NULL DEFAULT 0,
    leads_all             INTEGER NOT NULL DEFAULT 0,
    leads_pixel           INTEGER NOT NULL DEFAULT 0,
    conversations_started INTEGER NOT NULL DEFAULT 0,
    first_replies         INTEGER NOT NULL DEFAULT 0,
    messaging_connections INTEGER NOT NULL DEFAULT 0,
    link_clicks           INTEGER NOT NULL DEFAULT 0,
    actions               TEXT    NOT NULL DEFAULT '{}',
    PRIMARY KEY (load_id, level, date, object_id)
) WITHOUT ROWID;

CREATE TABLE insights_loads (
    id         INTEGER PRIMARY KEY,
    account_id TEXT    NOT NULL,
    since      TEXT    NOT NULL,
    until      TEXT    NOT NULL,
    started_at TEXT    NOT NULL
);

-- +goose Down
SELECT 1;
