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

use crate::assess::{Line, LineKind};
use crate::codes;
use crate::errors;
use crate::psp::SandboxTxn;
use crate::service::{
    Adjusted, AdjustmentArgs, AssessArgs, Decided, Decision, DisputeArgs, DisputeView, Fees,
    NewTariff, effective_bill_status,
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
    /// ListTariffs: staff, and the inquiry service checking, when an admin publishes a
    /// request type, that this year's tariffs price each of its fee items.
    pub const TARIFF_LIST: &[Role] = &[Role::Clerk, Role::Admin, Role::Service];
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
    /// FileDispute, GetDispute: the inquiry service for its applicant (who never calls fees
    /// directly), or staff filing for them at the counter.
    pub const DISPUTE: &[Role] = &[Role::Service, Role::Clerk, Role::Admin];
    /// ListDisputes, DecideDispute: staff, under their own name.
    pub const DISPUTE_DESK: &[Role] = &[Role::Clerk, Role::Admin];
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

mod convert;
use convert::*;

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
        let mut out = bill_to_pb(&bill, self.fees.now_us());
        out.disputes = self
            .fees
            .disputes_of_bill(&bill)
            .await?
            .iter()
            .map(dispute_to_pb)
            .collect();
        Ok(Response::new(pb::GetBillResponse { bill: Some(out) }))
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
        allow(&request, roles::TARIFF_LIST)?;
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
                pending_disputes: c.pending_disputes.iter().map(dispute_to_pb).collect(),
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

    async fn file_dispute(
        &self,
        request: Request<pb::FileDisputeRequest>,
    ) -> Result<Response<pb::FileDisputeResponse>, Status> {
        let who = caller(&request)?;
        who.require_any(roles::DISPUTE)?;
        // The inquiry service files for the applicant it checked; staff file as themselves.
        let r = request.get_ref();
        let filed_for = r.filed_for_account_id.trim();
        let filed_by = if who.has(Role::Service) && !filed_for.is_empty() {
            filed_for.to_owned()
        } else {
            who.subject.clone()
        };
        let r = request.into_inner();
        let view = self
            .fees
            .file_dispute(
                &filed_by,
                DisputeArgs {
                    bill_id: r.bill_id,
                    inquiry_id: r.inquiry_id,
                    line_indexes: r.line_indexes,
                    reason: r.reason,
                },
            )
            .await?;
        Ok(Response::new(pb::FileDisputeResponse {
            dispute: Some(dispute_to_pb(&view)),
        }))
    }

    async fn get_dispute(
        &self,
        request: Request<pb::GetDisputeRequest>,
    ) -> Result<Response<pb::GetDisputeResponse>, Status> {
        allow(&request, roles::DISPUTE)?;
        let view = self.fees.dispute(&request.get_ref().dispute_id).await?;
        Ok(Response::new(pb::GetDisputeResponse {
            dispute: Some(dispute_to_pb(&view)),
        }))
    }

    async fn list_disputes(
        &self,
        request: Request<pb::ListDisputesRequest>,
    ) -> Result<Response<pb::ListDisputesResponse>, Status> {
        allow(&request, roles::DISPUTE_DESK)?;
        let r = request.get_ref();
        let page = self
            .fees
            .list_disputes(r.status, &r.renovation_code, r.page_size, &r.page_token)
            .await?;
        Ok(Response::new(pb::ListDisputesResponse {
            disputes: page.items.iter().map(dispute_to_pb).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn decide_dispute(
        &self,
        request: Request<pb::DecideDisputeRequest>,
    ) -> Result<Response<pb::DecideDisputeResponse>, Status> {
        let actor = allow(&request, roles::DISPUTE_DESK)?;
        let r = request.get_ref();
        let (view, balance) = self
            .fees
            .decide_dispute(
                &actor,
                &r.dispute_id,
                decision_from_pb(r.decision),
                &r.reason,
            )
            .await?;
        Ok(Response::new(pb::DecideDisputeResponse {
            dispute: Some(dispute_to_pb(&view)),
            balance_rials: balance,
        }))
    }
}
