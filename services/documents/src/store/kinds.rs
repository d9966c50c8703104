//! Document kinds: one row per kind, its current version; every version an admin publishes
//! is also kept in the append-only `document_kind_audit`.

use estelam_runtime::db::Database;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

/// One document kind, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindRow {
    /// `national-id-card`, …; never changes.
    pub code: String,
    /// The Persian name, the one of record.
    pub name_fa: String,
    /// The English name.
    pub name_en: String,
    /// Accepted media types, among the four the inspection recognises.
    pub accepted_content_types: Vec<String>,
    /// The largest file accepted, in bytes.
    pub max_size_bytes: i64,
    /// Whether uploads of it are accepted and e-services may require it.
    pub active: bool,
    /// The `documents.v1.DocumentKind` number; 0 for kinds added as data.
    pub enum_value: i32,
    /// The version, from 1.
    pub version: i64,
    /// When this version was made, µs.
    pub updated_at_micros: i64,
    /// Who made it; empty for the seeded versions.
    pub updated_by_account_id: String,
}

const COLUMNS: &str = "code, name_fa, name_en, accepted_content_types, max_size_bytes, active, \
     enum_value, version, updated_at_micros, updated_by_account_id";

fn from_row(row: &AnyRow) -> Result<KindRow, sqlx::Error> {
    let types: String = row.try_get("accepted_content_types")?;
    let active: i32 = row.try_get("active")?;
    Ok(KindRow {
        code: row.try_get("code")?,
        name_fa: row.try_get("name_fa")?,
        name_en: row.try_get("name_en")?,
        accepted_content_types: types
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        max_size_bytes: row.try_get("max_size_bytes")?,
        active: active != 0,
        enum_value: row.try_get("enum_value")?,
        version: row.try_get("version")?,
        updated_at_micros: row.try_get("updated_at_micros")?,
        updated_by_account_id: row.try_get("updated_by_account_id")?,
    })
}

/// Every kind, ordered by code.
pub async fn list_kinds(db: &Database) -> Result<Vec<KindRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM document_kinds ORDER BY code"
    ));
    let rows = sqlx::query(sql).fetch_all(db.pool()).await?;
    rows.iter().map(from_row).collect()
}

/// The kind with this code.
pub async fn get_kind(db: &Database, code: &str) -> Result<Option<KindRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM document_kinds WHERE code = $1"
    ));
    sqlx::query(sql)
        .bind(code)
        .fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Writes `kind` as version `kind.version`, replacing version `kind.version - 1` (or
/// creating the kind at version 1). False when another version got there first.
pub async fn put_kind(
    tx: &mut Transaction<'static, Any>,
    kind: &KindRow,
) -> Result<bool, sqlx::Error> {
    let types = kind.accepted_content_types.join(",");
    let active = i32::from(kind.active);
    let done = if kind.version == 1 {
        sqlx::query(
            "INSERT INTO document_kinds (code, name_fa, name_en, accepted_content_types, \
             max_size_bytes, active, enum_value, version, updated_at_micros, updated_by_account_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (code) DO NOTHING",
        )
        .bind(&kind.code)
        .bind(&kind.name_fa)
        .bind(&kind.name_en)
        .bind(&types)
        .bind(kind.max_size_bytes)
        .bind(active)
        .bind(kind.enum_value)
        .bind(kind.version)
        .bind(kind.updated_at_micros)
        .bind(&kind.updated_by_account_id)
        .execute(&mut **tx)
        .await?
    } else {
        sqlx::query(
            "UPDATE document_kinds SET name_fa = $2, name_en = $3, accepted_content_types = $4, \
             max_size_bytes = $5, active = $6, version = $7, updated_at_micros = $8, \
             updated_by_account_id = $9 WHERE code = $1 AND version = $10",
        )
        .bind(&kind.code)
        .bind(&kind.name_fa)
        .bind(&kind.name_en)
        .bind(&types)
        .bind(kind.max_size_bytes)
        .bind(active)
        .bind(kind.version)
        .bind(kind.updated_at_micros)
        .bind(&kind.updated_by_account_id)
        .bind(kind.version - 1)
        .execute(&mut **tx)
        .await?
    };
    Ok(done.rows_affected() == 1)
}

/// Appends a published version to the kinds' audit.
pub async fn audit_kind(
    tx: &mut Transaction<'static, Any>,
    kind: &KindRow,
    reason: &str,
    kind_json: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO document_kind_audit (id, at_us, actor_account_id, code, version, reason, kind_json) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(kind.updated_at_micros)
    .bind(&kind.updated_by_account_id)
    .bind(&kind.code)
    .bind(kind.version)
    .bind(reason)
    .bind(kind_json)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// How many audit entries a kind has (tests and the staff desk's count).
pub async fn kind_audit_count(db: &Database, code: &str) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM document_kind_audit WHERE code = $1")
        .bind(code)
        .fetch_one(db.pool())
        .await?;
    row.try_get("n")
}
