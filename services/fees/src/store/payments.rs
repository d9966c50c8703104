//! Payments of bills through a provider, and the callback deliveries already applied.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::codes::{PAY_CONFIRMED, PAY_PENDING};

/// A payment of one bill through one provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// UUIDv7; also the id the provider is given.
    pub payment_id: String,
    /// The bill it pays.
    pub bill_id: String,
    /// The bill's parcel, whose lock settling it takes.
    pub renovation_code: String,
    /// Rials: exactly the bill's total when it was started.
    pub amount: i64,
    /// `PaymentStatus` number ([`crate::codes`]).
    pub status: i64,
    /// The provider's name, which picks the one its callbacks must come from.
    pub provider: String,
    /// The provider's token, which its callbacks name.
    pub psp_token: String,
    /// The provider's page the payer was sent to.
    pub redirect_url: String,
    /// Where the payer is sent back to afterwards (the portal).
    pub return_url: String,
    /// StartPayment's idempotency key; unique, so a retry gets this payment back.
    pub idempotency_key: String,
    /// The tracking code (کد رهگیری) given when it was confirmed.
    pub tracking_code: String,
    /// The bank's reference (RRN) once the provider took the money.
    pub psp_reference: String,
    /// Why it ended unpaid, in Persian, for the payer.
    pub failure_fa: String,
    /// Why it ended unpaid, in English, for the payer.
    pub failure_en: String,
    /// When it was started, µs; reconciliation asks about old pending ones.
    pub created_at_us: i64,
    /// When it was confirmed, µs.
    pub confirmed_at_us: Option<i64>,
}

const PAYMENT_COLUMNS: &str = "payment_id, bill_id, renovation_code, amount_rials, status, provider, \
    psp_token, redirect_url, return_url, idempotency_key, tracking_code, psp_reference, failure_fa, \
    failure_en, created_at_us, confirmed_at_us";

fn payment_from(r: &AnyRow) -> Result<Payment, sqlx::Error> {
    Ok(Payment {
        payment_id: r.try_get("payment_id")?,
        bill_id: r.try_get("bill_id")?,
        renovation_code: r.try_get("renovation_code")?,
        amount: r.try_get("amount_rials")?,
        status: r.try_get("status")?,
        provider: r.try_get("provider")?,
        psp_token: r.try_get("psp_token")?,
        redirect_url: r.try_get("redirect_url")?,
        return_url: r.try_get("return_url")?,
        idempotency_key: r.try_get("idempotency_key")?,
        tracking_code: r
            .try_get::<Option<String>, _>("tracking_code")?
            .unwrap_or_default(),
        psp_reference: r.try_get("psp_reference")?,
        failure_fa: r.try_get("failure_fa")?,
        failure_en: r.try_get("failure_en")?,
        created_at_us: r.try_get("created_at_us")?,
        confirmed_at_us: r.try_get("confirmed_at_us")?,
    })
}

/// Stores a new pending payment. A duplicate idempotency key fails as a unique violation:
/// a concurrent retry of the same StartPayment won.
pub async fn insert_payment(conn: &mut AnyConnection, p: &Payment) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO payments (payment_id, bill_id, renovation_code, amount_rials, status, provider, \
         psp_token, redirect_url, return_url, idempotency_key, tracking_code, psp_reference, \
         failure_fa, failure_en, created_at_us, confirmed_at_us, updated_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, '', '', '', $11, NULL, $11)",
    )
    .bind(&p.payment_id)
    .bind(&p.bill_id)
    .bind(&p.renovation_code)
    .bind(p.amount)
    .bind(p.status)
    .bind(&p.provider)
    .bind(&p.psp_token)
    .bind(&p.redirect_url)
    .bind(&p.return_url)
    .bind(&p.idempotency_key)
    .bind(p.created_at_us)
    .execute(conn)
    .await?;
    Ok(())
}

/// The payment whose `column` (one of the unique columns named by the callers below, never
/// caller input) is `value`.
async fn payment_where(
    conn: &mut AnyConnection,
    column: &'static str,
    value: &str,
) -> Result<Option<Payment>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE {column} = $1"
    )))
    .bind(value)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(payment_from).transpose()
}

