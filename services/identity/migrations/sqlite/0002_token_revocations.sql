-- Subjects whose access tokens were revoked (disabled accounts), published with the signing
-- keys so that every service refuses their tokens issued up to `revoked_at`. A row matters
-- only until `hold_until` (every such token has expired by then); older rows are deleted.
CREATE TABLE IF NOT EXISTS token_revocations (
    account_id  TEXT PRIMARY KEY,
    revoked_at  BIGINT NOT NULL,                      -- micro-seconds since the epoch
    hold_until  BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS token_revocations_hold ON token_revocations (hold_until);
