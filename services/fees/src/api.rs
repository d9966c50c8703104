//! The gRPC API: check the caller, translate protobuf to the domain's types, delegate to
//! [`crate::service::Fees`], translate back. No SQL and no business rules here.

use std::collections::BTreeMap;
use std::sync::Arc;

use estelam_domain::JalaliDate;
use estelam_proto::common::v1::{AuditStamp, LocalizedText};
use estelam_proto::fees::v1 as pb;
use estelam_proto::fees::v1::fee_service_server::FeeService;
use estelam_runtime::audit::AuditQuery;
use estelam_runtime::auth::{Role, caller};
use estelam_runtime::error::ServiceError;
use estelam_runtime::time::{micros_of_field, timestamp};
use tonic::{Request, Response, Status};

use crate::assess::LineKind;
use crate::codes;
use crate::errors;
use crate::psp::SandboxTxn;
use crate::service::{
    Adjusted, AdjustmentArgs, AssessArgs, Decided, Fees, NewTariff, effective_bill_status,
};
use crate::store::accounts::AccountCharge;
use crate::store::adjustments::Proposal;
use crate::store::bills::Bill;
use crate::store::ledger::Entry;
use crate::store::payments::Payment;
use crate::tariff::{
    Basis, DiscountRule, ItemKind, PenaltyRule, Tariff, TariffFilter, TariffItem, TariffRules,
};

/// Who may call what, as the contract's comments say.
mod roles {
    use super::Role;
    /// Bills and payments: the inquiry service acts for applicants and authorities (who
    /// never call fees themselves); clerks serve people at the counter.
    pub const BILLING: &[Role] = &[Role::Service, Role::Clerk];
    /// HandlePspCallback and the sandbox PSP's page calls: only the gateway's service
    /// account forwards what the provider posts.
    pub const PSP: &[Role] = &[Role::Service];
    /// Ledger and tariff reads: staff only, a parcel's ledger is not public.
    pub const STAFF_READ: &[Role] = &[Role::Clerk, Role::Admin];
    /// AddAdjustment: a clerk's decision, audited under their name.
    pub const ADJUST: &[Role] = &[Role::Clerk];
    /// ListAdjustmentProposals, DecideAdjustment: the second approver is any staff member
    /// but the proposer (checked per proposal); PreviewTariff: staff drafting a tariff.
    pub const STAFF: &[Role] = &[Role::Clerk, Role::Admin];
    /// PutTariff: tariffs are the council's figures, entered by an admin.
    pub const TARIFF_WRITE: &[Role] = &[Role::Admin];
    /// ReconcilePayments: an admin asking now, or a scheduler's service account.
    pub const RECONCILE: &[Role] = &[Role::Admin, Role::Service];
    /// ChargeAccount: the inquiry service charges an authority's inquiry fee.
    pub const CHARGE_ACCOUNT: &[Role] = &[Role::Service];
    /// GetAccountStatement: the inquiry service for the authority, or staff; and an
    /// organisation's users and clients, for their own organisation's account only.
    pub const ACCOUNT_READ: &[Role] = &[Role::Service, Role::Clerk, Role::Admin, Role::Authority];
    /// GetAccountStatement of any account: all but an organisation's own people.
    pub const ANY_ACCOUNT_READ: &[Role] = &[Role::Service, Role::Clerk, Role::Admin];
    /// GetClearance: the inquiry service, or staff.
    pub const CLEARANCE: &[Role] = &[Role::Service, Role::Clerk, Role::Admin];
}

/// The FeeService gRPC handlers.
pub struct Api {
    fees: Arc<Fees>,
}

impl Api {
    /// Handlers over the operations.
    pub fn new(fees: Arc<Fees>) -> Self {
        Self { fees }
    }
}

/// The caller's subject (the actor of what follows) after checking their roles.
fn allow<T>(request: &Request<T>, roles: &[Role]) -> Result<String, ServiceError> {
    let who = caller(request)?;
    who.require_any(roles)?;
    Ok(who.subject.clone())
}

fn text(fa: &str, en: &str) -> Option<LocalizedText> {
    Some(LocalizedText {
        fa: fa.to_owned(),
        en: en.to_owned(),
    })
}

