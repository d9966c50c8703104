//! The event bus: one publish/subscribe trait with two transports.
//!
//! * [`AmqpBus`] talks to RabbitMQ (production): a durable topic exchange
//!   [`EXCHANGE`], durable quorum queues with an explicit delivery limit, a dead-letter
//!   exchange [`DEAD_LETTER_EXCHANGE`] feeding one `<queue>.dlq` per consumer queue,
//!   publisher confirms, manual acks, bounded prefetch, heartbeats, and its own reconnect
//!   loop.
//! * [`MemoryBus`] is the embedded default when no AMQP URL is configured: the same
//!   semantics (topic bindings, per-queue FIFO, acks, requeue, delivery limit,
//!   dead letters, prefetch) inside one process.
//!
//! Services never publish directly: they write an [`Event`] to the outbox in the same
//! transaction as the state change ([`crate::outbox`]), and consume through the inbox
//! runner ([`crate::inbox`]), so delivery is at least once and the effect exactly once,
//! whichever transport is underneath.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, DropGuard};

pub mod amqp;
pub mod memory;

pub use amqp::{AmqpBus, AmqpOptions};
pub use memory::MemoryBus;

/// The durable topic exchange every Estelam event is published to.
pub const EXCHANGE: &str = "estelam.events";
/// Where a queue's rejected and over-delivered messages go; each consumer queue's
/// `<queue>.dlq` is bound to it with the queue's name as routing key.
pub const DEAD_LETTER_EXCHANGE: &str = "estelam.events.dlx";
/// Content type of every event payload: a protobuf message from `estelam.events.v1`.
pub const CONTENT_TYPE: &str = "application/x-protobuf";

/// One thing that happened, as it travels from a producer's outbox to consumers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// UUIDv7, unique per event; consumers deduplicate on it (AMQP `message_id`).
    pub id: String,
    /// Topic routing key, e.g. `fees.debt.cleared`.
    pub routing_key: String,
    /// Full protobuf name of the payload, e.g. `estelam.events.v1.DebtCleared` (AMQP `type`).
    pub message_type: String,
    /// The protobuf-encoded message.
    pub payload: Vec<u8>,
    /// String headers carried alongside, chiefly W3C `traceparent` / `tracestate`.
    pub headers: BTreeMap<String, String>,
    /// When the producer recorded it, microseconds since the Unix epoch.
    pub occurred_at_us: i64,
}

impl Event {
    /// A new event with a fresh UUIDv7 id, stamped now, with no headers.
    pub fn new(
        routing_key: impl Into<String>,
        message_type: impl Into<String>,
        payload: impl Into<Vec<u8>>,
    ) -> Self {
        // The current trace context travels with the event, so the consumer's work joins
        // the trace of the request that caused it.
        let mut headers = BTreeMap::new();
        crate::telemetry::inject(&mut headers);
        Self {
            id: uuid::Uuid::now_v7().to_string(),
            routing_key: routing_key.into(),
            message_type: message_type.into(),
            payload: payload.into(),
            headers,
            occurred_at_us: crate::db::now_micros(),
        }
    }

    /// Adds one header (e.g. `traceparent`), for chaining after [`Event::new`].
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.insert(name.into(), value.into());
        self
    }
}

/// A consumer queue: its name, what it is bound to, and how deliveries are bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    /// Durable queue name, e.g. `inquiry.debt-cleared`; its dead letters go to `<queue>.dlq`.
    pub queue: String,
    /// Topic patterns bound on [`EXCHANGE`]: words separated by `.`, `*` matches one word,
    /// `#` zero or more.
    pub bindings: Vec<String>,
    /// Most unacknowledged deliveries a subscription holds at once (AMQP `basic.qos`).
    pub prefetch: u16,
    /// How many times a message may go back to the queue (nack with requeue, or its
    /// consumer lost) before it is dead-lettered; RabbitMQ's `x-delivery-limit`, so a
    /// message is delivered at most `delivery_limit + 1` times.
    pub delivery_limit: u32,
}

impl QueueSpec {
    /// Default prefetch: enough to keep a consumer busy, small enough to share work.
    pub const DEFAULT_PREFETCH: u16 = 16;
    /// Default delivery limit: a few retries for transient failures, then the DLQ.
    pub const DEFAULT_DELIVERY_LIMIT: u32 = 5;

    /// A queue bound to `bindings`, with the default prefetch and delivery limit.
    pub fn new<B: Into<String>>(
        queue: impl Into<String>,
        bindings: impl IntoIterator<Item = B>,
    ) -> Self {
        Self {
            queue: queue.into(),
            bindings: bindings.into_iter().map(Into::into).collect(),
            prefetch: Self::DEFAULT_PREFETCH,
            delivery_limit: Self::DEFAULT_DELIVERY_LIMIT,
        }
    }