/// A payment by id.
pub async fn payment(conn: &mut AnyConnection, id: &str) -> Result<Option<Payment>, sqlx::Error> {
    payment_where(conn, "payment_id", id).await
}

/// The payment a provider callback names by its token.
pub async fn payment_by_token(
    conn: &mut AnyConnection,
    token: &str,
) -> Result<Option<Payment>, sqlx::Error> {
    payment_where(conn, "psp_token", token).await
}

/// The payment a StartPayment with this idempotency key started.
pub async fn payment_by_key(
    conn: &mut AnyConnection,
    key: &str,
) -> Result<Option<Payment>, sqlx::Error> {
    payment_where(conn, "idempotency_key", key).await
}

/// Confirms a pending payment with its tracking code; false if it was not pending (another
/// callback or reconciliation got there first).
pub async fn confirm_payment(
    conn: &mut AnyConnection,
    id: &str,
    tracking_code: &str,
    reference: &str,
    now_us: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE payments SET status = $1, tracking_code = $2, psp_reference = $3, \
         confirmed_at_us = $4, updated_at_us = $4 WHERE payment_id = $5 AND status = $6",
    )
    .bind(PAY_CONFIRMED)
    .bind(tracking_code)
    .bind(reference)
    .bind(now_us)
    .bind(id)
    .bind(PAY_PENDING)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends a pending payment without confirming it (failed, expired, reversed), with the
/// reason the payer reads (Persian, English); false if it was not pending.
pub async fn end_payment(
    conn: &mut AnyConnection,
    id: &str,
    status: i64,
    reference: &str,
    failure: (&str, &str),
    now_us: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE payments SET status = $1, psp_reference = $2, failure_fa = $3, failure_en = $4, \
         updated_at_us = $5 WHERE payment_id = $6 AND status = $7",
    )
    .bind(status)
    .bind(reference)
    .bind(failure.0)
    .bind(failure.1)
    .bind(now_us)
    .bind(id)
    .bind(PAY_PENDING)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Up to `limit` payments still pending that were started before `before_us`, oldest
/// first: the ones whose callback may never come.
pub async fn stale_pending(
    conn: &mut AnyConnection,
    before_us: i64,
    limit: i64,
) -> Result<Vec<Payment>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE status = $1 AND created_at_us <= $2 \
         ORDER BY created_at_us LIMIT $3"
    )))
    .bind(PAY_PENDING)
    .bind(before_us)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(payment_from).collect()
}

/// The latest confirmed payment of a parcel, for its clearance: (tracking code, confirmed
/// at µs).
pub async fn last_payment(
    conn: &mut AnyConnection,
    code: &str,
) -> Result<Option<(String, i64)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT tracking_code, confirmed_at_us FROM payments WHERE renovation_code = $1 \
         AND status = $2 ORDER BY confirmed_at_us DESC LIMIT 1",
    )
    .bind(code)
    .bind(PAY_CONFIRMED)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok((
            r.try_get::<Option<String>, _>("tracking_code")?
                .unwrap_or_default(),
            r.try_get::<Option<i64>, _>("confirmed_at_us")?
                .unwrap_or_default(),
        ))
    })
    .transpose()
}

/// Records a callback delivery's idempotency key; false when it was seen before.
pub async fn record_callback(
    conn: &mut AnyConnection,
    provider: &str,
    key: &str,
    payment_id: &str,
    now_us: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO psp_callbacks (provider, idempotency_key, payment_id, received_at_us) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (provider, idempotency_key) DO NOTHING",
    )
    .bind(provider)
    .bind(key)
    .bind(payment_id)
    .bind(now_us)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a callback delivery with this idempotency key was applied already.
pub async fn callback_seen(
    conn: &mut AnyConnection,
    provider: &str,
    key: &str,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM psp_callbacks WHERE provider = $1 AND idempotency_key = $2",
    )
    .bind(provider)
    .bind(key)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}