fn line_kind_from_pb(k: i32) -> Result<LineKind, ServiceError> {
    pb::BillItemKind::try_from(k)
        .ok()
        .and_then(codes::line_kind)
        .ok_or_else(errors::item_kind_invalid)
}

fn bill_to_pb(b: &Bill, now_us: i64) -> pb::Bill {
    pb::Bill {
        bill_id: b.bill_id.clone(),
        renovation_code: b.renovation_code.clone(),
        inquiry_id: b.inquiry_id.clone(),
        request_type_code: b.request_type_code.clone(),
        status: i32::try_from(effective_bill_status(b, now_us)).unwrap_or(0),
        lines: b
            .lines
            .iter()
            .map(|l| pb::BillLine {
                jalali_year: l.year,
                kind: codes::bill_item_kind(l.kind).into(),
                description: text(&l.description_fa, &l.description_en),
                base_rials: l.base,
                penalty_rials: l.penalty,
                total_rials: l.total,
                months_late: l.months_late,
                tariff_id: l.tariff_id.clone(),
            })
            .collect(),
        total_base_rials: b.total_base,
        total_penalty_rials: b.total_penalty,
        total_rials: b.total,
        as_of: Some(timestamp(b.as_of_us)),
        as_of_jalali: b.as_of_jalali.clone(),
        created_at: (!b.bill_id.is_empty()).then(|| timestamp(b.created_at_us)),
        valid_until: Some(timestamp(b.valid_until_us)),
        payment_id: b.payment_id.clone(),
        tracking_code: b.tracking_code.clone(),
        paid_at: b.paid_at_us.map(timestamp),
    }
}

fn payment_to_pb(p: &Payment) -> pb::Payment {
    pb::Payment {
        payment_id: p.payment_id.clone(),
        bill_id: p.bill_id.clone(),
        renovation_code: p.renovation_code.clone(),
        amount_rials: p.amount,
        status: i32::try_from(p.status).unwrap_or(0),
        provider: p.provider.clone(),
        redirect_url: p.redirect_url.clone(),
        psp_token: p.psp_token.clone(),
        return_url: p.return_url.clone(),
        tracking_code: p.tracking_code.clone(),
        psp_reference: p.psp_reference.clone(),
        failure_reason: (!p.failure_fa.is_empty()).then(|| LocalizedText {
            fa: p.failure_fa.clone(),
            en: p.failure_en.clone(),
        }),
        created_at: Some(timestamp(p.created_at_us)),
        confirmed_at: p.confirmed_at_us.map(timestamp),
    }
}

fn entry_to_pb(e: &Entry) -> pb::LedgerEntry {
    pb::LedgerEntry {
        ledger_entry_id: e.ledger_entry_id.clone(),
        kind: i32::try_from(e.kind).unwrap_or(0),
        item_kind: i32::try_from(e.item_kind).unwrap_or(0),
        jalali_year: e.jalali_year,
        amount_rials: e.amount,
        balance_after_rials: e.balance_after,
        description: text(&e.description_fa, &e.description_en),
        bill_id: e.bill_id.clone(),
        payment_id: e.payment_id.clone(),
        tracking_code: e.tracking_code.clone(),
        reason: e.reason.clone(),
        corrects_ledger_entry_id: e.corrects.clone(),
        recorded: Some(AuditStamp {
            actor_account_id: e.actor_id.clone(),
            actor_display_name: String::new(),
            at: Some(timestamp(e.recorded_at_us)),
        }),
    }
}

fn item_kind_from_pb(k: i32, field: &str) -> Result<ItemKind, ServiceError> {
    pb::TariffItemKind::try_from(k)
        .ok()
        .and_then(codes::item_kind)
        .ok_or_else(|| errors::tariff_item_kind_invalid(field))
}

fn basis_from_pb(b: i32, field: &str) -> Result<Basis, ServiceError> {
    pb::TariffBasis::try_from(b)
        .ok()
        .and_then(codes::basis)
        .ok_or_else(|| errors::tariff_basis_invalid(field))
}

