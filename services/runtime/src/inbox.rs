//! The inbox: how a service consumes events so each has exactly one effect.
//!
//! The bus delivers at least once (a relay may publish twice, a broker redelivers what
//! was not acknowledged before a connection dropped). The [`Consumer`] runner makes the
//! effect exactly once: for each delivery it opens a transaction, records
//! (consumer, event id) in the `inbox` table, runs the handler in that same transaction
//! and commits, and only then acknowledges. A redelivered event finds its inbox row and
//! is acknowledged without running the handler again.
//!
//! Failures: a [`HandlerError::Transient`] rolls back and returns the event to the queue,
//! so after the queue's delivery limit a poison message lands in the dead-letter queue
//! while later events keep flowing; a [`HandlerError::Permanent`] sends it there at once.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::{Any, AnyConnection, Transaction};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::bus::{BusError, Delivery, Event, EventBus, QueueSpec, Subscription};
use crate::db::{Database, now_micros};

/// Records that `consumer` handled `event_id`, inside the caller's transaction. Returns
/// `true` the first time and `false` when it was already recorded (then do nothing and
/// acknowledge). For consumers that do not use [`Consumer`]. Never fails on a duplicate,
/// so the transaction stays usable on PostgreSQL.
pub async fn record(
    conn: &mut AnyConnection,
    consumer: &str,
    event_id: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO inbox (consumer, event_id, processed_at_us) VALUES ($1, $2, $3) \
         ON CONFLICT (consumer, event_id) DO NOTHING",
    )
    .bind(consumer)
    .bind(event_id)
    .bind(now_micros())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Why a handler could not apply an event.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Might work later (a dependency down, a conflict): roll back and redeliver, up to
    /// the queue's delivery limit.
    #[error("transient failure: {0:#}")]
    Transient(anyhow::Error),
    /// Will never work (undecodable payload, impossible state): roll back and send the
    /// event to the dead-letter queue now.
    #[error("permanent failure: {0:#}")]
    Permanent(anyhow::Error),
}

impl HandlerError {
    /// A failure worth retrying.
    pub fn transient(error: impl Into<anyhow::Error>) -> Self {
        Self::Transient(error.into())
    }

    /// A failure not worth retrying.
    pub fn permanent(error: impl Into<anyhow::Error>) -> Self {
        Self::Permanent(error.into())
    }
}

impl From<sqlx::Error> for HandlerError {
    fn from(error: sqlx::Error) -> Self {
        Self::Transient(error.into())
    }
}

impl From<prost::DecodeError> for HandlerError {
    fn from(error: prost::DecodeError) -> Self {
        Self::Permanent(error.into())
    }
}

/// What a service does with one event: its writes go through `tx`, which also holds the
/// inbox row, so they commit together or not at all.
#[async_trait]
pub trait EventHandler: Send + Sync {
    /// Applies `event`; must not commit or roll back `tx`.
    async fn handle(
        &self,
        tx: &mut Transaction<'static, Any>,
        event: &Event,
    ) -> Result<(), HandlerError>;
}

/// What happened to one delivery, for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Applied {
    Handled,
    Duplicate,
}

/// Runs one queue's deliveries through an [`EventHandler`] with inbox deduplication.
pub struct Consumer {
    db: Database,
    bus: Arc<dyn EventBus>,
    spec: QueueSpec,
    name: String,
    handler: Arc<dyn EventHandler>,
}

impl Consumer {
    /// A consumer named `name` (its key in the inbox; keep it stable across releases)
    /// for the queue described by `spec`.
    pub fn new(
        db: Database,
        bus: Arc<dyn EventBus>,
        spec: QueueSpec,
        name: impl Into<String>,
        handler: impl EventHandler + 'static,
    ) -> Self {
        Self {
            db,
            bus,
            spec,
            name: name.into(),
            handler: Arc::new(handler),
        }
    }

    /// Subscribes (declaring the queue, so events published from now on reach it) and
    /// then consumes in a background task until `shutdown`. Use this when the caller
    /// needs the queue to exist before it goes on, as tests and start-up code do.
    pub async fn spawn(
        self,
        shutdown: CancellationToken,
    ) -> Result<JoinHandle<Result<(), BusError>>, BusError> {
        let subscription = self.bus.subscribe(self.spec.clone()).await?;
        Ok(tokio::spawn(self.consume(subscription, shutdown)))
    }

    /// Subscribes and consumes until `shutdown`; returns an error if the subscription
    /// cannot be made or the bus closes.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), BusError> {
        let subscription = self.bus.subscribe(self.spec.clone()).await?;
        self.consume(subscription, shutdown).await
    }

    async fn consume(
        self,
        mut subscription: Subscription,
        shutdown: CancellationToken,
    ) -> Result<(), BusError> {
        loop {
            let delivery = tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                d = subscription.next() => d.ok_or(BusError::Closed)?,
            };
            self.process(delivery, &shutdown).await;
        }
    }

    async fn process(&self, delivery: Delivery, shutdown: &CancellationToken) {
        let queue = self.spec.queue.as_str();
        let id = delivery.event().id.clone();
        let id = id.as_str();
        let span = tracing::info_span!("consume", queue, event_id = id, routing_key = %delivery.event().routing_key);
        crate::telemetry::extract(&delivery.event().headers, &span);
        let applied = tracing::Instrument::instrument(self.apply(delivery.event()), span).await;
        let settled = match applied {
            Ok(applied) => {
                tracing::debug!(queue, event_id = id, ?applied, "event consumed");
                delivery.ack().await
            }
            Err(HandlerError::Permanent(error)) => {
                tracing::error!(
                    queue,
                    event_id = id,
                    error = format!("{error:#}"),
                    "event dead-lettered"
                );
                delivery.reject().await
            }
            Err(HandlerError::Transient(error)) => {
                let attempt = delivery.delivery_count();
                tracing::warn!(
                    queue,
                    event_id = id,
                    attempt,
                    error = format!("{error:#}"),
                    "event failed; will retry"
                );
                // A short pause before requeueing, growing per attempt, so that an outage
                // does not burn through the delivery limit in a few milliseconds.
                let pause = retry_pause(attempt);
                tokio::select! {
                    () = shutdown.cancelled() => {}
                    () = tokio::time::sleep(pause) => {}
                }
                delivery.nack_requeue().await
            }
        };
        if let Err(error) = settled {
            // The broker redelivers it; the inbox turns that into a no-op.
            tracing::warn!(queue = %self.spec.queue, %error, "could not settle delivery");
        }
    }

    async fn apply(&self, event: &Event) -> Result<Applied, HandlerError> {
        let mut tx = self.db.begin().await?;
        if !record(&mut tx, &self.name, &event.id).await? {
            tx.rollback().await?;
            return Ok(Applied::Duplicate);
        }
        if let Err(error) = self.handler.handle(&mut tx, event).await {
            let _ = tx.rollback().await;
            return Err(error);
        }
        tx.commit().await?;
        Ok(Applied::Handled)
    }
}

fn retry_pause(attempt: u32) -> Duration {
    let exp = attempt.saturating_sub(1).min(6);
    Duration::from_millis(10u64 << exp).min(Duration::from_secs(1))
}
