-- The forwarding admin page and /metrics read the outbox per client and status, newest first;
-- outbox_due (status, next_attempt_at) serves only the forwarder's own query.

-- +goose Up
CREATE INDEX outbox_client ON outbox (client_id, status, updated_at);

-- +goose Down
SELECT 1;
