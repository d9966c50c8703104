//! Shared pieces of the bus tests: the transports to run on, a handler whose effect is
//! a row in a table the test owns, and how long a test waits for one (with
//! `estelam_runtime::testing::eventually`, never a fixed sleep).
#![allow(dead_code, missing_docs)] // each test binary uses a subset

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use estelam_runtime::bus::{AmqpBus, AmqpOptions, Event, EventBus, MemoryBus};
use estelam_runtime::db::Database;
use estelam_runtime::inbox::{EventHandler, HandlerError};
use estelam_runtime::outbox;
use estelam_runtime::testing;
use sqlx::{Any, Transaction};

pub const TEST_TYPE: &str = "estelam.events.v1.Test";

/// How long any one awaited condition may take before the test fails (a hang guard).
pub const DEADLINE: Duration = Duration::from_secs(20);

/// One bus implementation under test.
pub enum Transport {
    Memory(MemoryBus),
    Amqp(AmqpBus),
}

impl Transport {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Memory(_) => "memory",
            Self::Amqp(_) => "rabbitmq",
        }
    }

    pub fn bus(&self) -> Arc<dyn EventBus> {
        match self {
            Self::Memory(b) => Arc::new(b.clone()),
            Self::Amqp(b) => Arc::new(b.clone()),
        }
    }

    /// Dead letters that arrived since the last call (RabbitMQ: taken from `<queue>.dlq`).
    pub async fn new_dead_letters(&self, queue: &str, seen: &mut Vec<Event>) {
        match self {
            Self::Memory(b) => *seen = b.dead_letters(queue),
            Self::Amqp(b) => {
                seen.extend(b.take_dead_letters(queue, 100).await.expect("read the DLQ"))
            }
        }
    }

    /// Removes the test's durable queues from the broker.
    pub async fn cleanup(&self, queue: &str) {
        if let Self::Amqp(b) = self {
            b.delete_queue(queue).await.expect("delete test queues");
        }
    }
}

/// Tight reconnect and confirm bounds, so failures show quickly in tests.
pub fn amqp_test_options() -> AmqpOptions {
    AmqpOptions {
        connection_name: "estelam-test".to_owned(),
        heartbeat: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(5),
        confirm_timeout: Duration::from_secs(5),
        reconnect_min: Duration::from_millis(50),
        reconnect_max: Duration::from_secs(1),
    }
}

/// The in-process bus always; RabbitMQ too when `ESTELAM_TEST_AMQP_URL` is set.
pub async fn transports() -> Vec<Transport> {
    let mut out = vec![Transport::Memory(MemoryBus::new())];
    if let Some(url) = testing::amqp_url() {
        let bus = AmqpBus::connect(&url, amqp_test_options())
            .await
            .expect("connect to RabbitMQ");
        out.push(Transport::Amqp(bus));
    }
    out
}

/// A routing-key namespace and queue name no other test shares.
pub struct Names {
    pub queue: String,
    pub prefix: String,
}

impl Names {
    pub fn new(test: &str) -> Self {
        let suffix = testing::unique_suffix();
        Self {
            queue: format!("test.{test}.{suffix}"),
            prefix: format!("test.{suffix}"),
        }
    }

    pub fn binding(&self) -> String {
        format!("{}.#", self.prefix)
    }

    pub fn event(&self, what: &str) -> Event {
        Event::new(
            format!("{}.{what}", self.prefix),
            TEST_TYPE,
            what.as_bytes().to_vec(),
        )
        .with_header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
    }
}

/// The table the handler writes its effect to: deliberately without a unique key, so a
/// second effect would show as a second row.
pub async fn create_effects_table(db: &Database) {
    sqlx::query("CREATE TABLE effects (event_id TEXT NOT NULL, routing_key TEXT NOT NULL)")
        .execute(db.pool())
        .await
        .expect("create effects table");
}

pub async fn effect_count(db: &Database, event_id: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM effects WHERE event_id = $1")
        .bind(event_id)
        .fetch_one(db.pool())
        .await
        .expect("count effects")
}

pub async fn total_effects(db: &Database) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM effects")
        .fetch_one(db.pool())
        .await
        .expect("count effects")
}

/// Event ids whose effect happened more than once.
pub async fn duplicated_effects(db: &Database) -> Vec<String> {
    sqlx::query_scalar("SELECT event_id FROM effects GROUP BY event_id HAVING COUNT(*) > 1")
        .fetch_all(db.pool())
        .await
        .expect("find duplicates")
}

pub async fn pending_outbox(db: &Database) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at_us IS NULL")
        .fetch_one(db.pool())
        .await
        .expect("count pending")
}

/// Writes `event` to the outbox in its own committed transaction.
pub async fn commit_event(db: &Database, event: &Event) {
    let mut tx = db.begin().await.expect("begin");
    outbox::enqueue(&mut tx, event).await.expect("enqueue");
    tx.commit().await.expect("commit");
}

/// Inserts one `effects` row per call, in the consumer's transaction; fails as told.
#[derive(Clone, Default)]
pub struct EffectHandler {
    calls: Arc<Mutex<HashMap<String, u32>>>,
    failure: Option<fn(&Event) -> Option<HandlerError>>,
}

impl EffectHandler {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn failing_with(failure: fn(&Event) -> Option<HandlerError>) -> Self {
        Self {
            failure: Some(failure),
            ..Self::default()
        }
    }

    /// How many times the handler ran for `event_id` (the inbox skips duplicates first).
    pub fn calls(&self, event_id: &str) -> u32 {
        self.calls
            .lock()
            .expect("calls lock")
            .get(event_id)
            .copied()
            .unwrap_or(0)
    }
}

#[async_trait]
impl EventHandler for EffectHandler {
    async fn handle(
        &self,
        tx: &mut Transaction<'static, Any>,
        event: &Event,
    ) -> Result<(), HandlerError> {
        *self
            .calls
            .lock()
            .expect("calls lock")
            .entry(event.id.clone())
            .or_default() += 1;
        if let Some(error) = self.failure.and_then(|f| f(event)) {
            return Err(error);
        }
        sqlx::query("INSERT INTO effects (event_id, routing_key) VALUES ($1, $2)")
            .bind(&event.id)
            .bind(&event.routing_key)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}
