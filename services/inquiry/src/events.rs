//! The events the inquiry service takes part in: it consumes `fees.debt.cleared` (the
//! payment that lets a waiting inquiry be issued) and publishes `inquiry.answer.issued`
//! and `inquiry.answer.revoked` through its outbox, in the transaction that issues or
//! revokes, `inquiry.awaiting_payment` in Submit's when something is owed,
//! `inquiry.representation.changed` in the transaction that files an inquiry in an owner's
//! name or decides its representation, and `inquiry.batch.finished` in the transaction that
//! settles a batch's last item.

use std::sync::Arc;

use async_trait::async_trait;
use estelam_proto::events::v1::{self as epb, DebtCleared};
use estelam_proto::routing_keys;
use estelam_runtime::bus::{Event, EventBus, QueueSpec};
use estelam_runtime::db::now_micros;
use estelam_runtime::inbox::{Consumer, EventHandler, HandlerError};
use estelam_runtime::time::{micros, timestamp};
use prost::Message;
use sqlx::{Any, Transaction};

use crate::answer::DisputeFact;
use crate::engine::Engine;
use crate::model::Inquiry;
use crate::request_types::Text;
use crate::store::{AnswerRow, BatchRow, Counts, DebtClearedRecord};

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
                .and_then(micros)
                .unwrap_or_else(now_micros),
            disputes: cleared
                .disputes
                .iter()
                .map(|d| DisputeFact {
                    dispute_id: d.dispute_id.clone(),
                    items: d
                        .items_fa
                        .iter()
                        .zip(d.items_en.iter())
                        .map(|(fa, en)| Text::new(fa, en))
                        .collect(),
                    deposit_rials: d.deposit_rials,
                    receipt_code: d.receipt_code.clone(),
                })
                .collect(),
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

/// `inquiry.answer.issued` for an answer just stored: subscribers (the authority's webhook,
/// other municipal systems) learn of it without polling.
pub fn answer_issued(inq: &Inquiry, request_type_code: &str, row: &AnswerRow) -> Event {
    let payload = epb::AnswerIssued {
        event_id: String::new(),
        occurred_at: Some(timestamp(row.issued_at_us)),
        inquiry_id: inq.id.clone(),
        inquiry_number: inq.number.clone(),
        request_type_code: request_type_code.to_owned(),
        verification_code: row.verification_code.clone(),
        renovation_code: row.renovation_code.clone(),
        organization_id: inq.filed_by_organization_id.clone(),
        issued_at: Some(timestamp(row.issued_at_us)),
        valid_until: Some(timestamp(row.valid_until_us)),
        letter_organization_id: inq.letter_organization_id().to_owned(),
    };
    event(
        routing_keys::ANSWER_ISSUED,
        "estelam.events.v1.AnswerIssued",
        |id| {
            let mut e = payload.clone();
            e.event_id = id.to_owned();
            e.encode_to_vec()
        },
    )
}

/// `inquiry.answer.revoked`: whoever relied on the answer must learn that it no longer
/// stands.
pub fn answer_revoked(inq: &Inquiry, row: &AnswerRow, reason: &str, at_us: i64) -> Event {
    let payload = epb::AnswerRevoked {
        event_id: String::new(),
        occurred_at: Some(timestamp(at_us)),
        inquiry_id: inq.id.clone(),
        inquiry_number: inq.number.clone(),
        verification_code: row.verification_code.clone(),
        renovation_code: row.renovation_code.clone(),
        reason: reason.to_owned(),
        organization_id: inq.filed_by_organization_id.clone(),
        letter_organization_id: inq.letter_organization_id().to_owned(),
    };
    event(
        routing_keys::ANSWER_REVOKED,
        "estelam.events.v1.AnswerRevoked",
        |id| {
            let mut e = payload.clone();
            e.event_id = id.to_owned();
            e.encode_to_vec()
        },
    )
}

/// `inquiry.awaiting_payment`: Submit assessed something owed and the inquiry waits for
/// its bill to be paid; the office that filed (or that the letter names) learns it without
/// polling, and may pay or tell the applicant.
pub fn awaiting_payment(inq: &Inquiry, at_us: i64) -> Event {
    let payload = epb::InquiryAwaitingPayment {
        event_id: String::new(),
        occurred_at: Some(timestamp(at_us)),
        inquiry_id: inq.id.clone(),
        inquiry_number: inq.number.clone(),
        bill_id: inq.bill_id.clone(),
        amount_due_rials: inq.amount_due_rials,
        organization_id: inq.filed_by_organization_id.clone(),
        letter_organization_id: inq.letter_organization_id().to_owned(),
    };
    event(
        routing_keys::AWAITING_PAYMENT,
        "estelam.events.v1.InquiryAwaitingPayment",
        |id| {
            let mut e = payload.clone();
            e.event_id = id.to_owned();
            e.encode_to_vec()
        },
    )
}

/// `inquiry.representation.changed`: a representative filed `inq` in its owner's name, or a
/// clerk decided their representation. Identity tells the owner by SMS (the owner is told
/// either way, and never learns of it only from the answer).
pub fn representation_changed(
    inq: &Inquiry,
    rep: &crate::representation::Representation,
    at_us: i64,
) -> Event {
    let payload = epb::RepresentationChanged {
        event_id: String::new(),
        occurred_at: Some(timestamp(at_us)),
        inquiry_id: inq.id.clone(),
        inquiry_number: inq.number.clone(),
        renovation_code: inq.renovation_code().to_owned(),
        owner_national_code: inq.applicant_national_code().to_owned(),
        representative_full_name: rep.representative_full_name.clone(),
        representative_national_code: rep.representative_national_code.clone(),
        stage: rep.status.stage() as i32,
        reason: rep.reason.clone(),
    };
    event(
        routing_keys::REPRESENTATION_CHANGED,
        "estelam.events.v1.RepresentationChanged",
        |id| {
            let mut e = payload.clone();
            e.event_id = id.to_owned();
            e.encode_to_vec()
        },
    )
}

/// `inquiry.batch.finished`: every item of an authority's batch has its outcome; the
/// authority (by webhook, or a municipal system on the bus) may collect the results. Sent
/// again, `settled`, when the last item awaiting payment reaches its final outcome
/// ([`crate::engine`]'s `batches_follow`).
pub fn batch_finished(batch: &BatchRow, c: Counts, at_us: i64) -> Event {
    let n = |v: i64| i32::try_from(v).unwrap_or(i32::MAX);
    let payload = epb::BatchFinished {
        event_id: String::new(),
        occurred_at: Some(timestamp(at_us)),
        batch_id: batch.id.clone(),
        client_batch_id: batch.client_batch_id.clone(),
        organization_id: batch.organization_id.clone(),
        total: n(batch.total),
        issued: n(c.issued),
        awaiting_payment: n(c.awaiting_payment),
        refused: n(c.refused),
        settled: c.pending == 0 && c.awaiting_payment == 0,
    };
    event(
        routing_keys::BATCH_FINISHED,
        "estelam.events.v1.BatchFinished",
        |id| {
            let mut e = payload.clone();
            e.event_id = id.to_owned();
            e.encode_to_vec()
        },
    )
}

/// An outbox event whose payload carries the event's own id, so a subscriber that sees the
/// payload alone can still drop a redelivery.
fn event(routing_key: &str, message_type: &str, payload: impl Fn(&str) -> Vec<u8>) -> Event {
    let mut event = Event::new(routing_key, message_type, Vec::new());
    event.payload = payload(&event.id);
    event
}
