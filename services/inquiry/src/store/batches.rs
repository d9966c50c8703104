//! Batches and their items: the batch stored with every item in one transaction before the
//! request is answered; items claimed by lease, and each item's outcome written once, with
//! the batch finished in the transaction that settles its last item.

use sqlx::{AnyConnection, Row};

use super::Result;

/// A stored batch.
#[derive(Debug, Clone)]
pub struct BatchRow {
    /// The batch's id (UUIDv7).
    pub id: String,
    /// The organisation that filed it; only it sees the batch.
    pub organization_id: String,
    /// The organisation's own id for it (its retry key).
    pub client_batch_id: String,
    /// The account (user or API client) that sent it; the items are filed as it.
    pub submitted_by: String,
    /// The request type every item files.
    pub request_type_code: String,
    /// JSON: what every item shares (the letter, the accepted undertakings).
    pub spec: String,
    /// Items in the batch.
    pub total: i64,
    /// `processing` or `finished`.
    pub state: String,
    /// When it was stored.
    pub created_at_us: i64,
    /// 0 while processing.
    pub finished_at_us: i64,
}

/// One item of a batch, as stored.
#[derive(Debug, Clone, Default)]
pub struct ItemRow {
    /// The batch it belongs to.
    pub batch_id: String,
    /// Its position in the request, from 0.
    pub index: i64,
    /// JSON: the item as filed.
    pub input: String,
    /// The parcel (canonical when it parsed).
    pub renovation_code: String,
    /// `pending`, `issued`, `awaiting_payment` or `refused`.
    pub outcome: String,
    /// The inquiry filed for it, once filed.
    pub inquiry_id: String,
    /// Its inquiry number.
    pub inquiry_number: String,
    /// The answer's verification code, when issued.
    pub verification_code: String,
    /// The bill, when awaiting payment.
    pub bill_id: String,
    /// The amount due on the bill.
    pub amount_due_rials: i64,
    /// The catalogued reason, when refused.
    pub reason: String,
    /// Why it was refused, in Persian.
    pub message_fa: String,
    /// Why it was refused, in English.
    pub message_en: String,
    /// Claims so far (the worker gives up on an item that keeps failing transiently).
    pub attempts: i64,
}

/// Items per outcome of one batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Not filed yet.
    pub pending: i64,
    /// Answered.
    pub issued: i64,
    /// Waiting for payment.
    pub awaiting_payment: i64,
    /// Refused.
    pub refused: i64,
}

const BATCH_COLUMNS: &str = "id, organization_id, client_batch_id, submitted_by, \
     request_type_code, spec, total, state, created_at_us, finished_at_us";

const ITEM_COLUMNS: &str = "batch_id, idx, input, renovation_code, outcome, inquiry_id, \
     inquiry_number, verification_code, bill_id, amount_due_rials, reason, message_fa, \
     message_en, attempts";

fn batch_of(r: &sqlx::any::AnyRow) -> Result<BatchRow> {
    Ok(BatchRow {
        id: r.try_get("id")?,
        organization_id: r.try_get("organization_id")?,
        client_batch_id: r.try_get("client_batch_id")?,
        submitted_by: r.try_get("submitted_by")?,
        request_type_code: r.try_get("request_type_code")?,
        spec: r.try_get("spec")?,
        total: r.try_get("total")?,
        state: r.try_get("state")?,
        created_at_us: r.try_get("created_at_us")?,
        finished_at_us: r.try_get("finished_at_us")?,
    })
}

fn item_of(r: &sqlx::any::AnyRow) -> Result<ItemRow> {
    Ok(ItemRow {
        batch_id: r.try_get("batch_id")?,
        index: r.try_get("idx")?,
        input: r.try_get("input")?,
        renovation_code: r.try_get("renovation_code")?,
        outcome: r.try_get("outcome")?,
        inquiry_id: r.try_get("inquiry_id")?,
        inquiry_number: r.try_get("inquiry_number")?,
        verification_code: r.try_get("verification_code")?,
        bill_id: r.try_get("bill_id")?,
        amount_due_rials: r.try_get("amount_due_rials")?,
        reason: r.try_get("reason")?,
        message_fa: r.try_get("message_fa")?,
        message_en: r.try_get("message_en")?,
        attempts: r.try_get("attempts")?,
    })
}

