-- An admin revokes one of an organisation client's public keys (a leaked or retired key):
-- the row stays, so the desk shows which keys the client had and who revoked which, and
-- an assertion signed with a revoked key is refused. NULL while the key is in use.
ALTER TABLE client_keys ADD COLUMN revoked_at BIGINT;             -- micro-seconds since the epoch
ALTER TABLE client_keys ADD COLUMN revoked_by TEXT;
ALTER TABLE client_keys ADD COLUMN revoked_by_name TEXT;
ALTER TABLE client_keys ADD COLUMN revoke_reason TEXT;
