//! The in-process transport: the embedded default when no AMQP URL is configured.
//!
//! It keeps RabbitMQ's semantics so that the code above the trait behaves the same on a
//! laptop and in production: topic bindings with `*` and `#`, a FIFO per queue, messages
//! published before a queue exists are not delivered to it, manual acks, requeue on
//! nack (back to the head of the queue, like a quorum queue), a delivery limit after
//! which a message goes to the queue's dead letters, and a prefetch bound per
//! subscription. Nothing survives the process; the outbox is what makes events durable.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

use super::{
    BusError, Delivery, Event, EventBus, Outcome, QueueSpec, Settle, Subscription, topic_matches,
};

/// An in-process event bus; clones share the same queues.
#[derive(Clone, Default)]
pub struct MemoryBus {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    queues: Mutex<HashMap<String, Queue>>,
    closed: CancellationToken,
}

struct Queue {
    bindings: Vec<String>,
    ready: VecDeque<Message>,
    dead: Vec<Event>,
    delivery_limit: u32,
    notify: Arc<Notify>,
}

struct Message {
    event: Event,
    /// Times it went back to the queue; compared with the delivery limit.
    returns: u32,
}

impl Shared {
    fn queues(&self) -> MutexGuard<'_, HashMap<String, Queue>> {
        // No code panics while holding the lock, so a poisoned lock still guards
        // consistent data.
        self.queues.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn take(&self, queue: &str) -> Option<Message> {
        self.queues()
            .get_mut(queue)
            .and_then(|q| q.ready.pop_front())
    }

    fn give_back(&self, queue: &str, mut message: Message, outcome: Outcome) {
        let mut queues = self.queues();
        let Some(q) = queues.get_mut(queue) else {
            return;
        };
        match outcome {
            Outcome::Ack => {}
            Outcome::Reject => q.dead.push(message.event),
            Outcome::Requeue => {
                message.returns += 1;
                if message.returns > q.delivery_limit {
                    tracing::warn!(queue, event_id = %message.event.id, "delivery limit reached; dead-lettered");
                    q.dead.push(message.event);
                } else {
                    q.ready.push_front(message);
                    q.notify.notify_waiters();
                }
            }
        }
    }
}

impl MemoryBus {
    /// An empty bus: no queues until someone subscribes.
    pub fn new() -> Self {
        Self::default()
    }

    /// The events dead-lettered from `queue` so far (delivery limit reached, or
    /// rejected), oldest first; for tests and operator tooling.
    pub fn dead_letters(&self, queue: &str) -> Vec<Event> {
        self.shared
            .queues()
            .get(queue)
            .map(|q| q.dead.clone())
            .unwrap_or_default()
    }

    /// How many events wait in `queue`, not yet handed to a subscriber.
    pub fn ready_count(&self, queue: &str) -> usize {
        self.shared.queues().get(queue).map_or(0, |q| q.ready.len())
    }

    /// Stops every subscription (their `next()` returns `None`) and refuses new work.
    pub fn close(&self) {
        self.shared.closed.cancel();
    }
}

#[async_trait]
impl EventBus for MemoryBus {
    async fn publish(&self, event: &Event) -> Result<(), BusError> {
        if self.shared.closed.is_cancelled() {
            return Err(BusError::Closed);
        }
        let mut queues = self.shared.queues();
        for q in queues.values_mut() {
            if q.bindings
                .iter()
                .any(|b| topic_matches(b, &event.routing_key))
            {
                q.ready.push_back(Message {
                    event: event.clone(),
                    returns: 0,
                });
                q.notify.notify_waiters();
            }
        }
        Ok(())
    }

    async fn subscribe(&self, spec: QueueSpec) -> Result<Subscription, BusError> {
        spec.validate()?;
        if self.shared.closed.is_cancelled() {
            return Err(BusError::Closed);
        }
        let notify = {
            let mut queues = self.shared.queues();
            let q = queues.entry(spec.queue.clone()).or_insert_with(|| Queue {
                bindings: Vec::new(),
                ready: VecDeque::new(),
                dead: Vec::new(),
                delivery_limit: spec.delivery_limit,
                notify: Arc::new(Notify::new()),
            });
            for b in &spec.bindings {
                if !q.bindings.contains(b) {
                    q.bindings.push(b.clone());
                }
            }
            q.notify.clone()
        };
        let prefetch = usize::from(spec.prefetch);
        let (tx, rx) = mpsc::channel(prefetch);
        let stop = self.shared.closed.child_token();
        let feed = Feed {
            shared: self.shared.clone(),
            queue: spec.queue,
            notify,
            permits: Arc::new(Semaphore::new(prefetch)),
            tx,
            stop: stop.clone(),
        };
        tokio::spawn(feed.run());
        Ok(Subscription::new(rx, stop))
    }

    fn is_connected(&self) -> bool {
        !self.shared.closed.is_cancelled()
    }
}

