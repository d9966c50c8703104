-- The objections to levies a debt clearance carried (their deposit held, note to article
-- 74 of the Municipalities Law), as JSON: the answer issued on the clearance records them.
-- Empty for a clearance with nothing disputed, as every clearance recorded before.
ALTER TABLE debt_cleared ADD COLUMN disputes_json TEXT NOT NULL DEFAULT '';