fn tariff_to_pb(t: &Tariff) -> pb::Tariff {
    pb::Tariff {
        tariff_id: t.tariff_id.clone(),
        jalali_year: t.jalali_year,
        effective_from_jalali: t.effective_from.to_string(),
        effective_from: Some(timestamp(t.effective_from_us)),
        land_use: t.land_use,
        zone: t.zone,
        items: t
            .rules
            .items
            .iter()
            .map(|i| pb::TariffItem {
                kind: codes::tariff_item_kind(i.kind).into(),
                description: text(&i.description_fa, &i.description_en),
                basis: codes::tariff_basis(i.basis).into(),
                rate_ppm: i.rate_ppm,
                amount_rials: i.amount_rials,
                request_type_code: i.request_type_code.clone(),
            })
            .collect(),
        penalty: Some(pb::PenaltyRule {
            monthly_rate_ppm: t.rules.penalty.monthly_rate_ppm,
            cap_ppm: t.rules.penalty.cap_ppm,
            grace_months: t.rules.penalty.grace_months,
        }),
        discounts: t
            .rules
            .discounts
            .iter()
            .map(|d| pb::DiscountRule {
                description: text(&d.description_fa, &d.description_en),
                applies_to: codes::tariff_item_kind(d.applies_to).into(),
                rate_ppm: d.rate_ppm,
                valid_until_jalali: d.valid_until.to_string(),
            })
            .collect(),
        version: t.version,
        reason: t.reason.clone(),
        changed: Some(AuditStamp {
            actor_account_id: t.actor_id.clone(),
            actor_display_name: String::new(),
            at: Some(timestamp(t.created_at_us)),
        }),
    }
}

fn date(field: &str, input: &str) -> Result<JalaliDate, ServiceError> {
    JalaliDate::parse(input).map_err(|e| errors::jalali_date_invalid(field, &e))
}

/// A bill line's description in both languages, each cleaned as free text; `path` names the
/// field in a refusal.
fn line_description(
    path: &str,
    text: estelam_proto::common::v1::LocalizedText,
) -> Result<(String, String), ServiceError> {
    Ok((
        errors::clean(errors::LINE_DESCRIPTION, &format!("{path}.fa"), &text.fa)?,
        errors::clean(errors::LINE_DESCRIPTION, &format!("{path}.en"), &text.en)?,
    ))
}

fn tariff_from_pb(t: pb::Tariff) -> Result<NewTariff, ServiceError> {
    let mut items = Vec::new();
    for (i, item) in t.items.into_iter().enumerate() {
        let (description_fa, description_en) = line_description(
            &format!("tariff.items[{i}].description"),
            item.description.unwrap_or_default(),
        )?;
        items.push(TariffItem {
            kind: item_kind_from_pb(item.kind, &format!("tariff.items[{i}].kind"))?,
            description_fa,
            description_en,
            basis: basis_from_pb(item.basis, &format!("tariff.items[{i}].basis"))?,
            rate_ppm: item.rate_ppm,
            amount_rials: item.amount_rials,
            request_type_code: item.request_type_code.trim().to_owned(),
        });
    }
    let mut discounts = Vec::new();
    for (i, d) in t.discounts.into_iter().enumerate() {
        let (description_fa, description_en) = line_description(
            &format!("tariff.discounts[{i}].description"),
            d.description.unwrap_or_default(),
        )?;
        discounts.push(DiscountRule {
            description_fa,
            description_en,
            applies_to: item_kind_from_pb(
                d.applies_to,
                &format!("tariff.discounts[{i}].applies_to"),
            )?,
            rate_ppm: d.rate_ppm,
            valid_until: date(
                &format!("tariff.discounts[{i}].valid_until_jalali"),
                &d.valid_until_jalali,
            )?,
        });
    }
    let penalty = t.penalty.unwrap_or_default();
    Ok(NewTariff {
        jalali_year: t.jalali_year,
        effective_from: date("tariff.effective_from_jalali", &t.effective_from_jalali)?,
        land_use: t.land_use,
        zone: t.zone,
        rules: TariffRules {
            items,
            penalty: PenaltyRule {
                monthly_rate_ppm: penalty.monthly_rate_ppm,
                cap_ppm: penalty.cap_ppm,
                grace_months: penalty.grace_months,
            },
            discounts,
        },
        reason: t.reason,
    })
}

fn stamp(actor: &str, at_us: i64) -> Option<AuditStamp> {
    Some(AuditStamp {
        actor_account_id: actor.to_owned(),
        actor_display_name: String::new(),
        at: Some(timestamp(at_us)),
    })
}

