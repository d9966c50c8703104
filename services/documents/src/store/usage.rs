//! Quota usage: one row per owner with their count and bytes, taken in the same transaction
//! as the document row, so the quota holds under concurrent uploads.

use estelam_runtime::db::Database;
use sqlx::{Any, Row, Transaction};

/// How many documents and bytes an owner has.
pub async fn usage(db: &Database, owner: &str) -> Result<(i64, i64), sqlx::Error> {
    let row = sqlx::query(
        "SELECT doc_count, total_bytes FROM document_usage WHERE owner_account_id = $1",
    )
    .bind(owner)
    .fetch_optional(db.pool())
    .await?;
    match row {
        Some(row) => Ok((row.try_get("doc_count")?, row.try_get("total_bytes")?)),
        None => Ok((0, 0)),
    }
}

/// Takes one document of `bytes` from the owner's quota, if it fits; false when it does not.
/// Check and take are one conditional UPDATE, so concurrent uploads cannot overdraw.
pub async fn take_quota(
    tx: &mut Transaction<'static, Any>,
    owner: &str,
    bytes: i64,
    max_count: i64,
    max_bytes: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "INSERT INTO document_usage (owner_account_id, doc_count, total_bytes) VALUES ($1, 0, 0) \
         ON CONFLICT (owner_account_id) DO NOTHING",
    )
    .bind(owner)
    .execute(&mut **tx)
    .await?;
    let taken = sqlx::query(
        "UPDATE document_usage SET doc_count = doc_count + 1, total_bytes = total_bytes + $2 \
         WHERE owner_account_id = $1 AND doc_count + 1 <= $3 AND total_bytes + $2 <= $4",
    )
    .bind(owner)
    .bind(bytes)
    .bind(max_count)
    .bind(max_bytes)
    .execute(&mut **tx)
    .await?;
    Ok(taken.rows_affected() == 1)
}
