-- private_key_jwt (RFC 7523, issue 17): public keys an organisation client authenticates
-- with instead of, or beside, its secret. `jwk` is the public JWK as registered (no private
-- part); `kid` its own or its RFC 7638 thumbprint. A disabled client's keys authenticate
-- nothing, as its secrets do not.
CREATE TABLE IF NOT EXISTS client_keys (
    account_id  TEXT NOT NULL REFERENCES accounts (account_id),
    kid         TEXT NOT NULL,
    alg         TEXT NOT NULL,                        -- ES256 or EdDSA
    jwk         TEXT NOT NULL,
    thumbprint  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,                      -- micro-seconds since the epoch
    created_by  TEXT NOT NULL,
    PRIMARY KEY (account_id, kid)
);
-- The jti of every client assertion accepted, kept until the assertion's exp, so that one
-- assertion buys one token: a replay within its lifetime is refused.
CREATE TABLE IF NOT EXISTS client_assertion_jtis (
    client_id   TEXT NOT NULL,
    jti         TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,                      -- micro-seconds since the epoch
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX IF NOT EXISTS client_assertion_jtis_expiry ON client_assertion_jtis (expires_at);
