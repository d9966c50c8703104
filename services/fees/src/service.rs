//! The fee-and-debt operations: each one a short transaction over the store, the pure rules
//! in [`crate::assess`] and [`crate::tariff`], and the outbox. No gRPC types here; `api.rs`
//! translates.
//!
//! Every ledger change takes the parcel's lock first ([`store::lock_account`]), so two
//! payments, an adjustment and an assessment of one parcel never interleave; a bill records
//! the ledger version it was computed against and can only be settled while the ledger is
//! still at that version.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use estelam_domain::{CheckCode, CodeKind, JalaliDate, RenovationCode};
use estelam_runtime::config::FeesSettings;
use estelam_runtime::db::{Database, is_unique_violation};
use estelam_runtime::error::{ErrorCode, ServiceError};
use estelam_runtime::outbox::{self, RelayHandle};
use sqlx::{Any, AnyConnection, Transaction};

use crate::accounts;
use crate::assess::{self, AssessInput, LineKind, jalali_at};
use crate::clock::Clock;
use crate::events;
use crate::parcels::ParcelFacts;
use crate::psp::{CallbackError, PaymentProvider, PspOutcome, SandboxPsp};
use crate::store::{self, Audit, Bill, NewEntry, Payment, codes::*};
use crate::tariff::{self, Tariff, TariffRules};

/// A stored assessment may be for "now" give or take this much clock skew; other instants
/// are for previews only (a stored bill as of the past would dodge penalties).
const AS_OF_SKEW_US: i64 = 5 * 60 * 1_000_000;

/// The fee-and-debt service's operations.
pub struct Fees {
    db: Database,
    clock: Arc<dyn Clock>,
    facts: Arc<dyn ParcelFacts>,
    providers: HashMap<String, Arc<dyn PaymentProvider>>,
    default_provider: String,
    sandbox: Option<Arc<SandboxPsp>>,
    relay: Option<RelayHandle>,
    settings: FeesSettings,
}

/// What Assess was asked.
#[derive(Debug, Clone, Default)]
pub struct AssessArgs {
    /// The parcel, any form.
    pub renovation_code: String,
    /// The instant; `None` for now.
    pub as_of_us: Option<i64>,
    /// Request type of the inquiry fee; empty for none.
    pub request_type_code: String,
    /// Inquiry, echoed.
    pub inquiry_id: String,
    /// Compute only.
    pub preview: bool,
    /// Idempotency key.
    pub client_request_id: String,
    /// Only these kinds; empty for all.
    pub kinds: Vec<LineKind>,
}

/// A bill and the balance before it.
#[derive(Debug, Clone)]
pub struct Assessed {
    /// The bill (empty id for a preview).
    pub bill: Bill,
    /// Ledger balance before the bill.
    pub balance_before: i64,
}

/// What a reconciliation run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Asked about.
    pub checked: i32,
    /// Confirmed now.
    pub confirmed: i32,
    /// Failed, expired or reversed.
    pub failed: i32,
    /// Still pending.
    pub still_pending: i32,
}

/// A tariff version to add.
#[derive(Debug, Clone)]
pub struct NewTariff {
    /// Year.
    pub jalali_year: i32,
    /// From.
    pub effective_from: JalaliDate,
    /// Land use, 0 for all.
    pub land_use: i32,
    /// Zone, 0 for all.
    pub zone: i32,
    /// Rules.
    pub rules: TariffRules,
    /// Why.
    pub reason: String,
}

/// The clearance facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClearanceFacts {
    /// Canonical code.
    pub renovation_code: String,
    /// Balance (0, or negative for a credit).
    pub balance: i64,
    /// Instant.
    pub as_of_us: i64,
    /// Jalali day.
    pub as_of_jalali: String,
    /// Last year settled.
    pub settled_through: i32,
    /// Last payment's tracking code and time.
    pub last_payment: Option<(String, i64)>,
}

/// Parses a renovation code from a request field.
pub fn parse_code(field: &str, input: &str) -> Result<RenovationCode, ServiceError> {
    RenovationCode::parse(input).map_err(|e| {
        ServiceError::invalid_field(
            field,
            "RENOVATION_CODE_INVALID",
            e.message_fa(),
            e.to_string(),
        )
    })
}

fn precondition(reason: &str, fa: &str, en: &str) -> ServiceError {
    ServiceError::new(ErrorCode::FailedPrecondition, reason, fa, en)
}

fn domain(e: estelam_domain::DomainError) -> ServiceError {
    ServiceError::internal(anyhow::anyhow!("amount computation failed: {e}"))
}

fn assess_error(e: assess::AssessError) -> ServiceError {
    match e {
        assess::AssessError::NoInquiryFee(code) => ServiceError::invalid_field(
            "request_type_code",
            "NO_INQUIRY_FEE",
            format!(
                "برای نوع درخواست «{code}» هزینهٔ استعلامی تعریف نشده است؛ با شهرداری تماس بگیرید."
            ),
            format!(
                "No inquiry fee is defined for request type \"{code}\"; contact the municipality."
            ),
        ),
        assess::AssessError::Domain(e) => domain(e),
    }
}

/// Bill status as callers see it: an open bill past its validity reads as expired.
pub fn effective_bill_status(bill: &Bill, now_us: i64) -> i64 {
    if bill.status == BILL_OPEN && now_us > bill.valid_until_us {
        4
    } else {
        bill.status
    }
}

