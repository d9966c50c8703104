-- The owners told (or not) of a filing in their name are evidence, like the audit trail
-- (audit_events, append-only since 0001): the database itself refuses to change or remove them.
CREATE TRIGGER IF NOT EXISTS owner_notices_no_update BEFORE UPDATE ON owner_notices
BEGIN
    SELECT RAISE(ABORT, 'owner_notices is append-only: a correction is a new row');
END;
CREATE TRIGGER IF NOT EXISTS owner_notices_no_delete BEFORE DELETE ON owner_notices
BEGIN
    SELECT RAISE(ABORT, 'owner_notices is append-only: a correction is a new row');
END;
