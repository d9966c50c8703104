//! The batch worker: claims pending items by lease and files each one through the same
//! engine calls an authority's software would make one by one (file on behalf, undertakings,
//! property, letter, documents, applicant, Submit), as the account that sent the batch.
//!
//! * **Leases**: an item is claimed for a lease (`inquiry.batches.lease_secs`, 30 s); a
//!   worker that dies mid-item loses only its
//!   claim, and the item is claimed again once the lease runs out (on this process after a
//!   restart, or another replica).
//! * **Exactly once**: every call carries the idempotency key `batch:<batch id>:<index>:<step>`,
//!   so an item worked a second time replays each step already done (with the inquiry as that
//!   step left it) and runs only the rest; the item's outcome is written only while it is
//!   still pending, in the transaction that also finishes the batch after its last item and
//!   enqueues `inquiry.batch.finished`.
//! * **Bounded**: at most `inquiry.batches.concurrency` (4) items per process are in
//!   flight, so a batch of a
//!   thousand parcels never takes the database pool or the other services away from the
//!   people filing interactively.

use std::sync::Arc;
use std::time::Duration;

use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::auth::{Caller, Role};
use estelam_runtime::db::now_micros;
use estelam_runtime::error::{ErrorCode, ServiceError};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::Engine;
use super::batches::{BatchSpec, ItemSpec};
use super::batches_errors as berr;
use super::batches_follow::outcome_of_inquiry;
use crate::events;
use crate::store::{self, BatchRow, ItemRow};

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// Whether a refusal may go away by itself (a service down, a race), so the item is tried
/// again rather than refused.
fn transient(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::Unavailable
            | ErrorCode::DeadlineExceeded
            | ErrorCode::Internal
            | ErrorCode::Conflict
            | ErrorCode::ResourceExhausted
            | ErrorCode::Unauthenticated
    )
}

/// How an item's filing ended, before it is written down.
enum Filed {
    /// Submit ran; the inquiry as it is now.
    Submitted(pb::Inquiry),
    /// A step refused it for good; the draft, if one was filed.
    Refused(Option<pb::Inquiry>, ServiceError),
}

