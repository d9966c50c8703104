-- Every check of an answer's verification code stays as it was written: the database
-- itself refuses to change or remove an audit row, whoever asks.
CREATE TRIGGER IF NOT EXISTS verification_audit_no_update BEFORE UPDATE ON verification_audit
BEGIN
    SELECT RAISE(ABORT, 'verification_audit is append-only: a correction is a new row');
END;
CREATE TRIGGER IF NOT EXISTS verification_audit_no_delete BEFORE DELETE ON verification_audit
BEGIN
    SELECT RAISE(ABORT, 'verification_audit is append-only: a correction is a new row');
END;
