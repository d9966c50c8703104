//! Clerk adjustments to a parcel's ledger — corrections, discounts and write-offs, each with
//! a reason — and the second approver: an adjustment whose size is above
//! `fees.adjustment_second_approval_above_rials` is only proposed, changes nothing, and is
//! written to the ledger when a staff member other than its proposer approves it. Every
//! step (applied, proposed, approved, refused, a proposer's attempt to decide their own) is
//! in the audit log with who, when and what.

use estelam_runtime::db::is_unique_violation;
use estelam_runtime::error::ServiceError;
use estelam_runtime::paging::Paging;
use sqlx::AnyConnection;

use super::{Fees, PAGE_SIZES, Page, parse_code};
use crate::assess::jalali_at;
use crate::codes::{
    ADJ_CORRECTION, ADJ_DISCOUNT, ADJ_WRITE_OFF, ENTRY_ADJUSTMENT, ENTRY_DISCOUNT, ITEM_ADJUSTMENT,
    ITEM_DISCOUNT, PROPOSAL_APPROVED, PROPOSAL_PENDING, PROPOSAL_REFUSED,
};
use crate::errors;
use crate::store::adjustments::{self as proposals, Proposal};
use crate::store::audit::{self, Audit};
use crate::store::bills;
use crate::store::ledger::{self, Entry, NewEntry};

/// What a clerk asks to add to a parcel's ledger.
#[derive(Debug, Clone, Default)]
pub struct AdjustmentArgs {
    /// The parcel, in any form people write it.
    pub renovation_code: String,
    /// `AdjustmentKind` number; 0 reads as a correction.
    pub kind: i32,
    /// Signed rials: positive charges, negative credits.
    pub amount: i64,
    /// Jalali year it concerns; 0 when none.
    pub jalali_year: i32,
    /// Why; required, cleaned before it is kept.
    pub reason: String,
    /// The ledger entry it corrects; empty when none.
    pub corrects: String,
    /// Idempotency key: a retry gets the first outcome back.
    pub client_request_id: String,
}

/// What came of an adjustment.
#[derive(Debug, Clone)]
pub enum Adjusted {
    /// Within the limit: written to the ledger; the balance after it.
    Applied(Entry, i64),
    /// Above the limit: waiting for a second staff member; the ledger is unchanged.
    Proposed(Proposal),
}

/// A decided proposal, the entry its approval wrote, and the parcel's balance after.
#[derive(Debug, Clone)]
pub struct Decided {
    /// The proposal, approved or refused.
    pub proposal: Proposal,
    /// The ledger entry; `None` when refused.
    pub entry: Option<Entry>,
    /// The parcel's balance after the decision.
    pub balance: i64,
}

/// The stored kind of an `AdjustmentKind` number and whether `amount` suits it: discounts
/// and write-offs only ever lower a debt.
fn checked_kind(kind: i32, amount: i64) -> Result<i64, ServiceError> {
    let kind = match i64::from(kind) {
        0 => ADJ_CORRECTION,
        k if [ADJ_CORRECTION, ADJ_DISCOUNT, ADJ_WRITE_OFF].contains(&k) => k,
        _ => return Err(errors::adjustment_kind_invalid()),
    };
    if kind != ADJ_CORRECTION && amount > 0 {
        return Err(errors::adjustment_kind_invalid());
    }
    Ok(kind)
}

/// The ledger entry an adjustment of `kind` becomes (before its place and balance).
fn entry_of(p: &Proposal, actor: &str, client_request_id: Option<String>) -> NewEntry {
    let (entry_kind, item_kind, fa, en) = match p.kind {
        ADJ_DISCOUNT => (ENTRY_DISCOUNT, ITEM_DISCOUNT, "تخفیف", "Discount"),
        ADJ_WRITE_OFF => (ENTRY_ADJUSTMENT, ITEM_ADJUSTMENT, "بخشودگی", "Write-off"),
        _ => (
            ENTRY_ADJUSTMENT,
            ITEM_ADJUSTMENT,
            "اصلاحیهٔ کارشناس",
            "Clerk adjustment",
        ),
    };
    NewEntry {
        kind: entry_kind,
        item_kind,
        jalali_year: p.jalali_year,
        amount: p.amount,
        description_fa: fa.into(),
        description_en: en.into(),
        reason: p.reason.clone(),
        corrects: p.corrects.clone(),
        actor_id: actor.to_owned(),
        client_request_id,
        ..NewEntry::default()
    }
}