fn proposal_to_pb(p: &Proposal) -> pb::AdjustmentProposal {
    pb::AdjustmentProposal {
        proposal_id: p.proposal_id.clone(),
        renovation_code: p.renovation_code.clone(),
        kind: i32::try_from(p.kind).unwrap_or(0),
        amount_rials: p.amount,
        jalali_year: p.jalali_year,
        reason: p.reason.clone(),
        corrects_ledger_entry_id: p.corrects.clone(),
        status: i32::try_from(p.status).unwrap_or(0),
        proposed: stamp(&p.proposed_by, p.proposed_at_us),
        decided: p.decided_at_us.and_then(|at| stamp(&p.decided_by, at)),
        decision_reason: p.decision_reason.clone(),
        ledger_entry_id: p.ledger_entry_id.clone(),
    }
}

fn charge_to_pb(c: &AccountCharge) -> pb::AccountCharge {
    pb::AccountCharge {
        charge_id: c.charge_id.clone(),
        account_id: c.account_id.clone(),
        inquiry_id: c.inquiry_id.clone(),
        request_type_code: c.request_type_code.clone(),
        renovation_code: c.renovation_code.clone(),
        amount_rials: c.amount,
        description: text(&c.description_fa, &c.description_en),
        tariff_id: c.tariff_id.clone(),
        charged_at: Some(timestamp(c.charged_at_us)),
        reversed_at: (c.reversed_at_us != 0).then(|| timestamp(c.reversed_at_us)),
    }
}

fn sandbox_to_pb(t: &SandboxTxn) -> pb::SandboxPayment {
    pb::SandboxPayment {
        psp_token: t.token.clone(),
        payment_id: t.payment_id.clone(),
        amount_rials: t.amount,
        state: t.state.clone(),
        psp_reference: t.reference.clone(),
    }
}

#[tonic::async_trait]
impl FeeService for Api {
    async fn assess(
        &self,
        request: Request<pb::AssessRequest>,
    ) -> Result<Response<pb::AssessResponse>, Status> {
        let actor = allow(&request, roles::BILLING)?;
        let r = request.into_inner();
        let kinds = r
            .item_kinds
            .iter()
            .map(|k| line_kind_from_pb(*k))
            .collect::<Result<Vec<_>, _>>()?;
        let as_of_us = r
            .as_of
            .as_ref()
            .map(|t| micros_of_field(t, "as_of"))
            .transpose()?;
        let assessed = self
            .fees
            .assess(
                &actor,
                AssessArgs {
                    renovation_code: r.renovation_code,
                    as_of_us,
                    request_type_code: r.request_type_code,
                    inquiry_id: r.inquiry_id,
                    preview: r.preview,
                    client_request_id: r.client_request_id,
                    kinds,
                    draft: None,
                },
            )
            .await?;
        Ok(Response::new(pb::AssessResponse {
            bill: Some(bill_to_pb(&assessed.bill, self.fees.now_us())),
            balance_rials: assessed.balance_before,
        }))
    }

    async fn get_bill(
        &self,
        request: Request<pb::GetBillRequest>,
    ) -> Result<Response<pb::GetBillResponse>, Status> {
        allow(&request, roles::BILLING)?;
        let bill = self.fees.bill(&request.get_ref().bill_id).await?;
        Ok(Response::new(pb::GetBillResponse {
            bill: Some(bill_to_pb(&bill, self.fees.now_us())),
        }))
    }

    async fn start_payment(
        &self,
        request: Request<pb::StartPaymentRequest>,
    ) -> Result<Response<pb::StartPaymentResponse>, Status> {
        allow(&request, roles::BILLING)?;
        let r = request.get_ref();
        let payment = self
            .fees
            .start_payment(
                &r.bill_id,
                &r.idempotency_key,
                &r.return_url,
                r.amount_rials,
            )
            .await?;
        Ok(Response::new(pb::StartPaymentResponse {
            payment: Some(payment_to_pb(&payment)),
        }))
    }

