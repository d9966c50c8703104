-- An organisation client's previous secrets after a rotation: each is still accepted until
-- `valid_until` (the overlap), so the client's software can switch without downtime. The
-- current secret stays in `accounts.secret_hash`. Hashes are `sha256:` of 256-bit random
-- secrets, like the current one.
CREATE TABLE IF NOT EXISTS client_previous_secrets (
    account_id   TEXT NOT NULL REFERENCES accounts (account_id),
    secret_hash  TEXT NOT NULL,
    valid_until  BIGINT NOT NULL,                     -- micro-seconds since the epoch
    replaced_at  BIGINT NOT NULL,
    PRIMARY KEY (account_id, secret_hash)
);
