//! The statutory clock's queries (`crate::clock` has the rule): the inquiries submitted and
//! not yet answered, by deadline, for the desk; and the submission and issue instants of the
//! answers issued in a period, for the public figures. Both read the columns migration 0052
//! added beside the document (`submitted_at_us`, `issued_at_us`, `answer_due_at_us`), which
//! every write of an inquiry keeps in step.

use sqlx::{AnyConnection, Row};

use super::{Result, json_err};
use crate::model::Inquiry;

/// Submitted, unanswered inquiries (assessed, or waiting for payment) due before
/// `due_before_us`, earliest deadline first, after the cursor `(due, id)`.
pub async fn due_inquiries(
    conn: &mut AnyConnection,
    due_before_us: i64,
    cursor: (i64, String),
    limit: i64,
) -> Result<Vec<Inquiry>> {
    let rows = sqlx::query(
        "SELECT doc FROM inquiries WHERE state IN ('assessed', 'awaiting_payment') \
         AND answer_due_at_us IS NOT NULL AND answer_due_at_us < $1 \
         AND (answer_due_at_us > $2 OR (answer_due_at_us = $2 AND id > $3)) \
         ORDER BY answer_due_at_us, id LIMIT $4",
    )
    .bind(due_before_us)
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

/// `(submitted_at_us, issued_at_us)` of every answer issued in `[from_us, to_us)`.
pub async fn answer_times(
    conn: &mut AnyConnection,
    from_us: i64,
    to_us: i64,
) -> Result<Vec<(i64, i64)>> {
    let rows = sqlx::query(
        "SELECT submitted_at_us, issued_at_us FROM inquiries \
         WHERE issued_at_us IS NOT NULL AND submitted_at_us IS NOT NULL \
         AND issued_at_us >= $1 AND issued_at_us < $2",
    )
    .bind(from_us)
    .bind(to_us)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("submitted_at_us")?, r.try_get("issued_at_us")?)))
        .collect()
}