fn kind_name(kind: i64) -> &'static str {
    match kind {
        ADJ_DISCOUNT => "discount",
        ADJ_WRITE_OFF => "write_off",
        _ => "correction",
    }
}

impl Fees {
    /// Whether an adjustment of `amount` needs a second staff member.
    fn needs_second_approver(&self, amount: i64) -> bool {
        let limit =
            u64::try_from(self.settings.adjustment_second_approval_above_rials).unwrap_or(0);
        amount.unsigned_abs() > limit
    }

    /// Adds a clerk adjustment, once per `client_request_id`: written to the ledger at once
    /// when within the limit (the parcel's open bills no longer match its ledger and are
    /// superseded), or stored as a proposal for a second staff member when above it.
    pub async fn add_adjustment(
        &self,
        actor: &str,
        a: AdjustmentArgs,
    ) -> Result<Adjusted, ServiceError> {
        let key = parse_code("renovation_code", &a.renovation_code)?.to_string();
        let reason = errors::clean(errors::ADJUSTMENT_REASON, "reason", &a.reason)?;
        if reason.is_empty() {
            return Err(errors::adjustment_reason_required());
        }
        if a.amount == 0 {
            return Err(errors::adjustment_amount_zero());
        }
        if a.jalali_year != 0 && !(1300..=1999).contains(&a.jalali_year) {
            return Err(errors::adjustment_year_invalid());
        }
        let kind = checked_kind(a.kind, a.amount)?;
        let corrects = a.corrects.trim().to_owned();
        let request_key = Some(a.client_request_id.trim().to_owned()).filter(|k| !k.is_empty());
        if let Some(id) = &request_key
            && let Some(done) = self.adjustment_by_request(&key, id).await?
        {
            return Ok(done);
        }
        let now = self.now_us();
        let proposal = Proposal {
            proposal_id: uuid::Uuid::now_v7().to_string(),
            renovation_code: key.clone(),
            kind,
            amount: a.amount,
            jalali_year: a.jalali_year,
            reason,
            corrects,
            status: PROPOSAL_PENDING,
            proposed_by: actor.to_owned(),
            proposed_at_us: now,
            decided_by: String::new(),
            decided_at_us: None,
            decision_reason: String::new(),
            ledger_entry_id: String::new(),
        };
        let mut tx = self.db.begin().await?;
        let result = if self.needs_second_approver(a.amount) {
            self.propose(&mut tx, &proposal, request_key.as_deref(), now)
                .await
                .map(|()| Adjusted::Proposed(proposal.clone()))
        } else {
            self.apply(&mut tx, &proposal, actor, request_key.clone(), now, true)
                .await
                .map(|(entry, balance)| Adjusted::Applied(entry, balance))
        };
        match result {
            Ok(done) => {
                tx.commit().await?;
                Ok(done)
            }
            Err(e) => {
                tx.rollback().await?;
                if let Some(id) = &request_key
                    && e.is_unique_violation()
                    && let Some(done) = self.adjustment_by_request(&key, id).await?
                {
                    return Ok(done);
                }
                Err(e.into_service())
            }
        }
    }

    /// What an earlier AddAdjustment with this idempotency key did.
    async fn adjustment_by_request(
        &self,
        key: &str,
        id: &str,
    ) -> Result<Option<Adjusted>, ServiceError> {
        let mut conn = self.conn().await?;
        if let Some((_, entry)) = ledger::entry_by_request(&mut conn, id).await? {
            let balance = ledger::balance(&mut conn, key).await?;
            return Ok(Some(Adjusted::Applied(entry, balance)));
        }
        Ok(proposals::proposal_by_request(&mut conn, id)
            .await?
            .map(Adjusted::Proposed))
    }

