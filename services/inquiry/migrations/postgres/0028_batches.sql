-- Batches (issue 17): one authority request filing up to 1,000 inquiries, stored before it
-- is acknowledged and worked in the background. A retried request finds its batch by the
-- organisation's own id for it.
CREATE TABLE IF NOT EXISTS batches (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    client_batch_id TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    request_type_code TEXT NOT NULL,
    -- JSON: the letter and the accepted undertakings, the same for every item.
    spec TEXT NOT NULL,
    total BIGINT NOT NULL,
    state TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    finished_at_us BIGINT NOT NULL,
    UNIQUE (organization_id, client_batch_id)
);
CREATE INDEX IF NOT EXISTS batches_by_org ON batches (organization_id, created_at_us);
-- One row per parcel of a batch. A worker claims pending rows by lease (lease_until_us in
-- the past = free), so a worker that dies loses its claim and nothing else; the inquiry an
-- item files carries an idempotency key made of the batch id and the index, so a second
-- claim files nothing twice.
CREATE TABLE IF NOT EXISTS batch_items (
    batch_id TEXT NOT NULL,
    idx BIGINT NOT NULL,
    -- JSON: the item as filed (cleaned text).
    input TEXT NOT NULL,
    renovation_code TEXT NOT NULL,
    outcome TEXT NOT NULL,
    inquiry_id TEXT NOT NULL,
    inquiry_number TEXT NOT NULL,
    verification_code TEXT NOT NULL,
    bill_id TEXT NOT NULL,
    amount_due_rials BIGINT NOT NULL,
    reason TEXT NOT NULL,
    message_fa TEXT NOT NULL,
    message_en TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    lease_owner TEXT NOT NULL,
    lease_until_us BIGINT NOT NULL,
    updated_at_us BIGINT NOT NULL,
    PRIMARY KEY (batch_id, idx)
);
CREATE INDEX IF NOT EXISTS batch_items_claimable ON batch_items (outcome, lease_until_us);
