//! Adjustments proposed above the second-approval limit: one row each, written pending and
//! changed once, when a second staff member approves or refuses it.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::small;
use crate::codes::PROPOSAL_PENDING;

/// A proposed adjustment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// UUIDv7.
    pub proposal_id: String,
    /// Canonical renovation code.
    pub renovation_code: String,
    /// `AdjustmentKind` number (never unspecified).
    pub kind: i64,
    /// Signed rials: positive charges, negative credits.
    pub amount: i64,
    /// Jalali year it concerns; 0 when none.
    pub jalali_year: i32,
    /// The proposer's cleaned reason.
    pub reason: String,
    /// The entry it corrects; empty when none.
    pub corrects: String,
    /// `AdjustmentProposalStatus` number.
    pub status: i64,
    /// The proposer's account id.
    pub proposed_by: String,
    /// When it was proposed, µs.
    pub proposed_at_us: i64,
    /// The decider's account id; empty while pending.
    pub decided_by: String,
    /// When it was decided, µs.
    pub decided_at_us: Option<i64>,
    /// The decider's cleaned reason.
    pub decision_reason: String,
    /// The ledger entry written on approval; empty otherwise.
    pub ledger_entry_id: String,
}

const COLUMNS: &str = "proposal_id, renovation_code, kind, amount_rials, jalali_year, reason, \
    corrects_ledger_entry_id, status, proposed_by, proposed_at_us, decided_by, decided_at_us, \
    decision_reason, ledger_entry_id";

fn proposal_from(r: &AnyRow) -> Result<Proposal, sqlx::Error> {
    Ok(Proposal {
        proposal_id: r.try_get("proposal_id")?,
        renovation_code: r.try_get("renovation_code")?,
        kind: r.try_get("kind")?,
        amount: r.try_get("amount_rials")?,
        jalali_year: small(r.try_get("jalali_year")?),
        reason: r.try_get("reason")?,
        corrects: r.try_get("corrects_ledger_entry_id")?,
        status: r.try_get("status")?,
        proposed_by: r.try_get("proposed_by")?,
        proposed_at_us: r.try_get("proposed_at_us")?,
        decided_by: r.try_get("decided_by")?,
        decided_at_us: r.try_get("decided_at_us")?,
        decision_reason: r.try_get("decision_reason")?,
        ledger_entry_id: r.try_get("ledger_entry_id")?,
    })
}

/// Stores a new, pending proposal. A `client_request_id` used before fails as a unique
/// violation.
pub async fn insert(
    conn: &mut AnyConnection,
    p: &Proposal,
    client_request_id: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO adjustment_proposals (proposal_id, renovation_code, kind, amount_rials, \
         jalali_year, reason, corrects_ledger_entry_id, status, proposed_by, proposed_at_us, \
         decided_by, decided_at_us, decision_reason, ledger_entry_id, client_request_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '', NULL, '', '', $11)",
    )
    .bind(&p.proposal_id)
    .bind(&p.renovation_code)
    .bind(p.kind)
    .bind(p.amount)
    .bind(i64::from(p.jalali_year))
    .bind(&p.reason)
    .bind(&p.corrects)
    .bind(p.status)
    .bind(&p.proposed_by)
    .bind(p.proposed_at_us)
    .bind(client_request_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// One proposal by id.
pub async fn proposal(conn: &mut AnyConnection, id: &str) -> Result<Option<Proposal>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM adjustment_proposals WHERE proposal_id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(proposal_from).transpose()
}

/// The proposal an AddAdjustment with this `client_request_id` stored.
pub async fn proposal_by_request(
    conn: &mut AnyConnection,
    client_request_id: &str,
) -> Result<Option<Proposal>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM adjustment_proposals WHERE client_request_id = $1"
    )))
    .bind(client_request_id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(proposal_from).transpose()
}

/// Up to `limit` proposals after `after` (a proposal id), oldest first; `status` 0 and an
/// empty `code` select all.
pub async fn list(
    conn: &mut AnyConnection,
    status: i64,
    code: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Proposal>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM adjustment_proposals \
         WHERE ($1 = 0 OR status = $2) AND ($3 = '' OR renovation_code = $4) \
           AND proposal_id > $5 \
         ORDER BY proposal_id LIMIT $6"
    )))
    .bind(status)
    .bind(status)
    .bind(code)
    .bind(code)
    .bind(after.unwrap_or(""))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(proposal_from).collect()
}

/// Records the decision on a pending proposal; false when it was no longer pending (someone
/// decided it first), in which case nothing changed.
pub async fn decide(conn: &mut AnyConnection, p: &Proposal) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE adjustment_proposals SET status = $1, decided_by = $2, decided_at_us = $3, \
         decision_reason = $4, ledger_entry_id = $5 WHERE proposal_id = $6 AND status = $7",
    )
    .bind(p.status)
    .bind(&p.decided_by)
    .bind(p.decided_at_us)
    .bind(&p.decision_reason)
    .bind(&p.ledger_entry_id)
    .bind(&p.proposal_id)
    .bind(PROPOSAL_PENDING)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
