-- The organisation a letter names, beside the filing one: an office may list and read the
-- inquiries a citizen's letter addresses to it. Rows stored before take it from the document.
ALTER TABLE inquiries ADD COLUMN IF NOT EXISTS letter_organization_id TEXT NOT NULL DEFAULT '';
UPDATE inquiries
   SET letter_organization_id = COALESCE(doc::jsonb -> 'letter' ->> 'organization_id', '')
 WHERE letter_organization_id = '';
CREATE INDEX IF NOT EXISTS inquiries_by_letter_org ON inquiries (letter_organization_id, created_at_us);
