-- Document metadata. Content lives in the object store under `sha256`; several rows may
-- share one object (the same bytes uploaded twice are stored once).
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,                       -- UUIDv7: time-ordered, so ORDER BY id is by age
    owner_account_id TEXT NOT NULL,
    kind TEXT NOT NULL,                        -- national_id_card | ownership_deed | authority_letter | other
    original_filename TEXT NOT NULL,           -- cleaned; display only, never a path
    content_type TEXT NOT NULL,                -- detected from the bytes
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    width_px BIGINT NOT NULL,
    height_px BIGINT NOT NULL,
    page_count BIGINT NOT NULL,
    created_at_micros BIGINT NOT NULL,
    uploaded_by_account_id TEXT NOT NULL,
    client_request_id TEXT                     -- idempotency key; NULL when none
);
CREATE INDEX IF NOT EXISTS documents_by_owner ON documents (owner_account_id, id);
CREATE INDEX IF NOT EXISTS documents_by_sha256 ON documents (sha256);
CREATE UNIQUE INDEX IF NOT EXISTS documents_by_request ON documents (uploaded_by_account_id, client_request_id);

-- What each owner uses of their quota, kept in step with `documents` in the same
-- transaction; one conditional UPDATE both checks and takes the quota, so two concurrent
-- uploads cannot both squeeze under it.
CREATE TABLE IF NOT EXISTS document_usage (
    owner_account_id TEXT PRIMARY KEY,
    doc_count BIGINT NOT NULL,
    total_bytes BIGINT NOT NULL
);
