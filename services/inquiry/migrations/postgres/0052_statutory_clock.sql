-- The statutory clock (services/inquiry/src/clock.rs): when each inquiry was submitted and
-- answered, and the deadline the law sets (ten calendar days after Submit), as columns beside
-- the document, so the desk lists what is near or past its deadline by an index and the
-- public figures read only these instants. Every write of an inquiry keeps them in step.
ALTER TABLE inquiries ADD COLUMN submitted_at_us BIGINT;
ALTER TABLE inquiries ADD COLUMN issued_at_us BIGINT;
ALTER TABLE inquiries ADD COLUMN answer_due_at_us BIGINT;
CREATE INDEX IF NOT EXISTS inquiries_by_deadline ON inquiries (state, answer_due_at_us, id);
CREATE INDEX IF NOT EXISTS inquiries_by_issue ON inquiries (issued_at_us);

-- Inquiries already submitted or answered: the instants their documents carry.
UPDATE inquiries SET
    submitted_at_us = (doc::jsonb ->> 'submitted_at_us')::BIGINT,
    issued_at_us = (doc::jsonb ->> 'issued_at_us')::BIGINT;
UPDATE inquiries SET answer_due_at_us = submitted_at_us + 864000000000
    WHERE submitted_at_us IS NOT NULL;
