//! The clerks' review queue: the inquiries waiting for a clerk — a name or ownership-type
//! mismatch at the applicant step (`awaiting_review`) or a representative's power of
//! attorney (`awaiting_representation`) — the longest waiting first. Neither state may be
//! left but by a clerk's decision or a cancellation, so the row's `updated_at_us` is the
//! moment it entered the queue; migration 0090 indexes it.

use sqlx::{AnyConnection, Row};

use super::{Result, json_err};
use crate::model::Inquiry;

/// Inquiries waiting for a clerk, oldest entry first, after the cursor `(entered, id)`.
pub async fn review_queue(
    conn: &mut AnyConnection,
    cursor: (i64, String),
    limit: i64,
) -> Result<Vec<Inquiry>> {
    let rows = sqlx::query(
        "SELECT doc FROM inquiries \
         WHERE state IN ('awaiting_review', 'awaiting_representation') \
         AND (updated_at_us > $1 OR (updated_at_us = $1 AND id > $2)) \
         ORDER BY updated_at_us, id LIMIT $3",
    )
    .bind(cursor.0)
    .bind(cursor.1)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let doc: String = r.try_get("doc")?;
            serde_json::from_str(&doc).map_err(json_err)
        })
        .collect()
}
