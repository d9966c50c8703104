//! Objections to bill lines: the dispute row, its lines (one dispute per line), the deposit
//! a payment holds for it and the clerk's decision. A row changes at most twice: deposited,
//! then decided.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::json_err;
use crate::codes::{DISPUTE_AWAITING_DEPOSIT, DISPUTE_DEPOSITED};

/// A dispute as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispute {
    /// UUIDv7.
    pub dispute_id: String,
    /// The bill whose lines it disputes.
    pub bill_id: String,
    /// The bill's parcel, canonical.
    pub renovation_code: String,
    /// The inquiry the bill was assessed for.
    pub inquiry_id: String,
    /// Positions of the disputed lines, ascending, without repeats.
    pub line_indexes: Vec<usize>,
    /// Sum of those lines' totals.
    pub disputed: i64,
    /// The applicant's cleaned reason.
    pub reason: String,
    /// `DisputeStatus` number.
    pub status: i64,
    /// Who filed it: the applicant's account, or the clerk's.
    pub filed_by: String,
    /// When it was filed, µs.
    pub filed_at_us: i64,
    /// The deposit held; 0 until the bill is paid.
    pub deposit: i64,
    /// The deposit's receipt code; empty until deposited.
    pub deposit_receipt_code: String,
    /// The payment that carried the deposit.
    pub deposit_payment_id: String,
    /// When the deposit was confirmed, µs.
    pub deposited_at_us: Option<i64>,
    /// The clerk who decided it; empty until decided.
    pub decided_by: String,
    /// When it was decided, µs.
    pub decided_at_us: Option<i64>,
    /// The clerk's cleaned reason.
    pub decision_reason: String,
}

const COLUMNS: &str = "dispute_id, bill_id, renovation_code, inquiry_id, line_indexes, \
    disputed_rials, reason, status, filed_by, filed_at_us, deposit_rials, deposit_receipt_code, \
    deposit_payment_id, deposited_at_us, decided_by, decided_at_us, decision_reason";

fn dispute_from(r: &AnyRow) -> Result<Dispute, sqlx::Error> {
    let lines: String = r.try_get("line_indexes")?;
    Ok(Dispute {
        dispute_id: r.try_get("dispute_id")?,
        bill_id: r.try_get("bill_id")?,
        renovation_code: r.try_get("renovation_code")?,
        inquiry_id: r.try_get("inquiry_id")?,
        line_indexes: serde_json::from_str(&lines).map_err(json_err)?,
        disputed: r.try_get("disputed_rials")?,
        reason: r.try_get("reason")?,
        status: r.try_get("status")?,
        filed_by: r.try_get("filed_by")?,
        filed_at_us: r.try_get("filed_at_us")?,
        deposit: r.try_get("deposit_rials")?,
        deposit_receipt_code: r.try_get("deposit_receipt_code")?,
        deposit_payment_id: r.try_get("deposit_payment_id")?,
        deposited_at_us: r.try_get("deposited_at_us")?,
        decided_by: r.try_get("decided_by")?,
        decided_at_us: r.try_get("decided_at_us")?,
        decision_reason: r.try_get("decision_reason")?,
    })
}

/// The stored form of a set of line positions: the JSON array, ascending, which is also
/// what makes "the same lines of the same bill" one row.
pub fn lines_key(lines: &[usize]) -> String {
    serde_json::to_string(lines).unwrap_or_default()
}

