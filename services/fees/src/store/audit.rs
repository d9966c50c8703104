//! The audit log: who tried what, on what, and what came of it (tariff changes, clerk
//! adjustments, every provider callback, accepted or refused). Append-only in the database
//! itself (migration 0050: UPDATE and DELETE are refused).

use estelam_runtime::audit::AuditQuery;
use sqlx::{AnyConnection, Row};

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audit {
    /// When, µs.
    pub at_us: i64,
    /// Who: an account id, or empty for the system or an anonymous provider.
    pub actor_id: String,
    /// What was attempted, e.g. `psp.callback`.
    pub action: String,
    /// What it was about (a payment id, a tariff id, a parcel), which records are found by.
    pub subject: String,
    /// `accepted`, `refused: <reason>`, …
    pub outcome: String,
    /// The request as JSON, for whoever investigates.
    pub detail: String,
}

/// Appends an audit record.
pub async fn audit(conn: &mut AnyConnection, a: &Audit) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (audit_id, at_us, actor_id, action, subject, outcome, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(a.at_us)
    .bind(&a.actor_id)
    .bind(&a.action)
    .bind(&a.subject)
    .bind(&a.outcome)
    .bind(&a.detail)
    .execute(conn)
    .await?;
    Ok(())
}

/// The audit records about `subject`, oldest first.
pub async fn audit_of(conn: &mut AnyConnection, subject: &str) -> Result<Vec<Audit>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT at_us, actor_id, action, subject, outcome, detail FROM audit_log \
         WHERE subject = $1 ORDER BY audit_id",
    )
    .bind(subject)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Audit {
                at_us: r.try_get("at_us")?,
                actor_id: r.try_get("actor_id")?,
                action: r.try_get("action")?,
                subject: r.try_get("subject")?,
                outcome: r.try_get("outcome")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect()
}

/// One page of the audit log for the staff desk, newest first, for the filter and after
/// the cursor of `q`, each with its id. The subject matches the record's subject (a payment
/// or bill id, a tariff, a parcel's renovation code).
pub async fn audit_page(
    conn: &mut AnyConnection,
    q: &AuditQuery,
) -> Result<Vec<(String, Audit)>, sqlx::Error> {
    let (cur_at, cur_id) = q.cursor();
    let rows = sqlx::query(
        "SELECT audit_id, at_us, actor_id, action, subject, outcome, detail FROM audit_log \
         WHERE ($1 = '' OR actor_id = $1) AND ($2 = '' OR action = $2) \
         AND ($3 = '' OR subject = $3) AND at_us >= $4 AND at_us < $5 \
         AND (at_us < $6 OR (at_us = $6 AND audit_id < $7)) \
         ORDER BY at_us DESC, audit_id DESC LIMIT $8",
    )
    .bind(&q.actor)
    .bind(&q.action)
    .bind(&q.subject)
    .bind(q.since_us)
    .bind(q.until_us)
    .bind(cur_at)
    .bind(cur_id)
    .bind(q.paging.fetch_limit())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("audit_id")?,
                Audit {
                    at_us: r.try_get("at_us")?,
                    actor_id: r.try_get("actor_id")?,
                    action: r.try_get("action")?,
                    subject: r.try_get("subject")?,
                    outcome: r.try_get("outcome")?,
                    detail: r.try_get("detail")?,
                },
            ))
        })
        .collect()
}
