//! `mobile_code_sends`: the outbox of one-time codes (see the migration). Each row holds the
//! code sealed, never in clear; it lives from the transaction that makes the code until the
//! provider takes it, the code expires or a newer code replaces it.

use sqlx::{AnyConnection, Row as _};

use super::Result;

/// One code waiting to leave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSendRow {
    /// UUIDv7; the provider's `localid`.
    pub send_id: String,
    /// Whose code it is.
    pub account_id: String,
    /// Where it goes, canonical `09…`.
    pub mobile: String,
    /// The code, sealed under the key-encryption key with `send_id` as associated data.
    pub sealed_code: String,
    /// Attempts so far; more than zero means an earlier one may have reached the provider.
    pub attempts: i64,
    /// When it may be tried next, µs.
    pub next_attempt_us: i64,
    /// When the code stops verifying, µs: there is no point sending it after that.
    pub expires_at_us: i64,
}

/// Queues `row`, replacing every code of the same account still waiting (a newer code
/// makes them useless).
pub async fn queue_code_send(
    conn: &mut AnyConnection,
    row: &CodeSendRow,
    now_us: i64,
) -> Result<()> {
    sqlx::query("DELETE FROM mobile_code_sends WHERE account_id = $1")
        .bind(&row.account_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO mobile_code_sends (send_id, account_id, mobile, sealed_code, attempts, \
         next_attempt_us, expires_at_us, created_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&row.send_id)
    .bind(&row.account_id)
    .bind(&row.mobile)
    .bind(&row.sealed_code)
    .bind(row.attempts)
    .bind(row.next_attempt_us)
    .bind(row.expires_at_us)
    .bind(now_us)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets the codes that expired before they could be sent; how many.
pub async fn drop_expired_code_sends(conn: &mut AnyConnection, now_us: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM mobile_code_sends WHERE expires_at_us <= $1")
        .bind(now_us)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Up to `limit` codes due by `now_us`, oldest first.
pub async fn due_code_sends(
    conn: &mut AnyConnection,
    now_us: i64,
    limit: i64,
) -> Result<Vec<CodeSendRow>> {
    let rows = sqlx::query(
        "SELECT send_id, account_id, mobile, sealed_code, attempts, next_attempt_us, expires_at_us \
         FROM mobile_code_sends WHERE next_attempt_us <= $1 ORDER BY next_attempt_us, send_id LIMIT $2",
    )
    .bind(now_us)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CodeSendRow {
                send_id: r.try_get("send_id")?,
                account_id: r.try_get("account_id")?,
                mobile: r.try_get("mobile")?,
                sealed_code: r.try_get("sealed_code")?,
                attempts: r.try_get("attempts")?,
                next_attempt_us: r.try_get("next_attempt_us")?,
                expires_at_us: r.try_get("expires_at_us")?,
            })
        })
        .collect()
}

/// Takes `row` for one attempt: counts it and holds the row until `lease_until_us`, only if
/// nobody (another replica) took it since it was read. `false` when somebody did.
pub async fn claim_code_send(
    conn: &mut AnyConnection,
    row: &CodeSendRow,
    lease_until_us: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE mobile_code_sends SET attempts = attempts + 1, next_attempt_us = $1 \
         WHERE send_id = $2 AND attempts = $3",
    )
    .bind(lease_until_us)
    .bind(&row.send_id)
    .bind(row.attempts)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Puts the next try of `send_id` at `next_us`.
pub async fn defer_code_send(conn: &mut AnyConnection, send_id: &str, next_us: i64) -> Result<()> {
    sqlx::query("UPDATE mobile_code_sends SET next_attempt_us = $1 WHERE send_id = $2")
        .bind(next_us)
        .bind(send_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes `send_id`: sent, refused for good, or past its code's expiry.
pub async fn delete_code_send(conn: &mut AnyConnection, send_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM mobile_code_sends WHERE send_id = $1")
        .bind(send_id)
        .execute(conn)
        .await?;
    Ok(())
}
