//! Says, in the test output, whether the real-server variants of the storage and bus tests
//! run in this invocation, and proves the servers answer. CI runs it with `--nocapture`, so
//! its log shows that PostgreSQL and RabbitMQ were really used; under CI a missing server
//! fails here first, with a message naming the variable.

use estelam_runtime::bus::{AmqpBus, AmqpOptions, EventBus};
use estelam_runtime::testing;

#[tokio::test]
async fn postgres_variant() {
    let Some(url) = testing::postgres_url() else {
        println!(
            "PostgreSQL variant: off ({} not set)",
            testing::POSTGRES_ENV
        );
        return;
    };
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
        .await
        .expect("PostgreSQL answers");
    let version: String = sqlx::query_scalar("SELECT version()")
        .fetch_one(&mut conn)
        .await
        .expect("PostgreSQL runs a query");
    println!("PostgreSQL variant: on — {version}");
}

#[tokio::test]
async fn rabbitmq_variant() {
    let Some(url) = testing::amqp_url() else {
        println!("RabbitMQ variant: off ({} not set)", testing::AMQP_ENV);
        return;
    };
    let bus = AmqpBus::connect(&url, AmqpOptions::default())
        .await
        .expect("RabbitMQ answers");
    assert!(bus.is_connected());
    println!("RabbitMQ variant: on — connected to the broker");
    bus.close().await;
}
