-- Every read of a document's content by someone other than its owner (a clerk, an admin,
-- an office that uploaded it for the applicant, a service): who read which document, whose
-- it is, for which inquiry, and when. Written before the first byte leaves the service, so no
-- staff download goes unrecorded; append-only in the database itself.
CREATE TABLE IF NOT EXISTS document_access_audit (
    id TEXT PRIMARY KEY,                       -- UUIDv7: sorts by time
    at_us BIGINT NOT NULL,
    actor_account_id TEXT NOT NULL,
    actor_roles TEXT NOT NULL,                 -- comma-separated role names
    actor_organization_id TEXT NOT NULL,
    action TEXT NOT NULL,                      -- document.downloaded
    document_id TEXT NOT NULL,
    owner_account_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    inquiry_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS document_access_by_document ON document_access_audit (document_id, id);
CREATE INDEX IF NOT EXISTS document_access_by_actor ON document_access_audit (actor_account_id, id);


-- One function for every append-only table of this service: it names the table it guards.
CREATE OR REPLACE FUNCTION estelam_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: a correction is a new row', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS document_access_audit_append_only ON document_access_audit;
CREATE TRIGGER document_access_audit_append_only BEFORE UPDATE OR DELETE ON document_access_audit
    FOR EACH ROW EXECUTE FUNCTION estelam_append_only();
DROP TRIGGER IF EXISTS document_access_audit_no_truncate ON document_access_audit;
CREATE TRIGGER document_access_audit_no_truncate BEFORE TRUNCATE ON document_access_audit
    FOR EACH STATEMENT EXECUTE FUNCTION estelam_append_only();
