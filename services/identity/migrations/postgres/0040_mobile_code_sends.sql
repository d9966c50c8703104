-- The outbox of one-time codes: a code leaves identity only through this table, written in
-- the transaction that stores its hash, and stays here (sealed under the key-encryption key,
-- like the signing keys) until the SMS provider takes it, so a provider that is down or a
-- restart does not lose it. A row is deleted once sent, superseded or expired: the code rests
-- no longer than it has to. `send_id` goes to the provider as its `localid`, so a retry after a
-- lost answer asks the provider before texting again.
CREATE TABLE IF NOT EXISTS mobile_code_sends (
    send_id          TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL,
    mobile           TEXT NOT NULL,
    sealed_code      TEXT NOT NULL,
    attempts         BIGINT NOT NULL,
    next_attempt_us  BIGINT NOT NULL,
    expires_at_us    BIGINT NOT NULL,
    created_at_us    BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS mobile_code_sends_due ON mobile_code_sends (next_attempt_us);
CREATE INDEX IF NOT EXISTS mobile_code_sends_of_account ON mobile_code_sends (account_id);
