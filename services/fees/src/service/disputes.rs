//! Objections to a levy (اعتراض به عوارض): an applicant disputes lines of an open bill with
//! a reason; by the note to article 74 of the Municipalities Law the disputed amount may be
//! deposited, and the deposit's receipt counts as clearance; a clerk then decides.
//!
//! The ledger tells the whole story, so a parcel's balance is always its entries' sum:
//! * **Deposit.** The bill is still paid in one payment of its total. When it is settled
//!   (`apply_settlement`), the disputed part is booked as a `DEPOSIT` entry (negative,
//!   with the dispute's own receipt code) and only the rest as the `PAYMENT`: the balance
//!   is zero, so the parcel is cleared, and the clearance lists the disputes pending.
//! * **Upheld.** The lines are written off (an `ADJUSTMENT` write-off of the disputed
//!   amount) and the deposit is refunded (a `REFUND` entry of the same amount): the balance
//!   stays zero. Paying the money back to the payer's bank is done outside this system; the
//!   refund entry records that it is owed.
//! * **Dismissed.** The deposit is released (`DEPOSIT`, positive) and applied to the lines
//!   (`PAYMENT`, negative, carrying the receipt code): the balance stays zero.
//!
//! Every filing and decision (and a refused second decision) is in the audit log.

use estelam_domain::{CheckCode, CodeKind};
use estelam_runtime::db::is_unique_violation;
use estelam_runtime::error::ServiceError;
use estelam_runtime::paging::Paging;
use sqlx::AnyConnection;

use super::{Fees, PAGE_SIZES, Page, effective_bill_status, parse_code};
use crate::assess::{Line, LineKind};
use crate::codes::{
    BILL_OPEN, DISPUTE_AWAITING_DEPOSIT, DISPUTE_DEPOSITED, DISPUTE_DISMISSED, DISPUTE_UPHELD,
    ENTRY_ADJUSTMENT, ENTRY_DEPOSIT, ENTRY_PAYMENT, ENTRY_REFUND, ITEM_ADJUSTMENT,
};
use crate::errors;
use crate::store::audit::{self, Audit};
use crate::store::bills::{self, Bill};
use crate::store::disputes::{self, Dispute};
use crate::store::ledger::{self, NewEntry};
use crate::store::payments::Payment;

/// The longest reason an applicant or a clerk may give, in characters.
const REASON_MAX_CHARS: usize = 500;

/// What FileDispute was asked, in the domain's terms.
#[derive(Debug, Clone, Default)]
pub struct DisputeArgs {
    /// The open bill whose lines are disputed.
    pub bill_id: String,
    /// The inquiry the caller acts for; the bill must be that inquiry's.
    pub inquiry_id: String,
    /// Positions of the disputed lines.
    pub line_indexes: Vec<i32>,
    /// The applicant's reason, as typed.
    pub reason: String,
}

/// A dispute with the bill lines it names, as the bill states them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeView {
    /// The dispute.
    pub dispute: Dispute,
    /// Its lines: position and line.
    pub lines: Vec<(usize, Line)>,
}

/// How a clerk decides a dispute (`DisputeDecision` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The objection is right: the lines are written off and the deposit refunded.
    Uphold,
    /// The objection is wrong: the deposit pays the lines.
    Dismiss,
}

/// The positions asked for, ascending and without repeats, each a line of the bill with
/// something to dispute (a positive total that is not a discount).
fn chosen_lines(bill: &Bill, asked: &[i32]) -> Result<Vec<usize>, ServiceError> {
    let mut lines = asked
        .iter()
        .map(|i| usize::try_from(*i).map_err(|_| errors::dispute_lines_invalid()))
        .collect::<Result<Vec<_>, _>>()?;
    lines.sort_unstable();
    lines.dedup();
    let disputable = |i: &usize| {
        bill.lines
            .get(*i)
            .is_some_and(|l| l.total > 0 && l.kind != LineKind::Discount)
    };
    if lines.is_empty() || !lines.iter().all(disputable) {
        return Err(errors::dispute_lines_invalid());
    }
    Ok(lines)
}

