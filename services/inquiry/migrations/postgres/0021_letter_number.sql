-- The letter's number (step 5a), beside the document, so that an office's software finds an
-- inquiry by the number on its own letter (issue 17). Stored as the letter step keeps it
-- (cleaned, Latin digits). Rows stored before take it from the document.
ALTER TABLE inquiries ADD COLUMN IF NOT EXISTS letter_number TEXT NOT NULL DEFAULT '';
UPDATE inquiries
   SET letter_number = COALESCE(doc::jsonb -> 'letter' ->> 'letter_number', '')
 WHERE letter_number = '';
CREATE INDEX IF NOT EXISTS inquiries_by_letter_number ON inquiries (letter_number, created_at_us);
