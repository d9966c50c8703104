//! Paying bills: starting a payment at the provider, applying its callbacks, settling what
//! it took, and reconciling payments whose callback never came.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use estelam_domain::{CheckCode, CodeKind};
use estelam_runtime::db::is_unique_violation;
use estelam_runtime::error::ServiceError;
use estelam_runtime::outbox;
use estelam_runtime::reasons;
use sqlx::{Any, Transaction};
use tokio_util::sync::CancellationToken;

use super::{Fees, effective_bill_status};
use crate::codes::{
    BILL_OPEN, BILL_PAID, BILL_SUPERSEDED, PAY_CONFIRMED, PAY_EXPIRED, PAY_FAILED, PAY_PENDING,
    PAY_REVERSED,
};
use crate::errors;
use crate::events;
use crate::psp::{CallbackError, PspOutcome};
use crate::returns::{self, ReturnUrlError};
use crate::store::payments::{self, Payment};
use crate::store::{bills, ledger};

/// What a reconciliation run did, by how the payments it asked about ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Payments asked about.
    pub checked: i32,
    /// Confirmed now: the provider had taken the money.
    pub confirmed: i32,
    /// Failed, expired or reversed.
    pub failed: i32,
    /// Still pending at the provider, or the provider could not be asked.
    pub still_pending: i32,
}

impl Fees {
    /// Starts paying a bill's exact total at the default provider, once per idempotency
    /// key: a retry gets the first payment back. Refuses a bill that is paid, superseded or
    /// expired.
    pub async fn start_payment(
        &self,
        bill_id: &str,
        idempotency_key: &str,
        return_url: &str,
        amount: i64,
    ) -> Result<Payment, ServiceError> {
        let key = idempotency_key.trim();
        if key.is_empty() || key.len() > 200 {
            return Err(errors::idempotency_key_required());
        }
        if let Some(p) = payments::payment_by_key(&mut *self.conn().await?, key).await? {
            if p.bill_id != bill_id.trim() {
                return Err(errors::idempotency_key_reused());
            }
            return Ok(p);
        }
        let return_url = returns::resolve(
            return_url,
            &self.settings.public_base_url,
            &self.settings.return_origins,
        )
        .map_err(|e| match e {
            ReturnUrlError::Malformed => errors::return_url_invalid(),
            ReturnUrlError::NotAllowed => errors::return_url_not_allowed(),
        })?;
        let bill = self.bill(bill_id).await?;
        let now = self.now_us();
        let account = ledger::account(&mut *self.conn().await?, &bill.renovation_code).await?;
        match effective_bill_status(&bill, now) {
            BILL_PAID => return Err(errors::bill_already_paid()),
            BILL_OPEN
                if account
                    .as_ref()
                    .is_some_and(|a| a.ledger_version == bill.ledger_version) => {}
            BILL_OPEN | BILL_SUPERSEDED => return Err(errors::bill_superseded()),
            _ => return Err(errors::bill_expired()),
        }
        if amount != bill.total {
            return Err(errors::amount_mismatch(bill.total));
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
            return_url,
            idempotency_key: key.to_owned(),
            tracking_code: String::new(),
            psp_reference: String::new(),
            failure_fa: String::new(),
            failure_en: String::new(),
            created_at_us: now,
            confirmed_at_us: None,
        };
        let mut conn = self.conn().await?;
        match payments::insert_payment(&mut conn, &payment).await {
            Ok(()) => Ok(payment),
            Err(e) if is_unique_violation(&e) => payments::payment_by_key(&mut conn, key)
                .await?
                .ok_or_else(|| ServiceError::internal(e)),
            Err(e) => Err(e.into()),
        }
    }

    /// A payment by id, with its tracking code once confirmed.
    pub async fn payment(&self, payment_id: &str) -> Result<Payment, ServiceError> {
        payments::payment(&mut *self.conn().await?, payment_id.trim())
            .await?
            .ok_or_else(errors::payment_not_found)
    }

    /// Where to send the payer after the provider: the return URL with the payment, its
    /// outcome and, once confirmed, its tracking code, for the portal to show. The stored
    /// URL is checked again, so a payment started before the rule (or before an origin left
    /// `fees.return_origins`) still sends the payer only home.
    pub fn return_redirect(&self, payment: &Payment) -> String {
        let status = match payment.status {
            PAY_CONFIRMED => "confirmed",
            PAY_PENDING => "pending",
            PAY_REVERSED => "reversed",
            _ => "failed",
        };
        let home = &self.settings.public_base_url;
        let target = returns::resolve(&payment.return_url, home, &self.settings.return_origins)
            .or_else(|_| returns::resolve("", home, &[]))
            .unwrap_or_default();
        let mut query = format!("payment_id={}&status={status}", payment.payment_id);
        if !payment.tracking_code.is_empty() {
            query.push_str("&tracking_code=");
            query.push_str(&payment.tracking_code);
        }
        returns::with_query(&target, &query)
    }

