-- Leadlens schema, version 1: the whole domain of SPEC.md.
-- Conventions: instants are UTC text '2006-01-02T15:04:05.000Z'; calendar dates 'YYYY-MM-DD';
-- Meta ids are text; ad account ids are stored without 'act_'; money is integer micro-units.

-- +goose Up
CREATE TABLE clients (
    id               INTEGER PRIMARY KEY,
    slug             TEXT    NOT NULL UNIQUE,
    name             TEXT    NOT NULL,
    -- '' means: the timezone of the client's first ad account
    timezone         TEXT    NOT NULL DEFAULT '',
    lead_action_type TEXT    NOT NULL DEFAULT 'onsite_conversion.lead_grouped',
    brand_name       TEXT    NOT NULL DEFAULT '',
    logo             BLOB,
    logo_type        TEXT    NOT NULL DEFAULT '',
    archived_at      TEXT,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL
);

CREATE TABLE ad_accounts (
    id              TEXT    PRIMARY KEY,
    client_id       INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    name            TEXT    NOT NULL DEFAULT '',
    currency        TEXT    NOT NULL DEFAULT '',
    timezone_name   TEXT    NOT NULL DEFAULT '',
    -- per-account Meta token override, sealed with the installation key
    token_enc       BLOB,
    last_success_at TEXT,
    last_error      TEXT    NOT NULL DEFAULT '',
    last_error_at   TEXT,
    created_at      TEXT    NOT NULL
);
CREATE INDEX ad_accounts_client ON ad_accounts (client_id);

CREATE TABLE pages (
    id         TEXT    PRIMARY KEY,
    client_id  INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL DEFAULT '',
    created_at TEXT    NOT NULL
);
CREATE INDEX pages_client ON pages (client_id);

CREATE TABLE campaigns (
    id               TEXT    PRIMARY KEY,
    account_id       TEXT    NOT NULL REFERENCES ad_accounts (id) ON DELETE CASCADE,
    name             TEXT    NOT NULL DEFAULT '',
    objective        TEXT    NOT NULL DEFAULT '',
    status           TEXT    NOT NULL DEFAULT '',
    effective_status TEXT    NOT NULL DEFAULT '',
    is_ctx           INTEGER NOT NULL DEFAULT 0,
    updated_at       TEXT    NOT NULL
);
CREATE INDEX campaigns_account ON campaigns (account_id);

CREATE TABLE adsets (
    id                TEXT    PRIMARY KEY,
    account_id        TEXT    NOT NULL REFERENCES ad_accounts (id) ON DELETE CASCADE,
    campaign_id       TEXT    NOT NULL,
    name              TEXT    NOT NULL DEFAULT '',
    destination_type  TEXT    NOT NULL DEFAULT '',
    optimization_goal TEXT    NOT NULL DEFAULT '',
    status            TEXT    NOT NULL DEFAULT '',
    effective_status  TEXT    NOT NULL DEFAULT '',
    is_ctx            INTEGER NOT NULL DEFAULT 0,
    updated_at        TEXT    NOT NULL
);
CREATE INDEX adsets_account ON adsets (account_id);
CREATE INDEX adsets_campaign ON adsets (campaign_id);

-- ads: only to resolve a logged event's ad id to its ad set and campaign
CREATE TABLE ads (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES ad_accounts (id) ON DELETE CASCADE,
    adset_id    TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT '',
    updated_at  TEXT NOT NULL
);
CREATE INDEX ads_adset ON ads (adset_id);

-- One row per (account, level, date, object) as Meta answered it. The action types a client may
-- choose as its lead definition are kept as columns so aggregates need no join; every action type
-- Meta sent is kept in actions (a JSON object of type -> value string).
CREATE TABLE insights_daily (
    account_id            TEXT    NOT NULL REFERENCES ad_accounts (id) ON DELETE CASCADE,
    level                 TEXT    NOT NULL CHECK (level IN ('account', 'campaign', 'adset')),
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
    fetched_at            TEXT    NOT NULL,
    PRIMARY KEY (account_id, level, date, object_id)
) WITHOUT ROWID;
CREATE INDEX insights_campaign_date ON insights_daily (campaign_id, level, date);

