//! Document metadata: one row per document, never changed after the upload; the content is
//! in the object store under `sha256`.

use estelam_runtime::db::Database;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

/// One document's metadata, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRow {
    /// UUIDv7: unguessable, and its order is upload order (lists page by it).
    pub id: String,
    /// Account the document belongs to.
    pub owner_account_id: String,
    /// The kind's code (`national-id-card`, …, or a kind added as data).
    pub kind: String,
    /// Cleaned original filename.
    pub original_filename: String,
    /// The media type inspection found in the bytes (never the uploader's claim).
    pub content_type: String,
    /// Size in bytes, counted against the owner's quota.
    pub size_bytes: i64,
    /// Lower-case hex SHA-256 of the content: also its object name.
    pub sha256: String,
    /// Pixels across (images).
    pub width_px: i64,
    /// Pixels down (images).
    pub height_px: i64,
    /// Pages (PDFs).
    pub page_count: i64,
    /// Microseconds since the epoch.
    pub created_at_micros: i64,
    /// Who uploaded it: the owner, or a clerk or service acting for them.
    pub uploaded_by_account_id: String,
    /// The uploader's idempotency key.
    pub client_request_id: Option<String>,
    /// The inquiry an office uploaded it for, filing on behalf of the owner; empty otherwise.
    pub inquiry_id: String,
    /// The organisation that uploaded it on behalf of the owner; empty otherwise.
    pub organization_id: String,
}

const COLUMNS: &str = "id, owner_account_id, kind, original_filename, content_type, size_bytes, sha256, \
     width_px, height_px, page_count, created_at_micros, uploaded_by_account_id, client_request_id, inquiry_id, organization_id";

fn from_row(row: &AnyRow) -> Result<DocumentRow, sqlx::Error> {
    Ok(DocumentRow {
        id: row.try_get("id")?,
        owner_account_id: row.try_get("owner_account_id")?,
        kind: row.try_get("kind")?,
        original_filename: row.try_get("original_filename")?,
        content_type: row.try_get("content_type")?,
        size_bytes: row.try_get("size_bytes")?,
        sha256: row.try_get("sha256")?,
        width_px: row.try_get("width_px")?,
        height_px: row.try_get("height_px")?,
        page_count: row.try_get("page_count")?,
        created_at_micros: row.try_get("created_at_micros")?,
        uploaded_by_account_id: row.try_get("uploaded_by_account_id")?,
        client_request_id: row.try_get("client_request_id")?,
        inquiry_id: row.try_get("inquiry_id")?,
        organization_id: row.try_get("organization_id")?,
    })
}

/// Inserts a document row.
pub async fn insert(
    tx: &mut Transaction<'static, Any>,
    doc: &DocumentRow,
) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO documents (id, owner_account_id, kind, original_filename, content_type, size_bytes, \
         sha256, width_px, height_px, page_count, created_at_micros, uploaded_by_account_id, client_request_id, \
         inquiry_id, organization_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
    sqlx::query(sql)
        .bind(&doc.id)
        .bind(&doc.owner_account_id)
        .bind(&doc.kind)
        .bind(&doc.original_filename)
        .bind(&doc.content_type)
        .bind(doc.size_bytes)
        .bind(&doc.sha256)
        .bind(doc.width_px)
        .bind(doc.height_px)
        .bind(doc.page_count)
        .bind(doc.created_at_micros)
        .bind(&doc.uploaded_by_account_id)
        .bind(doc.client_request_id.as_deref())
        .bind(&doc.inquiry_id)
        .bind(&doc.organization_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The document with this id.
pub async fn get(db: &Database, id: &str) -> Result<Option<DocumentRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM documents WHERE id = $1"));
    sqlx::query(sql)
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// The document an uploader created with this idempotency key.
pub async fn by_request(
    db: &Database,
    uploader: &str,
    client_request_id: &str,
) -> Result<Option<DocumentRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM documents WHERE uploaded_by_account_id = $1 AND client_request_id = $2"
    ));
    sqlx::query(sql)
        .bind(uploader)
        .bind(client_request_id)
        .fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// One page of an owner's documents, newest first, strictly older than `before_id`.
pub async fn list(
    db: &Database,
    owner: &str,
    kind: Option<&str>,
    before_id: Option<&str>,
    limit: i64,
) -> Result<Vec<DocumentRow>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM documents WHERE owner_account_id = $1 \
         AND ($2 = '' OR kind = $2) AND ($3 = '' OR id < $3) ORDER BY id DESC LIMIT $4"
    ));
    let rows = sqlx::query(sql)
        .bind(owner)
        .bind(kind.unwrap_or_default())
        .bind(before_id.unwrap_or_default())
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(from_row).collect()
}

/// Every content hash some document refers to, with those documents' ids.
pub async fn referenced_hashes(
    db: &Database,
) -> Result<std::collections::BTreeMap<String, Vec<String>>, sqlx::Error> {
    let rows = sqlx::query("SELECT sha256, id FROM documents ORDER BY sha256, id")
        .fetch_all(db.pool())
        .await?;
    let mut out = std::collections::BTreeMap::<String, Vec<String>>::new();
    for row in &rows {
        out.entry(row.try_get("sha256")?)
            .or_default()
            .push(row.try_get("id")?);
    }
    Ok(out)
}

/// How many documents refer to content with this hash.
pub async fn count_by_hash(db: &Database, sha256: &str) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM documents WHERE sha256 = $1")
        .bind(sha256)
        .fetch_one(db.pool())
        .await?;
    row.try_get("n")
}
