//! The events this service publishes, built as outbox [`Event`]s whose id is the protobuf
//! message's `event_id` (consumers deduplicate on either).

use estelam_proto::events::v1::debt_cleared::DepositedDispute;
use estelam_proto::events::v1::{DebtAssessed, DebtCleared, PaymentReceived};
use estelam_proto::routing_keys;
use estelam_runtime::bus::Event;
use estelam_runtime::time::timestamp;
use prost::Message;

use crate::assess::Line;
use crate::service::DisputeView;
use crate::store::bills::Bill;
use crate::store::payments::Payment;

fn event(routing_key: &str, message_type: &str, id: String, at_us: i64, payload: Vec<u8>) -> Event {
    let mut e = Event::new(routing_key, message_type, payload);
    e.id = id;
    e.occurred_at_us = at_us;
    e
}

/// `fees.debt.assessed` for a stored bill: the inquiry learns what its applicant owes.
pub fn debt_assessed(bill: &Bill, balance_after: i64, at_us: i64) -> Event {
    let id = uuid::Uuid::now_v7().to_string();
    let message = DebtAssessed {
        event_id: id.clone(),
        occurred_at: Some(timestamp(at_us)),
        renovation_code: bill.renovation_code.clone(),
        bill_id: bill.bill_id.clone(),
        inquiry_id: bill.inquiry_id.clone(),
        amount_rials: bill.total,
        balance_rials: balance_after,
    };
    event(
        routing_keys::DEBT_ASSESSED,
        "estelam.events.v1.DebtAssessed",
        id,
        at_us,
        message.encode_to_vec(),
    )
}

/// `fees.payment.received` for a confirmed payment, for subscribers that book receipts.
pub fn payment_received(bill: &Bill, payment: &Payment, at_us: i64) -> Event {
    let id = uuid::Uuid::now_v7().to_string();
    let message = PaymentReceived {
        event_id: id.clone(),
        occurred_at: Some(timestamp(at_us)),
        renovation_code: bill.renovation_code.clone(),
        bill_id: bill.bill_id.clone(),
        inquiry_id: bill.inquiry_id.clone(),
        payment_id: payment.payment_id.clone(),
        tracking_code: payment.tracking_code.clone(),
        amount_rials: payment.amount,
        provider: payment.provider.clone(),
        psp_reference: payment.psp_reference.clone(),
    };
    event(
        routing_keys::PAYMENT_RECEIVED,
        "estelam.events.v1.PaymentReceived",
        id,
        at_us,
        message.encode_to_vec(),
    )
}

/// A disputed line as the answer names it: its description, with its year when it has one.
pub fn line_label(line: &Line) -> (String, String) {
    if line.year == 0 {
        (line.description_fa.clone(), line.description_en.clone())
    } else {
        (
            format!("{} سال {}", line.description_fa, line.year),
            format!("{} {}", line.description_en, line.year),
        )
    }
}

/// `fees.debt.cleared` for a bill its payment settled: exactly one per bill, because it is
/// written in the transaction that moves the bill from open to paid. `deposits` are the
/// disputes whose deposit the payment held: the debt is cleared with them pending.
pub fn debt_cleared(
    bill: &Bill,
    payment: &Payment,
    balance_after: i64,
    deposits: &[DisputeView],
    at_us: i64,
) -> Event {
    let id = uuid::Uuid::now_v7().to_string();
    let message = DebtCleared {
        event_id: id.clone(),
        occurred_at: Some(timestamp(at_us)),
        renovation_code: bill.renovation_code.clone(),
        bill_id: bill.bill_id.clone(),
        inquiry_id: bill.inquiry_id.clone(),
        payment_id: payment.payment_id.clone(),
        tracking_code: payment.tracking_code.clone(),
        amount_rials: payment.amount,
        balance_rials: balance_after,
        disputes: deposits
            .iter()
            .map(|v| {
                let (items_fa, items_en) = v.lines.iter().map(|(_, l)| line_label(l)).unzip();
                DepositedDispute {
                    dispute_id: v.dispute.dispute_id.clone(),
                    items_fa,
                    items_en,
                    deposit_rials: v.dispute.deposit,
                    receipt_code: v.dispute.deposit_receipt_code.clone(),
                }
            })
            .collect(),
    };
    event(
        routing_keys::DEBT_CLEARED,
        "estelam.events.v1.DebtCleared",
        id,
        at_us,
        message.encode_to_vec(),
    )
}
