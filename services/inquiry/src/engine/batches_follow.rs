//! Batch items follow their inquiry after filing. An item whose inquiry waited for its bill
//! ends `awaiting_payment` when the worker files it; when that inquiry is later issued (the
//! bill paid), cancelled or expired, the transaction that saves the inquiry's final state
//! also gives the item its final outcome, so the batch's counts and items say what became
//! of every parcel.
//!
//! `inquiry.batch.finished` is published when every item has its first outcome, as before:
//! awaiting payment counts, so an office learns at once every bill it may pay. That first
//! event says `settled: false` while some items still wait for payment; when the last of
//! them reaches its final outcome, a second `batch.finished` says `settled: true` with the
//! final counts (no item awaiting payment). A batch with nothing to pay gets one event,
//! already settled. Exactly once each: an item moves from awaiting payment once (the
//! update's condition), and the batch's row lock makes one transaction see the last one go.

use estelam_runtime::bus::Event;
use estelam_runtime::db::now_micros;
use estelam_runtime::error::ServiceError;
use sqlx::AnyConnection;

use super::Engine;
use super::batches_errors as berr;
use crate::events;
use crate::model::Inquiry;
use crate::store::{self, ItemRow};
use crate::workflow::State;

impl Engine {
    /// Inside the transaction that saves `inq` (which holds its row lock): when `inq` is
    /// final and a batch item waits on it, records the item's final outcome; returns
    /// `batch.finished` (settled) to enqueue in the same transaction when that was the
    /// batch's last item awaiting payment.
    pub(crate) async fn follow_batch_item(
        &self,
        conn: &mut AnyConnection,
        inq: &Inquiry,
    ) -> Result<Option<Event>, ServiceError> {
        // Only an organisation files batches (`file_on_behalf` under its users), so an
        // inquiry without a filing organisation is no batch item: no statement to look.
        if inq.filed_by_organization_id.is_empty() {
            return Ok(None);
        }
        let Some(item) = final_outcome(inq) else {
            return Ok(None);
        };
        let now = now_micros();
        let Some(batch_id) = store::follow_item(conn, &inq.id, &item, now).await? else {
            return Ok(None);
        };
        store::lock_batch(conn, &batch_id).await?;
        let counts = store::counts(conn, &batch_id).await?;
        if counts.pending > 0 || counts.awaiting_payment > 0 {
            return Ok(None);
        }
        let Some(batch) = store::batch(conn, &batch_id).await? else {
            return Ok(None);
        };
        tracing::info!(batch = %batch.id, "batch settled: no item awaits payment");
        Ok(Some(events::batch_finished(&batch, counts, now)))
    }
}

/// The outcome a batch item takes from its inquiry: `awaiting_payment` while the inquiry
/// waits for its bill, the final one once the inquiry is final, `None` before Submit ends.
pub(crate) fn outcome_of_inquiry(inq: &Inquiry) -> Option<ItemRow> {
    if inq.state == State::AwaitingPayment {
        return Some(ItemRow {
            outcome: "awaiting_payment".into(),
            bill_id: inq.bill_id.clone(),
            amount_due_rials: inq.amount_due_rials,
            ..ItemRow::default()
        });
    }
    final_outcome(inq)
}

/// The final outcome of a finished inquiry's item (`None` while it is not finished).
fn final_outcome(inq: &Inquiry) -> Option<ItemRow> {
    let why = inq.state_reason.clone().unwrap_or_default();
    let refusal = match inq.state {
        State::Issued => {
            return Some(ItemRow {
                outcome: "issued".into(),
                verification_code: inq.verification_code.clone(),
                ..ItemRow::default()
            });
        }
        State::Rejected => berr::item_rejected(&why.fa, &why.en),
        State::Cancelled => berr::item_cancelled(&why.fa, &why.en),
        State::Expired => berr::item_expired(),
        _ => return None,
    };
    Some(ItemRow {
        outcome: "refused".into(),
        reason: refusal.reason,
        message_fa: refusal.message_fa,
        message_en: refusal.message_en,
        ..ItemRow::default()
    })
}
