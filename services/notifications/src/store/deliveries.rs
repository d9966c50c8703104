//! Deliveries: every message made from a notice, one per (event, channel). The table is
//! both the queue of what is still to send and the audit of what was sent.

use sqlx::{AnyConnection, Row};

use super::Result;
use crate::rules::{Channel, Kind, Language};

/// Waiting to be sent or retried.
pub const PENDING: &str = "pending";
/// The provider accepted it.
pub const SENT: &str = "sent";
/// Refused for good, or every attempt failed.
pub const FAILED: &str = "failed";
/// Nowhere to send it (no verified mobile, no e-mail address).
pub const UNREACHABLE: &str = "unreachable";
/// The provider says it reached the person's phone.
pub const DELIVERED: &str = "delivered";
/// The provider took it, but the phone was unreachable until it expired.
pub const EXPIRED: &str = "expired";

/// One message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRow {
    /// UUIDv7.
    pub delivery_id: String,
    /// The event it tells of.
    pub event_id: String,
    /// What happened.
    pub kind: Kind,
    /// How it travels.
    pub channel: Channel,
    /// The person.
    pub account_id: String,
    /// Mobile or address; empty when unreachable.
    pub recipient: String,
    /// Written in.
    pub language: Language,
    /// E-mail subject.
    pub subject: String,
    /// The text.
    pub body: String,
    /// [`PENDING`], [`SENT`], [`FAILED`], [`UNREACHABLE`], and after [`SENT`] what the
    /// provider reported: [`DELIVERED`], [`FAILED`] or [`EXPIRED`].
    pub status: String,
    /// Attempts so far.
    pub attempts: i64,
    /// When it may be tried next.
    pub next_attempt_us: i64,
    /// The provider's id, once accepted.
    pub provider_message_id: String,
    /// The last failure, for the audit.
    pub last_error: String,
    /// When it was made.
    pub created_at_us: i64,
    /// When the provider said what became of it; 0 until then.
    pub settled_at_us: i64,
}

/// Stores `d`; `false` when its event already has a delivery on that channel (the unique
/// key that keeps a redelivered or re-resolved event from being told twice).
pub async fn insert_delivery(conn: &mut AnyConnection, d: &DeliveryRow) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO deliveries (delivery_id, event_id, kind, channel, account_id, recipient, \
         language, subject, body, status, attempts, next_attempt_us, provider_message_id, \
         last_error, created_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (event_id, channel) DO NOTHING",
    )
    .bind(&d.delivery_id)
    .bind(&d.event_id)
    .bind(d.kind.as_str())
    .bind(d.channel.as_str())
    .bind(&d.account_id)
    .bind(&d.recipient)
    .bind(d.language.as_str())
    .bind(&d.subject)
    .bind(&d.body)
    .bind(&d.status)
    .bind(d.attempts)
    .bind(d.next_attempt_us)
    .bind(&d.provider_message_id)
    .bind(&d.last_error)
    .bind(d.created_at_us)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

const COLUMNS: &str = "delivery_id, event_id, kind, channel, account_id, recipient, language, \
     subject, body, status, attempts, next_attempt_us, provider_message_id, last_error, created_at_us, \
     COALESCE(settled_at_us, 0) AS settled_at";

fn delivery(row: &sqlx::any::AnyRow) -> Result<Option<DeliveryRow>> {
    let kind: String = row.try_get("kind")?;
    let channel: String = row.try_get("channel")?;
    let language: String = row.try_get("language")?;
    let (Some(kind), Some(channel)) = (Kind::parse(&kind), Channel::parse(&channel)) else {
        return Ok(None);
    };
    Ok(Some(DeliveryRow {
        delivery_id: row.try_get("delivery_id")?,
        event_id: row.try_get("event_id")?,
        kind,
        channel,
        account_id: row.try_get("account_id")?,
        recipient: row.try_get("recipient")?,
        language: Language::parse(&language).unwrap_or_default(),
        subject: row.try_get("subject")?,
        body: row.try_get("body")?,
        status: row.try_get("status")?,
        attempts: row.try_get("attempts")?,
        next_attempt_us: row.try_get("next_attempt_us")?,
        provider_message_id: row.try_get("provider_message_id")?,
        last_error: row.try_get("last_error")?,
        created_at_us: row.try_get("created_at_us")?,
        settled_at_us: row.try_get("settled_at")?,
    }))
}

/// Up to `limit` pending deliveries due by `now_us`, oldest first.
pub async fn due_deliveries(
    conn: &mut AnyConnection,
    now_us: i64,
    limit: i64,
) -> Result<Vec<DeliveryRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM deliveries WHERE status = $1 AND next_attempt_us <= $2 \
         ORDER BY next_attempt_us, delivery_id LIMIT $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(PENDING)
        .bind(now_us)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    let mut out = Vec::new();
    for row in &rows {
        out.extend(delivery(row)?);
    }
    Ok(out)
}

