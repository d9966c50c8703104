//! RabbitMQ only: the broker closing every connection (`rabbitmqctl
//! close_all_connections`) in the middle of a stream of committed events loses none and
//! duplicates no effect. The test runs in its own vhost, so closing "all" connections
//! there cannot disturb any other test or user of the broker.

mod bus_support;

use std::collections::HashSet;
use std::process::Command;

use bus_support::{
    DEADLINE, EffectHandler, Names, amqp_test_options, commit_event, create_effects_table,
    duplicated_effects, pending_outbox, total_effects,
};
use estelam_runtime::bus::{AmqpBus, EventBus, QueueSpec};
use estelam_runtime::inbox::Consumer;
use estelam_runtime::outbox::OutboxRelay;
use estelam_runtime::testing::{self, eventually};
use lapin::uri::AMQPUri;
use tokio_util::sync::CancellationToken;

const EVENTS: usize = 200;

async fn rabbitmqctl(args: Vec<String>) -> String {
    let shown = args.join(" ");
    let output =
        tokio::task::spawn_blocking(move || Command::new("rabbitmqctl").args(&args).output())
            .await
            .expect("rabbitmqctl task")
            .expect("rabbitmqctl must be installed next to the test broker");
    assert!(
        output.status.success(),
        "rabbitmqctl {shown} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A throwaway vhost the broker's user may use, torn down on drop of the test.
async fn scratch_vhost(url: &str) -> (String, String) {
    let mut uri: AMQPUri = url.parse().expect("ESTELAM_TEST_AMQP_URL parses");
    let vhost = format!("estelam-test-{}", testing::unique_suffix());
    rabbitmqctl(vec!["add_vhost".into(), vhost.clone()]).await;
    let user = uri.authority.userinfo.username.clone();
    rabbitmqctl(vec![
        "set_permissions".into(),
        "-p".into(),
        vhost.clone(),
        user,
        ".*".into(),
        ".*".into(),
        ".*".into(),
    ])
    .await;
    uri.vhost = vhost.clone();
    (vhost, uri.to_string())
}

async fn close_all_connections(vhost: &str) {
    let said = rabbitmqctl(vec![
        "close_all_connections".into(),
        "--vhost".into(),
        vhost.to_owned(),
        "test: simulated broker failure".into(),
    ])
    .await;
    assert!(
        !said.contains("Closed 0 connections"),
        "nothing to close: {said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn closing_every_broker_connection_mid_stream_loses_no_committed_event() {
    let Some(url) = testing::amqp_url() else {
        eprintln!("skipped: {} not set", testing::AMQP_ENV);
        return;
    };
    let (vhost, url) = scratch_vhost(&url).await;
    for tdb in testing::databases("bus_reconnect", &testing::no_migrations())
        .await
        .expect("dbs")
    {
        let ctx = format!("rabbitmq on {}", tdb.label);
        let db = &tdb.db;
        create_effects_table(db).await;
        let bus = AmqpBus::connect(&url, amqp_test_options())
            .await
            .expect("connect");
        let shared: std::sync::Arc<dyn EventBus> = std::sync::Arc::new(bus.clone());
        let names = Names::new("reconnect");
        let stop = CancellationToken::new();
        let mut spec = QueueSpec::new(&names.queue, [names.binding()]);
        spec.prefetch = 8;
        let consumer = Consumer::new(
            db.clone(),
            shared.clone(),
            spec,
            "test",
            EffectHandler::new(),
        )
        .spawn(stop.clone())
        .await
        .expect("subscribe");
        let relay = OutboxRelay::new(db.clone(), shared.clone());
        let wake = relay.handle();
        let relay = tokio::spawn(relay.run(stop.clone()));

        let mut ids = HashSet::new();
        let mut produce = async |range: std::ops::Range<usize>| {
            for i in range {
                let event = names.event(&format!("n{i}"));
                ids.insert(event.id.clone());
                commit_event(db, &event).await;
                wake.notify();
            }
        };

        // First break: while the consumer is working through the first half.
        produce(0..EVENTS / 2).await;
        eventually(
            &format!("{ctx}: consumption under way"),
            DEADLINE,
            async || total_effects(db).await >= 20,
        )
        .await;
        close_all_connections(&vhost).await;

        // Second break: while the second half is being relayed and consumed.
        produce(EVENTS / 2..EVENTS).await;
        eventually(
            &format!("{ctx}: second half under way"),
            DEADLINE,
            async || total_effects(db).await >= i64::try_from(EVENTS * 3 / 4).unwrap_or(i64::MAX),
        )
        .await;
        close_all_connections(&vhost).await;

        eventually(
            &format!("{ctx}: every committed event had its effect"),
            DEADLINE,
            async || total_effects(db).await >= i64::try_from(EVENTS).unwrap_or(i64::MAX),
        )
        .await;
        eventually(
            &format!("{ctx}: outbox fully marked sent"),
            DEADLINE,
            async || pending_outbox(db).await == 0,
        )
        .await;
        eventually(
            &format!("{ctx}: bus reports connected again"),
            DEADLINE,
            async || bus.is_connected(),
        )
        .await;
        assert!(
            bus.connections_established() >= 3,
            "{ctx}: the bus reconnected after each break"
        );

        assert_eq!(
            duplicated_effects(db).await,
            Vec::<String>::new(),
            "{ctx}: an effect happened twice"
        );
        let seen: HashSet<String> = sqlx::query_scalar("SELECT event_id FROM effects")
            .fetch_all(db.pool())
            .await
            .expect("effects")
            .into_iter()
            .collect();
        assert_eq!(seen, ids, "{ctx}: effects are exactly the committed events");

        stop.cancel();
        consumer
            .await
            .expect("consumer task")
            .expect("consumer ended cleanly");
        relay.await.expect("relay task");
        bus.close().await;
        tdb.cleanup().await;
    }
    rabbitmqctl(vec!["delete_vhost".into(), vhost]).await;
}
