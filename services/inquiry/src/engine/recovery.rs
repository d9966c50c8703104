//! The recovery sweep: resumes whatever was left between steps, so that a lost event or a
//! crash between payment and issue never leaves an inquiry waiting for good, and expires
//! what was left unfinished.

use std::sync::Arc;
use std::time::Duration;

use estelam_proto::fees::v1 as fpb;
use estelam_runtime::db::now_micros;
use estelam_runtime::error::ServiceError;
use estelam_runtime::time::micros;
use tokio_util::sync::CancellationToken;

use super::{Engine, system_stamp};
use crate::store::{self, DebtClearedRecord};
use crate::workflow::{self, State};

impl Engine {
    /// Resumes whatever was left between steps: inquiries waiting for a payment that is
    /// already recorded (or that fees reports paid, in case its event never came), and
    /// expires unfinished inquiries past their time. Safe to run at any time, on any
    /// number of replicas. Returns how many answers it issued.
    pub async fn recover(&self) -> Result<usize, ServiceError> {
        let mut issued = 0;
        let ids = {
            let mut conn = self.conn().await?;
            store::waiting_but_cleared(&mut conn, 500).await?
        };
        for id in ids {
            let record = {
                let mut conn = self.conn().await?;
                let Some(inq) = store::inquiry(&mut conn, &id).await? else {
                    continue;
                };
                store::debt_cleared(&mut conn, &inq.bill_id).await?
            };
            if let Some(record) = record {
                issued += usize::from(self.apply_recovered(&record).await?);
            }
        }
        // Waiting inquiries whose event may have been lost: ask fees about their bill.
        let waiting = {
            let mut conn = self.conn().await?;
            store::inquiry_ids_in_state(&mut conn, State::AwaitingPayment, now_micros(), 200)
                .await?
        };
        for id in waiting {
            let inq = {
                let mut conn = self.conn().await?;
                store::inquiry(&mut conn, &id).await?
            };
            let Some(inq) = inq else { continue };
            if inq.bill_id.is_empty() {
                continue;
            }
            let bill = match self.ports.fees.get_bill(&inq.bill_id).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(inquiry = %id, error = %e, "recovery could not ask fees about a bill");
                    continue;
                }
            };
            if bill.status == fpb::BillStatus::Paid as i32 {
                let record = DebtClearedRecord {
                    bill_id: bill.bill_id.clone(),
                    inquiry_id: inq.id.clone(),
                    renovation_code: bill.renovation_code.clone(),
                    payment_id: bill.payment_id.clone(),
                    tracking_code: bill.tracking_code.clone(),
                    amount_rials: bill.total_rials,
                    event_id: format!("recovery:{}", bill.bill_id),
                    occurred_at_us: bill
                        .paid_at
                        .as_ref()
                        .and_then(micros)
                        .unwrap_or_else(now_micros),
                    disputes: deposited_disputes(&bill),
                };
                issued += usize::from(self.apply_recovered(&record).await?);
            }
        }
        // Expire what was left unfinished too long.
        let expired = {
            let mut conn = self.conn().await?;
            store::expired_unfinished(&mut conn, now_micros(), 500).await?
        };
        for id in expired {
            let mut tx = self.db.begin().await?;
            store::lock_inquiry(&mut tx, &id).await?;
            if let Some(mut inq) = store::inquiry(&mut tx, &id).await?
                && !inq.state.is_final()
                && inq.expires_at_us.is_some_and(|e| e < now_micros())
            {
                let expected = inq.version;
                inq.transition(
                    State::Expired,
                    &system_stamp(),
                    Some(workflow::ran_out_of_time()),
                );
                inq.version += 1;
                store::update_inquiry(&mut tx, &inq, expected).await?;
                // A batch item that waited for its bill ends with it.
                if let Some(settled) = self.follow_batch_item(&mut tx, &inq).await? {
                    self.publish(&mut tx, &settled).await?;
                }
            }
            tx.commit().await?;
        }
        Ok(issued)
    }

    async fn apply_recovered(&self, record: &DebtClearedRecord) -> Result<bool, ServiceError> {
        let mut tx = self.db.begin().await?;
        let issued = self.apply_debt_cleared(&mut tx, record).await?;
        tx.commit().await?;
        if let Some(inq) = &issued {
            tracing::info!(inquiry = %inq.id, "recovery issued an answer left waiting");
            self.after_issue(inq);
        }
        Ok(issued.is_some())
    }

    /// Runs [`Engine::recover`] now and then every `every`, until `shutdown`.
    pub async fn run_recovery(self: Arc<Self>, every: Duration, shutdown: CancellationToken) {
        loop {
            if let Err(e) = self.recover().await {
                tracing::warn!(error = %e, "recovery sweep failed; will try again");
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    }
}

/// The objections whose deposit the payment of `bill` held, as the answer records them
/// (what the debt-cleared event would have said).
fn deposited_disputes(bill: &fpb::Bill) -> Vec<crate::answer::DisputeFact> {
    bill.disputes
        .iter()
        .filter(|d| !d.deposit_receipt_code.is_empty() && d.deposit_payment_id == bill.payment_id)
        .map(|d| crate::answer::DisputeFact {
            dispute_id: d.dispute_id.clone(),
            items: d
                .items
                .iter()
                .filter_map(|i| i.line.as_ref())
                .map(|l| {
                    let text = l.description.clone().unwrap_or_default();
                    if l.jalali_year == 0 {
                        crate::request_types::Text::new(&text.fa, &text.en)
                    } else {
                        crate::request_types::Text::new(
                            &format!("{} سال {}", text.fa, l.jalali_year),
                            &format!("{} {}", text.en, l.jalali_year),
                        )
                    }
                })
                .collect(),
            deposit_rials: d.deposit_rials,
            receipt_code: d.deposit_receipt_code.clone(),
        })
        .collect()
}