/// Takes `d` for one attempt: counts the attempt and moves its next try to `lease_until_us`,
/// only if nobody else took it since it was read (another replica's sender). `false` when
/// somebody else did.
pub async fn claim_delivery(
    conn: &mut AnyConnection,
    d: &DeliveryRow,
    lease_until_us: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE deliveries SET attempts = attempts + 1, next_attempt_us = $1 \
         WHERE delivery_id = $2 AND status = $3 AND attempts = $4",
    )
    .bind(lease_until_us)
    .bind(&d.delivery_id)
    .bind(PENDING)
    .bind(d.attempts)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records that the provider accepted `delivery_id`; its fate is first asked about at
/// `first_check_us`.
pub async fn mark_sent(
    conn: &mut AnyConnection,
    delivery_id: &str,
    provider_id: &str,
    now_us: i64,
    first_check_us: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE deliveries SET status = $1, provider_message_id = $2, sent_at_us = $3, \
         last_error = '', next_status_check_us = $4 WHERE delivery_id = $5",
    )
    .bind(SENT)
    .bind(provider_id)
    .bind(now_us)
    .bind(first_check_us)
    .bind(delivery_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A sent message whose fate is still to be asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsettled {
    /// Ours.
    pub delivery_id: String,
    /// The provider's.
    pub provider_message_id: String,
    /// Times asked so far.
    pub status_checks: i64,
}

/// Up to `limit` messages sent on `channel` whose fate is due to be asked about by
/// `now_us`, asked fewer than `max_checks` times.
pub async fn unsettled(
    conn: &mut AnyConnection,
    channel: Channel,
    now_us: i64,
    max_checks: i64,
    limit: i64,
) -> Result<Vec<Unsettled>> {
    let rows = sqlx::query(
        "SELECT delivery_id, provider_message_id, status_checks FROM deliveries \
         WHERE status = $1 AND channel = $2 AND next_status_check_us <= $3 \
         AND status_checks < $4 AND provider_message_id <> '' \
         ORDER BY next_status_check_us, delivery_id LIMIT $5",
    )
    .bind(SENT)
    .bind(channel.as_str())
    .bind(now_us)
    .bind(max_checks)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Unsettled {
                delivery_id: r.try_get("delivery_id")?,
                provider_message_id: r.try_get("provider_message_id")?,
                status_checks: r.try_get("status_checks")?,
            })
        })
        .collect()
}

/// Records what the provider said became of sent message `delivery_id`: `status` is
/// [`DELIVERED`], [`FAILED`] or [`EXPIRED`], `note` why (empty when delivered).
pub async fn settle(
    conn: &mut AnyConnection,
    delivery_id: &str,
    status: &str,
    note: &str,
    now_us: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE deliveries SET status = $1, last_error = $2, settled_at_us = $3, \
         status_checks = status_checks + 1 WHERE delivery_id = $4 AND status = $5",
    )
    .bind(status)
    .bind(note)
    .bind(now_us)
    .bind(delivery_id)
    .bind(SENT)
    .execute(conn)
    .await?;
    Ok(())
}

/// Counts one question about `delivery_id` that had no final answer; the next at `next_us`.
pub async fn defer_status_check(
    conn: &mut AnyConnection,
    delivery_id: &str,
    next_us: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE deliveries SET status_checks = status_checks + 1, next_status_check_us = $1 \
         WHERE delivery_id = $2",
    )
    .bind(next_us)
    .bind(delivery_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a failed attempt: retried at `next_us`, or given up (`failed`) when `next_us`
/// is `None`.
pub async fn mark_failed_attempt(
    conn: &mut AnyConnection,
    delivery_id: &str,
    error: &str,
    next_us: Option<i64>,
) -> Result<()> {
    let error: String = error.chars().take(500).collect();
    match next_us {
        Some(next) => {
            sqlx::query(
                "UPDATE deliveries SET last_error = $1, next_attempt_us = $2 WHERE delivery_id = $3",
            )
            .bind(error)
            .bind(next)
            .bind(delivery_id)
            .execute(conn)
            .await?;
        }
        None => {
            sqlx::query(
                "UPDATE deliveries SET last_error = $1, status = $2 WHERE delivery_id = $3",
            )
            .bind(error)
            .bind(FAILED)
            .bind(delivery_id)
            .execute(conn)
            .await?;
        }
    }
    Ok(())
}

/// The newest `limit` deliveries to `account_id`.
pub async fn deliveries_of(
    conn: &mut AnyConnection,
    account_id: &str,
    limit: i64,
) -> Result<Vec<DeliveryRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM deliveries WHERE account_id = $1 \
         ORDER BY created_at_us DESC, delivery_id DESC LIMIT $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(account_id)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    let mut out = Vec::new();
    for row in &rows {
        out.extend(delivery(row)?);
    }
    Ok(out)
}
