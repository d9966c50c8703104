//! Webhook endpoints and the deliveries owed to them: SQL only. The delivery rows are the
//! webhook outbox: written in the transaction that made their event, claimed by the
//! delivery worker with a lease, kept after delivery (or death) for the API's list and
//! replay.

use sqlx::{AnyConnection, Row, any::AnyRow};

use super::Result;

/// A delivery waiting for its first or next attempt.
pub const PENDING: &str = "pending";
/// A delivery the receiver accepted (2xx).
pub const DELIVERED: &str = "delivered";
/// A delivery whose retry budget ran out: the dead-letter list.
pub const DEAD: &str = "dead";

/// An endpoint as stored (its secrets sealed).
#[derive(Debug, Clone)]
pub struct EndpointRow {
    /// Endpoint id (UUIDv7).
    pub id: String,
    /// The organisation whose events it receives.
    pub organization_id: String,
    /// Where deliveries are POSTed, as checked when saved.
    pub url: String,
    /// Space-separated event types.
    pub event_types: String,
    /// What it is for, cleaned text.
    pub description: String,
    /// The key id the current secret is sealed under.
    pub secret_kid: String,
    /// The current secret, sealed.
    pub secret: String,
    /// The previous secret's key id, during a rotation's overlap.
    pub previous_secret_kid: Option<String>,
    /// The previous secret, sealed, during a rotation's overlap.
    pub previous_secret: Option<String>,
    /// Until when the previous secret signs too, µs.
    pub previous_valid_until_us: Option<i64>,
    /// Whether deliveries are sent.
    pub enabled: bool,
    /// When it was created, µs.
    pub created_at_us: i64,
}

impl EndpointRow {
    /// Whether the endpoint subscribed to `event_type`.
    pub fn wants(&self, event_type: &str) -> bool {
        self.event_types.split(' ').any(|t| t == event_type)
    }
}

const ENDPOINT_COLUMNS: &str = "id, organization_id, url, event_types, description, secret_kid, \
     secret, previous_secret_kid, previous_secret, previous_valid_until_us, enabled, created_at_us";

fn endpoint_of(r: &AnyRow) -> Result<EndpointRow> {
    Ok(EndpointRow {
        id: r.try_get("id")?,
        organization_id: r.try_get("organization_id")?,
        url: r.try_get("url")?,
        event_types: r.try_get("event_types")?,
        description: r.try_get("description")?,
        secret_kid: r.try_get("secret_kid")?,
        secret: r.try_get("secret")?,
        previous_secret_kid: r.try_get("previous_secret_kid")?,
        previous_secret: r.try_get("previous_secret")?,
        previous_valid_until_us: r.try_get("previous_valid_until_us")?,
        enabled: r.try_get::<i64, _>("enabled")? != 0,
        created_at_us: r.try_get("created_at_us")?,
    })
}

/// Stores a new endpoint.
pub async fn insert_endpoint(conn: &mut AnyConnection, e: &EndpointRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, organization_id, url, event_types, description, \
         secret_kid, secret, enabled, created_at_us, updated_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(&e.id)
    .bind(&e.organization_id)
    .bind(&e.url)
    .bind(&e.event_types)
    .bind(&e.description)
    .bind(&e.secret_kid)
    .bind(&e.secret)
    .bind(i64::from(e.enabled))
    .bind(e.created_at_us)
    .execute(conn)
    .await?;
    Ok(())
}

/// The organisation's endpoints, oldest first.
pub async fn endpoints_of(
    conn: &mut AnyConnection,
    organization_id: &str,
) -> Result<Vec<EndpointRow>> {
    let sql = format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE organization_id = $1 \
         ORDER BY created_at_us, id"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(organization_id)
        .fetch_all(conn)
        .await?
        .iter()
        .map(endpoint_of)
        .collect()
}

/// One endpoint, if it exists.
pub async fn endpoint(conn: &mut AnyConnection, id: &str) -> Result<Option<EndpointRow>> {
    let sql = format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(endpoint_of)
        .transpose()
}

/// The endpoints of any of `organizations` (the filing one, the one the letter names), for
/// the fan-out of one event. A disabled endpoint's deliveries are written too and wait
/// until it is enabled again (the worker takes only enabled endpoints' deliveries).
pub async fn endpoints_of_any(
    conn: &mut AnyConnection,
    organizations: &[&str],
) -> Result<Vec<EndpointRow>> {
    let mut all = Vec::new();
    for org in organizations {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints \
             WHERE organization_id = $1 ORDER BY created_at_us, id"
        );
        for r in sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(*org)
            .fetch_all(&mut *conn)
            .await?
        {
            all.push(endpoint_of(&r)?);
        }
    }
    Ok(all)
}

