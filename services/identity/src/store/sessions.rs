//! `sessions`, `refresh_tokens` and `token_revocations`: a session is a family of refresh
//! tokens, so reuse of one token can end every token descended from the same login.

use sqlx::{AnyConnection, Row as _};

use super::Result;

/// Starts a session: the family its refresh tokens will share, so they can be revoked
/// together.
pub async fn insert_session(
    conn: &mut AnyConnection,
    family_id: &str,
    account_id: &str,
    now: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO sessions (family_id, account_id, created_at) VALUES ($1, $2, $3)")
        .bind(family_id)
        .bind(account_id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores a refresh token's hash (never the token) in its family.
pub async fn insert_refresh_token(
    conn: &mut AnyConnection,
    hash: &str,
    family_id: &str,
    account_id: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, family_id, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(hash)
    .bind(family_id)
    .bind(account_id)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A stored refresh token with its session's state, read in one query so a refresh
/// decides on one consistent view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRow {
    /// The session (family) the token belongs to.
    pub family_id: String,
    /// Whose session it is.
    pub account_id: String,
    /// After this instant the token no longer refreshes, µs.
    pub expires_at: i64,
    /// When it was exchanged, if it was: a second use means a copy exists.
    pub used_at: Option<i64>,
    /// When its session ended (logout, reuse, disable, password change), if it did.
    pub session_revoked_at: Option<i64>,
}

/// The refresh token with this hash, with its session's state.
pub async fn refresh_token(conn: &mut AnyConnection, hash: &str) -> Result<Option<RefreshRow>> {
    let row = sqlx::query(
        "SELECT t.family_id, t.account_id, t.expires_at, t.used_at, s.revoked_at FROM refresh_tokens t \
         JOIN sessions s ON s.family_id = t.family_id WHERE t.token_hash = $1",
    )
    .bind(hash)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(RefreshRow {
            family_id: r.try_get("family_id")?,
            account_id: r.try_get("account_id")?,
            expires_at: r.try_get("expires_at")?,
            used_at: r.try_get("used_at")?,
            session_revoked_at: r.try_get("revoked_at")?,
        })
    })
    .transpose()
}

/// Marks a refresh token used; false when it already was (a concurrent or repeated use).
pub async fn mark_refresh_used(conn: &mut AnyConnection, hash: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
    )
    .bind(now)
    .bind(hash)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends one session, with why. Returns whether it was live.
pub async fn revoke_session(
    conn: &mut AnyConnection,
    family_id: &str,
    now: i64,
    reason: &str,
) -> Result<bool> {
    let done = sqlx::query("UPDATE sessions SET revoked_at = $1, revoke_reason = $2 WHERE family_id = $3 AND revoked_at IS NULL")
        .bind(now)
        .bind(reason)
        .bind(family_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends every live session of an account, except `keep` if given, with why. Returns how
/// many.
pub async fn revoke_account_sessions(
    conn: &mut AnyConnection,
    account_id: &str,
    keep: Option<&str>,
    now: i64,
    reason: &str,
) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = $1, revoke_reason = $2 WHERE account_id = $3 AND revoked_at IS NULL \
         AND family_id <> $4",
    )
    .bind(now)
    .bind(reason)
    .bind(account_id)
    .bind(keep.unwrap_or(""))
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Records that `account_id`'s access tokens issued up to `revoked_at` are revoked until
/// `hold_until`, and forgets revocations whose hold has passed.
pub async fn revoke_tokens(
    conn: &mut AnyConnection,
    account_id: &str,
    revoked_at: i64,
    hold_until: i64,
) -> Result<()> {
    sqlx::query("DELETE FROM token_revocations WHERE hold_until <= $1")
        .bind(revoked_at)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO token_revocations (account_id, revoked_at, hold_until) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id) DO UPDATE SET revoked_at = excluded.revoked_at, hold_until = excluded.hold_until",
    )
    .bind(account_id)
    .bind(revoked_at)
    .bind(hold_until)
    .execute(conn)
    .await?;
    Ok(())
}

/// Revocations still held at `now`, which `GetSigningKeys` publishes: (account id,
/// revoked at, hold until), µs.
pub async fn token_revocations(
    conn: &mut AnyConnection,
    now: i64,
) -> Result<Vec<(String, i64, i64)>> {
    sqlx::query(
        "SELECT account_id, revoked_at, hold_until FROM token_revocations WHERE hold_until > $1",
    )
    .bind(now)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.try_get("account_id")?,
            r.try_get("revoked_at")?,
            r.try_get("hold_until")?,
        ))
    })
    .collect()
}

/// Sessions that ended after `since` (µs), which `GetSigningKeys` publishes so that every
/// service refuses their access tokens: (session id, revoked at), µs.
pub async fn session_revocations(
    conn: &mut AnyConnection,
    since: i64,
) -> Result<Vec<(String, i64)>> {
    sqlx::query("SELECT family_id, revoked_at FROM sessions WHERE revoked_at > $1")
        .bind(since)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("family_id")?, r.try_get("revoked_at")?)))
        .collect()
}

/// Live (unrevoked) sessions of an account, for tests and admin views.
pub async fn live_session_count(conn: &mut AnyConnection, account_id: &str) -> Result<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM sessions WHERE account_id = $1 AND revoked_at IS NULL",
    )
    .bind(account_id)
    .fetch_one(conn)
    .await?;
    row.try_get("n")
}
