-- Webhooks (issue 17): each organisation's endpoints, and every delivery owed to one.
-- An endpoint's secrets are sealed like the answer-signing keys (they must be read back to
-- sign, so they cannot be hashed); during a rotation's overlap the previous one signs too.
CREATE TABLE IF NOT EXISTS webhook_endpoints (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    url TEXT NOT NULL,
    -- Space-separated event types, e.g. 'answer.issued answer.revoked'.
    event_types TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    secret_kid TEXT NOT NULL,
    secret TEXT NOT NULL,
    previous_secret_kid TEXT,
    previous_secret TEXT,
    previous_valid_until_us BIGINT,
    enabled BIGINT NOT NULL DEFAULT 1,
    created_at_us BIGINT NOT NULL,
    updated_at_us BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_endpoints_by_org ON webhook_endpoints (organization_id, created_at_us);

-- One row per (event, endpoint), written in the transaction that made the event. The id is
-- the `webhook-id` header (UUIDv7: ordered by creation); `ordering_key` is the inquiry (or
-- batch) id: a delivery is sent only when no earlier one with the same endpoint and key is
-- still pending. `state`: pending, delivered or dead. A worker claims a row by moving
-- `lease_until_us` forward; a crashed worker's lease runs out and another takes the row.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id TEXT PRIMARY KEY,
    endpoint_id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    ordering_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at_us BIGINT NOT NULL,
    lease_until_us BIGINT NOT NULL DEFAULT 0,
    retry_from_us BIGINT NOT NULL,
    created_at_us BIGINT NOT NULL,
    delivered_at_us BIGINT,
    last_status BIGINT NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at_us);
CREATE INDEX IF NOT EXISTS webhook_deliveries_order ON webhook_deliveries (endpoint_id, ordering_key, state, id);