    /// Stores a proposal (its corrected entry must exist) and audits it.
    async fn propose(
        &self,
        tx: &mut AnyConnection,
        p: &Proposal,
        request_key: Option<&str>,
        now: i64,
    ) -> Result<(), Failure> {
        if !p.corrects.is_empty()
            && ledger::entry(tx, &p.renovation_code, &p.corrects)
                .await?
                .is_none()
        {
            return Err(Failure::Refused(errors::corrected_entry_unknown()));
        }
        proposals::insert(tx, p, request_key).await?;
        audit::audit(
            tx,
            &Audit {
                at_us: now,
                actor_id: p.proposed_by.clone(),
                action: "adjustment.proposed".into(),
                subject: p.renovation_code.clone(),
                outcome: "pending second approval".into(),
                detail: serde_json::json!({
                    "proposal_id": p.proposal_id,
                    "kind": kind_name(p.kind),
                    "amount_rials": p.amount,
                    "jalali_year": p.jalali_year,
                    "reason": p.reason,
                    "corrects_ledger_entry_id": p.corrects,
                    "limit_rials": self.settings.adjustment_second_approval_above_rials,
                })
                .to_string(),
            },
        )
        .await?;
        Ok(())
    }

    /// Writes an adjustment to the ledger under the parcel's lock and supersedes the
    /// parcel's open bills; one within the limit (`direct`) is audited here as
    /// `ledger.adjustment`, an approved proposal by its decision. Returns the entry and the
    /// balance after it.
    async fn apply(
        &self,
        tx: &mut AnyConnection,
        p: &Proposal,
        actor: &str,
        request_key: Option<String>,
        now: i64,
        direct: bool,
    ) -> Result<(Entry, i64), Failure> {
        let key = &p.renovation_code;
        let year_now = jalali_at(now)
            .map_err(|e| Failure::Refused(errors::computation(e)))?
            .year();
        ledger::open_account(tx, key, year_now, "opened by a clerk adjustment", now).await?;
        ledger::lock_account(tx, key).await?;
        if !p.corrects.is_empty() && ledger::entry(tx, key, &p.corrects).await?.is_none() {
            return Err(Failure::Refused(errors::corrected_entry_unknown()));
        }
        let entry = ledger::append_entry(tx, key, &entry_of(p, actor, request_key), now).await?;
        ledger::bump_ledger_version(tx, key).await?;
        bills::supersede_open_bills(tx, key, "").await?;
        if direct {
            audit::audit(
                tx,
                &Audit {
                    at_us: now,
                    actor_id: actor.to_owned(),
                    action: "ledger.adjustment".into(),
                    subject: key.clone(),
                    outcome: "accepted".into(),
                    detail: serde_json::json!({
                        "ledger_entry_id": entry.ledger_entry_id,
                        "kind": kind_name(p.kind),
                        "amount_rials": p.amount,
                        "reason": p.reason,
                    })
                    .to_string(),
                },
            )
            .await?;
        }
        let balance = ledger::balance(tx, key).await?;
        Ok((entry, balance))
    }

    /// A page of proposals, oldest first: those with `status` (0 for any) of the parcel
    /// `code` (empty for any).
    pub async fn adjustment_proposals(
        &self,
        status: i32,
        code: &str,
        page_size: i32,
        page_token: &str,
    ) -> Result<Page<Proposal>, ServiceError> {
        let status = i64::from(status);
        if ![0, PROPOSAL_PENDING, PROPOSAL_APPROVED, PROPOSAL_REFUSED].contains(&status) {
            return Err(errors::adjustment_status_invalid());
        }
        let key = if code.trim().is_empty() {
            String::new()
        } else {
            parse_code("renovation_code", code)?.to_string()
        };
        let paging = Paging::parse(
            page_size,
            page_token,
            format!("proposals:{status}:{key}"),
            PAGE_SIZES,
        )?;
        let rows = proposals::list(
            &mut *self.conn().await?,
            status,
            &key,
            paging.after(),
            paging.fetch_limit(),
        )
        .await?;
        let (items, next_page_token) = paging.finish(rows, |p| p.proposal_id.clone());
        Ok(Page {
            items,
            next_page_token,
        })
    }

