//! `mobile_codes`: at most one pending one-time code per account, stored as a hash so a
//! database reader cannot verify someone else's number.

use sqlx::{AnyConnection, Row as _};

use super::Result;

/// The pending one-time code of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MobileCodeRow {
    /// SHA-256 of the account id and the code, so the code itself is never stored.
    pub code_hash: String,
    /// When it was sent, µs; another may be sent only after the resend interval.
    pub sent_at: i64,
    /// After this instant the code no longer verifies, µs.
    pub expires_at: i64,
    /// Wrong tries so far; past the limit the code is spent, so six digits cannot be
    /// guessed by trying them all.
    pub attempts: i32,
}

/// Replaces the account's pending code with a new one and resets its tries.
pub async fn put_mobile_code(
    conn: &mut AnyConnection,
    account_id: &str,
    code_hash: &str,
    sent_at: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO mobile_codes (account_id, code_hash, sent_at, expires_at, attempts) VALUES ($1, $2, $3, $4, 0) \
         ON CONFLICT (account_id) DO UPDATE SET code_hash = $2, sent_at = $3, expires_at = $4, attempts = 0",
    )
    .bind(account_id)
    .bind(code_hash)
    .bind(sent_at)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The account's pending code, if any.
pub async fn mobile_code(
    conn: &mut AnyConnection,
    account_id: &str,
) -> Result<Option<MobileCodeRow>> {
    let row = sqlx::query(
        "SELECT code_hash, sent_at, expires_at, attempts FROM mobile_codes WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(MobileCodeRow {
            code_hash: r.try_get("code_hash")?,
            sent_at: r.try_get("sent_at")?,
            expires_at: r.try_get("expires_at")?,
            attempts: r.try_get::<i32, _>("attempts")?,
        })
    })
    .transpose()
}

/// Counts one wrong try of the pending code.
pub async fn bump_mobile_code_attempts(conn: &mut AnyConnection, account_id: &str) -> Result<()> {
    sqlx::query("UPDATE mobile_codes SET attempts = attempts + 1 WHERE account_id = $1")
        .bind(account_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes the account's pending code (used, or superseded).
pub async fn delete_mobile_code(conn: &mut AnyConnection, account_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM mobile_codes WHERE account_id = $1")
        .bind(account_id)
        .execute(conn)
        .await?;
    Ok(())
}