impl Fees {
    /// The operations over `db`, reading time from `clock` and parcels from `facts`, paying
    /// through `providers` (the first is the default for new payments).
    pub fn new(
        db: Database,
        clock: Arc<dyn Clock>,
        facts: Arc<dyn ParcelFacts>,
        providers: Vec<Arc<dyn PaymentProvider>>,
        settings: FeesSettings,
    ) -> Self {
        let default_provider = providers
            .first()
            .map(|p| p.name().to_owned())
            .unwrap_or_default();
        Self {
            db,
            clock,
            facts,
            providers: providers
                .into_iter()
                .map(|p| (p.name().to_owned(), p))
                .collect(),
            default_provider,
            sandbox: None,
            relay: None,
            settings,
        }
    }

    /// Adds the sandbox PSP as a provider (and the default, unless another was given).
    #[must_use]
    pub fn with_sandbox(mut self, sandbox: Arc<SandboxPsp>) -> Self {
        if self.default_provider.is_empty() {
            self.default_provider = crate::psp::SANDBOX.to_owned();
        }
        self.providers
            .insert(crate::psp::SANDBOX.to_owned(), sandbox.clone());
        self.sandbox = Some(sandbox);
        self
    }

    /// Wakes `relay` after every commit that wrote events.
    #[must_use]
    pub fn with_relay(mut self, relay: RelayHandle) -> Self {
        self.relay = Some(relay);
        self
    }

    /// The service's settings.
    pub fn settings(&self) -> &FeesSettings {
        &self.settings
    }

    /// The store.
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// Now, by the service's clock.
    pub fn now_us(&self) -> i64 {
        self.clock.now_us()
    }

    /// The sandbox PSP, when configured.
    pub fn sandbox(&self) -> Option<&Arc<SandboxPsp>> {
        self.sandbox.as_ref()
    }

    fn notify(&self) {
        if let Some(relay) = &self.relay {
            relay.notify();
        }
    }

    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<Any>, ServiceError> {
        Ok(self.db.pool().acquire().await?)
    }

    /// Writes an audit record outside any transaction, so it stays even when the request
    /// it describes is refused.
    async fn audit(&self, actor: &str, action: &str, subject: &str, outcome: &str, detail: String) {
        let record = Audit {
            at_us: self.now_us(),
            actor_id: actor.to_owned(),
            action: action.to_owned(),
            subject: subject.to_owned(),
            outcome: outcome.to_owned(),
            detail,
        };
        let result = async {
            let mut conn = self.db.pool().acquire().await?;
            store::audit(&mut conn, &record).await
        }
        .await;
        if let Err(error) = result {
            tracing::error!(%error, action, subject, outcome, "could not write an audit record");
        }
    }

    // ---- assessment ----