/// Moves messages from one queue to one subscription, at most `prefetch` unsettled.
struct Feed {
    shared: Arc<Shared>,
    queue: String,
    notify: Arc<Notify>,
    permits: Arc<Semaphore>,
    tx: mpsc::Sender<Delivery>,
    stop: CancellationToken,
}

impl Feed {
    async fn run(self) {
        loop {
            let permit = tokio::select! {
                () = self.stop.cancelled() => return,
                permit = self.permits.clone().acquire_owned() => match permit {
                    Ok(p) => p,
                    Err(_) => return,
                },
            };
            let message = loop {
                let notified = self.notify.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                if let Some(m) = self.shared.take(&self.queue) {
                    break m;
                }
                tokio::select! {
                    () = self.stop.cancelled() => return,
                    () = notified => {}
                }
            };
            let delivery = Delivery::new(
                message.event.clone(),
                message.returns > 0,
                message.returns + 1,
                Box::new(MemorySettle {
                    shared: self.shared.clone(),
                    queue: self.queue.clone(),
                    message,
                    _permit: permit,
                }),
            );
            // If the subscriber is gone the delivery is dropped here, which requeues it.
            tokio::select! {
                () = self.stop.cancelled() => return,
                sent = self.tx.send(delivery) => if sent.is_err() { return },
            }
        }
    }
}

/// Settles one in-memory delivery; holding the permit is what bounds the prefetch.
struct MemorySettle {
    shared: Arc<Shared>,
    queue: String,
    message: Message,
    _permit: OwnedSemaphorePermit,
}

#[async_trait]
impl Settle for MemorySettle {
    async fn settle(self: Box<Self>, outcome: Outcome) -> Result<(), BusError> {
        let this = *self;
        this.shared.give_back(&this.queue, this.message, outcome);
        Ok(())
    }

    fn abandon(self: Box<Self>) {
        let this = *self;
        this.shared
            .give_back(&this.queue, this.message, Outcome::Requeue);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn event(key: &str) -> Event {
        Event::new(key, "estelam.events.v1.Test", b"x".to_vec())
    }

    async fn next(sub: &mut Subscription) -> Delivery {
        tokio::time::timeout(Duration::from_secs(5), sub.next())
            .await
            .expect("a delivery within 5 s")
            .expect("the bus is open")
    }

    #[tokio::test]
    async fn routes_by_topic_fifo_and_only_to_existing_queues() {
        let bus = MemoryBus::new();
        bus.publish(&event("fees.debt.cleared")).await.unwrap();
        let mut sub = bus
            .subscribe(QueueSpec::new("q", ["fees.#"]))
            .await
            .unwrap();
        let a = event("fees.debt.cleared");
        let b = event("inquiry.answer.issued");
        let c = event("fees.payment.received");
        for e in [&a, &b, &c] {
            bus.publish(e).await.unwrap();
        }
        let d1 = next(&mut sub).await;
        assert_eq!(d1.event().id, a.id);
        d1.ack().await.unwrap();
        let d2 = next(&mut sub).await;
        assert_eq!(d2.event().id, c.id);
        d2.ack().await.unwrap();
        assert_eq!(bus.ready_count("q"), 0);
    }

    #[tokio::test]
    async fn requeue_counts_deliveries_and_dead_letters_after_the_limit() {
        let bus = MemoryBus::new();
        let mut spec = QueueSpec::new("q", ["#"]);
        spec.delivery_limit = 2;
        let mut sub = bus.subscribe(spec).await.unwrap();
        let e = event("a.b");
        bus.publish(&e).await.unwrap();
        for count in 1..=3 {
            let d = next(&mut sub).await;
            assert_eq!(d.delivery_count(), count);
            assert_eq!(d.redelivered(), count > 1);
            d.nack_requeue().await.unwrap();
        }
        assert_eq!(bus.dead_letters("q"), vec![e]);
        let f = event("a.c");
        bus.publish(&f).await.unwrap();
        let d = next(&mut sub).await;
        assert_eq!(d.event().id, f.id);
        d.reject().await.unwrap();
        assert_eq!(bus.dead_letters("q").len(), 2);
    }

    #[tokio::test]
    async fn prefetch_bounds_unsettled_deliveries_and_drop_requeues() {
        let bus = MemoryBus::new();
        let mut spec = QueueSpec::new("q", ["#"]);
        spec.prefetch = 2;
        let mut sub = bus.subscribe(spec).await.unwrap();
        for _ in 0..5 {
            bus.publish(&event("a")).await.unwrap();
        }
        let d1 = next(&mut sub).await;
        let d2 = next(&mut sub).await;
        assert!(
            tokio::time::timeout(Duration::from_millis(50), sub.next())
                .await
                .is_err()
        );
        drop(d1);
        let d3 = next(&mut sub).await;
        assert!(d3.redelivered());
        d2.ack().await.unwrap();
        d3.ack().await.unwrap();
    }
}
