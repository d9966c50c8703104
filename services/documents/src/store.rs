//! SQL for document metadata and quota usage, portable over SQLite and PostgreSQL.

use estelam_runtime::db::Database;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

/// One document's metadata, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRow {
    /// UUIDv7.
    pub id: String,
    /// Account the document belongs to.
    pub owner_account_id: String,
    /// `national_id_card`, `ownership_deed`, `authority_letter` or `other`.
    pub kind: String,
    /// Cleaned original filename.
    pub original_filename: String,
    /// Detected media type.
    pub content_type: String,
    /// Size in bytes.
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
    /// Who uploaded it.
    pub uploaded_by_account_id: String,
    /// The uploader's idempotency key.
    pub client_request_id: Option<String>,
}

const COLUMNS: &str = "id, owner_account_id, kind, original_filename, content_type, size_bytes, sha256, \
     width_px, height_px, page_count, created_at_micros, uploaded_by_account_id, client_request_id";

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
    })
}

/// Inserts a document row.
pub async fn insert(
    tx: &mut Transaction<'static, Any>,
    doc: &DocumentRow,
) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO documents (id, owner_account_id, kind, original_filename, content_type, size_bytes, \
         sha256, width_px, height_px, page_count, created_at_micros, uploaded_by_account_id, client_request_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
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

/// How many documents and bytes an owner has.
pub async fn usage(db: &Database, owner: &str) -> Result<(i64, i64), sqlx::Error> {
    let row = sqlx::query(
        "SELECT doc_count, total_bytes FROM document_usage WHERE owner_account_id = $1",
    )
    .bind(owner)
    .fetch_optional(db.pool())
    .await?;
    match row {
        Some(row) => Ok((row.try_get("doc_count")?, row.try_get("total_bytes")?)),
        None => Ok((0, 0)),
    }
}

/// Takes one document of `bytes` from the owner's quota, if it fits; false when it does not.
/// Check and take are one conditional UPDATE, so concurrent uploads cannot overdraw.
pub async fn take_quota(
    tx: &mut Transaction<'static, Any>,
    owner: &str,
    bytes: i64,
    max_count: i64,
    max_bytes: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "INSERT INTO document_usage (owner_account_id, doc_count, total_bytes) VALUES ($1, 0, 0) \
         ON CONFLICT (owner_account_id) DO NOTHING",
    )
    .bind(owner)
    .execute(&mut **tx)
    .await?;
    let taken = sqlx::query(
        "UPDATE document_usage SET doc_count = doc_count + 1, total_bytes = total_bytes + $2 \
         WHERE owner_account_id = $1 AND doc_count + 1 <= $3 AND total_bytes + $2 <= $4",
    )
    .bind(owner)
    .bind(bytes)
    .bind(max_count)
    .bind(max_bytes)
    .execute(&mut **tx)
    .await?;
    Ok(taken.rows_affected() == 1)
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

#[cfg(test)]
mod tests {
    use super::*;
    use estelam_runtime::testing;

    fn row(owner: &str, n: u8) -> DocumentRow {
        DocumentRow {
            id: uuid::Uuid::now_v7().to_string(),
            owner_account_id: owner.into(),
            kind: "other".into(),
            original_filename: format!("f{n}.pdf"),
            content_type: "application/pdf".into(),
            size_bytes: 10,
            sha256: format!("{n:064x}"),
            width_px: 0,
            height_px: 0,
            page_count: 1,
            created_at_micros: estelam_runtime::db::now_micros(),
            uploaded_by_account_id: owner.into(),
            client_request_id: n.is_multiple_of(2).then(|| format!("req-{n}")),
        }
    }

    #[tokio::test]
    async fn rows_round_trip_list_pages_and_quota_holds_on_every_backend() {
        for t in testing::databases("documents_store", &crate::migrations())
            .await
            .expect("databases")
        {
            let db = &t.db;
            let mut tx = db.begin().await.expect("begin");
            let mut ids = Vec::new();
            for n in 0..5u8 {
                assert!(
                    take_quota(&mut tx, "a", 10, 4, 1000).await.expect("quota") == (n < 4),
                    "{}",
                    t.label
                );
                if n < 4 {
                    let r = row("a", n);
                    insert(&mut tx, &r).await.expect("insert");
                    ids.push(r.id);
                }
            }
            tx.commit().await.expect("commit");
            assert_eq!(usage(db, "a").await.expect("usage"), (4, 40), "{}", t.label);
            assert_eq!(usage(db, "b").await.expect("usage"), (0, 0));
            let got = get(db, &ids[1]).await.expect("get").expect("exists");
            assert_eq!(got.original_filename, "f1.pdf");
            assert_eq!(got.client_request_id, None);
            assert_eq!(
                by_request(db, "a", "req-2")
                    .await
                    .expect("by")
                    .map(|r| r.id),
                Some(ids[2].clone())
            );
            let page = list(db, "a", None, None, 3).await.expect("list");
            assert_eq!(
                page.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
                vec![ids[3].clone(), ids[2].clone(), ids[1].clone()]
            );
            let rest = list(db, "a", Some("other"), Some(&ids[1]), 3)
                .await
                .expect("list");
            assert_eq!(rest.len(), 1);
            assert!(
                list(db, "a", Some("ownership_deed"), None, 3)
                    .await
                    .expect("list")
                    .is_empty()
            );
            let mut tx = db.begin().await.expect("begin");
            let dup = DocumentRow {
                id: uuid::Uuid::now_v7().to_string(),
                ..row("a", 2)
            };
            let err = insert(&mut tx, &dup)
                .await
                .expect_err("duplicate request id");
            assert!(
                estelam_runtime::db::is_unique_violation(&err),
                "{}: {err}",
                t.label
            );
            drop(tx);
            assert_eq!(
                count_by_hash(db, &format!("{:064x}", 2))
                    .await
                    .expect("count"),
                1
            );
            assert_eq!(referenced_hashes(db).await.expect("hashes").len(), 4);
            t.cleanup().await;
        }
    }
}