    /// Applies a provider's signed callback. Duplicates and late callbacks change nothing;
    /// a forged, malformed or mismatched one changes nothing and is refused; every delivery
    /// is audited, whatever came of it.
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
            return Err(errors::provider_unknown());
        };
        let callback = match provider.read_callback(fields, signature) {
            Ok(c) => c,
            Err(e) => {
                let (outcome, field, reason) = match e {
                    CallbackError::BadSignature => (
                        "refused: bad signature",
                        "signature",
                        reasons::fees::PSP_SIGNATURE_INVALID,
                    ),
                    CallbackError::Malformed(_) => (
                        "refused: malformed",
                        "fields",
                        reasons::fees::PSP_CALLBACK_MALFORMED,
                    ),
                };
                self.audit(actor, ACTION, &token, outcome, detail).await;
                return Err(errors::psp_callback_invalid(field, reason));
            }
        };
        let payment = payments::payment_by_token(&mut *self.conn().await?, &callback.token).await?;
        let Some(payment) = payment.filter(|p| p.provider == provider_name) else {
            self.audit(
                actor,
                ACTION,
                &callback.token,
                "refused: unknown token",
                detail,
            )
            .await;
            return Err(errors::psp_token_unknown());
        };
        let subject = payment.payment_id.clone();
        if !idempotency_key.is_empty()
            && payments::callback_seen(&mut *self.conn().await?, provider_name, idempotency_key)
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
                    return Err(errors::psp_amount_mismatch());
                }
                self.settle_paid(&payment, &reference).await?
            }
            PspOutcome::Failed | PspOutcome::Pending | PspOutcome::Unknown => {
                self.end_pending(&payment, PAY_FAILED, errors::PAYMENT_FAILED)
                    .await?
            }
        };
        if !idempotency_key.is_empty() {
            payments::record_callback(
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

    /// Ends a pending payment unpaid with `status` and the reason the payer reads.
    async fn end_pending(
        &self,
        payment: &Payment,
        status: i64,
        reason: (&str, &str),
    ) -> Result<Payment, ServiceError> {
        let mut conn = self.conn().await?;
        payments::end_payment(
            &mut conn,
            &payment.payment_id,
            status,
            "",
            reason,
            self.now_us(),
        )
        .await?;
        payments::payment(&mut conn, &payment.payment_id)
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
        let account = ledger::lock_account(&mut tx, &payment.renovation_code).await?;
        let current = payments::payment(&mut tx, &payment.payment_id)
            .await?
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("payment vanished")))?;
        if current.status != PAY_PENDING {
            tx.rollback().await?;
            return Ok(current);
        }
        let mut bill = bills::bill(&mut tx, &current.bill_id)
            .await?
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("bill vanished")))?;
        let payable = bill.status == BILL_OPEN
            && account.is_some_and(|a| a.ledger_version == bill.ledger_version)
            && current.created_at_us <= bill.valid_until_us;
        if !payable {
            payments::end_payment(
                &mut tx,
                &current.payment_id,
                PAY_REVERSED,
                reference,
                errors::PAYMENT_REVERSED,
                now,
            )
            .await?;
            let reversed = payments::payment(&mut tx, &current.payment_id)
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
        payments::confirm_payment(&mut tx, &current.payment_id, &tracking, reference, now).await?;
        let confirmed = payments::payment(&mut tx, &current.payment_id)
            .await?
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("payment vanished")))?;
        let balance_after = self
            .apply_settlement(&mut tx, &mut bill, Some(&confirmed), now)
            .await?;
        outbox::enqueue(&mut tx, &events::payment_received(&bill, &confirmed, now)).await?;
        let deposits = self
            .deposited_by(&mut tx, &bill, &confirmed.payment_id)
            .await?;
        outbox::enqueue(
            &mut tx,
            &events::debt_cleared(&bill, &confirmed, balance_after, &deposits, now),
        )
        .await?;
        tx.commit().await?;
        self.notify();
        Ok(confirmed)
    }

    /// Asks the providers about up to `limit` payments pending for at least `pending_for_us`
    /// and settles what they say.
    pub async fn reconcile(
        &self,
        pending_for_us: i64,
        limit: i64,
    ) -> Result<Reconciled, ServiceError> {
        let stale = payments::stale_pending(
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
                    self.end_pending(&payment, PAY_FAILED, errors::PAYMENT_FAILED)
                        .await?
                        .status
                }
                Ok(PspOutcome::Unknown) => {
                    self.end_pending(&payment, PAY_EXPIRED, errors::PAYMENT_EXPIRED)
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

    /// Reconciles now: payments pending at least `pending_for_secs` (the configured age
    /// when `None`), at most `limit` of them (the configured batch when `None`).
    pub async fn reconcile_now(
        &self,
        pending_for_secs: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Reconciled, ServiceError> {
        let pending_for_secs = pending_for_secs.unwrap_or_else(|| {
            i64::try_from(self.settings.reconcile_pending_after_secs)
                .unwrap_or(i64::MAX / 1_000_000)
        });
        let limit = limit.unwrap_or_else(|| i64::from(self.settings.reconcile_batch));
        self.reconcile(pending_for_secs.saturating_mul(1_000_000), limit)
            .await
    }

    /// Reconciles every `reconcile_interval_secs` (never when 0) until `shutdown`, so a
    /// payment whose callback was lost is settled without anyone asking.
    pub fn spawn_reconciliation(self: Arc<Self>, shutdown: CancellationToken) {
        let interval = self.settings.reconcile_interval_secs;
        if interval == 0 {
            return;
        }
        tokio::spawn(async move {
            let every = Duration::from_secs(interval);
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(every) => {}
                }
                match self.reconcile_now(None, None).await {
                    Ok(done) if done.checked > 0 => tracing::info!(?done, "payments reconciled"),
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "payment reconciliation failed"),
                }
            }
        });
    }
}
