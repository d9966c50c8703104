//! The RabbitMQ transport, through lapin.
//!
//! Topology: the durable topic exchange [`EXCHANGE`]; per consumer queue a durable
//! quorum queue with `x-delivery-limit` (RabbitMQ 3.10 has no default), dead-lettering
//! (at least once) to the topic exchange [`DEAD_LETTER_EXCHANGE`] with the queue's name
//! as routing key, where the quorum queue `<queue>.dlq` is bound.
//!
//! Connection management is ours rather than lapin's auto-recovery, so the behaviour on
//! a broken connection is explicit and tested: one supervisor task owns the connection
//! and replaces it, with exponential backoff and jitter, whenever it breaks (heartbeat
//! timeout, broker restart, `rabbitmqctl close_all_connections`). Publishes in flight at
//! that moment fail with an error (the outbox keeps the row and retries); publishes while
//! disconnected wait for the new connection up to the confirm timeout. Each subscription
//! runs its own task that re-declares its topology on the new connection and resumes
//! consuming; unacknowledged deliveries are redelivered by the broker and deduplicated
//! by the inbox.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicGetOptions, BasicNackOptions, BasicPublishOptions,
    BasicQosOptions, BasicRejectOptions, ConfirmSelectOptions, ExchangeDeclareOptions,
    QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::uri::AMQPUri;
use lapin::{
    BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, ExchangeKind,
};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::{CancellationToken, DropGuard};

use super::{
    BusError, CONTENT_TYPE, DEAD_LETTER_EXCHANGE, Delivery, EXCHANGE, Event, EventBus, Outcome,
    QueueSpec, Settle, Subscription, backoff_delay, dead_letter_queue,
};

/// Header carrying [`Event::occurred_at_us`] exactly (the AMQP timestamp has only seconds).
const OCCURRED_AT_HEADER: &str = "x-estelam-occurred-at-us";
/// Header quorum queues set on redeliveries: how many times the message went back.
const DELIVERY_COUNT_HEADER: &str = "x-delivery-count";
/// How often the supervisor double-checks the connection status, in case a failure
/// produced no connection event.
const HEALTH_CHECK_EVERY: Duration = Duration::from_millis(250);

/// Tunables of the RabbitMQ transport; the defaults suit production and tests alike.
#[derive(Debug, Clone)]
pub struct AmqpOptions {
    /// Shown in the RabbitMQ management UI, e.g. `estelam-fees`.
    pub connection_name: String,
    /// Heartbeat interval proposed to the broker, so a dead peer is noticed within about
    /// twice this (used unless the URL has `?heartbeat=`).
    pub heartbeat: Duration,
    /// Bound on one connection attempt (TCP + AMQP handshake).
    pub connect_timeout: Duration,
    /// Bound on a publish: waiting for a connection plus waiting for the confirm.
    pub confirm_timeout: Duration,
    /// First reconnect delay; doubles per failed attempt, with jitter.
    pub reconnect_min: Duration,
    /// Longest reconnect delay.
    pub reconnect_max: Duration,
}

impl Default for AmqpOptions {
    fn default() -> Self {
        Self {
            connection_name: "estelam".to_owned(),
            heartbeat: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            confirm_timeout: Duration::from_secs(10),
            reconnect_min: Duration::from_millis(100),
            reconnect_max: Duration::from_secs(10),
        }
    }
}

/// The RabbitMQ event bus: one managed connection, shared by publishing and every
/// subscription. Clones share it; it closes when the last clone and subscription are gone.
#[derive(Clone)]
pub struct AmqpBus {
    inner: Arc<Inner>,
}

struct Inner {
    link: watch::Receiver<Option<Link>>,
    connections: Arc<AtomicU64>,
    options: AmqpOptions,
    stop: CancellationToken,
    _close_on_drop: DropGuard,
}

/// One live connection with its confirm-mode publishing channel.
#[derive(Clone)]
struct Link {
    generation: u64,
    connection: Arc<Connection>,
    publisher: Channel,
}

impl Link {
    fn is_usable(&self) -> bool {
        self.connection.status().connected() && self.publisher.status().connected()
    }
}