/// Stores a new dispute and claims its lines. Fails as a unique violation when the same
/// lines of the bill were disputed already, or when any line is under another dispute.
pub async fn insert(conn: &mut AnyConnection, d: &Dispute) -> Result<(), sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO disputes ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, '', \
         '', NULL, '', NULL, '')"
    )))
    .bind(&d.dispute_id)
    .bind(&d.bill_id)
    .bind(&d.renovation_code)
    .bind(&d.inquiry_id)
    .bind(lines_key(&d.line_indexes))
    .bind(d.disputed)
    .bind(&d.reason)
    .bind(d.status)
    .bind(&d.filed_by)
    .bind(d.filed_at_us)
    .execute(&mut *conn)
    .await?;
    for line in &d.line_indexes {
        sqlx::query(
            "INSERT INTO dispute_items (bill_id, line_index, dispute_id) VALUES ($1, $2, $3)",
        )
        .bind(&d.bill_id)
        .bind(i64::try_from(*line).unwrap_or(i64::MAX))
        .bind(&d.dispute_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A dispute by id.
pub async fn dispute(conn: &mut AnyConnection, id: &str) -> Result<Option<Dispute>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM disputes WHERE dispute_id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(dispute_from).transpose()
}

/// The dispute of exactly these lines of the bill, if filed.
pub async fn dispute_of_lines(
    conn: &mut AnyConnection,
    bill_id: &str,
    lines: &[usize],
) -> Result<Option<Dispute>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM disputes WHERE bill_id = $1 AND line_indexes = $2"
    )))
    .bind(bill_id)
    .bind(lines_key(lines))
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(dispute_from).transpose()
}

/// Whether any of `lines` of the bill is under a dispute already.
pub async fn any_line_disputed(
    conn: &mut AnyConnection,
    bill_id: &str,
    lines: &[usize],
) -> Result<bool, sqlx::Error> {
    for line in lines {
        let found =
            sqlx::query("SELECT 1 FROM dispute_items WHERE bill_id = $1 AND line_index = $2")
                .bind(bill_id)
                .bind(i64::try_from(*line).unwrap_or(i64::MAX))
                .fetch_optional(&mut *conn)
                .await?;
        if found.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// A bill's disputes, oldest first.
pub async fn of_bill(conn: &mut AnyConnection, bill_id: &str) -> Result<Vec<Dispute>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM disputes WHERE bill_id = $1 ORDER BY dispute_id"
    )))
    .bind(bill_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(dispute_from).collect()
}

/// A parcel's disputes whose deposit is held and not yet decided, oldest first.
pub async fn held_of_parcel(
    conn: &mut AnyConnection,
    code: &str,
) -> Result<Vec<Dispute>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM disputes WHERE renovation_code = $1 AND status = $2 \
         ORDER BY dispute_id"
    )))
    .bind(code)
    .bind(DISPUTE_DEPOSITED)
    .fetch_all(conn)
    .await?;
    rows.iter().map(dispute_from).collect()
}

/// Up to `limit` disputes after `after` (a dispute id), oldest first; `status` 0 and an
/// empty `code` select all.
pub async fn list(
    conn: &mut AnyConnection,
    status: i64,
    code: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Dispute>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM disputes \
         WHERE ($1 = 0 OR status = $2) AND ($3 = '' OR renovation_code = $4) \
           AND dispute_id > $5 \
         ORDER BY dispute_id LIMIT $6"
    )))
    .bind(status)
    .bind(status)
    .bind(code)
    .bind(code)
    .bind(after.unwrap_or(""))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(dispute_from).collect()
}

/// Records the deposit a confirmed payment holds for a dispute still awaiting it.
pub async fn mark_deposited(conn: &mut AnyConnection, d: &Dispute) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE disputes SET status = $1, deposit_rials = $2, deposit_receipt_code = $3, \
         deposit_payment_id = $4, deposited_at_us = $5 WHERE dispute_id = $6 AND status = $7",
    )
    .bind(DISPUTE_DEPOSITED)
    .bind(d.deposit)
    .bind(&d.deposit_receipt_code)
    .bind(&d.deposit_payment_id)
    .bind(d.deposited_at_us)
    .bind(&d.dispute_id)
    .bind(DISPUTE_AWAITING_DEPOSIT)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the decision on a deposited dispute; false when it was no longer deposited
/// (someone decided it first), in which case nothing changed.
pub async fn decide(conn: &mut AnyConnection, d: &Dispute) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE disputes SET status = $1, decided_by = $2, decided_at_us = $3, \
         decision_reason = $4 WHERE dispute_id = $5 AND status = $6",
    )
    .bind(d.status)
    .bind(&d.decided_by)
    .bind(d.decided_at_us)
    .bind(&d.decision_reason)
    .bind(&d.dispute_id)
    .bind(DISPUTE_DEPOSITED)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
