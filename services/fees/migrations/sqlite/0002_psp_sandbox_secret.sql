-- The sandbox payment provider's shared secret when none is configured: generated once at
-- random by the fees service, so no secret ships with the code.
CREATE TABLE IF NOT EXISTS psp_sandbox_secret (
    id     INTEGER PRIMARY KEY,
    secret TEXT    NOT NULL
);