    async fn handle_psp_callback(
        &self,
        request: Request<pb::HandlePspCallbackRequest>,
    ) -> Result<Response<pb::HandlePspCallbackResponse>, Status> {
        let actor = allow(&request, roles::PSP)?;
        let r = request.into_inner();
        let fields: BTreeMap<String, String> = r.fields.into_iter().collect();
        let payment = self
            .fees
            .handle_callback(
                &actor,
                &r.provider,
                &fields,
                &r.signature,
                &r.idempotency_key,
            )
            .await?;
        Ok(Response::new(pb::HandlePspCallbackResponse {
            redirect_url: self.fees.return_redirect(&payment),
            payment: Some(payment_to_pb(&payment)),
        }))
    }

    async fn get_payment(
        &self,
        request: Request<pb::GetPaymentRequest>,
    ) -> Result<Response<pb::GetPaymentResponse>, Status> {
        allow(&request, roles::BILLING)?;
        let payment = self.fees.payment(&request.get_ref().payment_id).await?;
        Ok(Response::new(pb::GetPaymentResponse {
            payment: Some(payment_to_pb(&payment)),
        }))
    }

    async fn get_ledger(
        &self,
        request: Request<pb::GetLedgerRequest>,
    ) -> Result<Response<pb::GetLedgerResponse>, Status> {
        allow(&request, roles::STAFF_READ)?;
        let r = request.get_ref();
        let (page, balance) = self
            .fees
            .ledger(&r.renovation_code, r.page_size, &r.page_token)
            .await?;
        Ok(Response::new(pb::GetLedgerResponse {
            entries: page.items.iter().map(entry_to_pb).collect(),
            balance_rials: balance,
            next_page_token: page.next_page_token,
        }))
    }

    async fn add_adjustment(
        &self,
        request: Request<pb::AddAdjustmentRequest>,
    ) -> Result<Response<pb::AddAdjustmentResponse>, Status> {
        let actor = allow(&request, roles::ADJUST)?;
        let r = request.into_inner();
        let adjusted = self
            .fees
            .add_adjustment(
                &actor,
                AdjustmentArgs {
                    renovation_code: r.renovation_code,
                    kind: r.kind,
                    amount: r.amount_rials,
                    jalali_year: r.jalali_year,
                    reason: r.reason,
                    corrects: r.corrects_ledger_entry_id,
                    client_request_id: r.client_request_id,
                },
            )
            .await?;
        Ok(Response::new(match adjusted {
            Adjusted::Applied(entry, balance) => pb::AddAdjustmentResponse {
                entry: Some(entry_to_pb(&entry)),
                balance_rials: balance,
                proposal: None,
            },
            Adjusted::Proposed(p) => {
                let (_, balance) = self.fees.ledger(&p.renovation_code, 1, "").await?;
                pb::AddAdjustmentResponse {
                    entry: None,
                    balance_rials: balance,
                    proposal: Some(proposal_to_pb(&p)),
                }
            }
        }))
    }