impl Engine {
    /// Works batches until `shutdown`: claims up to `inquiry.batches.concurrency` items,
    /// files them side by side, and looks again; idle, it waits for a new batch or the
    /// poll interval.
    pub async fn run_batches(self: Arc<Self>, shutdown: CancellationToken) {
        let owner = uuid::Uuid::now_v7().to_string();
        loop {
            if shutdown.is_cancelled() {
                return;
            }
            let claimed = match self.claim(&owner).await {
                Ok(items) => items,
                Err(e) => {
                    tracing::warn!(error = %e, "batch worker could not claim items");
                    Vec::new()
                }
            };
            if claimed.is_empty() {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = self.batch_wake.notified() => {}
                    () = tokio::time::sleep(Duration::from_millis(
                        self.settings().batches.poll_interval_ms.max(1),
                    )) => {}
                }
                continue;
            }
            let mut running = JoinSet::new();
            for item in claimed {
                let me = self.clone();
                running.spawn(async move {
                    // Boxed: an item's future holds every step's, too large for the stack.
                    if let Err(e) = Box::pin(me.work_item(item)).await {
                        // The lease runs out and the item is tried again.
                        tracing::warn!(error = %e, "batch item left for a later attempt");
                    }
                });
            }
            while running.join_next().await.is_some() {}
        }
    }

    async fn claim(&self, owner: &str) -> Result<Vec<ItemRow>, ServiceError> {
        let now = now_micros();
        let mut tx = self.db.begin().await?;
        let batches = &self.settings().batches;
        let limit = i64::try_from(batches.concurrency.max(1)).unwrap_or(1);
        let lease = Duration::from_secs(batches.lease_secs.max(1));
        let items = store::claim_items(&mut tx, owner, now, now + micros(lease), limit).await?;
        tx.commit().await?;
        Ok(items)
    }

    /// Files one claimed item and writes its outcome, or gives it back to be tried later.
    async fn work_item(&self, item: ItemRow) -> Result<(), ServiceError> {
        let batch = store::batch(&mut *self.conn().await?, &item.batch_id)
            .await?
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("item of a missing batch")))?;
        let spec: BatchSpec = serde_json::from_str(&batch.spec).map_err(ServiceError::internal)?;
        let input: ItemSpec = serde_json::from_str(&item.input).map_err(ServiceError::internal)?;
        let caller = Caller {
            subject: batch.submitted_by.clone(),
            roles: vec![Role::Authority],
            organization: Some(batch.organization_id.clone()),
            token_id: String::new(),
            national_code: None,
            session_id: None,
            password_change_required: false,
        };
        let keys = Keys(format!("batch:{}:{}", batch.id, item.index));
        // Boxed: filing walks every step, whose futures together are large.
        let filed = match Box::pin(self.file_item(&caller, &batch, &spec, &input, &keys)).await {
            Ok(filed) => filed,
            Err(e) if item.attempts >= i64::from(self.settings().batches.max_attempts.max(1)) => {
                tracing::warn!(batch = %batch.id, index = item.index, error = %e, "batch item given up");
                Filed::Refused(None, berr::item_unfinished())
            }
            Err(e) => {
                let backoff = Duration::from_secs(1 << item.attempts.clamp(0, 6));
                let mut tx = self.db.begin().await?;
                store::release_item(
                    &mut tx,
                    &batch.id,
                    item.index,
                    now_micros() + micros(backoff),
                )
                .await?;
                tx.commit().await?;
                return Err(e);
            }
        };
        self.settle_item(&batch, item, filed).await
    }

    /// The calls of one item, in order, each with its own key. `Ok(Filed)` is final; an
    /// `Err` is a transient failure to try again.
    async fn file_item(
        &self,
        caller: &Caller,
        batch: &BatchRow,
        spec: &BatchSpec,
        input: &ItemSpec,
        keys: &Keys,
    ) -> Result<Filed, ServiceError> {
        let filed = self
            .file_on_behalf(
                caller,
                pb::FileInquiryOnBehalfRequest {
                    request_type_code: batch.request_type_code.clone(),
                    applicant_national_code: input.applicant_national_code.clone(),
                    applicant_membership_code: input.applicant_membership_code.clone(),
                    client_request_id: keys.of("file"),
                },
            )
            .await;
        let mut inq = match filed {
            Ok(inq) => inq,
            Err(e) if transient(e.code) => return Err(e),
            Err(e) => return Ok(Filed::Refused(None, e)),
        };
        let letter_required = self
            .get_request_type(&batch.request_type_code)
            .await?
            .letter_required;
        // Each step: the inquiry it left, or the refusal that ends the item.
        macro_rules! step {
            ($call:expr) => {
                match $call.await {
                    Ok(next) => inq = next,
                    Err(e) if transient(e.code) => return Err(e),
                    Err(e) => return Ok(Filed::Refused(Some(inq), e)),
                }
            };
        }
        step!(self.accept_undertakings(
            caller,
            pb::AcceptUndertakingsRequest {
                inquiry_id: inq.inquiry_id.clone(),
                expected_version: inq.version,
                client_request_id: keys.of("undertakings"),
                undertaking_version_ids: spec.undertaking_version_ids.clone(),
            },
        ));
        step!(self.set_property(
            caller,
            pb::SetPropertyRequest {
                inquiry_id: inq.inquiry_id.clone(),
                expected_version: inq.version,
                client_request_id: keys.of("property"),
                location: Some(pb::set_property_request::Location::RenovationCode(
                    input.renovation_code.clone(),
                )),
                request_number: input.request_number.clone(),
            },
        ));
        if letter_required {
            let number = if input.letter_number.is_empty() {
                spec.letter_number.clone()
            } else {
                input.letter_number.clone()
            };
            step!(self.set_letter(
                caller,
                pb::SetLetterRequest {
                    inquiry_id: inq.inquiry_id.clone(),
                    expected_version: inq.version,
                    client_request_id: keys.of("letter"),
                    letter_number: number,
                    letter_date_jalali: spec.letter_date_jalali.clone(),
                    authority_organization_id: batch.organization_id.clone(),
                },
            ));
        }
        step!(self.attach_documents(
            caller,
            pb::AttachDocumentsRequest {
                inquiry_id: inq.inquiry_id.clone(),
                expected_version: inq.version,
                client_request_id: keys.of("documents"),
                document_ids: input.document_ids.clone(),
            },
        ));
        step!(self.set_applicant(
            caller,
            pb::SetApplicantRequest {
                inquiry_id: inq.inquiry_id.clone(),
                expected_version: inq.version,
                client_request_id: keys.of("applicant"),
                full_name: input.applicant_full_name.clone(),
                national_code: input.applicant_national_code.clone(),
                ownership_type: input.ownership_type,
                representation: None,
            },
        ));
        let submitted = self
            .submit(
                caller,
                pb::SubmitRequest {
                    inquiry_id: inq.inquiry_id.clone(),
                    expected_version: inq.version,
                    client_request_id: keys.of("submit"),
                },
            )
            .await;
        match submitted {
            Ok(_) => {}
            Err(e) if transient(e.code) => return Err(e),
            Err(e) => return Ok(Filed::Refused(Some(inq), e)),
        }
        // As it is now, not as Submit's first response had it: an answer issued since
        // (the bill paid, the recovery sweep) counts.
        let now = self.load_visible(caller, &inq.inquiry_id).await?;
        Ok(Filed::Submitted(now.to_proto()))
    }

    /// Writes the item's outcome (only while it is still pending) and, when it was the
    /// batch's last, finishes the batch and enqueues `inquiry.batch.finished`, all in one
    /// transaction. A submitted item's outcome is read from its inquiry under the inquiry's
    /// row lock (taken before the batch's, in the order every inquiry save takes them): a
    /// bill paid while the item was being written down is either seen here (issued) or
    /// finds the item awaiting payment and moves it on ([`super::batches_follow`]).
    async fn settle_item(
        &self,
        batch: &BatchRow,
        item: ItemRow,
        filed: Filed,
    ) -> Result<(), ServiceError> {
        let mut row = ItemRow {
            outcome: String::new(),
            ..item
        };
        let refuse = |row: &mut ItemRow, e: &ServiceError| {
            // A field's own message says more than the summary (which field, what to do).
            let (reason, fa, en) = match e.fields.first() {
                Some(f) => (f.reason.clone(), f.message_fa.clone(), f.message_en.clone()),
                None => (e.reason.clone(), e.message_fa.clone(), e.message_en.clone()),
            };
            row.outcome = "refused".into();
            row.reason = reason;
            row.message_fa = fa;
            row.message_en = en;
        };
        let now = now_micros();
        let mut tx = self.db.begin().await?;
        let inquiry = match &filed {
            Filed::Refused(inq, e) => {
                refuse(&mut row, e);
                inq.as_ref()
                    .map(|i| (i.inquiry_id.clone(), i.inquiry_number.clone()))
            }
            Filed::Submitted(inq) => {
                store::lock_inquiry(&mut tx, &inq.inquiry_id).await?;
                let now_state = store::inquiry(&mut tx, &inq.inquiry_id).await?;
                match now_state.as_ref().and_then(outcome_of_inquiry) {
                    Some(o) => {
                        row.outcome = o.outcome;
                        row.verification_code = o.verification_code;
                        row.bill_id = o.bill_id;
                        row.amount_due_rials = o.amount_due_rials;
                        row.reason = o.reason;
                        row.message_fa = o.message_fa;
                        row.message_en = o.message_en;
                    }
                    None => {
                        let why = inq.state_reason.clone().unwrap_or_default();
                        refuse(&mut row, &berr::item_rejected(&why.fa, &why.en));
                    }
                }
                Some((inq.inquiry_id.clone(), inq.inquiry_number.clone()))
            }
        };
        if let Some((id, number)) = inquiry {
            row.inquiry_id = id;
            row.inquiry_number = number;
        }
        store::lock_batch(&mut tx, &batch.id).await?;
        if !store::settle_item(&mut tx, &row, now).await? {
            // Another claim of this item settled it first, with the same inquiry.
            tx.rollback().await?;
            return Ok(());
        }
        let counts = store::counts(&mut tx, &batch.id).await?;
        let finished = counts.pending == 0 && store::finish_batch(&mut tx, &batch.id, now).await?;
        if finished {
            // Settled when no item waits for payment; otherwise a second, settled event
            // follows the last payment.
            let event = events::batch_finished(batch, counts, now);
            // On the bus and, in the same transaction, to the organisation's webhooks.
            self.publish(&mut tx, &event).await?;
        }
        tx.commit().await?;
        if finished {
            tracing::info!(batch = %batch.id, total = batch.total, "batch finished");
            self.wake_relay();
        }
        Ok(())
    }
}

/// The idempotency keys of one item's calls.
struct Keys(String);

impl Keys {
    fn of(&self, step: &str) -> String {
        format!("{}:{step}", self.0)
    }
}
