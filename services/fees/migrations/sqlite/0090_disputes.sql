-- Objections (اعتراض) to lines of a bill. A dispute names its bill's lines by position
-- (`line_indexes`, a JSON array in ascending order); filing the same lines of the same bill
-- again finds the first row (unique on bill and lines). Status is its protobuf number
-- (DisputeStatus). A row changes twice at most: when the bill's payment holds the deposit,
-- and when a clerk decides it.
CREATE TABLE IF NOT EXISTS disputes (
    dispute_id           TEXT PRIMARY KEY,
    bill_id              TEXT NOT NULL,
    renovation_code      TEXT NOT NULL,
    inquiry_id           TEXT NOT NULL,
    line_indexes         TEXT NOT NULL,
    disputed_rials       BIGINT NOT NULL,
    reason               TEXT NOT NULL,
    status               BIGINT NOT NULL,
    filed_by             TEXT NOT NULL,
    filed_at_us          BIGINT NOT NULL,
    deposit_rials        BIGINT NOT NULL,
    deposit_receipt_code TEXT NOT NULL,
    deposit_payment_id   TEXT NOT NULL,
    deposited_at_us      BIGINT,
    decided_by           TEXT NOT NULL,
    decided_at_us        BIGINT,
    decision_reason      TEXT NOT NULL,
    UNIQUE (bill_id, line_indexes)
);
CREATE INDEX IF NOT EXISTS disputes_by_status ON disputes (status, dispute_id);
CREATE INDEX IF NOT EXISTS disputes_by_parcel ON disputes (renovation_code, dispute_id);

-- One dispute per bill line: the primary key refuses a second dispute of a line, whatever
-- else it names.
CREATE TABLE IF NOT EXISTS dispute_items (
    bill_id    TEXT NOT NULL,
    line_index BIGINT NOT NULL,
    dispute_id TEXT NOT NULL,
    PRIMARY KEY (bill_id, line_index)
);
