-- Who did what to the parcel records (request numbers, imports, seeding) is kept as it was
-- written: the database itself refuses to change or remove an audit row, whoever asks.

-- One function for every append-only table of this service: it names the table it guards.
CREATE OR REPLACE FUNCTION estelam_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: a correction is a new row', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION estelam_append_only();
DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION estelam_append_only();