    /// Name of the queue that collects this queue's dead letters.
    pub fn dead_letter_queue(&self) -> String {
        dead_letter_queue(&self.queue)
    }

    /// Rejects specs the broker would refuse, before anything is declared.
    pub(crate) fn validate(&self) -> Result<(), BusError> {
        let bad = |why: &str| {
            Err(BusError::InvalidSpec(format!(
                "queue {:?}: {why}",
                self.queue
            )))
        };
        if self.queue.is_empty() || self.queue.len() > 200 {
            return bad("name must be 1 to 200 bytes");
        }
        if self.queue.starts_with("amq.") {
            return bad("names starting with amq. are reserved by the broker");
        }
        if self.prefetch == 0 {
            return bad("prefetch must be at least 1");
        }
        if self.bindings.iter().any(|b| b.is_empty() || b.len() > 255) {
            return bad("every binding must be 1 to 255 bytes");
        }
        Ok(())
    }
}

/// Name of the queue that collects `queue`'s dead letters.
pub fn dead_letter_queue(queue: &str) -> String {
    format!("{queue}.dlq")
}

/// Why the bus could not publish or subscribe.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// No broker connection right now; the reconnect loop is working on it. Retry later.
    #[error("the message broker is not connected")]
    Disconnected,
    /// The broker did not confirm within the bound; the message may or may not have been
    /// stored, so the caller retries and consumers deduplicate.
    #[error("the broker did not confirm the publish within {0:?}")]
    ConfirmTimeout(Duration),
    /// The broker refused to take responsibility for the message (`basic.nack`).
    #[error("the broker refused the message")]
    Nacked,
    /// The bus was shut down.
    #[error("the event bus is closed")]
    Closed,
    /// The queue spec or event cannot be expressed on the broker (names too long, …).
    #[error("invalid bus request: {0}")]
    InvalidSpec(String),
    /// The broker URL does not parse.
    #[error("invalid AMQP URL: {0}")]
    InvalidUrl(String),
    /// The AMQP client reported an error.
    #[error("AMQP error: {0}")]
    Amqp(#[from] lapin::Error),
}

/// The one publish/subscribe interface services see; both transports implement it.
#[async_trait]
pub trait EventBus: Send + Sync {
    /// Publishes to [`EXCHANGE`] and returns only once the broker has taken
    /// responsibility for the event (publisher confirm), or with an error, never
    /// silently. Time-bounded: a lost confirm becomes [`BusError::ConfirmTimeout`].
    async fn publish(&self, event: &Event) -> Result<(), BusError>;

    /// Declares the queue, its bindings and its dead-letter queue, then starts
    /// consuming. Returns once the queue exists, so events published afterwards reach it.
    /// The subscription survives reconnects; drop it to stop consuming.
    async fn subscribe(&self, spec: QueueSpec) -> Result<Subscription, BusError>;

    /// True while the transport can publish (readiness probe).
    fn is_connected(&self) -> bool;
}

/// A stream of deliveries from one queue, fed by the transport in the background.
pub struct Subscription {
    rx: mpsc::Receiver<Delivery>,
    _stop: DropGuard,
}

impl Subscription {
    /// Wraps the receiving end of a transport's delivery feed; dropping the subscription
    /// cancels `stop`, which ends the feed.
    pub(crate) fn new(rx: mpsc::Receiver<Delivery>, stop: CancellationToken) -> Self {
        Self {
            rx,
            _stop: stop.drop_guard(),
        }
    }

    /// The next delivery; `None` once the bus is closed.
    pub async fn next(&mut self) -> Option<Delivery> {
        self.rx.recv().await
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription").finish_non_exhaustive()
    }
}

/// What the consumer decided about a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Done: remove it from the queue.
    Ack,
    /// Failed for now: back to the queue (counts toward the delivery limit).
    Requeue,
    /// Never going to work: straight to the dead-letter queue.
    Reject,
}

/// The transport-specific part of settling one delivery.
#[async_trait]
pub(crate) trait Settle: Send + Sync {
    /// Tells the queue what happened to the delivery.
    async fn settle(self: Box<Self>, outcome: Outcome) -> Result<(), BusError>;
    /// The delivery was dropped unsettled: return it to the queue without waiting.
    fn abandon(self: Box<Self>);
}

/// One event handed to a subscriber; it stays unacknowledged (and counts against the
/// prefetch) until settled with [`Delivery::ack`], [`Delivery::nack_requeue`] or
/// [`Delivery::reject`]. Dropping it unsettled returns it to the queue.
pub struct Delivery {
    event: Event,
    redelivered: bool,
    delivery_count: u32,
    settle: Option<Box<dyn Settle>>,
}

