//! Bills: what a parcel was assessed to owe at an instant, itemised, and whether and by which
//! payment it was paid. The lines and the levies a payment settles are stored as JSON.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::json_err;
use crate::assess::Line;
use crate::codes::{BILL_OPEN, BILL_PAID, BILL_SUPERSEDED};
use crate::tariff::ItemKind;

/// A stored bill (or, with an empty id, a preview that was never stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bill {
    /// UUIDv7; empty for a preview.
    pub bill_id: String,
    /// Canonical renovation code: debt follows the parcel, not the person.
    pub renovation_code: String,
    /// The inquiry it was assessed for, echoed in its events so the inquiry can move on.
    pub inquiry_id: String,
    /// The request type whose inquiry fee it carries; empty for none.
    pub request_type_code: String,
    /// `BillStatus` number as stored; expired is derived on read
    /// ([`crate::service::effective_bill_status`]).
    pub status: i64,
    /// The itemised lines, by year then kind.
    pub lines: Vec<Line>,
    /// The (year, levy) pairs its payment settles.
    pub settles: Vec<(i32, ItemKind)>,
    /// Sum of the lines' bases.
    pub total_base: i64,
    /// Sum of the lines' late penalties.
    pub total_penalty: i64,
    /// What to pay: base plus penalties, never negative.
    pub total: i64,
    /// The ledger balance before it, which its adjustment line accounts for.
    pub balance_before: i64,
    /// The instant its penalties and discounts were computed for, µs.
    pub as_of_us: i64,
    /// That instant's Jalali day in Iran, as printed on the bill.
    pub as_of_jalali: String,
    /// When it was stored, µs.
    pub created_at_us: i64,
    /// The last instant it may be paid: before penalties or discounts change.
    pub valid_until_us: i64,
    /// The account's ledger version it was computed against; payable only while current.
    pub ledger_version: i64,
    /// The payment that paid it.
    pub payment_id: String,
    /// That payment's tracking code (کد رهگیری).
    pub tracking_code: String,
    /// When it was paid, µs.
    pub paid_at_us: Option<i64>,
}

const BILL_COLUMNS: &str = "bill_id, renovation_code, inquiry_id, request_type_code, status, \
    lines, settles, total_base, total_penalty, total, balance_before, as_of_us, as_of_jalali, \
    created_at_us, valid_until_us, ledger_version, payment_id, tracking_code, paid_at_us";

fn bill_from(r: &AnyRow) -> Result<Bill, sqlx::Error> {
    let lines: String = r.try_get("lines")?;
    let settles: String = r.try_get("settles")?;
    Ok(Bill {
        bill_id: r.try_get("bill_id")?,
        renovation_code: r.try_get("renovation_code")?,
        inquiry_id: r.try_get("inquiry_id")?,
        request_type_code: r.try_get("request_type_code")?,
        status: r.try_get("status")?,
        lines: serde_json::from_str(&lines).map_err(json_err)?,
        settles: serde_json::from_str(&settles).map_err(json_err)?,
        total_base: r.try_get("total_base")?,
        total_penalty: r.try_get("total_penalty")?,
        total: r.try_get("total")?,
        balance_before: r.try_get("balance_before")?,
        as_of_us: r.try_get("as_of_us")?,
        as_of_jalali: r.try_get("as_of_jalali")?,
        created_at_us: r.try_get("created_at_us")?,
        valid_until_us: r.try_get("valid_until_us")?,
        ledger_version: r.try_get("ledger_version")?,
        payment_id: r.try_get("payment_id")?,
        tracking_code: r.try_get("tracking_code")?,
        paid_at_us: r.try_get("paid_at_us")?,
    })
}

/// Stores a bill. A `client_request_id` used before fails as a unique violation: a
/// concurrent retry of the same Assess won.
pub async fn insert_bill(
    conn: &mut AnyConnection,
    b: &Bill,
    client_request_id: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO bills (bill_id, renovation_code, inquiry_id, request_type_code, status, lines, \
         settles, total_base, total_penalty, total, balance_before, as_of_us, as_of_jalali, \
         created_at_us, valid_until_us, ledger_version, payment_id, tracking_code, paid_at_us, \
         client_request_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
    )
    .bind(&b.bill_id)
    .bind(&b.renovation_code)
    .bind(&b.inquiry_id)
    .bind(&b.request_type_code)
    .bind(b.status)
    .bind(serde_json::to_string(&b.lines).map_err(json_err)?)
    .bind(serde_json::to_string(&b.settles).map_err(json_err)?)
    .bind(b.total_base)
    .bind(b.total_penalty)
    .bind(b.total)
    .bind(b.balance_before)
    .bind(b.as_of_us)
    .bind(&b.as_of_jalali)
    .bind(b.created_at_us)
    .bind(b.valid_until_us)
    .bind(b.ledger_version)
    .bind(&b.payment_id)
    .bind(&b.tracking_code)
    .bind(b.paid_at_us)
    .bind(client_request_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A bill by id.
pub async fn bill(conn: &mut AnyConnection, id: &str) -> Result<Option<Bill>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {BILL_COLUMNS} FROM bills WHERE bill_id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(bill_from).transpose()
}

/// The bill an Assess with this `client_request_id` stored, so a retry gets it back.
pub async fn bill_by_request(
    conn: &mut AnyConnection,
    client_request_id: &str,
) -> Result<Option<Bill>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {BILL_COLUMNS} FROM bills WHERE client_request_id = $1"
    )))
    .bind(client_request_id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(bill_from).transpose()
}

/// Marks every open bill of the parcel but `except` superseded, because the ledger they
/// were computed against changed; returns how many.
pub async fn supersede_open_bills(
    conn: &mut AnyConnection,
    code: &str,
    except: &str,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE bills SET status = $1 WHERE renovation_code = $2 AND status = $3 AND bill_id <> $4",
    )
    .bind(BILL_SUPERSEDED)
    .bind(code)
    .bind(BILL_OPEN)
    .bind(except)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Marks an open bill paid; false if it was not open (so it is never paid twice).
pub async fn mark_bill_paid(
    conn: &mut AnyConnection,
    bill_id: &str,
    payment_id: &str,
    tracking_code: &str,
    now_us: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE bills SET status = $1, payment_id = $2, tracking_code = $3, paid_at_us = $4 \
         WHERE bill_id = $5 AND status = $6",
    )
    .bind(BILL_PAID)
    .bind(payment_id)
    .bind(tracking_code)
    .bind(now_us)
    .bind(bill_id)
    .bind(BILL_OPEN)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
