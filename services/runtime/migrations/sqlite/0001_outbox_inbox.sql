-- Transactional outbox: events written in the same transaction as the state change they
-- announce; the relay publishes them and stamps sent_at_us.
CREATE TABLE IF NOT EXISTS outbox (
    id            TEXT    PRIMARY KEY,  -- event id, UUIDv7: text order is time order
    routing_key   TEXT    NOT NULL,
    message_type  TEXT    NOT NULL,
    payload       BLOB    NOT NULL,
    headers       TEXT    NOT NULL,     -- JSON object of string headers (trace context)
    created_at_us BIGINT  NOT NULL,
    sent_at_us    BIGINT,
    attempts      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox (id) WHERE sent_at_us IS NULL;

-- Inbox: one row per (consumer, event) already handled, written in the consumer's own
-- transaction, so a redelivered event has no second effect.
CREATE TABLE IF NOT EXISTS inbox (
    consumer        TEXT   NOT NULL,
    event_id        TEXT   NOT NULL,
    processed_at_us BIGINT NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
