-- Document kinds as data: what each kind is called and which files it accepts. The five
-- kinds the contract's enum names are seeded with stable codes (`enum_value` ties each to
-- its enum number); any other kind is a row an admin adds, usable at once by its code.
CREATE TABLE IF NOT EXISTS document_kinds (
    code TEXT PRIMARY KEY,                     -- national-id-card, …; never changes
    name_fa TEXT NOT NULL,
    name_en TEXT NOT NULL,
    accepted_content_types TEXT NOT NULL,      -- comma-separated media types
    max_size_bytes BIGINT NOT NULL,
    active INTEGER NOT NULL,                   -- 0/1
    enum_value INTEGER NOT NULL,               -- documents.v1.DocumentKind number; 0 for none
    version BIGINT NOT NULL,
    updated_at_micros BIGINT NOT NULL,
    updated_by_account_id TEXT NOT NULL        -- empty for the seeded version
);

INSERT INTO document_kinds VALUES
    ('national-id-card', 'کارت ملی', 'national ID card', 'application/pdf,image/jpeg,image/png,image/webp', 10485760, 1, 1, 1, 0, ''),
    ('ownership-deed', 'سند مالکیت', 'ownership deed', 'application/pdf,image/jpeg,image/png,image/webp', 10485760, 1, 2, 1, 0, ''),
    ('authority-letter', 'نامهٔ مرجع', 'authority letter', 'application/pdf,image/jpeg,image/png,image/webp', 10485760, 1, 3, 1, 0, ''),
    ('other', 'سایر مدارک', 'other document', 'application/pdf,image/jpeg,image/png,image/webp', 10485760, 1, 4, 1, 0, ''),
    ('power-of-attorney', 'وکالت‌نامه', 'power of attorney', 'application/pdf,image/jpeg,image/png,image/webp', 10485760, 1, 5, 1, 0, '');

-- Documents name their kind by its code from now on (they used the enum's snake_case).
UPDATE documents SET kind = REPLACE(kind, '_', '-');

-- Every version of every kind an admin published: who, when, why and what; append-only in
-- the database itself.
CREATE TABLE IF NOT EXISTS document_kind_audit (
    id TEXT PRIMARY KEY,                       -- UUIDv7: sorts by time
    at_us BIGINT NOT NULL,
    actor_account_id TEXT NOT NULL,
    code TEXT NOT NULL,
    version BIGINT NOT NULL,
    reason TEXT NOT NULL,
    kind_json TEXT NOT NULL                    -- the version as published
);
CREATE INDEX IF NOT EXISTS document_kind_audit_by_code ON document_kind_audit (code, id);

DROP TRIGGER IF EXISTS document_kind_audit_append_only ON document_kind_audit;
CREATE TRIGGER document_kind_audit_append_only BEFORE UPDATE OR DELETE ON document_kind_audit
    FOR EACH ROW EXECUTE FUNCTION estelam_append_only();
DROP TRIGGER IF EXISTS document_kind_audit_no_truncate ON document_kind_audit;
CREATE TRIGGER document_kind_audit_no_truncate BEFORE TRUNCATE ON document_kind_audit
    FOR EACH STATEMENT EXECUTE FUNCTION estelam_append_only();
