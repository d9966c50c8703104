-- The owners told (or not) of a filing in their name are evidence, like the audit trail
-- (audit_events, append-only since 0001): the database itself refuses to change or remove them.

-- One function for every append-only table of this service: it names the table it guards.
CREATE OR REPLACE FUNCTION estelam_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: a correction is a new row', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS owner_notices_append_only ON owner_notices;
CREATE TRIGGER owner_notices_append_only BEFORE UPDATE OR DELETE ON owner_notices
    FOR EACH ROW EXECUTE FUNCTION estelam_append_only();
DROP TRIGGER IF EXISTS owner_notices_no_truncate ON owner_notices;
CREATE TRIGGER owner_notices_no_truncate BEFORE TRUNCATE ON owner_notices
    FOR EACH STATEMENT EXECUTE FUNCTION estelam_append_only();
-- audit_events refuses row changes since 0001; it refuses TRUNCATE too.
DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events;
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION estelam_append_only();
