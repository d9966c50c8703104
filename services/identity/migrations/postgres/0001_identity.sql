-- Identity: accounts, organizations, sessions (refresh-token families), signing keys,
-- throttling counters and the append-only audit trail. Portable column types only
-- (see docs/service-conventions.md); times are microseconds since the Unix epoch.

CREATE TABLE IF NOT EXISTS organizations (
    organization_id  TEXT PRIMARY KEY,
    type             INTEGER NOT NULL,
    name_fa          TEXT NOT NULL,
    name_en          TEXT NOT NULL,
    name_key         TEXT NOT NULL,
    registry_number  TEXT NOT NULL,
    city             TEXT NOT NULL,
    city_key         TEXT NOT NULL,
    address          TEXT NOT NULL,
    phone            TEXT NOT NULL,
    active           INTEGER NOT NULL,
    created_at       BIGINT NOT NULL,
    UNIQUE (type, city_key, registry_number)
);

CREATE TABLE IF NOT EXISTS accounts (
    account_id                TEXT PRIMARY KEY,
    roles                     TEXT NOT NULL,            -- ",citizen,admin," for LIKE filters
    status                    INTEGER NOT NULL,         -- 1 active, 2 disabled
    national_code             TEXT UNIQUE,
    membership_code           TEXT UNIQUE,
    first_name                TEXT NOT NULL,
    last_name                 TEXT NOT NULL,
    display_name              TEXT NOT NULL,
    search_key                TEXT NOT NULL,            -- folded names, codes, client id
    mobile                    TEXT NOT NULL,
    mobile_verified           INTEGER NOT NULL,
    organization_id           TEXT REFERENCES organizations (organization_id),
    client_id                 TEXT UNIQUE,
    description               TEXT NOT NULL,
    secret_hash               TEXT NOT NULL,            -- argon2id PHC string, or sha256: for client secrets
    password_change_required  INTEGER NOT NULL,
    created_at                BIGINT NOT NULL,
    changed_at                BIGINT NOT NULL,
    changed_by                TEXT NOT NULL,
    changed_by_name           TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS accounts_organization ON accounts (organization_id);

CREATE TABLE IF NOT EXISTS mobile_codes (
    account_id  TEXT PRIMARY KEY REFERENCES accounts (account_id),
    code_hash   TEXT NOT NULL,
    sent_at     BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    attempts    INTEGER NOT NULL
);

-- A session is a family of refresh tokens: each use of one replaces it with the next.
CREATE TABLE IF NOT EXISTS sessions (
    family_id      TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL REFERENCES accounts (account_id),
    created_at     BIGINT NOT NULL,
    revoked_at     BIGINT,
    revoke_reason  TEXT
);
CREATE INDEX IF NOT EXISTS sessions_account ON sessions (account_id);

CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash  TEXT PRIMARY KEY,                      -- hex SHA-256 of the opaque token
    family_id   TEXT NOT NULL REFERENCES sessions (family_id),
    account_id  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE IF NOT EXISTS signing_keys (
    kid          TEXT PRIMARY KEY,
    secret_key   BYTEA NOT NULL,                        -- the Ed25519 seed (not encrypted at rest)
    public_key   BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    retired_at   BIGINT,
    not_after    BIGINT
);

CREATE TABLE IF NOT EXISTS throttle (
    key              TEXT PRIMARY KEY,                 -- "account:<id>" or "source:<ip>"
    failures         INTEGER NOT NULL,
    last_failure_at  BIGINT NOT NULL,
    blocked_until    BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS audit_events (
    audit_event_id        TEXT PRIMARY KEY,            -- UUIDv7: sorts by time
    kind                  INTEGER NOT NULL,
    account_id            TEXT NOT NULL,
    presented_identifier  TEXT NOT NULL,
    actor_account_id      TEXT NOT NULL,
    source_address        TEXT NOT NULL,
    user_agent            TEXT NOT NULL,
    detail                TEXT NOT NULL,
    occurred_at           BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_events_account ON audit_events (account_id, audit_event_id);

-- The audit trail is append-only: the store itself refuses changes and deletions.
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