impl AmqpBus {
    /// Connects to `url` (e.g. `amqp://guest:guest@127.0.0.1:5672/%2f`), declares the
    /// exchanges, and starts the reconnect supervisor. Fails if the first connection
    /// cannot be made, so a wrong URL or password shows at start-up; later failures are
    /// retried forever.
    pub async fn connect(url: &str, options: AmqpOptions) -> Result<Self, BusError> {
        let mut uri: AMQPUri = url.parse().map_err(BusError::InvalidUrl)?;
        if uri.query.heartbeat.is_none() {
            uri.query.heartbeat =
                Some(u16::try_from(options.heartbeat.as_secs().max(1)).unwrap_or(u16::MAX));
        }
        if uri.query.connection_timeout.is_none() {
            uri.query.connection_timeout =
                Some(u64::try_from(options.connect_timeout.as_millis()).unwrap_or(u64::MAX));
        }
        let first = establish(&uri, &options, 1).await?;
        let (tx, rx) = watch::channel(Some(first.clone()));
        let stop = CancellationToken::new();
        let connections = Arc::new(AtomicU64::new(1));
        tokio::spawn(supervise(
            uri,
            options.clone(),
            tx,
            stop.clone(),
            first,
            connections.clone(),
        ));
        Ok(Self {
            inner: Arc::new(Inner {
                link: rx,
                connections,
                options,
                stop: stop.clone(),
                _close_on_drop: stop.drop_guard(),
            }),
        })
    }

    /// How many connections this bus has established so far: 1 until the first
    /// reconnect. For metrics and tests.
    pub fn connections_established(&self) -> u64 {
        self.inner.connections.load(Ordering::Relaxed)
    }

    /// Closes the connection and ends every subscription of this bus.
    pub async fn close(&self) {
        self.inner.stop.cancel();
        let link = self.inner.link.borrow().clone();
        if let Some(link) = link {
            let _ = tokio::time::timeout(
                Duration::from_secs(2),
                link.connection.close(200, "shutting down".into()),
            )
            .await;
        }
    }

    /// Takes up to `max` events from `queue`'s dead-letter queue (`<queue>.dlq`),
    /// acknowledging them; for operator tooling and tests.
    pub async fn take_dead_letters(&self, queue: &str, max: usize) -> Result<Vec<Event>, BusError> {
        let link = self
            .inner
            .usable_link(Some(Instant::now() + self.inner.options.confirm_timeout))
            .await?;
        let channel = link.connection.create_channel().await?;
        let dlq = short(&dead_letter_queue(queue))?;
        let mut out = Vec::new();
        while out.len() < max {
            let Some(message) = channel
                .basic_get(dlq.clone(), BasicGetOptions { no_ack: false })
                .await?
            else {
                break;
            };
            let delivery = message.delivery;
            if let Ok(event) = to_event(&delivery) {
                out.push(event);
            }
            delivery.acker.ack(BasicAckOptions::default()).await?;
        }
        let _ = channel.close(200, "OK".into()).await;
        Ok(out)
    }

    /// Deletes `queue` and its dead-letter queue with everything in them; for retiring a
    /// consumer and for tests, which must not leave durable queues behind.
    pub async fn delete_queue(&self, queue: &str) -> Result<(), BusError> {
        let link = self
            .inner
            .usable_link(Some(Instant::now() + self.inner.options.confirm_timeout))
            .await?;
        let channel = link.connection.create_channel().await?;
        for name in [queue.to_owned(), dead_letter_queue(queue)] {
            channel
                .queue_delete(short(&name)?, QueueDeleteOptions::default())
                .await?;
        }
        let _ = channel.close(200, "OK".into()).await;
        Ok(())
    }
}

impl Inner {
    /// The current connection once it is usable; waits for the supervisor to reconnect,
    /// until `deadline` if one is given.
    async fn usable_link(&self, deadline: Option<Instant>) -> Result<Link, BusError> {
        let mut rx = self.link.clone();
        loop {
            if self.stop.is_cancelled() {
                return Err(BusError::Closed);
            }
            let current = rx.borrow_and_update().clone();
            if let Some(link) = current.filter(Link::is_usable) {
                return Ok(link);
            }
            let changed = async {
                tokio::select! {
                    () = self.stop.cancelled() => Err(BusError::Closed),
                    r = rx.changed() => r.map_err(|_| BusError::Closed),
                    // The supervisor may not have noticed the break yet; look again soon.
                    () = tokio::time::sleep(HEALTH_CHECK_EVERY) => Ok(()),
                }
            };
            match deadline {
                Some(deadline) => match tokio::time::timeout_at(deadline, changed).await {
                    Ok(r) => r?,
                    Err(_) => return Err(BusError::Disconnected),
                },
                None => changed.await?,
            }
        }
    }
}

