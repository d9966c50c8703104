//! Issued request numbers: one row per number, marked when an inquiry uses it.

use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

use estelam_runtime::db::Database;

use super::{Actor, ROWS_PER_INSERT, StoreResult, is_sqlite, placeholders};

/// An issued request number as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRequestNumber {
    /// The digits with their check digit, as printed on the municipality's slip.
    pub number: String,
    /// The counter value the number was made from; lists page by it, newest first.
    pub seq: i64,
    /// The parcel it was issued for, canonical: a number is good for that parcel only.
    pub renovation_code: String,
    /// When it was issued, µs since the epoch.
    pub issued_at: i64,
    /// When it stops being valid, µs since the epoch.
    pub expires_at: i64,
    /// The clerk who issued it, for the audit.
    pub issued_by: Actor,
    /// The clerk's note (why it was issued, for whom).
    pub note: String,
    /// Idempotency key of the issuing call: a retry returns this number.
    pub client_request_id: Option<String>,
    /// The inquiry that used it; a used number is never valid again.
    pub used_by_inquiry_id: Option<String>,
    /// When it was used, µs since the epoch.
    pub used_at: Option<i64>,
}

const RN_COLS: &str = "number, seq, renovation_code, issued_at, expires_at, actor_account_id, actor_display_name, \
    note, client_request_id, used_by_inquiry_id, used_at";

fn decode_rn(row: &AnyRow) -> StoreResult<StoredRequestNumber> {
    Ok(StoredRequestNumber {
        number: row.try_get("number")?,
        seq: row.try_get("seq")?,
        renovation_code: row.try_get("renovation_code")?,
        issued_at: row.try_get("issued_at")?,
        expires_at: row.try_get("expires_at")?,
        issued_by: Actor {
            account_id: row.try_get("actor_account_id")?,
            display_name: row.try_get("actor_display_name")?,
        },
        note: row.try_get("note")?,
        client_request_id: row.try_get("client_request_id")?,
        used_by_inquiry_id: row.try_get("used_by_inquiry_id")?,
        used_at: row.try_get("used_at")?,
    })
}

/// Inserts request numbers, many per statement.
pub async fn insert_request_numbers(
    tx: &mut Transaction<'static, Any>,
    rows: &[StoredRequestNumber],
) -> StoreResult<()> {
    let sqlite = is_sqlite(tx);
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO request_numbers ({RN_COLS}) VALUES {}",
            placeholders(sqlite, chunk.len(), 11)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for r in chunk {
            q = q
                .bind(r.number.clone())
                .bind(r.seq)
                .bind(r.renovation_code.clone())
                .bind(r.issued_at)
                .bind(r.expires_at)
                .bind(r.issued_by.account_id.clone())
                .bind(r.issued_by.display_name.clone())
                .bind(r.note.clone())
                .bind(r.client_request_id.clone())
                .bind(r.used_by_inquiry_id.clone())
                .bind(r.used_at);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// A request number by its digits.
pub async fn request_number(
    db: &Database,
    number: &str,
) -> StoreResult<Option<StoredRequestNumber>> {
    let sql = format!("SELECT {RN_COLS} FROM request_numbers WHERE number = $1");
    sqlx::query(AssertSqlSafe(sql))
        .bind(number)
        .fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(decode_rn)
        .transpose()
}

/// A request number read inside a write transaction.
pub async fn request_number_in(
    tx: &mut Transaction<'static, Any>,
    number: &str,
) -> StoreResult<Option<StoredRequestNumber>> {
    let sql = format!("SELECT {RN_COLS} FROM request_numbers WHERE number = $1");
    sqlx::query(AssertSqlSafe(sql))
        .bind(number)
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(decode_rn)
        .transpose()
}

/// The number an earlier issuing call with this idempotency key produced.
pub async fn request_number_by_request_id(
    db: &Database,
    actor: &str,
    request_id: &str,
) -> StoreResult<Option<StoredRequestNumber>> {
    let sql = format!(
        "SELECT {RN_COLS} FROM request_numbers WHERE actor_account_id = $1 AND client_request_id = $2"
    );
    sqlx::query(AssertSqlSafe(sql))
        .bind(actor)
        .bind(request_id)
        .fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(decode_rn)
        .transpose()
}

/// Marks a number used by an inquiry if it is still unused; false when someone used it first.
pub async fn mark_used(
    tx: &mut Transaction<'static, Any>,
    number: &str,
    inquiry_id: &str,
    at: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE request_numbers SET used_by_inquiry_id = $2, used_at = $3 WHERE number = $1 AND used_by_inquiry_id IS NULL",
    )
    .bind(number)
    .bind(inquiry_id)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Request numbers of a parcel issued before `before_seq`, newest first.
pub async fn request_numbers_of(
    db: &Database,
    code: &str,
    before_seq: i64,
    limit: i64,
) -> StoreResult<Vec<StoredRequestNumber>> {
    let sql = format!(
        "SELECT {RN_COLS} FROM request_numbers WHERE renovation_code = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(code)
        .bind(before_seq)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(decode_rn).collect()
}
