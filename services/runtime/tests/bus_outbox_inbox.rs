//! Outbox → bus → inbox, on every database backend × every transport: a rolled-back
//! event is never published, a committed one has exactly one effect even when published
//! twice, and a poison message is dead-lettered without stopping the queue.

mod bus_support;

use bus_support::{
    DEADLINE, EffectHandler, Names, Transport, commit_event, create_effects_table, effect_count,
    pending_outbox, transports,
};
use estelam_runtime::bus::{Event, QueueSpec};
use estelam_runtime::inbox::{Consumer, HandlerError};
use estelam_runtime::outbox::{OutboxRelay, enqueue};
use estelam_runtime::testing::{self, TestDatabase, eventually};
use tokio_util::sync::CancellationToken;

async fn each_backend(tag: &str, transport: &Transport) -> Vec<(String, TestDatabase)> {
    let dbs = testing::databases(tag, &testing::no_migrations())
        .await
        .expect("test databases");
    dbs.into_iter()
        .map(|db| (format!("{} on {}", transport.label(), db.label), db))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_in_a_rolled_back_transaction_is_never_published() {
    for transport in transports().await {
        for (ctx, tdb) in each_backend("bus_rollback", &transport).await {
            let db = &tdb.db;
            create_effects_table(db).await;
            let names = Names::new("rollback");
            let handler = EffectHandler::new();
            let stop = CancellationToken::new();
            let spec = QueueSpec::new(&names.queue, [names.binding()]);
            let consumer =
                Consumer::new(db.clone(), transport.bus(), spec, "test", handler.clone())
                    .spawn(stop.clone())
                    .await
                    .expect("subscribe");
            let relay = OutboxRelay::new(db.clone(), transport.bus());
            let wake = relay.handle();
            let relay = tokio::spawn(relay.run(stop.clone()));

            let ghost = names.event("ghost");
            let mut tx = db.begin().await.expect("begin");
            enqueue(&mut tx, &ghost).await.expect("enqueue");
            tx.rollback().await.expect("rollback");
            // The sentinel comes after the ghost in id order, and both share one FIFO
            // queue: once the sentinel's effect shows, the ghost would have shown first.
            let sentinel = names.event("sentinel");
            commit_event(db, &sentinel).await;
            wake.notify();

            eventually(&format!("{ctx}: sentinel handled"), DEADLINE, async || {
                effect_count(db, &sentinel.id).await == 1
            })
            .await;
            assert_eq!(
                effect_count(db, &ghost.id).await,
                0,
                "{ctx}: ghost had an effect"
            );
            assert_eq!(handler.calls(&ghost.id), 0, "{ctx}: ghost was delivered");
            assert_eq!(pending_outbox(db).await, 0, "{ctx}: outbox drained");

            stop.cancel();
            consumer
                .await
                .expect("consumer task")
                .expect("consumer ended cleanly");
            relay.await.expect("relay task");
            transport.cleanup(&names.queue).await;
            tdb.cleanup().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_committed_event_has_exactly_one_effect_even_when_the_relay_dies_before_marking_it_sent()
{
    for transport in transports().await {
        for (ctx, tdb) in each_backend("bus_once", &transport).await {
            let db = &tdb.db;
            create_effects_table(db).await;
            let names = Names::new("once");
            let handler = EffectHandler::new();
            let stop = CancellationToken::new();
            let spec = QueueSpec::new(&names.queue, [names.binding()]);
            let consumer =
                Consumer::new(db.clone(), transport.bus(), spec, "test", handler.clone())
                    .spawn(stop.clone())
                    .await
                    .expect("subscribe");

            let event = names.event("debt-cleared");
            commit_event(db, &event).await;

            // The first relay publishes (confirmed) and "dies" before marking the row sent.
            let dying = OutboxRelay::new(db.clone(), transport.bus());
            let pending = dying.fetch_pending(10).await.expect("fetch");
            assert_eq!(
                pending,
                vec![event.clone()],
                "{ctx}: the outbox row round-trips"
            );
            dying
                .publish(&pending[0])
                .await
                .expect("first publish confirmed");
            drop(dying);

            // Its replacement finds the row still pending and publishes it again.
            let fresh = OutboxRelay::new(db.clone(), transport.bus());
            assert_eq!(fresh.run_once().await.expect("republish"), 1, "{ctx}");
            let sentinel = names.event("sentinel");
            commit_event(db, &sentinel).await;
            assert_eq!(
                fresh.run_once().await.expect("publish sentinel"),
                1,
                "{ctx}"
            );
            assert!(
                fresh.fetch_pending(10).await.expect("fetch").is_empty(),
                "{ctx}: all marked sent"
            );

            // FIFO: both copies of the event were consumed before the sentinel.
            eventually(&format!("{ctx}: sentinel handled"), DEADLINE, async || {
                effect_count(db, &sentinel.id).await == 1
            })
            .await;
            assert_eq!(
                effect_count(db, &event.id).await,
                1,
                "{ctx}: exactly one effect"
            );
            assert_eq!(
                handler.calls(&event.id),
                1,
                "{ctx}: the duplicate never reached the handler"
            );

            stop.cancel();
            consumer
                .await
                .expect("consumer task")
                .expect("consumer ended cleanly");
            transport.cleanup(&names.queue).await;
            tdb.cleanup().await;
        }
    }
}

fn poison(event: &Event) -> Option<HandlerError> {
    if event.routing_key.ends_with(".poison") {
        Some(HandlerError::transient(anyhow::anyhow!("always fails")))
    } else if event.routing_key.ends_with(".fatal") {
        Some(HandlerError::permanent(anyhow::anyhow!("can never work")))
    } else {
        None
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_message_is_dead_lettered_after_the_delivery_limit_and_the_queue_moves_on() {
    const LIMIT: u32 = 2;
    for transport in transports().await {
        for (ctx, tdb) in each_backend("bus_poison", &transport).await {
            let db = &tdb.db;
            create_effects_table(db).await;
            let names = Names::new("poison");
            let handler = EffectHandler::failing_with(poison);
            let stop = CancellationToken::new();
            let mut spec = QueueSpec::new(&names.queue, [names.binding()]);
            spec.delivery_limit = LIMIT;
            spec.prefetch = 4;
            let consumer =
                Consumer::new(db.clone(), transport.bus(), spec, "test", handler.clone())
                    .spawn(stop.clone())
                    .await
                    .expect("subscribe");

            let poisoned = names.event("poison");
            let fatal = names.event("fatal");
            let good = names.event("good");
            for e in [&poisoned, &fatal, &good] {
                commit_event(db, e).await;
            }
            let relay = OutboxRelay::new(db.clone(), transport.bus());
            assert_eq!(relay.run_once().await.expect("relay"), 3, "{ctx}");

            let mut dead = Vec::new();
            eventually(
                &format!("{ctx}: both bad events dead-lettered"),
                DEADLINE,
                async || {
                    transport.new_dead_letters(&names.queue, &mut dead).await;
                    dead.iter().any(|e| e.id == poisoned.id)
                        && dead.iter().any(|e| e.id == fatal.id)
                },
            )
            .await;
            eventually(
                &format!("{ctx}: good event handled"),
                DEADLINE,
                async || effect_count(db, &good.id).await == 1,
            )
            .await;
            // The event arrives in the DLQ intact, headers included.
            let dead_poison = dead
                .iter()
                .find(|e| e.id == poisoned.id)
                .expect("poison in DLQ");
            assert_eq!(
                dead_poison, &poisoned,
                "{ctx}: dead letter is the original event"
            );
            assert_eq!(
                handler.calls(&poisoned.id),
                LIMIT + 1,
                "{ctx}: delivered limit + 1 times"
            );
            assert_eq!(
                handler.calls(&fatal.id),
                1,
                "{ctx}: permanent failure not retried"
            );
            assert_eq!(
                effect_count(db, &poisoned.id).await,
                0,
                "{ctx}: failures rolled back"
            );

            // And the queue keeps flowing afterwards.
            let later = names.event("later");
            commit_event(db, &later).await;
            assert_eq!(relay.run_once().await.expect("relay"), 1, "{ctx}");
            eventually(
                &format!("{ctx}: later event handled"),
                DEADLINE,
                async || effect_count(db, &later.id).await == 1,
            )
            .await;

            stop.cancel();
            consumer
                .await
                .expect("consumer task")
                .expect("consumer ended cleanly");
            transport.cleanup(&names.queue).await;
            tdb.cleanup().await;
        }
    }
}
