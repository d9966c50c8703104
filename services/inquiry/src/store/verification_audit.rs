//! The verification audit: one row per check of a verification code, found or not, since
//! every public check of an answer is audited (who checked, when, and what they were told).

use sqlx::{AnyConnection, Row};

use super::Result;

/// Appends one verification check to the audit.
pub async fn audit_verification(
    conn: &mut AnyConnection,
    presented_code: &str,
    result: &str,
    inquiry_id: &str,
    caller: &str,
    at_us: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO verification_audit (id, presented_code, result, inquiry_id, caller_account_id, checked_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(presented_code)
    .bind(result)
    .bind(inquiry_id)
    .bind(caller)
    .bind(at_us)
    .execute(conn)
    .await?;
    Ok(())
}

/// How many checks were audited for a code (tests and clerks' reports).
pub async fn verification_count(conn: &mut AnyConnection, presented_code: &str) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM verification_audit WHERE presented_code = $1")
        .bind(presented_code)
        .fetch_one(conn)
        .await?;
    row.try_get("n")
}
