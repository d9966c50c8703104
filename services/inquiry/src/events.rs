//! Consuming `fees.debt.cleared`: the payment that lets a waiting inquiry be issued.

use std::sync::Arc;

use async_trait::async_trait;
use estelam_proto::events::v1::DebtCleared;
use estelam_runtime::bus::{Event, EventBus, QueueSpec};
use estelam_runtime::db::now_micros;
use estelam_runtime::inbox::{Consumer, EventHandler, HandlerError};
use prost::Message;
use sqlx::{Any, Transaction};

use crate::convert;
use crate::engine::Engine;
use crate::store::DebtClearedRecord;

/// The consumer's name in the inbox; stable across releases.
pub const CONSUMER: &str = "inquiry.debt-cleared";

/// Applies each `fees.debt.cleared` inside the inbox transaction: records it (once per
/// bill) and, when its inquiry waits for exactly that bill, issues the answer. An event
/// that arrives before the inquiry waits is kept and applied when Submit reaches
/// AwaitingPayment; a second delivery is dropped by the inbox, a second event for the
/// same bill by the record's key.
pub struct DebtClearedHandler {
    engine: Arc<Engine>,
}

#[async_trait]
impl EventHandler for DebtClearedHandler {
    async fn handle(
        &self,
        tx: &mut Transaction<'static, Any>,
        event: &Event,
    ) -> Result<(), HandlerError> {
        let cleared = DebtCleared::decode(event.payload.as_slice())?;
        if cleared.bill_id.is_empty() {
            return Err(HandlerError::permanent(anyhow::anyhow!(
                "debt-cleared event {} names no bill",
                event.id
            )));
        }
        let record = DebtClearedRecord {
            bill_id: cleared.bill_id.clone(),
            inquiry_id: cleared.inquiry_id.clone(),
            renovation_code: cleared.renovation_code.clone(),
            payment_id: cleared.payment_id.clone(),
            tracking_code: cleared.tracking_code.clone(),
            amount_rials: cleared.amount_rials,
            event_id: if cleared.event_id.is_empty() {
                event.id.clone()
            } else {
                cleared.event_id.clone()
            },
            occurred_at_us: cleared
                .occurred_at
                .as_ref()
                .map(convert::micros)
                .unwrap_or_else(now_micros),
        };
        match self.engine.apply_debt_cleared(tx, &record).await {
            Ok(Some(inq)) => {
                tracing::info!(inquiry = %inq.id, bill = %record.bill_id, "debt cleared; answer issued");
                // The commit follows right after this returns; the relay's poll is the
                // backstop should this wake-up come a moment too early.
                self.engine.after_issue(&inq);
                Ok(())
            }
            Ok(None) => Ok(()),
            // Retried up to the queue's delivery limit; should it still fail, the recovery
            // sweep asks fees about the bill and issues the answer anyway.
            Err(e) => Err(HandlerError::transient(anyhow::anyhow!(
                "applying debt-cleared {}: {e}",
                event.id
            ))),
        }
    }
}

/// Subscribes the inquiry service to `fees.debt.cleared` and consumes in the background
/// until `shutdown`. The queue exists when this returns.
pub async fn spawn_consumer(
    engine: Arc<Engine>,
    bus: Arc<dyn EventBus>,
    queue: &str,
    prefetch: u16,
    delivery_limit: u32,
    shutdown: tokio_util::sync::CancellationToken,
) -> anyhow::Result<tokio::task::JoinHandle<Result<(), estelam_runtime::bus::BusError>>> {
    let mut spec = QueueSpec::new(queue, [estelam_proto::routing_keys::DEBT_CLEARED]);
    spec.prefetch = prefetch.max(1);
    spec.delivery_limit = delivery_limit;
    let db = engine.db().clone();
    let consumer = Consumer::new(db, bus, spec, CONSUMER, DebtClearedHandler { engine });
    Ok(consumer.spawn(shutdown).await?)
}
