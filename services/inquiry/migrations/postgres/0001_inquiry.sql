-- Request types: the current version of each, and every version ever stored.
CREATE TABLE IF NOT EXISTS request_types (
    code TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    definition TEXT NOT NULL,
    active BIGINT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_by_name TEXT NOT NULL,
    changed_at_us BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS request_type_versions (
    code TEXT NOT NULL,
    version BIGINT NOT NULL,
    definition TEXT NOT NULL,
    reason TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at_us BIGINT NOT NULL,
    PRIMARY KEY (code, version)
);
-- Sequences (inquiry numbers), portable across backends.
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
-- Inquiries: the document plus the columns lists and sweeps filter on.
CREATE TABLE IF NOT EXISTS inquiries (
    id TEXT PRIMARY KEY,
    inquiry_number TEXT NOT NULL UNIQUE,
    request_type_code TEXT NOT NULL,
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    applicant_account_id TEXT NOT NULL,
    filed_by_account_id TEXT NOT NULL,
    filed_by_organization_id TEXT NOT NULL,
    applicant_national_code TEXT NOT NULL,
    renovation_code TEXT NOT NULL,
    bill_id TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    updated_at_us BIGINT NOT NULL,
    expires_at_us BIGINT,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS inquiries_by_applicant ON inquiries (applicant_account_id, created_at_us);
CREATE INDEX IF NOT EXISTS inquiries_by_org ON inquiries (filed_by_organization_id, created_at_us);
CREATE INDEX IF NOT EXISTS inquiries_by_state ON inquiries (state, updated_at_us);
CREATE INDEX IF NOT EXISTS inquiries_by_created ON inquiries (created_at_us, id);
CREATE INDEX IF NOT EXISTS inquiries_by_bill ON inquiries (bill_id);
-- Idempotency: the first response to (caller, method, client_request_id).
CREATE TABLE IF NOT EXISTS idempotency (
    scope TEXT NOT NULL,
    client_request_id TEXT NOT NULL,
    response TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    PRIMARY KEY (scope, client_request_id)
);
-- Every fees.debt.cleared seen, by bill: applied when the inquiry is waiting for it.
CREATE TABLE IF NOT EXISTS debt_cleared (
    bill_id TEXT PRIMARY KEY,
    inquiry_id TEXT NOT NULL,
    renovation_code TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    tracking_code TEXT NOT NULL,
    amount_rials BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    occurred_at_us BIGINT NOT NULL,
    recorded_at_us BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS debt_cleared_by_inquiry ON debt_cleared (inquiry_id);
-- Issued answers: the exact signed bytes and signature, and revocation.
CREATE TABLE IF NOT EXISTS answers (
    inquiry_id TEXT PRIMARY KEY,
    inquiry_number TEXT NOT NULL,
    verification_code TEXT NOT NULL UNIQUE,
    request_type_code TEXT NOT NULL,
    renovation_code TEXT NOT NULL,
    applicant_account_id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    signed_payload TEXT NOT NULL,
    signature TEXT NOT NULL,
    signing_key_id TEXT NOT NULL,
    issued_at_us BIGINT NOT NULL,
    valid_until_us BIGINT NOT NULL,
    revoked_reason TEXT,
    revoked_by TEXT,
    revoked_at_us BIGINT
);
CREATE INDEX IF NOT EXISTS answers_by_parcel ON answers (renovation_code, request_type_code, valid_until_us);
-- Answer signing keys: the current one has no retired_at_us.
CREATE TABLE IF NOT EXISTS signing_keys (
    kid TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    public_key TEXT NOT NULL,
    not_before_us BIGINT NOT NULL,
    retired_at_us BIGINT
);
-- Every VerifyAnswer check, append-only.
CREATE TABLE IF NOT EXISTS verification_audit (
    id TEXT PRIMARY KEY,
    presented_code TEXT NOT NULL,
    result TEXT NOT NULL,
    inquiry_id TEXT NOT NULL,
    caller_account_id TEXT NOT NULL,
    checked_at_us BIGINT NOT NULL
);