    async fn list_adjustment_proposals(
        &self,
        request: Request<pb::ListAdjustmentProposalsRequest>,
    ) -> Result<Response<pb::ListAdjustmentProposalsResponse>, Status> {
        allow(&request, roles::STAFF)?;
        let r = request.get_ref();
        let page = self
            .fees
            .adjustment_proposals(r.status, &r.renovation_code, r.page_size, &r.page_token)
            .await?;
        Ok(Response::new(pb::ListAdjustmentProposalsResponse {
            proposals: page.items.iter().map(proposal_to_pb).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn decide_adjustment(
        &self,
        request: Request<pb::DecideAdjustmentRequest>,
    ) -> Result<Response<pb::DecideAdjustmentResponse>, Status> {
        let actor = allow(&request, roles::STAFF)?;
        let r = request.get_ref();
        let Decided {
            proposal,
            entry,
            balance,
        } = self
            .fees
            .decide_adjustment(&actor, &r.proposal_id, r.approve, &r.reason)
            .await?;
        Ok(Response::new(pb::DecideAdjustmentResponse {
            proposal: Some(proposal_to_pb(&proposal)),
            entry: entry.as_ref().map(entry_to_pb),
            balance_rials: balance,
        }))
    }

    async fn preview_tariff(
        &self,
        request: Request<pb::PreviewTariffRequest>,
    ) -> Result<Response<pb::PreviewTariffResponse>, Status> {
        let actor = allow(&request, roles::STAFF)?;
        let r = request.into_inner();
        let tariff = r.tariff.ok_or_else(errors::tariff_required)?;
        let (with_draft, current) = self
            .fees
            .preview_tariff(
                &actor,
                tariff_from_pb(tariff)?,
                &r.renovation_code,
                &r.request_type_code,
            )
            .await?;
        let now = self.fees.now_us();
        Ok(Response::new(pb::PreviewTariffResponse {
            bill: Some(bill_to_pb(&with_draft.bill, now)),
            current: Some(bill_to_pb(&current.bill, now)),
            balance_rials: with_draft.balance_before,
        }))
    }

    async fn list_tariffs(
        &self,
        request: Request<pb::ListTariffsRequest>,
    ) -> Result<Response<pb::ListTariffsResponse>, Status> {
        allow(&request, roles::STAFF_READ)?;
        let r = request.get_ref();
        let filter = TariffFilter {
            jalali_year: r.jalali_year,
            land_use: r.land_use,
            zone: r.zone,
            include_history: r.include_history,
        };
        let page = self
            .fees
            .list_tariffs(filter, r.page_size, &r.page_token)
            .await?;
        Ok(Response::new(pb::ListTariffsResponse {
            tariffs: page.items.iter().map(tariff_to_pb).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn get_tariff(
        &self,
        request: Request<pb::GetTariffRequest>,
    ) -> Result<Response<pb::GetTariffResponse>, Status> {
        allow(&request, roles::STAFF_READ)?;
        let tariff = self.fees.tariff(&request.get_ref().tariff_id).await?;
        Ok(Response::new(pb::GetTariffResponse {
            tariff: Some(tariff_to_pb(&tariff)),
        }))
    }

    async fn put_tariff(
        &self,
        request: Request<pb::PutTariffRequest>,
    ) -> Result<Response<pb::PutTariffResponse>, Status> {
        let actor = allow(&request, roles::TARIFF_WRITE)?;
        let r = request.into_inner();
        let tariff = r.tariff.ok_or_else(errors::tariff_required)?;
        let stored = self
            .fees
            .put_tariff(
                &actor,
                tariff_from_pb(tariff)?,
                r.expected_version,
                r.client_request_id.trim(),
            )
            .await?;
        Ok(Response::new(pb::PutTariffResponse {
            tariff: Some(tariff_to_pb(&stored)),
        }))
    }

    async fn get_clearance(
        &self,
        request: Request<pb::GetClearanceRequest>,
    ) -> Result<Response<pb::GetClearanceResponse>, Status> {
        allow(&request, roles::CLEARANCE)?;
        let c = self
            .fees
            .clearance(&request.get_ref().renovation_code)
            .await?;
        Ok(Response::new(pb::GetClearanceResponse {
            clearance: Some(pb::Clearance {
                renovation_code: c.renovation_code,
                balance_rials: c.balance,
                as_of: Some(timestamp(c.as_of_us)),
                as_of_jalali: c.as_of_jalali,
                settled_through_jalali_year: c.settled_through,
                last_tracking_code: c
                    .last_payment
                    .as_ref()
                    .map(|p| p.0.clone())
                    .unwrap_or_default(),
                last_paid_at: c.last_payment.map(|p| timestamp(p.1)),
            }),
        }))
    }

    async fn reconcile_payments(
        &self,
        request: Request<pb::ReconcilePaymentsRequest>,
    ) -> Result<Response<pb::ReconcilePaymentsResponse>, Status> {
        allow(&request, roles::RECONCILE)?;
        let r = request.get_ref();
        let pending_for_secs =
            (r.pending_for_seconds > 0).then(|| i64::from(r.pending_for_seconds));
        let limit = (r.limit > 0).then(|| i64::from(r.limit));
        let out = self.fees.reconcile_now(pending_for_secs, limit).await?;
        Ok(Response::new(pb::ReconcilePaymentsResponse {
            checked: out.checked,
            confirmed: out.confirmed,
            failed: out.failed,
            still_pending: out.still_pending,
        }))
    }

    async fn get_sandbox_payment(
        &self,
        request: Request<pb::GetSandboxPaymentRequest>,
    ) -> Result<Response<pb::GetSandboxPaymentResponse>, Status> {
        allow(&request, roles::PSP)?;
        let txn = self
            .fees
            .require_sandbox()?
            .find(request.get_ref().psp_token.trim())
            .await?
            .ok_or_else(errors::payment_not_found)?;
        Ok(Response::new(pb::GetSandboxPaymentResponse {
            payment: Some(sandbox_to_pb(&txn)),
        }))
    }

    async fn decide_sandbox_payment(
        &self,
        request: Request<pb::DecideSandboxPaymentRequest>,
    ) -> Result<Response<pb::DecideSandboxPaymentResponse>, Status> {
        allow(&request, roles::PSP)?;
        let r = request.get_ref();
        let choice = pb::SandboxChoice::try_from(r.choice)
            .ok()
            .and_then(codes::choice)
            .ok_or_else(errors::choice_required)?;
        let (txn, callback) = self
            .fees
            .require_sandbox()?
            .decide(r.psp_token.trim(), choice)
            .await?;
        Ok(Response::new(pb::DecideSandboxPaymentResponse {
            payment: Some(sandbox_to_pb(&txn)),
            callback: Some(pb::HandlePspCallbackRequest {
                provider: crate::psp::SANDBOX.to_owned(),
                fields: callback.fields.into_iter().collect(),
                signature: callback.signature,
                idempotency_key: callback.idempotency_key,
            }),
        }))
    }

    async fn charge_account(
        &self,
        request: Request<pb::ChargeAccountRequest>,
    ) -> Result<Response<pb::ChargeAccountResponse>, Status> {
        let actor = allow(&request, roles::CHARGE_ACCOUNT)?;
        let r = request.get_ref();
        let (charge, balance) = self
            .fees
            .charge_account(
                &actor,
                &r.account_id,
                &r.inquiry_id,
                &r.request_type_code,
                &r.renovation_code,
            )
            .await?;
        Ok(Response::new(pb::ChargeAccountResponse {
            charge: Some(charge_to_pb(&charge)),
            balance_rials: balance,
        }))
    }

    async fn get_account_statement(
        &self,
        request: Request<pb::GetAccountStatementRequest>,
    ) -> Result<Response<pb::GetAccountStatementResponse>, Status> {
        allow(&request, roles::ACCOUNT_READ)?;
        let caller = caller(&request)?;
        let r = request.get_ref();
        // An office reads its own organisation's account; any other is answered as missing,
        // so an office learns nothing of another's.
        if !caller.has_any(roles::ANY_ACCOUNT_READ)
            && caller.organization.as_deref().map(str::trim) != Some(r.account_id.trim())
        {
            return Err(ServiceError::not_found("حساب", "The account").into());
        }
        let (page, balance) = self
            .fees
            .account_statement(&r.account_id, r.page_size, &r.page_token)
            .await?;
        Ok(Response::new(pb::GetAccountStatementResponse {
            charges: page.items.iter().map(charge_to_pb).collect(),
            balance_rials: balance,
            next_page_token: page.next_page_token,
        }))
    }

    async fn reverse_account_charge(
        &self,
        request: Request<pb::ReverseAccountChargeRequest>,
    ) -> Result<Response<pb::ReverseAccountChargeResponse>, Status> {
        allow(&request, roles::CHARGE_ACCOUNT)?;
        let reversed = self
            .fees
            .reverse_charge(&request.get_ref().inquiry_id)
            .await?;
        Ok(Response::new(match reversed {
            Some((charge, balance)) => pb::ReverseAccountChargeResponse {
                charge: Some(charge_to_pb(&charge)),
                balance_rials: balance,
            },
            None => pb::ReverseAccountChargeResponse::default(),
        }))
    }

    async fn list_audit_records(
        &self,
        request: Request<pb::ListAuditRecordsRequest>,
    ) -> Result<Response<pb::ListAuditRecordsResponse>, Status> {
        allow(&request, roles::STAFF_READ)?;
        let req = request.get_ref();
        let q = AuditQuery::parse(
            req.filter.as_ref(),
            req.page_size,
            &req.page_token,
            crate::service::audit::filter_text,
        )?;
        let (records, next_page_token) = self.fees.audit_records(&q).await?;
        Ok(Response::new(pb::ListAuditRecordsResponse {
            records,
            next_page_token,
        }))
    }
}