/// Turns an endpoint on or off; false when it does not exist.
pub async fn set_enabled(
    conn: &mut AnyConnection,
    id: &str,
    enabled: bool,
    now_us: i64,
) -> Result<bool> {
    let done =
        sqlx::query("UPDATE webhook_endpoints SET enabled = $1, updated_at_us = $2 WHERE id = $3")
            .bind(i64::from(enabled))
            .bind(now_us)
            .bind(id)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes an endpoint and every delivery of it.
pub async fn delete_endpoint(conn: &mut AnyConnection, id: &str) -> Result<bool> {
    sqlx::query("DELETE FROM webhook_deliveries WHERE endpoint_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the endpoint's secret; the one it had signs beside it until `previous_until_us`
/// (`None`: it ends now).
pub async fn rotate_secret(
    conn: &mut AnyConnection,
    e: &EndpointRow,
    new_kid: &str,
    new_secret: &str,
    previous_until_us: Option<i64>,
    now_us: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE webhook_endpoints SET secret_kid = $1, secret = $2, previous_secret_kid = $3, \
         previous_secret = $4, previous_valid_until_us = $5, updated_at_us = $6 \
         WHERE id = $7 AND secret_kid = $8",
    )
    .bind(new_kid)
    .bind(new_secret)
    .bind(previous_until_us.map(|_| e.secret_kid.clone()))
    .bind(previous_until_us.map(|_| e.secret.clone()))
    .bind(previous_until_us)
    .bind(now_us)
    .bind(&e.id)
    .bind(&e.secret_kid)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Endpoints one organisation has.
pub async fn count_endpoints(conn: &mut AnyConnection, organization_id: &str) -> Result<i64> {
    sqlx::query("SELECT COUNT(*) AS n FROM webhook_endpoints WHERE organization_id = $1")
        .bind(organization_id)
        .fetch_one(conn)
        .await?
        .try_get("n")
}

/// A delivery as stored.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    /// The `webhook-id`: `msg_` + a UUIDv7, so ids sort in creation order.
    pub id: String,
    /// The endpoint it is owed to.
    pub endpoint_id: String,
    /// The endpoint's organisation.
    pub organization_id: String,
    /// The webhook event type.
    pub event_type: String,
    /// The inquiry (or batch) whose deliveries leave in order.
    pub ordering_key: String,
    /// The JSON body.
    pub payload: String,
    /// [`PENDING`], [`DELIVERED`] or [`DEAD`].
    pub state: String,
    /// Attempts made.
    pub attempts: i64,
    /// When the next attempt is due, µs.
    pub next_attempt_at_us: i64,
    /// Where the retry budget is counted from (the event, or the last replay), µs.
    pub retry_from_us: i64,
    /// When the event happened, µs.
    pub created_at_us: i64,
    /// When the receiver accepted it, µs.
    pub delivered_at_us: Option<i64>,
    /// The last attempt's HTTP status, 0 for none.
    pub last_status: i64,
    /// What went wrong last, for the integrator.
    pub last_error: String,
}

const DELIVERY_COLUMNS: &str = "id, endpoint_id, organization_id, event_type, ordering_key, \
     payload, state, attempts, next_attempt_at_us, retry_from_us, created_at_us, \
     delivered_at_us, last_status, last_error";

fn delivery_of(r: &AnyRow) -> Result<DeliveryRow> {
    Ok(DeliveryRow {
        id: r.try_get("id")?,
        endpoint_id: r.try_get("endpoint_id")?,
        organization_id: r.try_get("organization_id")?,
        event_type: r.try_get("event_type")?,
        ordering_key: r.try_get("ordering_key")?,
        payload: r.try_get("payload")?,
        state: r.try_get("state")?,
        attempts: r.try_get("attempts")?,
        next_attempt_at_us: r.try_get("next_attempt_at_us")?,
        retry_from_us: r.try_get("retry_from_us")?,
        created_at_us: r.try_get("created_at_us")?,
        delivered_at_us: r.try_get("delivered_at_us")?,
        last_status: r.try_get("last_status")?,
        last_error: r.try_get("last_error")?,
    })
}

/// Stores a delivery owed to an endpoint, due now. Called inside the transaction that made
/// the event, so a rolled-back change owes nothing.
pub async fn insert_delivery(conn: &mut AnyConnection, d: &DeliveryRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, endpoint_id, organization_id, event_type, \
         ordering_key, payload, state, attempts, next_attempt_at_us, lease_until_us, \
         retry_from_us, created_at_us, last_status, last_error) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, 0, $8, $8, 0, '')",
    )
    .bind(&d.id)
    .bind(&d.endpoint_id)
    .bind(&d.organization_id)
    .bind(&d.event_type)
    .bind(&d.ordering_key)
    .bind(&d.payload)
    .bind(PENDING)
    .bind(d.created_at_us)
    .execute(conn)
    .await?;
    Ok(())
}

