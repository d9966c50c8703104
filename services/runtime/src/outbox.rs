//! The transactional outbox: how a service publishes an event.
//!
//! A producer never talks to the bus inside a business transaction. It calls [`enqueue`]
//! in the same transaction as the state change, so the event exists exactly when the
//! change does (a rollback takes both away). The [`OutboxRelay`] then publishes pending
//! rows in id (= time) order, waits for the broker's confirm, and only then marks a row
//! sent. If the process dies between publish and mark, the row is published again on
//! restart: delivery is at least once, and consumers' inbox makes the effect happen once.
//!
//! Several replicas may run a relay against the same table; they may then publish a row
//! twice, which the inbox absorbs.

use std::sync::Arc;
use std::time::Duration;

use sqlx::{AnyConnection, Row};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::bus::{BusError, Event, EventBus, backoff_delay};
use crate::db::{Database, now_micros};

/// Writes `event` to the outbox inside the caller's transaction (pass `&mut tx`); it is
/// published after, and only if, that transaction commits. Call
/// [`RelayHandle::notify`] after the commit for prompt delivery.
pub async fn enqueue(conn: &mut AnyConnection, event: &Event) -> Result<(), sqlx::Error> {
    let headers =
        serde_json::to_string(&event.headers).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(
        "INSERT INTO outbox (id, routing_key, message_type, payload, headers, created_at_us, attempts) \
         VALUES ($1, $2, $3, $4, $5, $6, 0)",
    )
    .bind(&event.id)
    .bind(&event.routing_key)
    .bind(&event.message_type)
    .bind(&event.payload)
    .bind(headers)
    .bind(event.occurred_at_us)
    .execute(conn)
    .await?;
    Ok(())
}

/// Why one relay step failed; the relay logs it, backs off and tries again.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// Reading or updating the outbox failed.
    #[error("outbox store error: {0}")]
    Store(#[from] sqlx::Error),
    /// The bus did not confirm a publish; the row stays pending.
    #[error("publishing event {id} failed: {source}")]
    Publish {
        /// The event that was not confirmed.
        id: String,
        /// What the bus said.
        #[source]
        source: BusError,
    },
}

/// Wakes a running relay right after a commit that enqueued events, instead of waiting
/// for its next poll. Cheap to clone; hand one to every producer.
#[derive(Clone, Debug)]
pub struct RelayHandle {
    wake: Arc<Notify>,
}

impl RelayHandle {
    /// Asks the relay to look for pending events now; call after committing.
    pub fn notify(&self) {
        self.wake.notify_one();
    }
}

/// Publishes pending outbox rows to the bus, with confirms, then marks them sent.
pub struct OutboxRelay {
    db: Database,
    bus: Arc<dyn EventBus>,
    wake: Arc<Notify>,
    batch_size: i64,
    poll_interval: Duration,
    retry_min: Duration,
    retry_max: Duration,
}

impl OutboxRelay {
    /// Default rows per batch.
    pub const DEFAULT_BATCH_SIZE: i64 = 100;
    /// Default safety-net poll, for commits that did not call [`RelayHandle::notify`]
    /// (another replica, a crash between commit and notify).
    pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(500);

    /// A relay for `db`'s outbox publishing to `bus`.
    pub fn new(db: Database, bus: Arc<dyn EventBus>) -> Self {
        Self {
            db,
            bus,
            wake: Arc::new(Notify::new()),
            batch_size: Self::DEFAULT_BATCH_SIZE,
            poll_interval: Self::DEFAULT_POLL_INTERVAL,
            retry_min: Duration::from_millis(50),
            retry_max: Duration::from_secs(5),
        }
    }

    /// Overrides how often the relay looks for pending rows when nobody notifies it.
    #[must_use]
    pub fn with_poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every;
        self
    }

    /// Overrides how many rows one step publishes.
    #[must_use]
    pub fn with_batch_size(mut self, rows: i64) -> Self {
        self.batch_size = rows.max(1);
        self
    }

    /// A handle producers use to wake this relay after a commit.
    pub fn handle(&self) -> RelayHandle {
        RelayHandle {
            wake: self.wake.clone(),
        }
    }

    /// Up to `limit` unsent events, oldest first.
    pub async fn fetch_pending(&self, limit: i64) -> Result<Vec<Event>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, routing_key, message_type, payload, headers, created_at_us FROM outbox \
             WHERE sent_at_us IS NULL ORDER BY id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let headers: String = row.try_get("headers")?;
                Ok(Event {
                    id: row.try_get("id")?,
                    routing_key: row.try_get("routing_key")?,
                    message_type: row.try_get("message_type")?,
                    payload: row.try_get("payload")?,
                    headers: serde_json::from_str(&headers)
                        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                    occurred_at_us: row.try_get("created_at_us")?,
                })
            })
            .collect()
    }

    /// Publishes one event and waits for the broker's confirm.
    pub async fn publish(&self, event: &Event) -> Result<(), BusError> {
        self.bus.publish(event).await
    }

    /// Records that `id` was confirmed by the broker, so it is not published again.
    pub async fn mark_sent(&self, id: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE outbox SET sent_at_us = $1, attempts = attempts + 1 WHERE id = $2")
            .bind(now_micros())
            .bind(id)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    async fn record_failed_attempt(&self, id: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE outbox SET attempts = attempts + 1 WHERE id = $1")
            .bind(id)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// One step: publishes one batch of pending events in order and marks each sent.
    /// Stops at the first failure, so a later event never overtakes an earlier one.
    /// Returns how many were published.
    pub async fn run_once(&self) -> Result<usize, RelayError> {
        let pending = self.fetch_pending(self.batch_size).await?;
        for (done, event) in pending.iter().enumerate() {
            // The publish joins the trace of the transaction that wrote the event (its
            // context was stored with the row), not whatever the relay task was doing.
            let span = tracing::info_span!(
                "publish",
                routing_key = %event.routing_key,
                event_id = %event.id,
                message_type = %event.message_type,
            );
            crate::telemetry::extract(&event.headers, &span);
            let published = tracing::Instrument::instrument(self.publish(event), span).await;
            if let Err(source) = published {
                let _ = self.record_failed_attempt(&event.id).await;
                if done > 0 {
                    tracing::debug!(published = done, "outbox batch cut short");
                }
                return Err(RelayError::Publish {
                    id: event.id.clone(),
                    source,
                });
            }
            self.mark_sent(&event.id).await?;
        }
        Ok(pending.len())
    }

    /// Runs until `shutdown`: publishes whatever is pending, then sleeps until notified
    /// or the poll interval passes; on failure backs off (exponentially, with jitter) and
    /// retries the same rows.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut failures = 0u32;
        while !shutdown.is_cancelled() {
            let pause = match self.run_once().await {
                Ok(n) if n >= usize::try_from(self.batch_size).unwrap_or(usize::MAX) => {
                    failures = 0;
                    continue;
                }
                Ok(_) => {
                    failures = 0;
                    self.poll_interval
                }
                Err(error) => {
                    let delay = backoff_delay(failures, self.retry_min, self.retry_max);
                    tracing::warn!(%error, ?delay, "outbox relay step failed; retrying");
                    failures = failures.saturating_add(1);
                    delay
                }
            };
            if failures > 0 {
                // Backing off: a notify must not cut the pause short.
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(pause) => {}
                }
            } else {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = self.wake.notified() => {}
                    () = tokio::time::sleep(pause) => {}
                }
            }
        }
    }
}
