-- Notifications: what each consumed event means for a person (notices), every message
-- made from it (deliveries: the audit of what was sent, and the queue of what is still to
-- send), and each person's preferences. Times are microseconds since the epoch.

-- One row per consumed event that concerns somebody, written in the inbox transaction;
-- the sender finds the person (asking inquiry and identity) outside any transaction.
CREATE TABLE notices (
    event_id         TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    inquiry_id       TEXT NOT NULL,
    account_id       TEXT NOT NULL,
    national_code    TEXT NOT NULL,
    facts            TEXT NOT NULL,
    state            TEXT NOT NULL,
    attempts         BIGINT NOT NULL,
    next_attempt_us  BIGINT NOT NULL,
    created_at_us    BIGINT NOT NULL
);
CREATE INDEX notices_due ON notices (state, next_attempt_us);

-- One row per message: (event, channel) is unique, so no event is told twice on a channel.
CREATE TABLE deliveries (
    delivery_id          TEXT PRIMARY KEY,
    event_id             TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    channel              TEXT NOT NULL,
    account_id           TEXT NOT NULL,
    recipient            TEXT NOT NULL,
    language             TEXT NOT NULL,
    subject              TEXT NOT NULL,
    body                 TEXT NOT NULL,
    status               TEXT NOT NULL,
    attempts             BIGINT NOT NULL,
    next_attempt_us      BIGINT NOT NULL,
    provider_message_id  TEXT NOT NULL,
    last_error           TEXT NOT NULL,
    created_at_us        BIGINT NOT NULL,
    sent_at_us           BIGINT,
    UNIQUE (event_id, channel)
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_us);
CREATE INDEX deliveries_of_account ON deliveries (account_id, created_at_us);

CREATE TABLE preferences (
    account_id     TEXT PRIMARY KEY,
    email          TEXT NOT NULL,
    language       TEXT NOT NULL,
    channels       TEXT NOT NULL,
    updated_at_us  BIGINT NOT NULL
);