    /// Approves (writes it to the ledger) or refuses (with a reason) a pending proposal. Its
    /// proposer may not decide it, and it is decided once; both refusals are audited too.
    pub async fn decide_adjustment(
        &self,
        actor: &str,
        proposal_id: &str,
        approve: bool,
        reason: &str,
    ) -> Result<Decided, ServiceError> {
        let reason = errors::clean(errors::ADJUSTMENT_REASON, "reason", reason)?;
        if !approve && reason.is_empty() {
            return Err(errors::decision_reason_required());
        }
        let found = proposals::proposal(&mut *self.conn().await?, proposal_id.trim())
            .await?
            .ok_or_else(errors::proposal_not_found)?;
        let action = if approve {
            "adjustment.approved"
        } else {
            "adjustment.refused"
        };
        if found.proposed_by == actor {
            self.audit(
                actor,
                action,
                &found.renovation_code,
                "refused: the proposer cannot decide their own adjustment",
                serde_json::json!({ "proposal_id": found.proposal_id }).to_string(),
            )
            .await;
            return Err(errors::adjustment_self_approval());
        }
        if found.status != PROPOSAL_PENDING {
            return Err(errors::adjustment_already_decided());
        }
        let now = self.now_us();
        let mut decided = Proposal {
            status: if approve {
                PROPOSAL_APPROVED
            } else {
                PROPOSAL_REFUSED
            },
            decided_by: actor.to_owned(),
            decided_at_us: Some(now),
            decision_reason: reason,
            ..found
        };
        let mut tx = self.db.begin().await?;
        let result = async {
            let applied = if approve {
                // The entry is the proposer's adjustment, made effective by the approver
                // (whom the decision's audit record names).
                let proposer = decided.proposed_by.clone();
                Some(
                    self.apply(&mut tx, &decided, &proposer, None, now, false)
                        .await?,
                )
            } else {
                None
            };
            decided.ledger_entry_id = applied
                .as_ref()
                .map(|(e, _)| e.ledger_entry_id.clone())
                .unwrap_or_default();
            if !proposals::decide(&mut tx, &decided).await? {
                return Err(Failure::Refused(errors::adjustment_already_decided()));
            }
            audit::audit(
                &mut tx,
                &Audit {
                    at_us: now,
                    actor_id: actor.to_owned(),
                    action: action.into(),
                    subject: decided.renovation_code.clone(),
                    outcome: "accepted".into(),
                    detail: serde_json::json!({
                        "proposal_id": decided.proposal_id,
                        "proposed_by": decided.proposed_by,
                        "kind": kind_name(decided.kind),
                        "amount_rials": decided.amount,
                        "reason": decided.decision_reason,
                        "ledger_entry_id": decided.ledger_entry_id,
                    })
                    .to_string(),
                },
            )
            .await?;
            let balance = match &applied {
                Some((_, balance)) => *balance,
                None => ledger::balance(&mut tx, &decided.renovation_code).await?,
            };
            Ok::<_, Failure>((applied.map(|(e, _)| e), balance))
        }
        .await;
        match result {
            Ok((entry, balance)) => {
                tx.commit().await?;
                Ok(Decided {
                    proposal: decided,
                    entry,
                    balance,
                })
            }
            Err(e) => {
                tx.rollback().await?;
                Err(e.into_service())
            }
        }
    }
}

/// Why a step inside an adjustment's transaction failed: a refusal to send as is, or a
/// database error the caller may still recognise (a unique violation: a retry won).
enum Failure {
    Refused(ServiceError),
    Db(sqlx::Error),
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(e)
    }
}

impl Failure {
    fn is_unique_violation(&self) -> bool {
        matches!(self, Self::Db(e) if is_unique_violation(e))
    }

    fn into_service(self) -> ServiceError {
        match self {
            Self::Refused(e) => e,
            Self::Db(e) => e.into(),
        }
    }
}