-- Which days of which level were read, and when: a day with no delivery has no insights row but
-- is still known to have been read. Drives back-fill detection and provisional-day marking.
CREATE TABLE insight_days (
    account_id TEXT    NOT NULL REFERENCES ad_accounts (id) ON DELETE CASCADE,
    level      TEXT    NOT NULL CHECK (level IN ('account', 'campaign', 'adset')),
    date       TEXT    NOT NULL,
    fetched_at TEXT    NOT NULL,
    run_id     INTEGER,
    PRIMARY KEY (account_id, level, date)
) WITHOUT ROWID;

CREATE TABLE referrals (
    id          INTEGER PRIMARY KEY,
    client_id   INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    page_id     TEXT    NOT NULL,
    psid        TEXT    NOT NULL,
    ad_id       TEXT    NOT NULL,
    source      TEXT    NOT NULL DEFAULT '',
    type        TEXT    NOT NULL DEFAULT '',
    referred_at TEXT    NOT NULL,
    received_at TEXT    NOT NULL
);
CREATE INDEX referrals_user ON referrals (client_id, page_id, psid, referred_at);

CREATE TABLE lead_events (
    id           INTEGER PRIMARY KEY,
    client_id    INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    page_id      TEXT    NOT NULL,
    psid         TEXT    NOT NULL,
    event_name   TEXT    NOT NULL,
    value        TEXT    NOT NULL DEFAULT '',
    currency     TEXT    NOT NULL DEFAULT '',
    -- the entry's other keys, JSON, as sent
    params       TEXT    NOT NULL DEFAULT '{}',
    event_time   TEXT    NOT NULL,
    -- event_time's calendar date in the client's timezone
    event_day    TEXT    NOT NULL,
    received_at  TEXT    NOT NULL,
    -- the event_id extension: a repeat is acknowledged and not stored twice
    idem_key     TEXT,
    ad_id        TEXT    NOT NULL DEFAULT '',
    attribution  TEXT    NOT NULL DEFAULT '' CHECK (attribution IN ('', 'event', 'referral')),
    referral_id  INTEGER REFERENCES referrals (id) ON DELETE SET NULL,
    -- logging_source, logging_target, tracking flags, app id of the request
    request_meta TEXT    NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX lead_events_idem ON lead_events (client_id, idem_key) WHERE idem_key IS NOT NULL;
CREATE INDEX lead_events_day ON lead_events (client_id, event_name, event_day);
CREATE INDEX lead_events_user ON lead_events (client_id, page_id, psid, event_time);

CREATE TABLE forwarding (
    client_id      INTEGER PRIMARY KEY REFERENCES clients (id) ON DELETE CASCADE,
    mode           TEXT    NOT NULL DEFAULT 'off' CHECK (mode IN ('off', 'capi', 'legacy')),
    dataset_id     TEXT    NOT NULL DEFAULT '',
    app_id         TEXT    NOT NULL DEFAULT '',
    token_enc      BLOB,
    stopped_at     TEXT,
    stopped_reason TEXT    NOT NULL DEFAULT '',
    updated_at     TEXT    NOT NULL
);

CREATE TABLE outbox (
    event_id        INTEGER PRIMARY KEY REFERENCES lead_events (id) ON DELETE CASCADE,
    client_id       INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    mode            TEXT    NOT NULL CHECK (mode IN ('capi', 'legacy')),
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    last_error      TEXT    NOT NULL DEFAULT '',
    response        TEXT    NOT NULL DEFAULT '',
    sent_at         TEXT,
    updated_at      TEXT    NOT NULL
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

CREATE TABLE collector_runs (
    id               INTEGER PRIMARY KEY,
    trigger          TEXT    NOT NULL CHECK (trigger IN ('schedule', 'manual', 'backfill', 'cli')),
    started_by       TEXT    NOT NULL DEFAULT '',
    scope_client_id  INTEGER,
    scope_account_id TEXT    NOT NULL DEFAULT '',
    since            TEXT    NOT NULL DEFAULT '',
    until            TEXT    NOT NULL DEFAULT '',
    status           TEXT    NOT NULL CHECK (status IN ('running', 'succeeded', 'partial', 'failed', 'cancelled')),
    api_version      TEXT    NOT NULL DEFAULT '',
    graph_calls      INTEGER NOT NULL DEFAULT 0,
    rows_written     INTEGER NOT NULL DEFAULT 0,
    throttle_wait_ms INTEGER NOT NULL DEFAULT 0,
    error            TEXT    NOT NULL DEFAULT '',
    started_at       TEXT    NOT NULL,
    finished_at      TEXT
);
CREATE INDEX collector_runs_started ON collector_runs (started_at);

CREATE TABLE run_accounts (
    run_id           INTEGER NOT NULL REFERENCES collector_runs (id) ON DELETE CASCADE,
    account_id       TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
    step             TEXT    NOT NULL DEFAULT '',
    since            TEXT    NOT NULL DEFAULT '',
    until            TEXT    NOT NULL DEFAULT '',
    graph_calls      INTEGER NOT NULL DEFAULT 0,
    rows_written     INTEGER NOT NULL DEFAULT 0,
    throttle_wait_ms INTEGER NOT NULL DEFAULT 0,
    error            TEXT    NOT NULL DEFAULT '',
    error_code       INTEGER NOT NULL DEFAULT 0,
    advice           TEXT    NOT NULL DEFAULT '',
    started_at       TEXT,
    finished_at      TEXT,
    PRIMARY KEY (run_id, account_id)
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    -- stored lower-cased
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    client_id     INTEGER REFERENCES clients (id) ON DELETE CASCADE,
    created_at    TEXT    NOT NULL,
    last_login_at TEXT,
    CHECK ((role = 'viewer') = (client_id IS NOT NULL))
);

-- server-side sessions; the cookie's token is stored only as its SHA-256
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    data       BLOB NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE share_links (
    id             INTEGER PRIMARY KEY,
    client_id      INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    label          TEXT    NOT NULL DEFAULT '',
    prefix         TEXT    NOT NULL,
    token_hash     TEXT    NOT NULL UNIQUE,
    password_hash  TEXT    NOT NULL DEFAULT '',
    expires_at     TEXT,
    -- open: any range; fixed: exactly since..until; bounded: any range inside since..until
    range_mode     TEXT    NOT NULL DEFAULT 'open' CHECK (range_mode IN ('open', 'fixed', 'bounded')),
    range_since    TEXT    NOT NULL DEFAULT '',
    range_until    TEXT    NOT NULL DEFAULT '',
    allow_embed    INTEGER NOT NULL DEFAULT 0,
    view_count     INTEGER NOT NULL DEFAULT 0,
    last_viewed_at TEXT,
    created_by     TEXT    NOT NULL DEFAULT '',
    created_at     TEXT    NOT NULL,
    revoked_at     TEXT
);
CREATE INDEX share_links_client ON share_links (client_id);

CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    client_id    INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL DEFAULT '',
    prefix       TEXT    NOT NULL,
    key_hash     TEXT    NOT NULL UNIQUE,
    created_by   TEXT    NOT NULL DEFAULT '',
    created_at   TEXT    NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX api_keys_client ON api_keys (client_id);

-- installation settings (the sealed Meta token, API version override, …)
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      BLOB NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE backups (
    id             INTEGER PRIMARY KEY,
    path           TEXT    NOT NULL,
    trigger        TEXT    NOT NULL DEFAULT '',
    status         TEXT    NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    size_bytes     INTEGER NOT NULL DEFAULT 0,
    schema_version INTEGER NOT NULL DEFAULT 0,
    error          TEXT    NOT NULL DEFAULT '',
    started_at     TEXT    NOT NULL,
    finished_at    TEXT
);

-- +goose Down
-- Leadlens migrations are forward-only; restore a backup to go back.
SELECT 1;
