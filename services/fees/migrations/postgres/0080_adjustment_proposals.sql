-- Clerk adjustments above the second-approval limit wait here, outside the ledger, until a
-- staff member other than the proposer approves (then a ledger entry is written and its id
-- kept here) or refuses them. Kind and status are their protobuf numbers
-- (AdjustmentKind, AdjustmentProposalStatus). Rows change only once: pending → decided.
CREATE TABLE IF NOT EXISTS adjustment_proposals (
    proposal_id              TEXT PRIMARY KEY,
    renovation_code          TEXT NOT NULL,
    kind                     BIGINT NOT NULL,
    amount_rials             BIGINT NOT NULL,
    jalali_year              BIGINT NOT NULL,
    reason                   TEXT NOT NULL,
    corrects_ledger_entry_id TEXT NOT NULL,
    status                   BIGINT NOT NULL,
    proposed_by              TEXT NOT NULL,
    proposed_at_us           BIGINT NOT NULL,
    decided_by               TEXT NOT NULL,
    decided_at_us            BIGINT,
    decision_reason          TEXT NOT NULL,
    ledger_entry_id          TEXT NOT NULL,
    client_request_id        TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS adjustment_proposals_by_status ON adjustment_proposals (status, proposal_id);
CREATE INDEX IF NOT EXISTS adjustment_proposals_by_parcel ON adjustment_proposals (renovation_code, proposal_id);
