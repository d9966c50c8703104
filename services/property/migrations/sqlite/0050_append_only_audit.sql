-- Who did what to the parcel records (request numbers, imports, seeding) is kept as it was
-- written: the database itself refuses to change or remove an audit row, whoever asks.
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: a correction is a new row');
END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: a correction is a new row');
END;