/// Opens a connection, a confirm-mode publishing channel, and declares both exchanges.
async fn establish(
    uri: &AMQPUri,
    options: &AmqpOptions,
    generation: u64,
) -> Result<Link, BusError> {
    let props = ConnectionProperties::default()
        .with_connection_name(options.connection_name.clone().into());
    let connection = tokio::time::timeout(
        options.connect_timeout,
        Connection::connect_uri(uri.clone(), props),
    )
    .await
    .map_err(|_| BusError::Disconnected)??;
    let publisher = connection.create_channel().await?;
    publisher
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    for exchange in [EXCHANGE, DEAD_LETTER_EXCHANGE] {
        publisher
            .exchange_declare(
                exchange.into(),
                ExchangeKind::Topic,
                durable,
                FieldTable::default(),
            )
            .await?;
    }
    Ok(Link {
        generation,
        connection: Arc::new(connection),
        publisher,
    })
}

/// Owns the connection: waits until it breaks, then replaces it with backoff and jitter,
/// until the bus is closed.
async fn supervise(
    uri: AMQPUri,
    options: AmqpOptions,
    tx: watch::Sender<Option<Link>>,
    stop: CancellationToken,
    mut link: Link,
    connections: Arc<AtomicU64>,
) {
    loop {
        wait_until_broken(&link, &stop).await;
        if stop.is_cancelled() {
            tx.send_replace(None);
            let _ = tokio::time::timeout(
                Duration::from_secs(2),
                link.connection.close(200, "shutting down".into()),
            )
            .await;
            return;
        }
        tracing::warn!(
            generation = link.generation,
            "AMQP connection lost; reconnecting"
        );
        tx.send_replace(None);
        if link.connection.status().connected() {
            // Only the publishing channel died; retire the whole connection.
            let _ = tokio::time::timeout(
                Duration::from_secs(2),
                link.connection.close(200, "replacing".into()),
            )
            .await;
        }
        let generation = link.generation + 1;
        let mut attempt = 0;
        link = loop {
            match establish(&uri, &options, generation).await {
                Ok(new_link) => break new_link,
                Err(error) => {
                    let delay =
                        backoff_delay(attempt, options.reconnect_min, options.reconnect_max);
                    tracing::warn!(%error, attempt, ?delay, "AMQP reconnect failed");
                    attempt = attempt.saturating_add(1);
                    tokio::select! {
                        () = stop.cancelled() => return,
                        () = tokio::time::sleep(delay) => {}
                    }
                }
            }
        };
        connections.fetch_add(1, Ordering::Relaxed);
        tracing::info!(generation, "AMQP connection re-established");
        tx.send_replace(Some(link.clone()));
    }
}

async fn wait_until_broken(link: &Link, stop: &CancellationToken) {
    let mut events = Box::pin(link.connection.events_listener());
    let mut events_open = true;
    let mut tick = tokio::time::interval(HEALTH_CHECK_EVERY);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            event = events.next(), if events_open => match event {
                Some(lapin::Event::Error(error)) => {
                    tracing::warn!(%error, "AMQP connection error");
                    return;
                }
                Some(_) => {}
                None => events_open = false,
            },
            _ = tick.tick() => if !link.is_usable() { return },
        }
    }
}

