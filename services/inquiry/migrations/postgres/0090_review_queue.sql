-- The clerks' review queue (services/inquiry/src/review.rs): the inquiries waiting for a
-- clerk (a name or ownership-type mismatch, a representative's power of attorney), the
-- longest waiting first. A waiting inquiry changes only by the clerk's decision or a
-- cancellation, so the time it last changed is the time it entered the queue.
CREATE INDEX IF NOT EXISTS inquiries_by_queue ON inquiries (state, updated_at_us, id);
