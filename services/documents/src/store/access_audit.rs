//! The document access audit (migration 0050): one row per download of a document's
//! content by anyone but its owner — a clerk, an admin, the office that uploaded it for the
//! applicant, a service. Append-only in the database itself (triggers on both backends).

use estelam_runtime::audit::AuditQuery;
use estelam_runtime::db::Database;
use sqlx::Row;
use sqlx::any::AnyRow;

/// One recorded read of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRow {
    /// UUIDv7, so rows sort by time.
    pub id: String,
    /// When, µs since the epoch.
    pub at_us: i64,
    /// Who read it.
    pub actor_account_id: String,
    /// Their roles, comma-separated (`clerk`, `admin,clerk`, `service`…).
    pub actor_roles: String,
    /// The organisation they acted for, or empty.
    pub actor_organization_id: String,
    /// What they did: `document.downloaded`.
    pub action: String,
    /// Which document.
    pub document_id: String,
    /// Whose document it is.
    pub owner_account_id: String,
    /// Its kind's code (`national-id-card`, `ownership-deed`…; older rows used `_`).
    pub kind: String,
    /// The inquiry it was uploaded for, or empty.
    pub inquiry_id: String,
}

const COLUMNS: &str = "id, at_us, actor_account_id, actor_roles, actor_organization_id, action, \
     document_id, owner_account_id, kind, inquiry_id";

fn from_row(row: &AnyRow) -> Result<AccessRow, sqlx::Error> {
    Ok(AccessRow {
        id: row.try_get("id")?,
        at_us: row.try_get("at_us")?,
        actor_account_id: row.try_get("actor_account_id")?,
        actor_roles: row.try_get("actor_roles")?,
        actor_organization_id: row.try_get("actor_organization_id")?,
        action: row.try_get("action")?,
        document_id: row.try_get("document_id")?,
        owner_account_id: row.try_get("owner_account_id")?,
        kind: row.try_get("kind")?,
        inquiry_id: row.try_get("inquiry_id")?,
    })
}

/// Appends one read to the audit.
pub async fn record_access(db: &Database, row: &AccessRow) -> Result<(), sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "INSERT INTO document_access_audit ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ));
    sqlx::query(sql)
        .bind(&row.id)
        .bind(row.at_us)
        .bind(&row.actor_account_id)
        .bind(&row.actor_roles)
        .bind(&row.actor_organization_id)
        .bind(&row.action)
        .bind(&row.document_id)
        .bind(&row.owner_account_id)
        .bind(&row.kind)
        .bind(&row.inquiry_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// One page of the audit, newest first, for the filter and after the cursor of `q`: the
/// subject matches a document id, its owner's account id or the inquiry it was uploaded for.
pub async fn list_access(db: &Database, q: &AuditQuery) -> Result<Vec<AccessRow>, sqlx::Error> {
    let (cur_at, cur_id) = q.cursor();
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM document_access_audit WHERE ($1 = '' OR actor_account_id = $1) \
         AND ($2 = '' OR action = $2) \
         AND ($3 = '' OR document_id = $3 OR owner_account_id = $3 OR inquiry_id = $3) \
         AND at_us >= $4 AND at_us < $5 \
         AND (at_us < $6 OR (at_us = $6 AND id < $7)) \
         ORDER BY at_us DESC, id DESC LIMIT $8"
    ));
    let rows = sqlx::query(sql)
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
    rows.iter().map(from_row).collect()
}
