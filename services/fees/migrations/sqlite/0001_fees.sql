-- Fees and debt: tariffs, parcel accounts and their append-only ledgers, bills, payments,
-- the audit log, and the sandbox PSP's simulated bank books.
-- Integers are BIGINT (read as i64 through sqlx Any on both backends); times are
-- microseconds since the epoch; enums are their protobuf numbers; JSON is TEXT.

CREATE TABLE tariffs (
    tariff_id             TEXT PRIMARY KEY,
    jalali_year           BIGINT NOT NULL,
    land_use              BIGINT NOT NULL,
    zone                  BIGINT NOT NULL,
    version               BIGINT NOT NULL,
    effective_from_jalali TEXT NOT NULL,
    effective_from_us     BIGINT NOT NULL,
    rules                 TEXT NOT NULL,
    reason                TEXT NOT NULL,
    actor_id              TEXT NOT NULL,
    created_at_us         BIGINT NOT NULL,
    client_request_id     TEXT UNIQUE,
    UNIQUE (jalali_year, land_use, zone, version)
);

-- One row per parcel the fee records know; the row is also the per-parcel lock every
-- ledger change takes first (UPDATE … WHERE renovation_code = $1).
CREATE TABLE parcel_accounts (
    renovation_code  TEXT PRIMARY KEY,
    levy_start_year  BIGINT NOT NULL,
    ledger_version   BIGINT NOT NULL,
    opened_at_us     BIGINT NOT NULL,
    note             TEXT NOT NULL
);

-- Append-only: rows are never updated or deleted; a correction is a new row.
CREATE TABLE ledger_entries (
    ledger_entry_id          TEXT PRIMARY KEY,
    renovation_code          TEXT NOT NULL,
    seq                      BIGINT NOT NULL,
    kind                     BIGINT NOT NULL,
    item_kind                BIGINT NOT NULL,
    jalali_year              BIGINT NOT NULL,
    amount_rials             BIGINT NOT NULL,
    balance_after_rials      BIGINT NOT NULL,
    description_fa           TEXT NOT NULL,
    description_en           TEXT NOT NULL,
    bill_id                  TEXT NOT NULL,
    payment_id               TEXT NOT NULL,
    tracking_code            TEXT NOT NULL,
    reason                   TEXT NOT NULL,
    corrects_ledger_entry_id TEXT NOT NULL,
    tariff_id                TEXT NOT NULL,
    actor_id                 TEXT NOT NULL,
    recorded_at_us           BIGINT NOT NULL,
    client_request_id        TEXT UNIQUE,
    UNIQUE (renovation_code, seq)
);

-- (year, levy) pairs a paid bill settled; the primary key makes settling twice impossible.
CREATE TABLE settled_items (
    renovation_code TEXT NOT NULL,
    jalali_year     BIGINT NOT NULL,
    item_kind       BIGINT NOT NULL,
    bill_id         TEXT NOT NULL,
    payment_id      TEXT NOT NULL,
    settled_at_us   BIGINT NOT NULL,
    PRIMARY KEY (renovation_code, jalali_year, item_kind)
);

CREATE TABLE bills (
    bill_id           TEXT PRIMARY KEY,
    renovation_code   TEXT NOT NULL,
    inquiry_id        TEXT NOT NULL,
    request_type_code TEXT NOT NULL,
    status            BIGINT NOT NULL,
    lines             TEXT NOT NULL,
    settles           TEXT NOT NULL,
    total_base        BIGINT NOT NULL,
    total_penalty     BIGINT NOT NULL,
    total             BIGINT NOT NULL,
    balance_before    BIGINT NOT NULL,
    as_of_us          BIGINT NOT NULL,
    as_of_jalali      TEXT NOT NULL,
    created_at_us     BIGINT NOT NULL,
    valid_until_us    BIGINT NOT NULL,
    ledger_version    BIGINT NOT NULL,
    payment_id        TEXT NOT NULL,
    tracking_code     TEXT NOT NULL,
    paid_at_us        BIGINT,
    client_request_id TEXT UNIQUE
);
CREATE INDEX bills_by_parcel ON bills (renovation_code, status);

CREATE TABLE payments (
    payment_id      TEXT PRIMARY KEY,
    bill_id         TEXT NOT NULL,
    renovation_code TEXT NOT NULL,
    amount_rials    BIGINT NOT NULL,
    status          BIGINT NOT NULL,
    provider        TEXT NOT NULL,
    psp_token       TEXT NOT NULL UNIQUE,
    redirect_url    TEXT NOT NULL,
    return_url      TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    tracking_code   TEXT UNIQUE,
    psp_reference   TEXT NOT NULL,
    failure_fa      TEXT NOT NULL,
    failure_en      TEXT NOT NULL,
    created_at_us   BIGINT NOT NULL,
    confirmed_at_us BIGINT,
    updated_at_us   BIGINT NOT NULL
);
CREATE INDEX payments_pending ON payments (status, created_at_us);

-- Callback deliveries already applied, by the provider's idempotency key.
CREATE TABLE psp_callbacks (
    provider        TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    payment_id      TEXT NOT NULL,
    received_at_us  BIGINT NOT NULL,
    PRIMARY KEY (provider, idempotency_key)
);

-- Who did what and what came of it: tariff changes, adjustments, every callback
-- (accepted or refused). Append-only.
CREATE TABLE audit_log (
    audit_id   TEXT PRIMARY KEY,
    at_us      BIGINT NOT NULL,
    actor_id   TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX audit_by_subject ON audit_log (subject);

-- The sandbox PSP's simulated bank: its books, not ours.
CREATE TABLE sandbox_psp_transactions (
    token         TEXT PRIMARY KEY,
    payment_id    TEXT NOT NULL,
    amount_rials  BIGINT NOT NULL,
    state         TEXT NOT NULL,
    reference     TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    decided_at_us BIGINT
);