#[async_trait]
impl EventBus for AmqpBus {
    async fn publish(&self, event: &Event) -> Result<(), BusError> {
        let timeout = self.inner.options.confirm_timeout;
        let deadline = Instant::now() + timeout;
        let properties = properties(event)?;
        let routing_key = short(&event.routing_key)?;
        let link = self.inner.usable_link(Some(deadline)).await?;
        let confirmed = async {
            link.publisher
                .basic_publish(
                    EXCHANGE.into(),
                    routing_key,
                    BasicPublishOptions::default(),
                    &event.payload,
                    properties,
                )
                .await?
                .await
        };
        match tokio::time::timeout_at(deadline, confirmed).await {
            Err(_) => Err(BusError::ConfirmTimeout(timeout)),
            Ok(Err(error)) => Err(BusError::Amqp(error)),
            Ok(Ok(Confirmation::Ack(_))) => Ok(()),
            Ok(Ok(Confirmation::Nack(_) | Confirmation::NotRequested)) => Err(BusError::Nacked),
        }
    }

    async fn subscribe(&self, spec: QueueSpec) -> Result<Subscription, BusError> {
        spec.validate()?;
        let deadline = Instant::now() + self.inner.options.connect_timeout;
        let link = self.inner.usable_link(Some(deadline)).await?;
        let (channel, consumer) = open_consumer(&link, &spec).await?;
        let (tx, rx) = mpsc::channel(usize::from(spec.prefetch));
        let stop = self.inner.stop.child_token();
        let feed = Feed {
            inner: self.inner.clone(),
            spec,
            tx,
            stop: stop.clone(),
        };
        tokio::spawn(feed.run(channel, consumer));
        Ok(Subscription::new(rx, stop))
    }

    fn is_connected(&self) -> bool {
        !self.inner.stop.is_cancelled()
            && self
                .inner
                .link
                .borrow()
                .as_ref()
                .is_some_and(Link::is_usable)
    }
}

/// A ShortString, or an error instead of lapin's panic when longer than 255 bytes.
fn short(s: &str) -> Result<ShortString, BusError> {
    ShortString::try_new(s).map_err(|e| BusError::InvalidSpec(format!("{s:?}: {e}")))
}

fn long(s: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(s))
}

fn properties(event: &Event) -> Result<BasicProperties, BusError> {
    let mut headers = FieldTable::default();
    for (name, value) in &event.headers {
        headers.insert(short(name)?, long(value));
    }
    headers.insert(
        OCCURRED_AT_HEADER.into(),
        AMQPValue::LongLongInt(event.occurred_at_us),
    );
    Ok(BasicProperties::default()
        .with_message_id(short(&event.id)?)
        .with_type(short(&event.message_type)?)
        .with_content_type(CONTENT_TYPE.into())
        .with_delivery_mode(2)
        .with_timestamp(u64::try_from(event.occurred_at_us / 1_000_000).unwrap_or(0))
        .with_headers(headers))
}

fn as_i64(value: &AMQPValue) -> Option<i64> {
    match value {
        AMQPValue::ShortShortInt(v) => Some(i64::from(*v)),
        AMQPValue::ShortShortUInt(v) => Some(i64::from(*v)),
        AMQPValue::ShortInt(v) => Some(i64::from(*v)),
        AMQPValue::ShortUInt(v) => Some(i64::from(*v)),
        AMQPValue::LongInt(v) => Some(i64::from(*v)),
        AMQPValue::LongUInt(v) => Some(i64::from(*v)),
        AMQPValue::LongLongInt(v) => Some(*v),
        AMQPValue::Timestamp(v) => i64::try_from(*v).ok(),
        _ => None,
    }
}

/// Rebuilds the event from an AMQP message. Headers named `x-…` belong to the broker
/// and the transport and are not part of the event.
fn to_event(delivery: &lapin::message::Delivery) -> Result<Event, String> {
    let props = &delivery.properties;
    let id = props
        .message_id()
        .as_ref()
        .ok_or("no message_id")?
        .to_string();
    let message_type = props.kind().as_ref().ok_or("no type")?.to_string();
    let table = props.headers().clone().unwrap_or_default();
    let mut headers = std::collections::BTreeMap::new();
    for (name, value) in &table {
        if name.as_str().starts_with("x-") {
            continue;
        }
        match value {
            AMQPValue::LongString(s) => headers.insert(name.to_string(), s.to_string()),
            AMQPValue::ShortString(s) => headers.insert(name.to_string(), s.to_string()),
            _ => None,
        };
    }
    let occurred_at_us = table
        .inner()
        .get(OCCURRED_AT_HEADER)
        .and_then(as_i64)
        .or_else(|| {
            props
                .timestamp()
                .and_then(|s| i64::try_from(s).ok())
                .map(|s| s.saturating_mul(1_000_000))
        })
        .unwrap_or(0);
    let routing_key =
        original_routing_key(&table).unwrap_or_else(|| delivery.routing_key.to_string());
    Ok(Event {
        id,
        routing_key,
        message_type,
        payload: delivery.data.clone(),
        headers,
        occurred_at_us,
    })
}

