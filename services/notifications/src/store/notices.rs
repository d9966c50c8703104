//! Notices: one row per consumed event that concerns somebody, written in the inbox
//! transaction and resolved (person found, deliveries made) by the sender afterwards.

use sqlx::{AnyConnection, Row};

use super::{Result, json_err};
use crate::rules::{Facts, Kind};

/// Waiting to be resolved into deliveries.
pub const NOTICE_PENDING: &str = "pending";
/// Deliveries were made from it.
pub const NOTICE_DONE: &str = "done";
/// Nobody to tell (no such inquiry or account): kept to show why nothing was sent.
pub const NOTICE_DROPPED: &str = "dropped";

/// One notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRow {
    /// The event it came from (its id is the key: one notice per event).
    pub event_id: String,
    /// What happened.
    pub kind: Kind,
    /// The inquiry it is about, or empty.
    pub inquiry_id: String,
    /// The person, when the event names them by account.
    pub account_id: String,
    /// The person, when the event names them by national code.
    pub national_code: String,
    /// What the message says.
    pub facts: Facts,
    /// Attempts to resolve it so far.
    pub attempts: i64,
}

/// Records `n` as pending; `false` when the event already has a notice.
pub async fn insert_notice(conn: &mut AnyConnection, n: &NoticeRow, now_us: i64) -> Result<bool> {
    let facts = serde_json::to_string(&n.facts).map_err(json_err)?;
    let done = sqlx::query(
        "INSERT INTO notices (event_id, kind, inquiry_id, account_id, national_code, facts, \
         state, attempts, next_attempt_us, created_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $8) ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(&n.event_id)
    .bind(n.kind.as_str())
    .bind(&n.inquiry_id)
    .bind(&n.account_id)
    .bind(&n.national_code)
    .bind(facts)
    .bind(NOTICE_PENDING)
    .bind(now_us)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Up to `limit` pending notices due by `now_us`, oldest first.
pub async fn due_notices(
    conn: &mut AnyConnection,
    now_us: i64,
    limit: i64,
) -> Result<Vec<NoticeRow>> {
    let rows = sqlx::query(
        "SELECT event_id, kind, inquiry_id, account_id, national_code, facts, attempts \
         FROM notices WHERE state = $1 AND next_attempt_us <= $2 ORDER BY event_id LIMIT $3",
    )
    .bind(NOTICE_PENDING)
    .bind(now_us)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let kind: String = row.try_get("kind")?;
        let Some(kind) = Kind::parse(&kind) else {
            continue;
        };
        let facts: String = row.try_get("facts")?;
        out.push(NoticeRow {
            event_id: row.try_get("event_id")?,
            kind,
            inquiry_id: row.try_get("inquiry_id")?,
            account_id: row.try_get("account_id")?,
            national_code: row.try_get("national_code")?,
            facts: serde_json::from_str(&facts).map_err(json_err)?,
            attempts: row.try_get("attempts")?,
        });
    }
    Ok(out)
}

/// Moves a pending notice to `state` (done or dropped).
pub async fn finish_notice(conn: &mut AnyConnection, event_id: &str, state: &str) -> Result<()> {
    sqlx::query("UPDATE notices SET state = $1 WHERE event_id = $2 AND state = $3")
        .bind(state)
        .bind(event_id)
        .bind(NOTICE_PENDING)
        .execute(conn)
        .await?;
    Ok(())
}

/// Puts a notice off until `next_us` after a failed attempt to resolve it.
pub async fn defer_notice(conn: &mut AnyConnection, event_id: &str, next_us: i64) -> Result<()> {
    sqlx::query(
        "UPDATE notices SET attempts = attempts + 1, next_attempt_us = $1 WHERE event_id = $2",
    )
    .bind(next_us)
    .bind(event_id)
    .execute(conn)
    .await?;
    Ok(())
}
