//! Debt clearances (`fees.debt.cleared`), once per bill: kept even when no inquiry waits
//! yet, so an event that overtakes Submit is applied when the inquiry starts waiting.

use estelam_runtime::db::now_micros;
use sqlx::{AnyConnection, Row};

use super::Result;
use crate::answer::DisputeFact;

/// A `fees.debt.cleared` as recorded: what the answer states about the payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebtClearedRecord {
    /// The bill paid; the key, since a bill is cleared once.
    pub bill_id: String,
    /// The inquiry the bill was assessed for (empty for a bill of no inquiry).
    pub inquiry_id: String,
    /// The parcel whose debt was cleared.
    pub renovation_code: String,
    /// The payment that cleared it.
    pub payment_id: String,
    /// The payment's tracking code, which the answer states.
    pub tracking_code: String,
    /// What was paid.
    pub amount_rials: i64,
    /// The event (or `recovery:<bill>` when learned from fees by the sweep).
    pub event_id: String,
    /// When the debt was cleared, µs.
    pub occurred_at_us: i64,
    /// Objections whose deposit the payment held: the answer records them.
    pub disputes: Vec<DisputeFact>,
}

/// Records a debt clearance once per bill; false when it was recorded before.
pub async fn record_debt_cleared(conn: &mut AnyConnection, r: &DebtClearedRecord) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO debt_cleared (bill_id, inquiry_id, renovation_code, payment_id, tracking_code, \
         amount_rials, event_id, occurred_at_us, recorded_at_us, disputes_json) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (bill_id) DO NOTHING",
    )
    .bind(&r.bill_id)
    .bind(&r.inquiry_id)
    .bind(&r.renovation_code)
    .bind(&r.payment_id)
    .bind(&r.tracking_code)
    .bind(r.amount_rials)
    .bind(&r.event_id)
    .bind(r.occurred_at_us)
    .bind(now_micros())
    .bind(if r.disputes.is_empty() {
        String::new()
    } else {
        serde_json::to_string(&r.disputes).map_err(|e| sqlx::Error::Encode(Box::new(e)))?
    })
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The clearance recorded for a bill.
pub async fn debt_cleared(
    conn: &mut AnyConnection,
    bill_id: &str,
) -> Result<Option<DebtClearedRecord>> {
    let row = sqlx::query(
        "SELECT bill_id, inquiry_id, renovation_code, payment_id, tracking_code, amount_rials, \
         event_id, occurred_at_us, disputes_json FROM debt_cleared WHERE bill_id = $1",
    )
    .bind(bill_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        let disputes: String = r.try_get("disputes_json")?;
        Ok(DebtClearedRecord {
            bill_id: r.try_get("bill_id")?,
            inquiry_id: r.try_get("inquiry_id")?,
            renovation_code: r.try_get("renovation_code")?,
            payment_id: r.try_get("payment_id")?,
            tracking_code: r.try_get("tracking_code")?,
            amount_rials: r.try_get("amount_rials")?,
            event_id: r.try_get("event_id")?,
            occurred_at_us: r.try_get("occurred_at_us")?,
            disputes: if disputes.is_empty() {
                Vec::new()
            } else {
                serde_json::from_str(&disputes).map_err(|e| sqlx::Error::Decode(Box::new(e)))?
            },
        })
    })
    .transpose()
}

/// Ids of inquiries waiting for payment whose bill's clearance is already recorded.
pub async fn waiting_but_cleared(conn: &mut AnyConnection, limit: i64) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT i.id FROM inquiries i JOIN debt_cleared d ON d.bill_id = i.bill_id \
         WHERE i.state = 'awaiting_payment' LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| r.try_get("id")).collect()
}
