-- Uploads by an office filing on behalf of an applicant (issue 17): the document belongs to
-- the applicant, names the inquiry it was uploaded for (only that inquiry may attach it) and
-- the organisation that uploaded it (its users and API clients may read it back). Empty for
-- everyone's own uploads.
ALTER TABLE documents ADD COLUMN IF NOT EXISTS inquiry_id TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN IF NOT EXISTS organization_id TEXT NOT NULL DEFAULT '';
