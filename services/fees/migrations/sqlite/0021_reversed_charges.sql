-- A charge to an authority's account is reversed when its inquiry is cancelled before the
-- answer (issue 17): the row stays on the statement, marked, and leaves the balance.
-- 0 while the charge stands.
ALTER TABLE account_charges ADD COLUMN reversed_at_us BIGINT NOT NULL DEFAULT 0;