/// The lines of `bill` a dispute names.
fn lines_of(bill: &Bill, d: &Dispute) -> Vec<(usize, Line)> {
    d.line_indexes
        .iter()
        .filter_map(|i| bill.lines.get(*i).map(|l| (*i, l.clone())))
        .collect()
}

/// A cleaned, non-empty reason of at most [`REASON_MAX_CHARS`].
fn checked_reason(
    field: estelam_domain::text::TextField,
    input: &str,
    missing: fn() -> ServiceError,
) -> Result<String, ServiceError> {
    let reason = errors::clean(field, "reason", input)?;
    if reason.is_empty() {
        return Err(missing());
    }
    if reason.chars().count() > REASON_MAX_CHARS {
        return Err(errors::dispute_reason_too_long(REASON_MAX_CHARS));
    }
    Ok(reason)
}

impl Fees {
    /// Files a dispute of lines of an open bill for the inquiry it was assessed for, once
    /// per set of lines: filing the same lines again returns the first dispute. A bill of
    /// another inquiry is NOT_FOUND, as if it did not exist.
    pub async fn file_dispute(
        &self,
        actor: &str,
        a: DisputeArgs,
    ) -> Result<DisputeView, ServiceError> {
        let bill = self.bill(&a.bill_id).await?;
        let inquiry = a.inquiry_id.trim();
        if inquiry.is_empty() || bill.inquiry_id != inquiry {
            return Err(errors::bill_not_found());
        }
        let lines = chosen_lines(&bill, &a.line_indexes)?;
        let reason = checked_reason(
            errors::DISPUTE_REASON,
            &a.reason,
            errors::dispute_reason_required,
        )?;
        if let Some(d) =
            disputes::dispute_of_lines(&mut *self.conn().await?, &bill.bill_id, &lines).await?
        {
            return Ok(DisputeView {
                lines: lines_of(&bill, &d),
                dispute: d,
            });
        }
        let now = self.now_us();
        let mut tx = self.db.begin().await?;
        let account = ledger::lock_account(&mut tx, &bill.renovation_code).await?;
        let current = bills::bill(&mut tx, &bill.bill_id)
            .await?
            .ok_or_else(errors::bill_not_found)?;
        let open = effective_bill_status(&current, now) == BILL_OPEN
            && account.is_some_and(|acc| acc.ledger_version == current.ledger_version);
        if !open {
            tx.rollback().await?;
            return Err(errors::dispute_bill_closed());
        }
        if disputes::any_line_disputed(&mut tx, &bill.bill_id, &lines).await? {
            tx.rollback().await?;
            return Err(errors::dispute_item_already_disputed());
        }
        let disputed: i64 = lines
            .iter()
            .filter_map(|i| current.lines.get(*i))
            .map(|l| l.total)
            .sum();
        let dispute = Dispute {
            dispute_id: uuid::Uuid::now_v7().to_string(),
            bill_id: current.bill_id.clone(),
            renovation_code: current.renovation_code.clone(),
            inquiry_id: current.inquiry_id.clone(),
            line_indexes: lines,
            disputed,
            reason,
            status: DISPUTE_AWAITING_DEPOSIT,
            filed_by: actor.to_owned(),
            filed_at_us: now,
            deposit: 0,
            deposit_receipt_code: String::new(),
            deposit_payment_id: String::new(),
            deposited_at_us: None,
            decided_by: String::new(),
            decided_at_us: None,
            decision_reason: String::new(),
        };
        if let Err(e) = disputes::insert(&mut tx, &dispute).await {
            tx.rollback().await?;
            if is_unique_violation(&e) {
                // A concurrent filing won: the same lines are that dispute; others overlap.
                let mut conn = self.conn().await?;
                return match disputes::dispute_of_lines(
                    &mut conn,
                    &dispute.bill_id,
                    &dispute.line_indexes,
                )
                .await?
                {
                    Some(d) => Ok(DisputeView {
                        lines: lines_of(&current, &d),
                        dispute: d,
                    }),
                    None => Err(errors::dispute_item_already_disputed()),
                };
            }
            return Err(e.into());
        }
        audit::audit(
            &mut tx,
            &Audit {
                at_us: now,
                actor_id: actor.to_owned(),
                action: "dispute.filed".into(),
                subject: dispute.renovation_code.clone(),
                outcome: "accepted".into(),
                detail: serde_json::json!({
                    "dispute_id": dispute.dispute_id,
                    "bill_id": dispute.bill_id,
                    "inquiry_id": dispute.inquiry_id,
                    "line_indexes": dispute.line_indexes,
                    "disputed_rials": dispute.disputed,
                    "reason": dispute.reason,
                })
                .to_string(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(DisputeView {
            lines: lines_of(&current, &dispute),
            dispute,
        })
    }

    /// A dispute by id, with its lines.
    pub async fn dispute(&self, dispute_id: &str) -> Result<DisputeView, ServiceError> {
        let mut conn = self.conn().await?;
        let d = disputes::dispute(&mut conn, dispute_id.trim())
            .await?
            .ok_or_else(errors::dispute_not_found)?;
        self.view(&mut conn, d).await
    }

    async fn view(
        &self,
        conn: &mut AnyConnection,
        d: Dispute,
    ) -> Result<DisputeView, ServiceError> {
        let lines = bills::bill(conn, &d.bill_id)
            .await?
            .map(|b| lines_of(&b, &d))
            .unwrap_or_default();
        Ok(DisputeView { dispute: d, lines })
    }

    /// A bill's disputes with their lines, oldest first.
    pub async fn disputes_of_bill(&self, bill: &Bill) -> Result<Vec<DisputeView>, ServiceError> {
        let found = disputes::of_bill(&mut *self.conn().await?, &bill.bill_id).await?;
        Ok(found
            .into_iter()
            .map(|d| DisputeView {
                lines: lines_of(bill, &d),
                dispute: d,
            })
            .collect())
    }

    /// A parcel's disputes whose deposit is held and not decided, with their lines.
    pub(super) async fn held_disputes(
        &self,
        conn: &mut AnyConnection,
        code: &str,
    ) -> Result<Vec<DisputeView>, ServiceError> {
        let mut out = Vec::new();
        for d in disputes::held_of_parcel(conn, code).await? {
            out.push(self.view(conn, d).await?);
        }
        Ok(out)
    }

    /// A page of disputes, oldest first: those with `status` (0 for any) of the parcel
    /// `code` (empty for any).
    pub async fn list_disputes(
        &self,
        status: i32,
        code: &str,
        page_size: i32,
        page_token: &str,
    ) -> Result<Page<DisputeView>, ServiceError> {
        let status = i64::from(status);
        if ![
            0,
            DISPUTE_AWAITING_DEPOSIT,
            DISPUTE_DEPOSITED,
            DISPUTE_UPHELD,
            DISPUTE_DISMISSED,
        ]
        .contains(&status)
        {
            return Err(errors::dispute_status_invalid());
        }
        let key = if code.trim().is_empty() {
            String::new()
        } else {
            parse_code("renovation_code", code)?.to_string()
        };
        let paging = Paging::parse(
            page_size,
            page_token,
            format!("disputes:{status}:{key}"),
            PAGE_SIZES,
        )?;
        let mut conn = self.conn().await?;
        let rows = disputes::list(
            &mut conn,
            status,
            &key,
            paging.after(),
            paging.fetch_limit(),
        )
        .await?;
        let (rows, next_page_token) = paging.finish(rows, |d| d.dispute_id.clone());
        let mut items = Vec::with_capacity(rows.len());
        for d in rows {
            items.push(self.view(&mut conn, d).await?);
        }
        Ok(Page {
            items,
            next_page_token,
        })
    }

    /// Inside a bill's settlement (the caller holds the parcel lock): holds the disputed
    /// amount of every dispute of the bill awaiting its deposit, as a `DEPOSIT` entry with
    /// its own receipt code. Returns what the deposits hold in all, which the payment entry
    /// leaves out.
    pub(super) async fn hold_deposits(
        &self,
        tx: &mut AnyConnection,
        bill: &Bill,
        payment: &Payment,
        now: i64,
    ) -> Result<i64, ServiceError> {
        let mut held = 0_i64;
        for mut d in disputes::of_bill(tx, &bill.bill_id).await? {
            if d.status != DISPUTE_AWAITING_DEPOSIT {
                continue;
            }
            let receipt = {
                let mut rng = rand::rng();
                CheckCode::generate_random(CodeKind::Tracking, &mut rng).to_string()
            };
            d.deposit = d.disputed;
            d.deposit_receipt_code = receipt.clone();
            d.deposit_payment_id = payment.payment_id.clone();
            d.deposited_at_us = Some(now);
            if !disputes::mark_deposited(tx, &d).await? {
                continue;
            }
            ledger::append_entry(
                tx,
                &bill.renovation_code,
                &NewEntry {
                    kind: ENTRY_DEPOSIT,
                    amount: -d.deposit,
                    description_fa: format!(
                        "سپردهٔ اعتراض به عوارض (تبصرهٔ مادهٔ ۷۴ قانون شهرداری‌ها)، رسید {receipt}"
                    ),
                    description_en: format!(
                        "Deposit for an objection to levies (note to article 74 of the \
                         Municipalities Law), receipt {receipt}"
                    ),
                    bill_id: bill.bill_id.clone(),
                    payment_id: payment.payment_id.clone(),
                    tracking_code: receipt,
                    reason: d.reason.clone(),
                    ..NewEntry::default()
                },
                now,
            )
            .await?;
            held = held
                .checked_add(d.deposit)
                .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("deposit overflow")))?;
        }
        Ok(held)
    }

    /// The disputes whose deposit `payment_id` held, for the debt-cleared event.
    pub(super) async fn deposited_by(
        &self,
        tx: &mut AnyConnection,
        bill: &Bill,
        payment_id: &str,
    ) -> Result<Vec<DisputeView>, ServiceError> {
        Ok(disputes::of_bill(tx, &bill.bill_id)
            .await?
            .into_iter()
            .filter(|d| d.deposit_payment_id == payment_id && d.status == DISPUTE_DEPOSITED)
            .map(|d| DisputeView {
                lines: lines_of(bill, &d),
                dispute: d,
            })
            .collect())
    }

    /// Decides a deposited dispute, once, with a reason: upheld writes the lines off and
    /// refunds the deposit; dismissed applies the deposit to the lines. Returns the dispute
    /// and the parcel's balance after.
    pub async fn decide_dispute(
        &self,
        actor: &str,
        dispute_id: &str,
        decision: Option<Decision>,
        reason: &str,
    ) -> Result<(DisputeView, i64), ServiceError> {
        let decision = decision.ok_or_else(errors::dispute_decision_invalid)?;
        let reason = checked_reason(
            errors::DISPUTE_DECISION_REASON,
            reason,
            errors::dispute_decision_reason_required,
        )?;
        let found = disputes::dispute(&mut *self.conn().await?, dispute_id.trim())
            .await?
            .ok_or_else(errors::dispute_not_found)?;
        let (status, action) = match decision {
            Decision::Uphold => (DISPUTE_UPHELD, "dispute.upheld"),
            Decision::Dismiss => (DISPUTE_DISMISSED, "dispute.dismissed"),
        };
        if found.status == DISPUTE_UPHELD || found.status == DISPUTE_DISMISSED {
            self.audit(
                actor,
                action,
                &found.renovation_code,
                "refused: already decided",
                serde_json::json!({ "dispute_id": found.dispute_id }).to_string(),
            )
            .await;
            return Err(errors::dispute_already_decided());
        }
        if found.status != DISPUTE_DEPOSITED {
            return Err(errors::dispute_deposit_missing());
        }
        let now = self.now_us();
        let decided = Dispute {
            status,
            decided_by: actor.to_owned(),
            decided_at_us: Some(now),
            decision_reason: reason,
            ..found
        };
        let code = decided.renovation_code.clone();
        let mut tx = self.db.begin().await?;
        ledger::lock_account(&mut tx, &code).await?;
        if !disputes::decide(&mut tx, &decided).await? {
            tx.rollback().await?;
            return Err(errors::dispute_already_decided());
        }
        let receipt = decided.deposit_receipt_code.clone();
        let base = NewEntry {
            bill_id: decided.bill_id.clone(),
            payment_id: decided.deposit_payment_id.clone(),
            reason: decided.decision_reason.clone(),
            actor_id: actor.to_owned(),
            ..NewEntry::default()
        };
        let entries = match decision {
            Decision::Uphold => [
                NewEntry {
                    kind: ENTRY_ADJUSTMENT,
                    item_kind: ITEM_ADJUSTMENT,
                    amount: -decided.deposit,
                    description_fa: "بخشودگی اقلام مورد اعتراض (اعتراض پذیرفته شد)".into(),
                    description_en: "Write-off of the disputed items (objection upheld)".into(),
                    ..base.clone()
                },
                NewEntry {
                    kind: ENTRY_REFUND,
                    amount: decided.deposit,
                    description_fa: format!("استرداد سپردهٔ اعتراض، رسید {receipt}"),
                    description_en: format!("Objection deposit refunded, receipt {receipt}"),
                    tracking_code: receipt.clone(),
                    ..base.clone()
                },
            ],
            Decision::Dismiss => [
                NewEntry {
                    kind: ENTRY_DEPOSIT,
                    amount: decided.deposit,
                    description_fa: format!("آزادسازی سپردهٔ اعتراض، رسید {receipt}"),
                    description_en: format!("Objection deposit released, receipt {receipt}"),
                    tracking_code: receipt.clone(),
                    ..base.clone()
                },
                NewEntry {
                    kind: ENTRY_PAYMENT,
                    amount: -decided.deposit,
                    description_fa: format!(
                        "تسویهٔ اقلام مورد اعتراض از سپرده (اعتراض رد شد)، رسید {receipt}"
                    ),
                    description_en: format!(
                        "Disputed items settled from the deposit (objection dismissed), receipt \
                         {receipt}"
                    ),
                    tracking_code: receipt.clone(),
                    ..base.clone()
                },
            ],
        };
        for entry in &entries {
            ledger::append_entry(&mut tx, &code, entry, now).await?;
        }
        ledger::bump_ledger_version(&mut tx, &code).await?;
        bills::supersede_open_bills(&mut tx, &code, "").await?;
        audit::audit(
            &mut tx,
            &Audit {
                at_us: now,
                actor_id: actor.to_owned(),
                action: action.into(),
                subject: code.clone(),
                outcome: "accepted".into(),
                detail: serde_json::json!({
                    "dispute_id": decided.dispute_id,
                    "bill_id": decided.bill_id,
                    "deposit_rials": decided.deposit,
                    "receipt_code": receipt,
                    "reason": decided.decision_reason,
                })
                .to_string(),
            },
        )
        .await?;
        let balance = ledger::balance(&mut tx, &code).await?;
        tx.commit().await?;
        let view = self.view(&mut *self.conn().await?, decided).await?;
        Ok((view, balance))
    }
}