    /// Computes (and unless a preview, stores) a parcel's bill.
    pub async fn assess(&self, actor: &str, a: AssessArgs) -> Result<Assessed, ServiceError> {
        let code = parse_code("renovation_code", &a.renovation_code)?;
        let key = code.to_string();
        let now = self.now_us();
        let as_of = a.as_of_us.unwrap_or(now);
        if !a.preview && (as_of - now).abs() > AS_OF_SKEW_US {
            return Err(ServiceError::invalid_field(
                "as_of",
                "AS_OF_ONLY_FOR_PREVIEW",
                "صورت‌حساب ذخیره‌شده فقط برای اکنون صادر می‌شود؛ برای تاریخ دیگر پیش‌نمایش بخواهید.",
                "A stored bill is always as of now; ask for a preview for another instant.",
            ));
        }
        let request_key =
            (!a.preview && !a.client_request_id.is_empty()).then(|| a.client_request_id.clone());
        if let Some(id) = &request_key
            && let Some(bill) = store::bill_by_request(&mut *self.conn().await?, id).await?
        {
            return Ok(Assessed {
                balance_before: bill.balance_before,
                bill,
            });
        }
        let facts = self.facts.facts(&code).await?;
        let on = jalali_at(as_of).map_err(domain)?;

        let mut tx = self.db.begin().await?;
        store::open_account(
            &mut tx,
            &key,
            on.year(),
            "opened by its first assessment",
            now,
        )
        .await?;
        let account = store::lock_account(&mut tx, &key)
            .await?
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("account vanished")))?;
        let tariffs = store::all_tariffs(&mut tx).await?;
        let settled = store::settled(&mut tx, &key).await?;
        let charged = store::unsettled_charges(&mut tx, &key).await?;
        let balance = store::balance(&mut tx, &key).await?;
        let request_type = a.request_type_code.trim();
        let computed = assess::assess(&AssessInput {
            as_of_us: as_of,
            facts: &facts,
            tariffs: &tariffs,
            levy_start_year: account.levy_start_year,
            settled: &settled,
            charged: &charged,
            balance,
            request_type_code: (!request_type.is_empty()).then_some(request_type),
            kinds: &a.kinds,
            validity_us: i64::try_from(self.settings.bill_validity_secs)
                .unwrap_or(i64::MAX / 2_000_000)
                .saturating_mul(1_000_000),
        })
        .map_err(assess_error)?;
        let mut bill = Bill {
            bill_id: String::new(),
            renovation_code: key.clone(),
            inquiry_id: a.inquiry_id.clone(),
            request_type_code: request_type.to_owned(),
            status: BILL_OPEN,
            lines: computed.lines,
            settles: computed.settles,
            total_base: computed.total_base,
            total_penalty: computed.total_penalty,
            total: computed.total,
            balance_before: balance,
            as_of_us: as_of,
            as_of_jalali: computed.as_of_date.to_string(),
            created_at_us: now,
            valid_until_us: computed.valid_until_us,
            ledger_version: account.ledger_version,
            payment_id: String::new(),
            tracking_code: String::new(),
            paid_at_us: None,
        };
        if a.preview {
            tx.rollback().await?;
            return Ok(Assessed {
                bill,
                balance_before: balance,
            });
        }
        bill.bill_id = uuid::Uuid::now_v7().to_string();
        for c in &computed.new_charges {
            store::append_entry(
                &mut tx,
                &key,
                &NewEntry {
                    kind: ENTRY_CHARGE,
                    item_kind: store::levy_code(c.kind),
                    jalali_year: c.year,
                    amount: c.amount,
                    description_fa: format!("{} سال {}", c.description_fa, c.year),
                    description_en: format!("{} {}", c.description_en, c.year),
                    bill_id: bill.bill_id.clone(),
                    tariff_id: c.tariff_id.clone(),
                    actor_id: actor.to_owned(),
                    ..NewEntry::default()
                },
                now,
            )
            .await?;
        }
        if !computed.new_charges.is_empty() {
            bill.ledger_version = store::bump_ledger_version(&mut tx, &key).await?;
            store::supersede_open_bills(&mut tx, &key, &bill.bill_id).await?;
        }
        if let Err(e) = store::insert_bill(&mut tx, &bill, request_key.as_deref()).await {
            if is_unique_violation(&e)
                && let Some(id) = &request_key
            {
                tx.rollback().await?;
                let bill = store::bill_by_request(&mut *self.conn().await?, id)
                    .await?
                    .ok_or_else(|| ServiceError::internal(e))?;
                return Ok(Assessed {
                    balance_before: bill.balance_before,
                    bill,
                });
            }
            return Err(e.into());
        }
        if bill.total == 0 {
            // Nothing to pay: the bill is paid from its creation and settles its years.
            self.apply_settlement(&mut tx, &mut bill, None, now).await?;
        }
        let balance_after = store::balance(&mut tx, &key).await?;
        outbox::enqueue(&mut tx, &events::debt_assessed(&bill, balance_after, now)).await?;
        tx.commit().await?;
        self.notify();
        Ok(Assessed {
            bill,
            balance_before: balance,
        })
    }

    /// Charges what a paid bill charges at payment (penalties, discounts, the inquiry fee),
    /// records the payment, settles the bill's years and marks it paid. The caller holds the
    /// parcel lock and has checked the bill is open at the ledger's version. Returns the
    /// balance after.
    async fn apply_settlement(
        &self,
        tx: &mut AnyConnection,
        bill: &mut Bill,
        payment: Option<&Payment>,
        now: i64,
    ) -> Result<i64, ServiceError> {
        let code = bill.renovation_code.clone();
        let (payment_id, tracking) = payment
            .map(|p| (p.payment_id.clone(), p.tracking_code.clone()))
            .unwrap_or_default();
        let base = NewEntry {
            bill_id: bill.bill_id.clone(),
            payment_id: payment_id.clone(),
            ..NewEntry::default()
        };
        for line in &bill.lines {
            let entry = match line.kind {
                LineKind::RenewalLevy | LineKind::WasteFee | LineKind::Penalty
                    if line.penalty > 0 =>
                {
                    Some(NewEntry {
                        kind: ENTRY_CHARGE,
                        item_kind: ITEM_PENALTY,
                        jalali_year: line.year,
                        amount: line.penalty,
                        description_fa: format!("جریمهٔ دیرکرد {}", line.description_fa),
                        description_en: format!("Late penalty, {}", line.description_en),
                        tariff_id: line.tariff_id.clone(),
                        ..base.clone()
                    })
                }
                LineKind::Discount if line.total != 0 => Some(NewEntry {
                    kind: ENTRY_DISCOUNT,
                    item_kind: ITEM_DISCOUNT,
                    jalali_year: line.year,
                    amount: line.total,
                    description_fa: line.description_fa.clone(),
                    description_en: line.description_en.clone(),
                    tariff_id: line.tariff_id.clone(),
                    ..base.clone()
                }),
                LineKind::InquiryFee if line.total != 0 => Some(NewEntry {
                    kind: ENTRY_CHARGE,
                    item_kind: ITEM_INQUIRY_FEE,
                    amount: line.total,
                    description_fa: line.description_fa.clone(),
                    description_en: line.description_en.clone(),
                    tariff_id: line.tariff_id.clone(),
                    ..base.clone()
                }),
                _ => None,
            };
            if let Some(entry) = entry {
                store::append_entry(tx, &code, &entry, now).await?;
            }
        }
        if let Some(p) = payment.filter(|p| p.amount != 0) {
            store::append_entry(
                tx,
                &code,
                &NewEntry {
                    kind: ENTRY_PAYMENT,
                    amount: -p.amount,
                    description_fa: format!("پرداخت با کد رهگیری {tracking}"),
                    description_en: format!("Payment, tracking code {tracking}"),
                    tracking_code: tracking.clone(),
                    ..base.clone()
                },
                now,
            )
            .await?;
        }
        for (year, kind) in &bill.settles {
            store::settle_item(tx, &code, *year, *kind, &bill.bill_id, &payment_id, now).await?;
        }
        if !store::mark_bill_paid(tx, &bill.bill_id, &payment_id, &tracking, now).await? {
            return Err(ServiceError::internal(anyhow::anyhow!(
                "bill {} was not open while settling",
                bill.bill_id
            )));
        }
        bill.status = BILL_PAID;
        bill.payment_id = payment_id;
        bill.tracking_code = tracking;
        bill.paid_at_us = Some(now);
        store::bump_ledger_version(tx, &code).await?;
        store::supersede_open_bills(tx, &code, &bill.bill_id).await?;
        Ok(store::balance(tx, &code).await?)
    }

    /// A stored bill.
    pub async fn bill(&self, bill_id: &str) -> Result<Bill, ServiceError> {
        store::bill(&mut *self.conn().await?, bill_id.trim())
            .await?
            .ok_or_else(|| ServiceError::not_found("صورت‌حساب", "The bill"))
    }

    // ---- payments ----

    /// Starts paying a bill (idempotent per key).
    pub async fn start_payment(
        &self,
        bill_id: &str,
        idempotency_key: &str,
        return_url: &str,
        amount: i64,
    ) -> Result<Payment, ServiceError> {
        let key = idempotency_key.trim();
        if key.is_empty() || key.len() > 200 {
            return Err(ServiceError::invalid_field(
                "idempotency_key",
                "IDEMPOTENCY_KEY_REQUIRED",
                "شناسهٔ یکتایی درخواست (idempotency_key) را بفرستید.",
                "Send an idempotency key (1 to 200 characters).",
            ));
        }
        if let Some(p) = store::payment_by_key(&mut *self.conn().await?, key).await? {
            if p.bill_id != bill_id.trim() {
                return Err(ServiceError::invalid_field(
                    "idempotency_key",
                    "IDEMPOTENCY_KEY_REUSED",
                    "این شناسهٔ یکتایی برای صورت‌حساب دیگری به کار رفته است.",
                    "This idempotency key was used for another bill.",
                ));
            }
            return Ok(p);
        }
        if !(return_url.starts_with("https://") || return_url.starts_with("http://")) {
            return Err(ServiceError::invalid_field(
                "return_url",
                "RETURN_URL_INVALID",
                "نشانی بازگشت باید با https:// آغاز شود.",
                "The return URL must be an https:// URL.",
            ));
        }
        let bill = self.bill(bill_id).await?;
        let now = self.now_us();
        let account = store::account(&mut *self.conn().await?, &bill.renovation_code).await?;
        match effective_bill_status(&bill, now) {
            BILL_PAID => {
                return Err(precondition(
                    "BILL_ALREADY_PAID",
                    "این صورت‌حساب پیش‌تر پرداخت شده است.",
                    "This bill has already been paid.",
                ));
            }
            BILL_OPEN
                if account
                    .as_ref()
                    .is_some_and(|a| a.ledger_version == bill.ledger_version) => {}
            BILL_OPEN | BILL_SUPERSEDED => {
                return Err(precondition(
                    "BILL_SUPERSEDED",
                    "بدهی این ملک تغییر کرده است؛ دوباره صورت‌حساب بگیرید.",
                    "The parcel's debt has changed; assess it again.",
                ));
            }
            _ => {
                return Err(precondition(
                    "BILL_EXPIRED",
                    "مهلت پرداخت این صورت‌حساب گذشته است؛ دوباره صورت‌حساب بگیرید.",
                    "This bill is no longer payable; assess the parcel again.",
                ));
            }
        }
        if amount != bill.total {
            return Err(ServiceError::invalid_field(
                "amount_rials",
                "AMOUNT_MISMATCH",
                format!(
                    "مبلغ باید دقیقاً برابر مبلغ صورت‌حساب ({} ریال) باشد.",
                    bill.total
                ),
                format!(
                    "The amount must equal the bill's total ({} rials) exactly.",
                    bill.total
                ),
            ));
        }
        let provider = self.providers.get(&self.default_provider).ok_or_else(|| {
            ServiceError::unavailable(anyhow::anyhow!("no payment provider configured"))
        })?;
        let payment_id = uuid::Uuid::now_v7().to_string();
        let started = provider.start(&payment_id, bill.total).await?;
        let payment = Payment {
            payment_id,
            bill_id: bill.bill_id.clone(),
            renovation_code: bill.renovation_code.clone(),
            amount: bill.total,
            status: PAY_PENDING,
            provider: provider.name().to_owned(),
            psp_token: started.token,
            redirect_url: started.redirect_url,
            return_url: return_url.to_owned(),
            idempotency_key: key.to_owned(),
            tracking_code: String::new(),
            psp_reference: String::new(),
            failure_fa: String::new(),
            failure_en: String::new(),
            created_at_us: now,
            confirmed_at_us: None,
        };
        let mut conn = self.conn().await?;
        match store::insert_payment(&mut conn, &payment).await {
            Ok(()) => Ok(payment),
            Err(e) if is_unique_violation(&e) => store::payment_by_key(&mut conn, key)
                .await?
                .ok_or_else(|| ServiceError::internal(e)),
            Err(e) => Err(e.into()),
        }
    }

    /// A payment.
    pub async fn payment(&self, payment_id: &str) -> Result<Payment, ServiceError> {
        store::payment(&mut *self.conn().await?, payment_id.trim())
            .await?
            .ok_or_else(|| ServiceError::not_found("پرداخت", "The payment"))
    }

    /// Where to send the payer after the provider: the return URL with the outcome.
    pub fn return_redirect(payment: &Payment) -> String {
        let status = match payment.status {
            PAY_CONFIRMED => "confirmed",
            PAY_PENDING => "pending",
            PAY_REVERSED => "reversed",
            _ => "failed",
        };
        let sep = if payment.return_url.contains('?') {
            '&'
        } else {
            '?'
        };
        let mut url = format!(
            "{}{sep}payment_id={}&status={status}",
            payment.return_url, payment.payment_id
        );
        if !payment.tracking_code.is_empty() {
            url.push_str("&tracking_code=");
            url.push_str(&payment.tracking_code);
        }
        url
    }

    /// Applies a provider's callback (see the proto for the rules).
    pub async fn handle_callback(
        &self,
        actor: &str,
        provider_name: &str,
        fields: &BTreeMap<String, String>,
        signature: &str,
        idempotency_key: &str,
    ) -> Result<Payment, ServiceError> {
        const ACTION: &str = "psp.callback";
        let detail = serde_json::json!({
            "provider": provider_name,
            "fields": fields,
            "idempotency_key": idempotency_key,
        })
        .to_string();
        let token = fields.get("token").cloned().unwrap_or_default();
        let Some(provider) = self.providers.get(provider_name) else {
            self.audit(actor, ACTION, &token, "refused: unknown provider", detail)
                .await;
            return Err(ServiceError::invalid_field(
                "provider",
                "UNKNOWN_PROVIDER",
                "درگاه پرداخت ناشناخته است.",
                "Unknown payment provider.",
            ));
        };
        let callback = match provider.read_callback(fields, signature) {
            Ok(c) => c,
            Err(e) => {
                let (outcome, field, reason) = match e {
                    CallbackError::BadSignature => (
                        "refused: bad signature",
                        "signature",
                        "PSP_SIGNATURE_INVALID",
                    ),
                    CallbackError::Malformed(_) => {
                        ("refused: malformed", "fields", "PSP_CALLBACK_MALFORMED")
                    }
                };
                self.audit(actor, ACTION, &token, outcome, detail).await;
                return Err(ServiceError::invalid_field(
                    field,
                    reason,
                    "پاسخ درگاه پرداخت معتبر نیست و نادیده گرفته شد.",
                    "The payment provider's callback is not valid and was ignored.",
                ));
            }
        };
        let payment = store::payment_by_token(&mut *self.conn().await?, &callback.token).await?;
        let Some(payment) = payment.filter(|p| p.provider == provider_name) else {
            self.audit(
                actor,
                ACTION,
                &callback.token,
                "refused: unknown token",
                detail,
            )
            .await;
            return Err(ServiceError::invalid_field(
                "fields.token",
                "PSP_TOKEN_UNKNOWN",
                "این پرداخت شناخته نشد.",
                "No payment has this provider token.",
            ));
        };
        let subject = payment.payment_id.clone();
        if !idempotency_key.is_empty()
            && store::callback_seen(&mut *self.conn().await?, provider_name, idempotency_key)
                .await?
        {
            self.audit(actor, ACTION, &subject, "duplicate delivery", detail)
                .await;
            return Ok(payment);
        }
        let result = match callback.outcome {
            PspOutcome::Paid { reference, amount } => {
                if amount != payment.amount {
                    self.audit(
                        actor,
                        ACTION,
                        &subject,
                        &format!("refused: amount {amount} differs from {}", payment.amount),
                        detail,
                    )
                    .await;
                    return Err(ServiceError::invalid_field(
                        "fields.amount",
                        "PSP_AMOUNT_MISMATCH",
                        "مبلغ پرداخت‌شده با مبلغ صورت‌حساب برابر نیست؛ پرداخت ثبت نشد.",
                        "The amount paid differs from the bill's; the payment was not recorded.",
                    ));
                }
                self.settle_paid(&payment, &reference).await?
            }
            PspOutcome::Failed | PspOutcome::Pending | PspOutcome::Unknown => {
                self.end_pending(
                    &payment,
                    PAY_FAILED,
                    (
                        "پرداخت لغو شد یا ناموفق بود.",
                        "The payment was cancelled or failed.",
                    ),
                )
                .await?
            }
        };
        if !idempotency_key.is_empty() {
            store::record_callback(
                &mut *self.conn().await?,
                provider_name,
                idempotency_key,
                &subject,
                self.now_us(),
            )
            .await?;
        }
        let outcome = if result.status == payment.status {
            "duplicate: no change".to_owned()
        } else {
            format!("accepted: payment status {}", result.status)
        };
        self.audit(actor, ACTION, &subject, &outcome, detail).await;
        Ok(result)
    }

    async fn end_pending(
        &self,
        payment: &Payment,
        status: i64,
        reason: (&str, &str),
    ) -> Result<Payment, ServiceError> {
        let mut conn = self.conn().await?;
        store::end_payment(
            &mut conn,
            &payment.payment_id,
            status,
            "",
            reason,
            self.now_us(),
        )
        .await?;
        store::payment(&mut conn, &payment.payment_id)
            .await?
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("payment vanished")))
    }

    /// Settles a payment the provider says it took: confirms it, records it in the ledger,
    /// pays the bill and publishes the events, all in one transaction. A payment that is no
    /// longer pending is returned as it stands (a duplicate or late callback). A payment of
    /// a bill that is no longer open at the ledger's version (another payment settled it,
    /// or the debt changed) is reversed at the provider and never counted.
    pub async fn settle_paid(
        &self,
        payment: &Payment,
        reference: &str,
    ) -> Result<Payment, ServiceError> {
        let tracking = {
            let mut rng = rand::rng();
            CheckCode::generate_random(CodeKind::Tracking, &mut rng).to_string()
        };
        let now = self.now_us();
        let mut tx: Transaction<'static, Any> = self.db.begin().await?;
        let account = store::lock_account(&mut tx, &payment.renovation_code).await?;
        let current = store::payment(&mut tx, &payment.payment_id)
            .await?
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("payment vanished")))?;
        if current.status != PAY_PENDING {
            tx.rollback().await?;
            return Ok(current);
        }
        let mut bill = store::bill(&mut tx, &current.bill_id)
            .await?
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("bill vanished")))?;
        let payable = bill.status == BILL_OPEN
            && account.is_some_and(|a| a.ledger_version == bill.ledger_version)
            && current.created_at_us <= bill.valid_until_us;
        if !payable {
            store::end_payment(
                &mut tx,
                &current.payment_id,
                PAY_REVERSED,
                reference,
                (
                    "این صورت‌حساب پیش‌تر تسویه شده یا تغییر کرده بود؛ مبلغ به حساب شما بازگردانده می‌شود.",
                    "The bill had already been settled or had changed; the amount is being returned to you.",
                ),
                now,
            )
            .await?;
            let reversed = store::payment(&mut tx, &current.payment_id)
                .await?
                .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("payment vanished")))?;
            tx.commit().await?;
            if let Some(provider) = self.providers.get(&current.provider)
                && let Err(error) = provider.reverse(&current.psp_token).await
            {
                tracing::error!(?error, payment_id = %current.payment_id, "reversal failed; retry by hand");
            }
            return Ok(reversed);
        }
        store::confirm_payment(&mut tx, &current.payment_id, &tracking, reference, now).await?;
        let confirmed = store::payment(&mut tx, &current.payment_id)
            .await?
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("payment vanished")))?;
        let balance_after = self
            .apply_settlement(&mut tx, &mut bill, Some(&confirmed), now)
            .await?;
        outbox::enqueue(&mut tx, &events::payment_received(&bill, &confirmed, now)).await?;
        outbox::enqueue(
            &mut tx,
            &events::debt_cleared(&bill, &confirmed, balance_after, now),
        )
        .await?;
        tx.commit().await?;
        self.notify();
        Ok(confirmed)
    }

    /// Asks the providers about payments pending for at least `pending_for_us` and settles
    /// what they say.
    pub async fn reconcile(
        &self,
        pending_for_us: i64,
        limit: i64,
    ) -> Result<Reconciled, ServiceError> {
        let stale = store::stale_pending(
            &mut *self.conn().await?,
            self.now_us().saturating_sub(pending_for_us),
            limit.max(1),
        )
        .await?;
        let mut out = Reconciled::default();
        for payment in stale {
            out.checked += 1;
            let Some(provider) = self.providers.get(&payment.provider) else {
                out.still_pending += 1;
                continue;
            };
            let status = match provider.inquire(&payment.psp_token).await {
                Ok(PspOutcome::Paid { reference, amount }) if amount == payment.amount => {
                    self.settle_paid(&payment, &reference).await?.status
                }
                Ok(PspOutcome::Paid { amount, .. }) => {
                    self.audit(
                        "",
                        "psp.reconcile",
                        &payment.payment_id,
                        &format!("refused: amount {amount} differs from {}", payment.amount),
                        String::new(),
                    )
                    .await;
                    PAY_PENDING
                }
                Ok(PspOutcome::Failed) => {
                    self.end_pending(
                        &payment,
                        PAY_FAILED,
                        (
                            "پرداخت لغو شد یا ناموفق بود.",
                            "The payment was cancelled or failed.",
                        ),
                    )
                    .await?
                    .status
                }
                Ok(PspOutcome::Unknown) => {
                    self.end_pending(
                        &payment,
                        PAY_EXPIRED,
                        (
                            "پرداخت انجام نشد و مهلت آن گذشت.",
                            "The payment was not made in time.",
                        ),
                    )
                    .await?
                    .status
                }
                Ok(PspOutcome::Pending) => PAY_PENDING,
                Err(error) => {
                    tracing::warn!(?error, payment_id = %payment.payment_id, "provider inquiry failed");
                    PAY_PENDING
                }
            };
            match status {
                PAY_CONFIRMED => out.confirmed += 1,
                PAY_PENDING => out.still_pending += 1,
                _ => out.failed += 1,
            }
        }
        Ok(out)
    }

    // ---- ledger ----

    /// A page of a parcel's ledger, newest first, and its balance.
    pub async fn ledger(
        &self,
        code: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<store::Entry>, i64), ServiceError> {
        let key = parse_code("renovation_code", code)?.to_string();
        let mut conn = self.conn().await?;
        let entries = store::entries(&mut conn, &key, limit, offset).await?;
        let balance = store::balance(&mut conn, &key).await?;
        Ok((entries, balance))
    }

    /// Adds a clerk adjustment (idempotent per `client_request_id`).
    #[allow(clippy::too_many_arguments)]
    pub async fn add_adjustment(
        &self,
        actor: &str,
        code: &str,
        amount: i64,
        jalali_year: i32,
        reason: &str,
        corrects: &str,
        client_request_id: &str,
    ) -> Result<(store::Entry, i64), ServiceError> {
        let key = parse_code("renovation_code", code)?.to_string();
        if reason.trim().is_empty() {
            return Err(ServiceError::invalid_field(
                "reason",
                "REASON_REQUIRED",
                "دلیل اصلاحیه را بنویسید.",
                "Give the reason for the adjustment.",
            ));
        }
        if amount == 0 {
            return Err(ServiceError::invalid_field(
                "amount_rials",
                "AMOUNT_ZERO",
                "مبلغ اصلاحیه نمی‌تواند صفر باشد.",
                "The adjustment amount cannot be zero.",
            ));
        }
        if jalali_year != 0 && !(1300..=1999).contains(&jalali_year) {
            return Err(ServiceError::invalid_field(
                "jalali_year",
                "YEAR_INVALID",
                "سال باید سالی شمسی مانند ۱۴۰۴ یا صفر باشد.",
                "The year must be a Jalali year such as 1404, or 0.",
            ));
        }
        let request_key = (!client_request_id.is_empty()).then(|| client_request_id.to_owned());
        if let Some(id) = &request_key
            && let Some((_, entry)) = store::entry_by_request(&mut *self.conn().await?, id).await?
        {
            let balance = store::balance(&mut *self.conn().await?, &key).await?;
            return Ok((entry, balance));
        }
        let now = self.now_us();
        let year_now = jalali_at(now).map_err(domain)?.year();
        let mut tx = self.db.begin().await?;
        store::open_account(&mut tx, &key, year_now, "opened by a clerk adjustment", now).await?;
        store::lock_account(&mut tx, &key).await?;
        if !corrects.is_empty() && store::entry(&mut tx, &key, corrects).await?.is_none() {
            return Err(ServiceError::invalid_field(
                "corrects_ledger_entry_id",
                "ENTRY_UNKNOWN",
                "ردیفی که اصلاح می‌شود در دفتر این ملک نیست.",
                "The entry being corrected is not in this parcel's ledger.",
            ));
        }
        let result = store::append_entry(
            &mut tx,
            &key,
            &NewEntry {
                kind: ENTRY_ADJUSTMENT,
                item_kind: ITEM_ADJUSTMENT,
                jalali_year,
                amount,
                description_fa: "اصلاحیهٔ کارشناس".into(),
                description_en: "Clerk adjustment".into(),
                reason: reason.trim().to_owned(),
                corrects: corrects.to_owned(),
                actor_id: actor.to_owned(),
                client_request_id: request_key.clone(),
                ..NewEntry::default()
            },
            now,
        )
        .await;
        let entry = match result {
            Ok(entry) => entry,
            Err(e) if is_unique_violation(&e) && request_key.is_some() => {
                tx.rollback().await?;
                let id = request_key.as_deref().unwrap_or_default();
                let (_, entry) = store::entry_by_request(&mut *self.conn().await?, id)
                    .await?
                    .ok_or_else(|| ServiceError::internal(e))?;
                let balance = store::balance(&mut *self.conn().await?, &key).await?;
                return Ok((entry, balance));
            }
            Err(e) => return Err(e.into()),
        };
        store::bump_ledger_version(&mut tx, &key).await?;
        store::supersede_open_bills(&mut tx, &key, "").await?;
        store::audit(
            &mut tx,
            &Audit {
                at_us: now,
                actor_id: actor.to_owned(),
                action: "ledger.adjustment".into(),
                subject: key.clone(),
                outcome: "accepted".into(),
                detail: serde_json::json!({
                    "ledger_entry_id": entry.ledger_entry_id,
                    "amount_rials": amount,
                    "reason": reason,
                })
                .to_string(),
            },
        )
        .await?;
        let balance = store::balance(&mut tx, &key).await?;
        tx.commit().await?;
        Ok((entry, balance))
    }

    // ---- tariffs ----

    /// Every stored tariff version.
    pub async fn tariffs(&self) -> Result<Vec<Tariff>, ServiceError> {
        Ok(store::all_tariffs(&mut *self.conn().await?).await?)
    }

    /// One tariff version.
    pub async fn tariff(&self, id: &str) -> Result<Tariff, ServiceError> {
        store::tariff(&mut *self.conn().await?, id.trim())
            .await?
            .ok_or_else(|| ServiceError::not_found("تعرفه", "The tariff"))
    }

    /// Adds a tariff version (admin).
    pub async fn put_tariff(
        &self,
        actor: &str,
        t: NewTariff,
        expected_version: i64,
        client_request_id: &str,
    ) -> Result<Tariff, ServiceError> {
        tariff::validate(t.jalali_year, &t.rules)
            .map_err(|p| ServiceError::invalid_field(p.field, "TARIFF_INVALID", p.fa, p.en))?;
        if t.reason.trim().is_empty() {
            return Err(ServiceError::invalid_field(
                "tariff.reason",
                "REASON_REQUIRED",
                "دلیل تغییر تعرفه را بنویسید.",
                "Give the reason for the tariff change.",
            ));
        }
        if !(0..=7).contains(&t.land_use) || t.zone < 0 {
            return Err(ServiceError::invalid_field(
                "tariff.land_use",
                "TARIFF_SCOPE_INVALID",
                "کاربری یا منطقه نادرست است.",
                "The land use or zone is not valid.",
            ));
        }
        let now = self.now_us();
        let today = jalali_at(now).map_err(domain)?;
        if t.effective_from < today {
            return Err(ServiceError::invalid_field(
                "tariff.effective_from_jalali",
                "TARIFF_EFFECTIVE_IN_PAST",
                "تاریخ اجرای تعرفه نمی‌تواند گذشته باشد.",
                "A tariff cannot take effect in the past.",
            ));
        }
        let request_key = (!client_request_id.is_empty()).then(|| client_request_id.to_owned());
        if let Some(id) = &request_key
            && let Some(existing) = store::tariff_by_request(&mut *self.conn().await?, id).await?
        {
            return Ok(existing);
        }
        let mut tx = self.db.begin().await?;
        let latest =
            store::latest_tariff_version(&mut tx, t.jalali_year, t.land_use, t.zone).await?;
        if latest != expected_version {
            return Err(ServiceError::conflict());
        }
        let stored = Tariff {
            tariff_id: uuid::Uuid::now_v7().to_string(),
            jalali_year: t.jalali_year,
            effective_from_us: assess::start_of_day_us(t.effective_from),
            effective_from: t.effective_from,
            land_use: t.land_use,
            zone: t.zone,
            version: latest + 1,
            rules: t.rules,
            reason: t.reason.trim().to_owned(),
            actor_id: actor.to_owned(),
            created_at_us: now,
        };
        if let Err(e) = store::insert_tariff(&mut tx, &stored, request_key.as_deref()).await {
            tx.rollback().await?;
            if is_unique_violation(&e) {
                if let Some(id) = &request_key
                    && let Some(existing) =
                        store::tariff_by_request(&mut *self.conn().await?, id).await?
                {
                    return Ok(existing);
                }
                return Err(ServiceError::conflict());
            }
            return Err(e.into());
        }
        store::audit(
            &mut tx,
            &Audit {
                at_us: now,
                actor_id: actor.to_owned(),
                action: "tariff.put".into(),
                subject: stored.tariff_id.clone(),
                outcome: "accepted".into(),
                detail: serde_json::json!({
                    "jalali_year": stored.jalali_year,
                    "land_use": stored.land_use,
                    "zone": stored.zone,
                    "version": stored.version,
                    "effective_from": stored.effective_from.to_string(),
                    "reason": stored.reason,
                    "rules": stored.rules,
                })
                .to_string(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(stored)
    }

    // ---- authority accounts ----

    /// Charges `request_type_code`'s inquiry fee for `inquiry_id` to the authority account
    /// `account_id`, at the tariff in force for the parcel; once per inquiry (asking again
    /// returns the first charge). Returns the charge and the account's balance after it.
    pub async fn charge_account(
        &self,
        actor: &str,
        account_id: &str,
        inquiry_id: &str,
        request_type_code: &str,
        renovation_code: &str,
    ) -> Result<(accounts::AccountCharge, i64), ServiceError> {
        let account_id = account_id.trim();
        let inquiry_id = inquiry_id.trim();
        let request_type_code = request_type_code.trim();
        if account_id.is_empty() {
            return Err(ServiceError::invalid_field(
                "account_id",
                "ACCOUNT_REQUIRED",
                "شناسهٔ حساب مرجع استعلام را وارد کنید.",
                "Give the inquiring authority's account id.",
            ));
        }
        if inquiry_id.is_empty() {
            return Err(ServiceError::invalid_field(
                "inquiry_id",
                "INQUIRY_REQUIRED",
                "شناسهٔ استعلام را وارد کنید.",
                "Give the inquiry id the fee is for.",
            ));
        }
        if request_type_code.is_empty() {
            return Err(ServiceError::invalid_field(
                "request_type_code",
                "REQUEST_TYPE_REQUIRED",
                "نوع درخواست را وارد کنید.",
                "Give the request type whose inquiry fee to charge.",
            ));
        }
        let code = parse_code("renovation_code", renovation_code)?;
        let mut conn = self.conn().await?;
        if let Some(first) = accounts::charge_for_inquiry(&mut conn, inquiry_id).await? {
            let balance = accounts::balance(&mut conn, &first.account_id).await?;
            return Ok((first, balance));
        }
        drop(conn);
        let facts = self.facts.facts(&code).await?;
        let now = self.now_us();
        let tariffs = store::all_tariffs(&mut *self.conn().await?).await?;
        let line =
            assess::inquiry_fee(&tariffs, request_type_code, &facts, now).map_err(assess_error)?;
        let charge = accounts::AccountCharge {
            charge_id: uuid::Uuid::now_v7().to_string(),
            account_id: account_id.to_owned(),
            inquiry_id: inquiry_id.to_owned(),
            request_type_code: request_type_code.to_owned(),
            renovation_code: code.to_string(),
            amount: line.total,
            description_fa: line.description_fa,
            description_en: line.description_en,
            tariff_id: line.tariff_id,
            actor_id: actor.to_owned(),
            charged_at_us: now,
        };
        let mut conn = self.conn().await?;
        accounts::insert_charge(&mut conn, &charge).await?;
        // The stored one: a concurrent call for the same inquiry may have won.
        let stored = accounts::charge_for_inquiry(&mut conn, inquiry_id)
            .await?
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("account charge vanished")))?;
        let balance = accounts::balance(&mut conn, &stored.account_id).await?;
        Ok((stored, balance))
    }

    /// A page of an authority account's charges, newest first, and the account's balance.
    pub async fn account_statement(
        &self,
        account_id: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<accounts::AccountCharge>, i64), ServiceError> {
        let account_id = account_id.trim();
        if account_id.is_empty() {
            return Err(ServiceError::invalid_field(
                "account_id",
                "ACCOUNT_REQUIRED",
                "شناسهٔ حساب مرجع استعلام را وارد کنید.",
                "Give the inquiring authority's account id.",
            ));
        }
        let mut conn = self.conn().await?;
        let charges = accounts::charges(&mut conn, account_id, limit, offset).await?;
        let balance = accounts::balance(&mut conn, account_id).await?;
        Ok((charges, balance))
    }

    // ---- clearance ----

    /// Clearance facts, or FAILED_PRECONDITION with the amount owed.
    pub async fn clearance(&self, code: &str) -> Result<ClearanceFacts, ServiceError> {
        let preview = self
            .assess(
                "",
                AssessArgs {
                    renovation_code: code.to_owned(),
                    preview: true,
                    ..AssessArgs::default()
                },
            )
            .await?;
        let key = preview.bill.renovation_code.clone();
        if preview.bill.total > 0 || preview.balance_before > 0 {
            let owed = preview.bill.total.max(preview.balance_before);
            return Err(precondition(
                "DEBT_OUTSTANDING",
                &format!("این ملک {owed} ریال بدهی دارد؛ پس از پرداخت، مفاصاحساب صادر می‌شود."),
                &format!("The parcel owes {owed} rials; clearance is issued once it is paid."),
            ));
        }
        let mut conn = self.conn().await?;
        let settled = store::settled(&mut conn, &key).await?;
        let start = store::account(&mut conn, &key)
            .await?
            .map(|a| a.levy_start_year);
        let settled_through = settled
            .iter()
            .map(|(y, _)| *y)
            .max()
            .or(start.map(|s| s - 1))
            .unwrap_or(0);
        Ok(ClearanceFacts {
            renovation_code: key.clone(),
            balance: preview.balance_before,
            as_of_us: preview.bill.as_of_us,
            as_of_jalali: preview.bill.as_of_jalali,
            settled_through,
            last_payment: store::last_payment(&mut conn, &key).await?,
        })
    }
}
