//! `audit_events`: the append-only trail of authentication and account events. There is
//! no update or delete here, and the migrations' triggers refuse them.

use sqlx::{AnyConnection, Row as _};

use super::Result;

/// A row of `audit_events`: who did what to which account, from where. Empty strings
/// rather than `NULL` for what does not apply, so readers need no special case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditRow {
    /// UUIDv7, so ids sort by time and serve as the list's keyset.
    pub audit_event_id: String,
    /// `AuditEventKind` number, as the contract lists them.
    pub kind: i32,
    /// The account the event is about, or empty (an unknown login name).
    pub account_id: String,
    /// What the caller typed as a login name, so attacks on unknown names show too.
    pub presented_identifier: String,
    /// The admin or machine who acted on someone else's account, or empty.
    pub actor_account_id: String,
    /// The caller's address as the throttle saw it.
    pub source_address: String,
    /// The caller's user agent, truncated.
    pub user_agent: String,
    /// Free text for a person reading the trail (a reason, a key id, a lockout).
    pub detail: String,
    /// When it happened, µs.
    pub occurred_at: i64,
}

/// Appends an event; run it on the transaction of the change it records.
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
    /// `AuditEventKind` numbers; empty for every kind.
    pub kinds: Vec<i32>,
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
    // The kinds as `,2,3,`, so one portable `LIKE` tests membership on both backends.
    let kinds = if f.kinds.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = f.kinds.iter().map(i32::to_string).collect();
        format!(",{},", list.join(","))
    };
    let rows = sqlx::query(
        "SELECT audit_event_id, kind, account_id, presented_identifier, actor_account_id, source_address, \
         user_agent, detail, occurred_at FROM audit_events \
         WHERE ($1 = '' OR account_id = $1) AND ($2 = '' OR $2 LIKE '%,' || CAST(kind AS TEXT) || ',%') \
         AND ($3 = 0 OR occurred_at >= $3) AND ($4 = 0 OR occurred_at < $4) \
         AND ($5 = '' OR audit_event_id < $5) \
         ORDER BY audit_event_id DESC LIMIT $6",
    )
    .bind(&f.account_id)
    .bind(kinds)
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
