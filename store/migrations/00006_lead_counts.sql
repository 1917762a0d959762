-- Logged leads (lead_submitted events) counted per client, ad and day, and per client and day,
-- so the dashboard reads counts instead of events: the days of a 90-day view with its comparison
-- are 180 rows instead of ~90 000 index entries, and the table resolves each ad's count once.
-- See docs/benchmarks.md, "Dashboard".
--
-- Triggers keep the counts in the transaction that changes an event, whichever code changes it:
-- the event writer (InsertEventBatches), a late referral re-attributing events (RecordReferral),
-- a timezone change re-bucketing their days (RebucketEventDays), a client's deletion (cascade),
-- and loaders that write lead_events with plain SQL. Ads stay resolved lazily: the counts keep
-- the ad id, as the events do. The dashboard checks the counts' total against the events.

-- +goose Up
CREATE TABLE lead_counts (
    client_id INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    ad_id     TEXT    NOT NULL,
    event_day TEXT    NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (client_id, ad_id, event_day)
) WITHOUT ROWID;

CREATE TABLE lead_day_counts (
    client_id INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    event_day TEXT    NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (client_id, event_day)
) WITHOUT ROWID;

-- The table's logged column is driven from the client's ads in the order of its groups.
CREATE INDEX ads_account ON ads (account_id, campaign_id, adset_id, id);

INSERT INTO lead_counts (client_id, ad_id, event_day, n)
SELECT client_id, ad_id, event_day, count(*) FROM lead_events WHERE event_name = 'lead_submitted'
GROUP BY client_id, ad_id, event_day;

INSERT INTO lead_day_counts (client_id, event_day, n)
SELECT client_id, event_day, count(*) FROM lead_events WHERE event_name = 'lead_submitted'
GROUP BY client_id, event_day;

-- +goose StatementBegin
CREATE TRIGGER lead_counts_insert AFTER INSERT ON lead_events WHEN NEW.event_name = 'lead_submitted'
BEGIN
    INSERT INTO lead_counts (client_id, ad_id, event_day, n) VALUES (NEW.client_id, NEW.ad_id, NEW.event_day, 1)
        ON CONFLICT (client_id, ad_id, event_day) DO UPDATE SET n = n + 1;
    INSERT INTO lead_day_counts (client_id, event_day, n) VALUES (NEW.client_id, NEW.event_day, 1)
        ON CONFLICT (client_id, event_day) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER lead_counts_delete AFTER DELETE ON lead_events WHEN OLD.event_name = 'lead_submitted'
BEGIN
    UPDATE lead_counts SET n = n - 1 WHERE client_id = OLD.client_id AND ad_id = OLD.ad_id AND event_day = OLD.event_day;
    DELETE FROM lead_counts WHERE client_id = OLD.client_id AND ad_id = OLD.ad_id AND event_day = OLD.event_day AND n = 0;
    UPDATE lead_day_counts SET n = n - 1 WHERE client_id = OLD.client_id AND event_day = OLD.event_day;
    DELETE FROM lead_day_counts WHERE client_id = OLD.client_id AND event_day = OLD.event_day AND n = 0;
END;
-- +goose StatementEnd

-- An update moves the event's count: out of its old (client, ad, day) when it was a lead, into
-- the new one when it is.
-- +goose StatementBegin
CREATE TRIGGER lead_counts_update AFTER UPDATE OF client_id, event_name, event_day, ad_id ON lead_events
WHEN OLD.event_name = 'lead_submitted' OR NEW.event_name = 'lead_submitted'
BEGIN
    UPDATE lead_counts SET n = n - 1
        WHERE OLD.event_name = 'lead_submitted' AND client_id = OLD.client_id AND ad_id = OLD.ad_id AND event_day = OLD.event_day;
    DELETE FROM lead_counts WHERE client_id = OLD.client_id AND ad_id = OLD.ad_id AND event_day = OLD.event_day AND n = 0;
    UPDATE lead_day_counts SET n = n - 1
        WHERE OLD.event_name = 'lead_submitted' AND client_id = OLD.client_id AND event_day = OLD.event_day;
    DELETE FROM lead_day_counts WHERE client_id = OLD.client_id AND event_day = OLD.event_day AND n = 0;
    INSERT INTO lead_counts (client_id, ad_id, event_day, n)
        SELECT NEW.client_id, NEW.ad_id, NEW.event_day, 1 WHERE NEW.event_name = 'lead_submitted'
        ON CONFLICT (client_id, ad_id, event_day) DO UPDATE SET n = n + 1;
    INSERT INTO lead_day_counts (client_id, event_day, n)
        SELECT NEW.client_id, NEW.event_day, 1 WHERE NEW.event_name = 'lead_submitted'
        ON CONFLICT (client_id, event_day) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER lead_counts_update;
DROP TRIGGER lead_counts_delete;
DROP TRIGGER lead_counts_insert;
DROP INDEX ads_account;
DROP TABLE lead_day_counts;
DROP TABLE lead_counts;