/// Stores a new batch; false when the organisation already has one under the same
/// `client_batch_id` (a retried request), in which case nothing is written.
pub async fn insert_batch(conn: &mut AnyConnection, b: &BatchRow) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO batches (id, organization_id, client_batch_id, submitted_by, \
         request_type_code, spec, total, state, created_at_us, finished_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (organization_id, client_batch_id) DO NOTHING",
    )
    .bind(&b.id)
    .bind(&b.organization_id)
    .bind(&b.client_batch_id)
    .bind(&b.submitted_by)
    .bind(&b.request_type_code)
    .bind(&b.spec)
    .bind(b.total)
    .bind(&b.state)
    .bind(b.created_at_us)
    .bind(b.finished_at_us)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Stores one pending item of a new batch, free to be claimed now.
pub async fn insert_item(
    conn: &mut AnyConnection,
    batch_id: &str,
    index: i64,
    input: &str,
    renovation_code: &str,
    now_us: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO batch_items (batch_id, idx, input, renovation_code, outcome, inquiry_id, \
         inquiry_number, verification_code, bill_id, amount_due_rials, reason, message_fa, \
         message_en, attempts, lease_owner, lease_until_us, updated_at_us) \
         VALUES ($1, $2, $3, $4, 'pending', '', '', '', '', 0, '', '', '', 0, '', 0, $5)",
    )
    .bind(batch_id)
    .bind(index)
    .bind(input)
    .bind(renovation_code)
    .bind(now_us)
    .execute(conn)
    .await?;
    Ok(())
}

