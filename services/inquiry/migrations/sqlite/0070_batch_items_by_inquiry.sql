-- Batch items follow their inquiry after filing (issue 17): an item left awaiting payment
-- takes its final outcome in the transaction that issues, cancels or expires its inquiry,
-- which finds the item by the inquiry's id.
CREATE INDEX IF NOT EXISTS batch_items_by_inquiry ON batch_items (inquiry_id);
