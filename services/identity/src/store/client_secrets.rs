//! `client_previous_secrets`: an organisation client's secrets that a rotation replaced but
//! that stay valid for an overlap.

use sqlx::{AnyConnection, Row as _};

use super::Result;

/// Keeps a replaced secret's hash valid until `valid_until` (µs).
pub async fn keep_previous_secret(
    conn: &mut AnyConnection,
    account_id: &str,
    secret_hash: &str,
    valid_until: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO client_previous_secrets (account_id, secret_hash, valid_until, replaced_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(account_id)
    .bind(secret_hash)
    .bind(valid_until)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends every previous secret of an account (a rotation replaces earlier overlaps).
pub async fn end_previous_secrets(conn: &mut AnyConnection, account_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM client_previous_secrets WHERE account_id = $1")
        .bind(account_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The hashes of an account's previous secrets still valid at `now` (µs).
pub async fn valid_previous_secrets(
    conn: &mut AnyConnection,
    account_id: &str,
    now: i64,
) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT secret_hash FROM client_previous_secrets WHERE account_id = $1 AND valid_until > $2",
    )
    .bind(account_id)
    .bind(now)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| r.try_get(0)).collect()
}
