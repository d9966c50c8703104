//! The gRPC API: check the caller, translate, delegate to [`crate::service::Fees`].

use std::collections::BTreeMap;
use std::sync::Arc;

use estelam_domain::JalaliDate;
use estelam_proto::common::v1::{AuditStamp, LocalizedText};
use estelam_proto::fees::v1 as pb;
use estelam_proto::fees::v1::fee_service_server::FeeService;
use estelam_runtime::auth::{Role, caller};
use estelam_runtime::error::ServiceError;
use tonic::{Request, Response, Status};

use crate::assess::LineKind;
use crate::events::timestamp;
use crate::psp::{Choice, SandboxTxn};
use crate::service::{AssessArgs, Fees, NewTariff, effective_bill_status};
use crate::store::{self, Bill, Entry, Payment};
use crate::tariff::{Basis, DiscountRule, ItemKind, PenaltyRule, Tariff, TariffItem, TariffRules};

/// Who may call what (from the contract's comments).
mod roles {
    use super::Role;
    /// Assess, GetBill, StartPayment, GetPayment, GetClearance.
    pub const BILLING: &[Role] = &[Role::Service, Role::Clerk];
    /// HandlePspCallback and the sandbox PSP's page calls (the gateway's account).
    pub const PSP: &[Role] = &[Role::Service];
    /// Ledger and tariff reads.
    pub const STAFF_READ: &[Role] = &[Role::Clerk, Role::Admin];
    /// AddAdjustment.
    pub const ADJUST: &[Role] = &[Role::Clerk];
    /// PutTariff.
    pub const TARIFF_WRITE: &[Role] = &[Role::Admin];
    /// ReconcilePayments.
    pub const RECONCILE: &[Role] = &[Role::Admin, Role::Service];
    /// ChargeAccount: the inquiry service charges an authority's inquiry fee.
    pub const CHARGE_ACCOUNT: &[Role] = &[Role::Service];
    /// GetAccountStatement.
    pub const ACCOUNT_READ: &[Role] = &[Role::Service, Role::Clerk, Role::Admin];
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

/// The caller's subject after checking their roles.
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

fn micros(ts: &prost_types::Timestamp) -> Result<i64, ServiceError> {
    Some(i64::from(ts.nanos / 1_000))
        .and_then(|n| ts.seconds.checked_mul(1_000_000)?.checked_add(n))
        .filter(|_| (0..1_000_000_000).contains(&ts.nanos))
        .ok_or_else(|| {
            ServiceError::invalid_field(
                "as_of",
                "TIMESTAMP_INVALID",
                "زمان نادرست است.",
                "The timestamp is not valid.",
            )
        })
}

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;

fn page(size: i32, token: &str) -> Result<(i64, i64), ServiceError> {
    let limit = match i64::from(size) {
        n if n <= 0 => DEFAULT_PAGE,
        n => n.min(MAX_PAGE),
    };
    let offset = if token.is_empty() {
        0
    } else {
        token
            .strip_prefix("o")
            .and_then(|n| n.parse::<i64>().ok())
            .filter(|n| *n >= 0)
            .ok_or_else(|| {
                ServiceError::invalid_field(
                    "page_token",
                    "PAGE_TOKEN_INVALID",
                    "نشانهٔ صفحه نادرست است؛ از ابتدا بخوانید.",
                    "The page token is not valid; start from the first page.",
                )
            })?
    };
    Ok((limit, offset))
}

fn next_token(got: usize, limit: i64, offset: i64) -> String {
    if i64::try_from(got).unwrap_or(0) == limit {
        format!("o{}", offset + limit)
    } else {
        String::new()
    }
}

fn line_kind_to_pb(k: LineKind) -> pb::BillItemKind {
    match k {
        LineKind::RenewalLevy => pb::BillItemKind::RenewalLevy,
        LineKind::WasteFee => pb::BillItemKind::WasteFee,
        LineKind::Penalty => pb::BillItemKind::Penalty,
        LineKind::InquiryFee => pb::BillItemKind::InquiryFee,
        LineKind::Discount => pb::BillItemKind::Discount,
        LineKind::Adjustment => pb::BillItemKind::Adjustment,
    }
}

fn line_kind_from_pb(k: i32) -> Result<LineKind, ServiceError> {
    Ok(match pb::BillItemKind::try_from(k) {
        Ok(pb::BillItemKind::RenewalLevy) => LineKind::RenewalLevy,
        Ok(pb::BillItemKind::WasteFee) => LineKind::WasteFee,
        Ok(pb::BillItemKind::Penalty) => LineKind::Penalty,
        Ok(pb::BillItemKind::InquiryFee) => LineKind::InquiryFee,
        Ok(pb::BillItemKind::Discount) => LineKind::Discount,
        Ok(pb::BillItemKind::Adjustment) => LineKind::Adjustment,
        _ => {
            return Err(ServiceError::invalid_field(
                "item_kinds",
                "ITEM_KIND_INVALID",
                "نوع قلم نادرست است.",
                "Unknown bill item kind.",
            ));
        }
    })
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
                kind: line_kind_to_pb(l.kind).into(),
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

fn item_kind_to_pb(k: ItemKind) -> pb::TariffItemKind {
    match k {
        ItemKind::RenewalLevy => pb::TariffItemKind::RenewalLevy,
        ItemKind::WasteFee => pb::TariffItemKind::WasteFee,
        ItemKind::InquiryFee => pb::TariffItemKind::InquiryFee,
    }
}

fn item_kind_from_pb(k: i32, field: &str) -> Result<ItemKind, ServiceError> {
    match pb::TariffItemKind::try_from(k) {
        Ok(pb::TariffItemKind::RenewalLevy) => Ok(ItemKind::RenewalLevy),
        Ok(pb::TariffItemKind::WasteFee) => Ok(ItemKind::WasteFee),
        Ok(pb::TariffItemKind::InquiryFee) => Ok(ItemKind::InquiryFee),
        _ => Err(ServiceError::invalid_field(
            field,
            "TARIFF_ITEM_KIND_INVALID",
            "نوع قلم تعرفه را مشخص کنید.",
            "Choose the tariff item's kind.",
        )),
    }
}

fn basis_to_pb(b: Basis) -> pb::TariffBasis {
    match b {
        Basis::AssessedValue => pb::TariffBasis::AssessedValue,
        Basis::LandArea => pb::TariffBasis::LandArea,
        Basis::BuiltArea => pb::TariffBasis::BuiltArea,
        Basis::Fixed => pb::TariffBasis::Fixed,
    }
}

fn basis_from_pb(b: i32, field: &str) -> Result<Basis, ServiceError> {
    match pb::TariffBasis::try_from(b) {
        Ok(pb::TariffBasis::AssessedValue) => Ok(Basis::AssessedValue),
        Ok(pb::TariffBasis::LandArea) => Ok(Basis::LandArea),
        Ok(pb::TariffBasis::BuiltArea) => Ok(Basis::BuiltArea),
        Ok(pb::TariffBasis::Fixed) => Ok(Basis::Fixed),
        _ => Err(ServiceError::invalid_field(
            field,
            "TARIFF_BASIS_INVALID",
            "مبنای محاسبهٔ قلم را مشخص کنید.",
            "Choose what the item is computed from.",
        )),
    }
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
                kind: item_kind_to_pb(i.kind).into(),
                description: text(&i.description_fa, &i.description_en),
                basis: basis_to_pb(i.basis).into(),
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
                applies_to: item_kind_to_pb(d.applies_to).into(),
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
    JalaliDate::parse(input).map_err(|e| {
        ServiceError::invalid_field(field, "JALALI_DATE_INVALID", e.message_fa(), e.to_string())
    })
}

fn tariff_from_pb(t: pb::Tariff) -> Result<NewTariff, ServiceError> {
    let mut items = Vec::new();
    for (i, item) in t.items.into_iter().enumerate() {
        let description = item.description.unwrap_or_default();
        items.push(TariffItem {
            kind: item_kind_from_pb(item.kind, &format!("tariff.items[{i}].kind"))?,
            description_fa: description.fa,
            description_en: description.en,
            basis: basis_from_pb(item.basis, &format!("tariff.items[{i}].basis"))?,
            rate_ppm: item.rate_ppm,
            amount_rials: item.amount_rials,
            request_type_code: item.request_type_code.trim().to_owned(),
        });
    }
    let mut discounts = Vec::new();
    for (i, d) in t.discounts.into_iter().enumerate() {
        let description = d.description.unwrap_or_default();
        discounts.push(DiscountRule {
            description_fa: description.fa,
            description_en: description.en,
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

fn charge_to_pb(c: &crate::accounts::AccountCharge) -> pb::AccountCharge {
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

impl Api {
    fn sandbox(&self) -> Result<&Arc<crate::psp::SandboxPsp>, ServiceError> {
        self.fees
            .sandbox()
            .ok_or_else(|| ServiceError::not_found("درگاه آزمایشی", "The sandbox payment provider"))
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
        let as_of_us = r.as_of.as_ref().map(micros).transpose()?;
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
            redirect_url: Fees::return_redirect(&payment),
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
        let (limit, offset) = page(r.page_size, &r.page_token)?;
        let (entries, balance) = self.fees.ledger(&r.renovation_code, limit, offset).await?;
        Ok(Response::new(pb::GetLedgerResponse {
            next_page_token: next_token(entries.len(), limit, offset),
            entries: entries.iter().map(entry_to_pb).collect(),
            balance_rials: balance,
        }))
    }

    async fn add_adjustment(
        &self,
        request: Request<pb::AddAdjustmentRequest>,
    ) -> Result<Response<pb::AddAdjustmentResponse>, Status> {
        let actor = allow(&request, roles::ADJUST)?;
        let r = request.get_ref();
        let (entry, balance) = self
            .fees
            .add_adjustment(
                &actor,
                &r.renovation_code,
                r.amount_rials,
                r.jalali_year,
                &r.reason,
                r.corrects_ledger_entry_id.trim(),
                r.client_request_id.trim(),
            )
            .await?;
        Ok(Response::new(pb::AddAdjustmentResponse {
            entry: Some(entry_to_pb(&entry)),
            balance_rials: balance,
        }))
    }

    async fn list_tariffs(
        &self,
        request: Request<pb::ListTariffsRequest>,
    ) -> Result<Response<pb::ListTariffsResponse>, Status> {
        allow(&request, roles::STAFF_READ)?;
        let r = request.get_ref();
        let (limit, offset) = page(r.page_size, &r.page_token)?;
        let all = self.fees.tariffs().await?;
        let latest = |t: &Tariff| {
            !all.iter().any(|o| {
                (o.jalali_year, o.land_use, o.zone) == (t.jalali_year, t.land_use, t.zone)
                    && o.version > t.version
            })
        };
        let matching: Vec<&Tariff> = all
            .iter()
            .filter(|t| r.jalali_year == 0 || t.jalali_year == r.jalali_year)
            .filter(|t| r.land_use == 0 || t.land_use == r.land_use)
            .filter(|t| r.zone == 0 || t.zone == r.zone)
            .filter(|t| r.include_history || latest(t))
            .collect();
        let page: Vec<pb::Tariff> = matching
            .iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(0))
            .map(|t| tariff_to_pb(t))
            .collect();
        Ok(Response::new(pb::ListTariffsResponse {
            next_page_token: next_token(page.len(), limit, offset),
            tariffs: page,
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
        let tariff = r.tariff.ok_or_else(|| {
            ServiceError::invalid_field(
                "tariff",
                "TARIFF_REQUIRED",
                "تعرفه را بفرستید.",
                "Send the tariff.",
            )
        })?;
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
        allow(&request, &[Role::Service, Role::Clerk, Role::Admin])?;
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
        let settings = self.fees.settings();
        let pending_for_s = if r.pending_for_seconds > 0 {
            i64::from(r.pending_for_seconds)
        } else {
            i64::try_from(settings.reconcile_pending_after_secs).unwrap_or(i64::MAX / 1_000_000)
        };
        let limit = if r.limit > 0 {
            i64::from(r.limit)
        } else {
            i64::from(settings.reconcile_batch)
        };
        let out = self
            .fees
            .reconcile(pending_for_s.saturating_mul(1_000_000), limit)
            .await?;
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
            .sandbox()?
            .find(request.get_ref().psp_token.trim())
            .await?
            .ok_or_else(|| ServiceError::not_found("پرداخت", "The payment"))?;
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
        let choice = match pb::SandboxChoice::try_from(r.choice) {
            Ok(pb::SandboxChoice::Pay) => Choice::Pay,
            Ok(pb::SandboxChoice::Cancel) => Choice::Cancel,
            _ => {
                return Err(ServiceError::invalid_field(
                    "choice",
                    "CHOICE_REQUIRED",
                    "پرداخت یا انصراف را انتخاب کنید.",
                    "Choose pay or cancel.",
                )
                .into());
            }
        };
        let (txn, callback) = self.sandbox()?.decide(r.psp_token.trim(), choice).await?;
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
        let r = request.get_ref();
        let (limit, offset) = page(r.page_size, &r.page_token)?;
        let (charges, balance) = self
            .fees
            .account_statement(&r.account_id, limit, offset)
            .await?;
        Ok(Response::new(pb::GetAccountStatementResponse {
            next_page_token: next_token(charges.len(), limit, offset),
            charges: charges.iter().map(charge_to_pb).collect(),
            balance_rials: balance,
        }))
    }
}

/// Stored enum numbers, re-exported for tests that read the store.
pub use store::codes;
