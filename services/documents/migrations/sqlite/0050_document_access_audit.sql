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

CREATE TRIGGER IF NOT EXISTS document_access_audit_no_update BEFORE UPDATE ON document_access_audit
BEGIN
    SELECT RAISE(ABORT, 'document_access_audit is append-only: a correction is a new row');
END;
CREATE TRIGGER IF NOT EXISTS document_access_audit_no_delete BEFORE DELETE ON document_access_audit
BEGIN
    SELECT RAISE(ABORT, 'document_access_audit is append-only: a correction is a new row');
END;
