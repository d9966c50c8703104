//! Reading the audit log (append-only in the database itself, migration 0050) for the
//! staff desk: who issued and used request numbers, imported and seeded parcels.

use estelam_runtime::audit::AuditQuery;
use estelam_runtime::db::Database;
use sqlx::Row;

use super::StoreResult;

/// One audit entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// UUIDv7.
    pub id: String,
    /// When, µs.
    pub at: i64,
    /// Who.
    pub actor_account_id: String,
    /// Their display name then.
    pub actor_display_name: String,
    /// What, e.g. `request_number.issued`.
    pub action: String,
    /// A renovation code or a request number.
    pub subject: String,
    /// JSON.
    pub detail: String,
}

/// One page of the audit log, newest first, for the filter and after the cursor of `q`.
/// The subject matches the entry's subject (a renovation code or a request number).
pub async fn audit_entries(db: &Database, q: &AuditQuery) -> StoreResult<Vec<AuditEntry>> {
    let (cur_at, cur_id) = q.cursor();
    let rows = sqlx::query(
        "SELECT id, at, actor_account_id, actor_display_name, action, subject, detail \
         FROM audit_log WHERE ($1 = '' OR actor_account_id = $1) AND ($2 = '' OR action = $2) \
         AND ($3 = '' OR subject = $3) AND at >= $4 AND at < $5 \
         AND (at < $6 OR (at = $6 AND id < $7)) ORDER BY at DESC, id DESC LIMIT $8",
    )
    .bind(&q.actor)
    .bind(&q.action)
    .bind(&q.subject)
    .bind(q.since_us)
    .bind(q.until_us)
    .bind(cur_at)
    .bind(cur_id)
    .bind(q.paging.fetch_limit())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditEntry {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                actor_account_id: r.try_get("actor_account_id")?,
                actor_display_name: r.try_get("actor_display_name")?,
                action: r.try_get("action")?,
                subject: r.try_get("subject")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect()
}
