-- The offline-verifiable certificate (docs/certificate.md).
-- Each answer's bit in the published status list: given the first time the answer's QR code
-- is made, never changed, never reused.
CREATE TABLE IF NOT EXISTS answer_status_slots (
    status_index BIGINT PRIMARY KEY,
    inquiry_id TEXT NOT NULL UNIQUE
);
-- The long-lived root key that signs the trust list; sealed like the answer-signing keys.
-- Only the newest row signs; verifiers pin its fingerprint.
CREATE TABLE IF NOT EXISTS trust_root_keys (
    kid TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    public_key TEXT NOT NULL,
    created_at_us BIGINT NOT NULL
);
