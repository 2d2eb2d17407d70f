-- Webhooks follow the event log each with a cursor: the event after `cursor` that matches is
-- delivered (retried with backoff) before any later one, so delivery is at least once and in
-- event order per webhook, and nothing is lost, the log itself being the outbox written in the
-- change's transaction. One replica at a time delivers a webhook, under a lease.
CREATE TABLE webhooks (
    webhook_id  TEXT PRIMARY KEY,
    account     TEXT NOT NULL,
    url         TEXT NOT NULL,
    events      TEXT NOT NULL,          -- JSON array of types or prefixes ending in *
    secret      TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    cursor      BIGINT NOT NULL,        -- the last event id handled
    lease_owner TEXT,
    lease_until BIGINT
);
CREATE INDEX webhooks_by_account ON webhooks (account, created_ms);

CREATE TABLE webhook_deliveries (
    webhook_id      TEXT NOT NULL,
    event_id        BIGINT NOT NULL,
    type            TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    state           TEXT NOT NULL,       -- pending, delivered, failed
    last_status     INTEGER NOT NULL,    -- 0: no answer
    last_error      TEXT NOT NULL,
    first_ms        BIGINT NOT NULL,
    next_attempt_ms BIGINT NOT NULL,
    delivered_ms    BIGINT,
    PRIMARY KEY (webhook_id, event_id)
);
