-- Owners told (or not) that a representative filed an inquiry in their name, and what a
-- clerk decided: one row per inquiry and stage, so a redelivered event tells no one twice
-- and the municipality can show that the owner was told, or why they could not be.
CREATE TABLE IF NOT EXISTS owner_notices (
    inquiry_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    inquiry_number TEXT NOT NULL,
    owner_national_code TEXT NOT NULL,
    account_id TEXT NOT NULL,
    mobile TEXT NOT NULL,
    outcome TEXT NOT NULL,
    event_id TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    PRIMARY KEY (inquiry_id, stage)
);
CREATE INDEX IF NOT EXISTS owner_notices_by_owner ON owner_notices (owner_national_code, created_at_us);
