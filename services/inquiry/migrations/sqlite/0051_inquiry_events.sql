-- An inquiry's step history as append-only rows: one row per state change, written in the
-- same transaction as the change itself (store::update_inquiry), numbered from 0 per
-- inquiry. The timeline (GetInquiry's `history`) is read from these rows; the inquiry's
-- document no longer carries it, so no step can rewrite what an earlier step recorded.
CREATE TABLE IF NOT EXISTS inquiry_events (
    inquiry_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at_us BIGINT NOT NULL,
    actor_account_id TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    change TEXT NOT NULL,                      -- the change as JSON: who, when, why
    PRIMARY KEY (inquiry_id, seq)
);
CREATE INDEX IF NOT EXISTS inquiry_events_by_time ON inquiry_events (at_us);
CREATE INDEX IF NOT EXISTS inquiry_events_by_actor ON inquiry_events (actor_account_id, at_us);

-- The history inquiries already carry in their documents becomes rows, in order.
INSERT INTO inquiry_events (inquiry_id, seq, at_us, actor_account_id, from_state, to_state, change)
SELECT i.id, CAST(h.key AS INTEGER), json_extract(h.value, '$.changed.at_us'),
       json_extract(h.value, '$.changed.actor'), json_extract(h.value, '$.from'),
       json_extract(h.value, '$.to'), h.value
FROM inquiries i, json_each(i.doc, '$.history') h
WHERE true
ON CONFLICT (inquiry_id, seq) DO NOTHING;

CREATE TRIGGER IF NOT EXISTS inquiry_events_no_update BEFORE UPDATE ON inquiry_events
BEGIN
    SELECT RAISE(ABORT, 'inquiry_events is append-only: a correction is a new row');
END;
CREATE TRIGGER IF NOT EXISTS inquiry_events_no_delete BEFORE DELETE ON inquiry_events
BEGIN
    SELECT RAISE(ABORT, 'inquiry_events is append-only: a correction is a new row');
END;