/// Ids of deliveries due at `now_us` and not leased, at most `limit`, earliest due first:
/// only the oldest pending delivery of each (endpoint, inquiry) pair, so one inquiry's
/// events reach an endpoint in the order they happened, and only for enabled endpoints.
pub async fn due_deliveries(
    conn: &mut AnyConnection,
    now_us: i64,
    limit: i64,
) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT d.id FROM webhook_deliveries d \
         JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled = 1 \
         WHERE d.state = $1 AND d.next_attempt_at_us <= $2 AND d.lease_until_us <= $2 \
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p \
                WHERE p.endpoint_id = d.endpoint_id AND p.ordering_key = d.ordering_key \
                  AND p.state = $1 AND p.id < d.id) \
         ORDER BY d.next_attempt_at_us, d.id LIMIT $3",
    )
    .bind(PENDING)
    .bind(now_us)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| r.try_get("id")).collect()
}

/// Takes the delivery for one attempt until `lease_until_us`, if it is still pending and
/// nobody holds it; false when another worker was first.
pub async fn claim(
    conn: &mut AnyConnection,
    id: &str,
    now_us: i64,
    lease_until_us: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET lease_until_us = $1 \
         WHERE id = $2 AND state = $3 AND lease_until_us <= $4",
    )
    .bind(lease_until_us)
    .bind(id)
    .bind(PENDING)
    .bind(now_us)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One delivery, if it exists.
pub async fn delivery(conn: &mut AnyConnection, id: &str) -> Result<Option<DeliveryRow>> {
    let sql = format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(delivery_of)
        .transpose()
}

/// What one attempt came to.
pub struct AttemptResult<'a> {
    /// The HTTP status, 0 when none came back.
    pub status: i64,
    /// What went wrong, empty on success.
    pub error: &'a str,
    /// The delivery's state after it.
    pub state: &'a str,
    /// When the next attempt is due (pending).
    pub next_attempt_at_us: i64,
}

/// Records an attempt and releases the lease.
pub async fn record_attempt(
    conn: &mut AnyConnection,
    id: &str,
    result: &AttemptResult<'_>,
    now_us: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, state = $1, last_status = $2, \
         last_error = $3, next_attempt_at_us = $4, lease_until_us = 0, \
         delivered_at_us = CASE WHEN $1 = 'delivered' THEN $5 ELSE delivered_at_us END \
         WHERE id = $6",
    )
    .bind(result.state)
    .bind(result.status)
    .bind(result.error)
    .bind(result.next_attempt_at_us)
    .bind(now_us)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// An endpoint's deliveries, newest first, of `state` when given.
pub async fn deliveries_of(
    conn: &mut AnyConnection,
    endpoint_id: &str,
    state: Option<&str>,
    limit: i64,
) -> Result<Vec<DeliveryRow>> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries \
         WHERE endpoint_id = $1 AND ($2 = '' OR state = $2) ORDER BY id DESC LIMIT $3"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(endpoint_id)
        .bind(state.unwrap_or_default())
        .bind(limit)
        .fetch_all(conn)
        .await?
        .iter()
        .map(delivery_of)
        .collect()
}

/// Makes one delivered or dead delivery of the endpoint pending again, due now, with a
/// fresh retry budget; false when there is none such.
pub async fn replay_one(
    conn: &mut AnyConnection,
    endpoint_id: &str,
    id: &str,
    now_us: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET state = $1, next_attempt_at_us = $2, retry_from_us = $2, \
         lease_until_us = 0 WHERE id = $3 AND endpoint_id = $4 AND state <> $1",
    )
    .bind(PENDING)
    .bind(now_us)
    .bind(id)
    .bind(endpoint_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Makes every dead delivery of the endpoint pending again; how many.
pub async fn replay_dead(conn: &mut AnyConnection, endpoint_id: &str, now_us: i64) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET state = $1, next_attempt_at_us = $2, retry_from_us = $2, \
         lease_until_us = 0 WHERE endpoint_id = $3 AND state = $4",
    )
    .bind(PENDING)
    .bind(now_us)
    .bind(endpoint_id)
    .bind(DEAD)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