/// The batch `id`, if stored.
pub async fn batch(conn: &mut AnyConnection, id: &str) -> Result<Option<BatchRow>> {
    let sql = format!("SELECT {BATCH_COLUMNS} FROM batches WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(batch_of).transpose()
}

/// The organisation's batch under its own id for it, if any.
pub async fn batch_by_client_id(
    conn: &mut AnyConnection,
    organization_id: &str,
    client_batch_id: &str,
) -> Result<Option<BatchRow>> {
    let sql = format!(
        "SELECT {BATCH_COLUMNS} FROM batches WHERE organization_id = $1 AND client_batch_id = $2"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(organization_id)
        .bind(client_batch_id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(batch_of).transpose()
}

/// How many items of the batch have each outcome.
pub async fn counts(conn: &mut AnyConnection, batch_id: &str) -> Result<Counts> {
    let rows = sqlx::query(
        "SELECT outcome, COUNT(*) AS n FROM batch_items WHERE batch_id = $1 GROUP BY outcome",
    )
    .bind(batch_id)
    .fetch_all(conn)
    .await?;
    let mut c = Counts::default();
    for r in rows {
        let outcome: String = r.try_get("outcome")?;
        let n: i64 = r.try_get("n")?;
        match outcome.as_str() {
            "pending" => c.pending = n,
            "issued" => c.issued = n,
            "awaiting_payment" => c.awaiting_payment = n,
            _ => c.refused += n,
        }
    }
    Ok(c)
}

/// Items of the batch after index `after` (all when `None`), by index, at most `limit`;
/// only those with `outcome` when it is given.
pub async fn items(
    conn: &mut AnyConnection,
    batch_id: &str,
    after: Option<i64>,
    outcome: Option<&str>,
    limit: i64,
) -> Result<Vec<ItemRow>> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM batch_items WHERE batch_id = $1 AND idx > $2 \
         AND ($3 = '' OR outcome = $3) ORDER BY idx LIMIT $4"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(batch_id)
        .bind(after.unwrap_or(-1))
        .bind(outcome.unwrap_or(""))
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(item_of).collect()
}

/// Claims up to `limit` pending items whose lease has run out (or that were never
/// claimed), for `owner` until `until_us`; returns the claimed items. The conditions are
/// repeated outside the sub-select so that, on PostgreSQL, a row another worker claimed
/// meanwhile is re-checked under its lock and skipped rather than claimed twice.
pub async fn claim_items(
    conn: &mut AnyConnection,
    owner: &str,
    now_us: i64,
    until_us: i64,
    limit: i64,
) -> Result<Vec<ItemRow>> {
    let claimed = sqlx::query(
        "UPDATE batch_items SET lease_owner = $1, lease_until_us = $2, attempts = attempts + 1 \
         WHERE outcome = 'pending' AND lease_until_us < $3 AND (batch_id, idx) IN \
         (SELECT batch_id, idx FROM batch_items \
          WHERE outcome = 'pending' AND lease_until_us < $3 \
          ORDER BY lease_until_us, batch_id, idx LIMIT $4) \
         RETURNING batch_id, idx",
    )
    .bind(owner)
    .bind(until_us)
    .bind(now_us)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(claimed.len());
    for r in claimed {
        let batch_id: String = r.try_get("batch_id")?;
        let index: i64 = r.try_get("idx")?;
        let sql =
            format!("SELECT {ITEM_COLUMNS} FROM batch_items WHERE batch_id = $1 AND idx = $2");
        if let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&batch_id)
            .bind(index)
            .fetch_optional(&mut *conn)
            .await?
        {
            out.push(item_of(&row)?);
        }
    }
    Ok(out)
}

/// Gives a claimed item back to be tried again from `retry_at_us` (a dependency was down).
pub async fn release_item(
    conn: &mut AnyConnection,
    batch_id: &str,
    index: i64,
    retry_at_us: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE batch_items SET lease_owner = '', lease_until_us = $3 \
         WHERE batch_id = $1 AND idx = $2 AND outcome = 'pending'",
    )
    .bind(batch_id)
    .bind(index)
    .bind(retry_at_us)
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes the batch's row lock (PostgreSQL; SQLite's write lock is already held): the
/// transaction that settles an item then counts the pending ones after every concurrent
/// settler has committed, so exactly one of them sees none left and finishes the batch.
pub async fn lock_batch(conn: &mut AnyConnection, batch_id: &str) -> Result<()> {
    sqlx::query("UPDATE batches SET state = state WHERE id = $1")
        .bind(batch_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Writes a pending item's outcome; false when it already had one (another claim of the
/// same item settled it first).
pub async fn settle_item(conn: &mut AnyConnection, item: &ItemRow, now_us: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE batch_items SET outcome = $3, inquiry_id = $4, inquiry_number = $5, \
         verification_code = $6, bill_id = $7, amount_due_rials = $8, reason = $9, \
         message_fa = $10, message_en = $11, lease_owner = '', updated_at_us = $12 \
         WHERE batch_id = $1 AND idx = $2 AND outcome = 'pending'",
    )
    .bind(&item.batch_id)
    .bind(item.index)
    .bind(&item.outcome)
    .bind(&item.inquiry_id)
    .bind(&item.inquiry_number)
    .bind(&item.verification_code)
    .bind(&item.bill_id)
    .bind(item.amount_due_rials)
    .bind(&item.reason)
    .bind(&item.message_fa)
    .bind(&item.message_en)
    .bind(now_us)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks the batch finished at `now_us`; false when it already was.
pub async fn finish_batch(conn: &mut AnyConnection, batch_id: &str, now_us: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE batches SET state = 'finished', finished_at_us = $2 \
         WHERE id = $1 AND state = 'processing'",
    )
    .bind(batch_id)
    .bind(now_us)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives the item that filed `inquiry_id`, if it is still awaiting payment, the final
/// outcome in `item` (its outcome, verification code, reason and messages); returns the
/// item's batch id when one was changed. Only an awaiting item moves, so an item settles its
/// final outcome once however often its inquiry's final save is retried.
pub async fn follow_item(
    conn: &mut AnyConnection,
    inquiry_id: &str,
    item: &ItemRow,
    now_us: i64,
) -> Result<Option<String>> {
    let row = sqlx::query(
        "UPDATE batch_items SET outcome = $2, verification_code = $3, reason = $4, \
         message_fa = $5, message_en = $6, updated_at_us = $7 \
         WHERE inquiry_id = $1 AND outcome = 'awaiting_payment' RETURNING batch_id",
    )
    .bind(inquiry_id)
    .bind(&item.outcome)
    .bind(&item.verification_code)
    .bind(&item.reason)
    .bind(&item.message_fa)
    .bind(&item.message_en)
    .bind(now_us)
    .fetch_optional(conn)
    .await?;
    row.map(|r| r.try_get("batch_id")).transpose()
}