/// A dead-lettered message travels with the dead-letter routing key (the queue name);
/// the broker keeps the one it was published with in the newest `x-death` entry.
fn original_routing_key(headers: &FieldTable) -> Option<String> {
    let AMQPValue::FieldArray(deaths) = headers.inner().get("x-death")? else {
        return None;
    };
    let AMQPValue::FieldTable(newest) = deaths.as_slice().first()? else {
        return None;
    };
    let AMQPValue::FieldArray(keys) = newest.inner().get("routing-keys")? else {
        return None;
    };
    match keys.as_slice().first()? {
        AMQPValue::LongString(s) => Some(s.to_string()),
        AMQPValue::ShortString(s) => Some(s.to_string()),
        _ => None,
    }
}

fn delivery_count(delivery: &lapin::message::Delivery) -> u32 {
    let returns = delivery
        .properties
        .headers()
        .as_ref()
        .and_then(|h| h.inner().get(DELIVERY_COUNT_HEADER))
        .and_then(as_i64)
        .unwrap_or(0);
    u32::try_from(returns)
        .unwrap_or(u32::MAX - 1)
        .saturating_add(1)
}

/// Declares the queue's topology on a fresh channel and starts consuming from it.
async fn open_consumer(
    link: &Link,
    spec: &QueueSpec,
) -> Result<(Channel, lapin::Consumer), BusError> {
    let channel = link.connection.create_channel().await?;
    match declare_and_consume(&channel, spec).await {
        Ok(consumer) => Ok((channel, consumer)),
        Err(error) => {
            let _ = channel.close(200, "declare failed".into()).await;
            Err(error)
        }
    }
}

