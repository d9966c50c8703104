-- Every check of an answer's verification code stays as it was written: the database
-- itself refuses to change or remove an audit row, whoever asks.

-- One function for every append-only table of this service: it names the table it guards.
CREATE OR REPLACE FUNCTION estelam_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: a correction is a new row', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS verification_audit_append_only ON verification_audit;
CREATE TRIGGER verification_audit_append_only BEFORE UPDATE OR DELETE ON verification_audit
    FOR EACH ROW EXECUTE FUNCTION estelam_append_only();
DROP TRIGGER IF EXISTS verification_audit_no_truncate ON verification_audit;
CREATE TRIGGER verification_audit_no_truncate BEFORE TRUNCATE ON verification_audit
    FOR EACH STATEMENT EXECUTE FUNCTION estelam_append_only();