impl Delivery {
    pub(crate) fn new(
        event: Event,
        redelivered: bool,
        delivery_count: u32,
        settle: Box<dyn Settle>,
    ) -> Self {
        Self {
            event,
            redelivered,
            delivery_count,
            settle: Some(settle),
        }
    }

    /// The event delivered.
    pub fn event(&self) -> &Event {
        &self.event
    }

    /// True when this event may have been delivered before (to this or another consumer).
    pub fn redelivered(&self) -> bool {
        self.redelivered
    }

    /// Which delivery this is, starting at 1; above `delivery_limit + 1` it is dead-lettered.
    pub fn delivery_count(&self) -> u32 {
        self.delivery_count
    }

    /// Handled: remove it from the queue.
    pub async fn ack(self) -> Result<(), BusError> {
        self.finish(Outcome::Ack).await
    }

    /// Not handled this time: return it to the queue for another try (counts toward the
    /// delivery limit).
    pub async fn nack_requeue(self) -> Result<(), BusError> {
        self.finish(Outcome::Requeue).await
    }

    /// Never going to succeed: send it to the queue's dead-letter queue now.
    pub async fn reject(self) -> Result<(), BusError> {
        self.finish(Outcome::Reject).await
    }

    async fn finish(mut self, outcome: Outcome) -> Result<(), BusError> {
        match self.settle.take() {
            Some(settle) => settle.settle(outcome).await,
            None => Ok(()),
        }
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        if let Some(settle) = self.settle.take() {
            settle.abandon();
        }
    }
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("event_id", &self.event.id)
            .field("routing_key", &self.event.routing_key)
            .field("redelivered", &self.redelivered)
            .field("delivery_count", &self.delivery_count)
            .finish()
    }
}

/// Exponential backoff with jitter, shared by the reconnect loop and the outbox relay:
/// the delay doubles per attempt up to `max`, and is drawn uniformly from its upper half
/// so that many replicas reconnecting at once spread out.
pub(crate) fn backoff_delay(attempt: u32, min: Duration, max: Duration) -> Duration {
    use rand::Rng;
    let ceiling = min
        .saturating_mul(2u32.saturating_pow(attempt.min(20)))
        .min(max)
        .max(min);
    let half = ceiling / 2;
    let half_us = u64::try_from(half.as_micros()).unwrap_or(u64::MAX);
    let jitter = rand::rng().random_range(0..=half_us);
    half + Duration::from_micros(jitter)
}

/// True when `routing_key` matches the topic `pattern` (`*` one word, `#` zero or more).
pub fn topic_matches(pattern: &str, routing_key: &str) -> bool {
    fn go(p: &[&str], k: &[&str]) -> bool {
        match p.split_first() {
            None => k.is_empty(),
            Some((&"#", rest)) => (0..=k.len()).any(|skip| go(rest, &k[skip..])),
            Some((&word, rest)) => match k.split_first() {
                Some((&key, krest)) => (word == "*" || word == key) && go(rest, krest),
                None => false,
            },
        }
    }
    let p: Vec<&str> = pattern.split('.').collect();
    let k: Vec<&str> = routing_key.split('.').collect();
    go(&p, &k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_patterns_match_like_rabbitmq() {
        assert!(topic_matches("fees.debt.cleared", "fees.debt.cleared"));
        assert!(topic_matches("fees.*.cleared", "fees.debt.cleared"));
        assert!(!topic_matches("fees.*", "fees.debt.cleared"));
        assert!(topic_matches("fees.#", "fees.debt.cleared"));
        assert!(topic_matches("fees.#", "fees"));
        assert!(topic_matches("#", "inquiry.answer.issued"));
        assert!(topic_matches("#.cleared", "fees.debt.cleared"));
        assert!(topic_matches("fees.#.cleared", "fees.cleared"));
        assert!(!topic_matches("fees.debt", "fees.debt.cleared"));
        assert!(!topic_matches("inquiry.#", "fees.debt.cleared"));
        assert!(!topic_matches("*", "a.b"));
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        let min = Duration::from_millis(100);
        let max = Duration::from_secs(5);
        for attempt in 0..40 {
            let d = backoff_delay(attempt, min, max);
            assert!(d >= min / 2 && d <= max, "attempt {attempt}: {d:?}");
        }
        assert!(backoff_delay(10, min, max) >= max / 2);
    }

    #[test]
    fn events_get_time_ordered_unique_ids() {
        let a = Event::new(
            "fees.debt.cleared",
            "estelam.events.v1.DebtCleared",
            vec![1],
        );
        let b = Event::new(
            "fees.debt.cleared",
            "estelam.events.v1.DebtCleared",
            vec![1],
        );
        assert!(a.id < b.id);
    }
}
