-- Ended sessions are published with the signing keys (GetSigningKeys lists every session
-- revoked within the longest token lifetime), so every service refuses their access tokens;
-- this index keeps that query from scanning every session ever started.
CREATE INDEX IF NOT EXISTS sessions_revoked ON sessions (revoked_at);
