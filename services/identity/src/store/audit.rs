//! `audit_events`: the append-only trail of authentication and account events. There is
//! no update or delete here, and the migrations' triggers refuse them.

use sqlx::{AnyConnection, Row as _};

use super::Result;

/// A row of `audit_events`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditRow {
    /// Event id (UUIDv7).
    pub audit_event_id: String,
    /// `AuditEventKind` number.
    pub kind: i32,
    /// Account concerned, or empty.
    pub account_id: String,
    /// Identifier as presented.
    pub presented_identifier: String,
    /// Acting admin, or empty.
    pub actor_account_id: String,
    /// Source address.
    pub source_address: String,
    /// User agent.
    pub user_agent: String,
    /// Detail for readers.
    pub detail: String,
    /// When, µs.
    pub occurred_at: i64,
}

/// Appends an event.
pub async fn insert_audit(conn: &mut AnyConnection, e: &AuditRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_events (audit_event_id, kind, account_id, presented_identifier, actor_account_id, \
         source_address, user_agent, detail, occurred_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&e.audit_event_id)
    .bind(e.kind)
    .bind(&e.account_id)
    .bind(&e.presented_identifier)
    .bind(&e.actor_account_id)
    .bind(&e.source_address)
    .bind(&e.user_agent)
    .bind(&e.detail)
    .bind(e.occurred_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// What an admin reads the trail by; empty and zero mean "any". Its `Debug` form binds
/// page tokens to it, so every field must take part in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Events about one account.
    pub account_id: String,
    /// `AuditEventKind` numbers as `,2,3,`, so one `LIKE` tests membership on both backends.
    pub kinds: String,
    /// Events at or after this instant, µs.
    pub since: i64,
    /// Events before this instant, µs.
    pub until: i64,
}

/// Up to `limit` events matching `f` with ids before `before` (empty: from the newest),
/// newest first: UUIDv7 ids sort by time, so the id is a stable keyset.
pub async fn list_audit(
    conn: &mut AnyConnection,
    f: &AuditFilter,
    before: &str,
    limit: i64,
) -> Result<Vec<AuditRow>> {
    let rows = sqlx::query(
        "SELECT audit_event_id, kind, account_id, presented_identifier, actor_account_id, source_address, \
         user_agent, detail, occurred_at FROM audit_events \
         WHERE ($1 = '' OR account_id = $1) AND ($2 = '' OR $2 LIKE '%,' || CAST(kind AS TEXT) || ',%') \
         AND ($3 = 0 OR occurred_at >= $3) AND ($4 = 0 OR occurred_at < $4) \
         AND ($5 = '' OR audit_event_id < $5) \
         ORDER BY audit_event_id DESC LIMIT $6",
    )
    .bind(&f.account_id)
    .bind(&f.kinds)
    .bind(f.since)
    .bind(f.until)
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditRow {
                audit_event_id: r.try_get("audit_event_id")?,
                kind: r.try_get::<i32, _>("kind")?,
                account_id: r.try_get("account_id")?,
                presented_identifier: r.try_get("presented_identifier")?,
                actor_account_id: r.try_get("actor_account_id")?,
                source_address: r.try_get("source_address")?,
                user_agent: r.try_get("user_agent")?,
                detail: r.try_get("detail")?,
                occurred_at: r.try_get("occurred_at")?,
            })
        })
        .collect()
}