async fn declare_and_consume(
    channel: &Channel,
    spec: &QueueSpec,
) -> Result<lapin::Consumer, BusError> {
    let queue = short(&spec.queue)?;
    let dlq = short(&spec.dead_letter_queue())?;
    let durable = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };

    let mut dlq_args = FieldTable::default();
    dlq_args.insert("x-queue-type".into(), long("quorum"));
    channel
        .queue_declare(dlq.clone(), durable, dlq_args)
        .await?;
    channel
        .queue_bind(
            dlq,
            DEAD_LETTER_EXCHANGE.into(),
            queue.clone(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;

    let mut args = FieldTable::default();
    args.insert("x-queue-type".into(), long("quorum"));
    args.insert(
        "x-delivery-limit".into(),
        AMQPValue::LongLongInt(i64::from(spec.delivery_limit)),
    );
    args.insert("x-dead-letter-exchange".into(), long(DEAD_LETTER_EXCHANGE));
    args.insert("x-dead-letter-routing-key".into(), long(&spec.queue));
    // Quorum queues can dead-letter at least once (3.10+), which needs reject-publish
    // overflow; the default (at most once) could drop a poison message on a leader change.
    args.insert("x-dead-letter-strategy".into(), long("at-least-once"));
    args.insert("x-overflow".into(), long("reject-publish"));
    channel.queue_declare(queue.clone(), durable, args).await?;
    for binding in &spec.bindings {
        channel
            .queue_bind(
                queue.clone(),
                EXCHANGE.into(),
                short(binding)?,
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    channel
        .basic_qos(spec.prefetch, BasicQosOptions { global: false })
        .await?;
    let consumer = channel
        .basic_consume(
            queue,
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    Ok(consumer)
}

/// Moves deliveries from the broker to one [`Subscription`], re-subscribing on a new
/// connection whenever the old one is lost.
struct Feed {
    inner: Arc<Inner>,
    spec: QueueSpec,
    tx: mpsc::Sender<Delivery>,
    stop: CancellationToken,
}

enum PumpEnd {
    Stopped,
    Lost(String),
}

impl Feed {
    async fn run(self, channel: Channel, consumer: lapin::Consumer) {
        let mut current = Some((channel, consumer));
        let mut attempt = 0u32;
        loop {
            let (channel, consumer) = match current.take() {
                Some(c) => c,
                None => {
                    let link = tokio::select! {
                        () = self.stop.cancelled() => return,
                        link = self.inner.usable_link(None) => match link {
                            Ok(link) => link,
                            Err(_) => return,
                        },
                    };
                    match open_consumer(&link, &self.spec).await {
                        Ok(c) => {
                            tracing::info!(queue = %self.spec.queue, generation = link.generation, "resumed consuming");
                            attempt = 0;
                            c
                        }
                        Err(error) => {
                            let delay = backoff_delay(
                                attempt,
                                self.inner.options.reconnect_min,
                                self.inner.options.reconnect_max,
                            );
                            tracing::warn!(queue = %self.spec.queue, %error, ?delay, "re-subscribe failed");
                            attempt = attempt.saturating_add(1);
                            tokio::select! {
                                () = self.stop.cancelled() => return,
                                () = tokio::time::sleep(delay) => {}
                            }
                            continue;
                        }
                    }
                }
            };
            match self.pump(consumer).await {
                PumpEnd::Stopped => {
                    // Unacknowledged deliveries go back to the queue when the channel closes.
                    let _ = tokio::time::timeout(
                        Duration::from_secs(2),
                        channel.close(200, "unsubscribed".into()),
                    )
                    .await;
                    return;
                }
                PumpEnd::Lost(reason) => {
                    tracing::warn!(queue = %self.spec.queue, %reason, "consumer lost; re-subscribing");
                    let delay = backoff_delay(
                        attempt,
                        self.inner.options.reconnect_min,
                        self.inner.options.reconnect_max,
                    );
                    attempt = attempt.saturating_add(1);
                    tokio::select! {
                        () = self.stop.cancelled() => return,
                        () = tokio::time::sleep(delay) => {}
                    }
                }
            }
        }
    }

    async fn pump(&self, mut consumer: lapin::Consumer) -> PumpEnd {
        loop {
            let item = tokio::select! {
                () = self.stop.cancelled() => return PumpEnd::Stopped,
                item = consumer.next() => item,
            };
            let raw = match item {
                None => return PumpEnd::Lost("consumer cancelled".to_owned()),
                Some(Err(error)) => return PumpEnd::Lost(error.to_string()),
                Some(Ok(raw)) => raw,
            };
            let event = match to_event(&raw) {
                Ok(event) => event,
                Err(why) => {
                    tracing::warn!(queue = %self.spec.queue, why, "malformed message dead-lettered");
                    let _ = raw
                        .acker
                        .reject(BasicRejectOptions { requeue: false })
                        .await;
                    continue;
                }
            };
            let count = delivery_count(&raw);
            let delivery = Delivery::new(
                event,
                raw.redelivered || count > 1,
                count,
                Box::new(AmqpSettle { acker: raw.acker }),
            );
            // Waiting here is fine: the broker's prefetch bound stops it sending more.
            tokio::select! {
                () = self.stop.cancelled() => return PumpEnd::Stopped,
                sent = self.tx.send(delivery) => if sent.is_err() { return PumpEnd::Stopped },
            }
        }
    }
}

struct AmqpSettle {
    acker: lapin::Acker,
}

#[async_trait]
impl Settle for AmqpSettle {
    async fn settle(self: Box<Self>, outcome: Outcome) -> Result<(), BusError> {
        let result = match outcome {
            Outcome::Ack => self.acker.ack(BasicAckOptions::default()).await,
            Outcome::Requeue => {
                self.acker
                    .nack(BasicNackOptions {
                        multiple: false,
                        requeue: true,
                    })
                    .await
            }
            Outcome::Reject => {
                self.acker
                    .reject(BasicRejectOptions { requeue: false })
                    .await
            }
        };
        result.map(|_| ()).map_err(BusError::from)
    }

    fn abandon(self: Box<Self>) {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = self
                    .acker
                    .nack(BasicNackOptions {
                        multiple: false,
                        requeue: true,
                    })
                    .await;
            });
        }
    }
}
