//! A parcel's ledger: reading it a page at a time, clerk adjustments, and what settling a
//! bill writes to it.

use estelam_runtime::db::is_unique_violation;
use estelam_runtime::error::ServiceError;
use estelam_runtime::paging::Paging;
use sqlx::AnyConnection;

use super::{Fees, PAGE_SIZES, Page, parse_code};
use crate::assess::{LineKind, jalali_at};
use crate::codes::{
    BILL_PAID, ENTRY_ADJUSTMENT, ENTRY_CHARGE, ENTRY_DISCOUNT, ENTRY_PAYMENT, ITEM_ADJUSTMENT,
    ITEM_DISCOUNT, ITEM_INQUIRY_FEE, ITEM_PENALTY,
};
use crate::errors;
use crate::store::audit::{self, Audit};
use crate::store::bills::{self, Bill};
use crate::store::ledger::{self, Entry, NewEntry};
use crate::store::payments::Payment;

impl Fees {
    /// Charges what a paid bill charges at payment (penalties, discounts, the inquiry fee),
    /// records the payment, settles the bill's years and marks it paid. The caller holds the
    /// parcel lock and has checked the bill is open at the ledger's version. Returns the
    /// balance after.
    pub(super) async fn apply_settlement(
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
                ledger::append_entry(tx, &code, &entry, now).await?;
            }
        }
        if let Some(p) = payment.filter(|p| p.amount != 0) {
            ledger::append_entry(
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
            ledger::settle_item(tx, &code, *year, *kind, &bill.bill_id, &payment_id, now).await?;
        }
        if !bills::mark_bill_paid(tx, &bill.bill_id, &payment_id, &tracking, now).await? {
            return Err(ServiceError::internal(anyhow::anyhow!(
                "bill {} was not open while settling",
                bill.bill_id
            )));
        }
        bill.status = BILL_PAID;
        bill.payment_id = payment_id;
        bill.tracking_code = tracking;
        bill.paid_at_us = Some(now);
        ledger::bump_ledger_version(tx, &code).await?;
        bills::supersede_open_bills(tx, &code, &bill.bill_id).await?;
        Ok(ledger::balance(tx, &code).await?)
    }

    /// A page of a parcel's ledger, newest first, and its balance. Pages are keyed on the
    /// entries' position, so entries appended meanwhile never shift a later page.
    pub async fn ledger(
        &self,
        code: &str,
        page_size: i32,
        page_token: &str,
    ) -> Result<(Page<Entry>, i64), ServiceError> {
        let key = parse_code("renovation_code", code)?.to_string();
        let paging = Paging::parse(page_size, page_token, format!("ledger:{key}"), PAGE_SIZES)?;
        let before = paging
            .after()
            .map(|seq| seq.parse::<i64>().map_err(|_| errors::page_token_invalid()))
            .transpose()?;
        let mut conn = self.conn().await?;
        let rows = ledger::entries(&mut conn, &key, paging.fetch_limit(), before).await?;
        let balance = ledger::balance(&mut conn, &key).await?;
        let (items, next_page_token) = paging.finish(rows, |e| e.seq.to_string());
        Ok((
            Page {
                items,
                next_page_token,
            },
            balance,
        ))
    }

    /// Adds a clerk adjustment (a charge or a credit, with a reason) to a parcel's ledger,
    /// once per `client_request_id`; the parcel's open bills no longer match its ledger and
    /// are superseded. Returns the entry and the balance after it.
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
    ) -> Result<(Entry, i64), ServiceError> {
        let key = parse_code("renovation_code", code)?.to_string();
        let reason = errors::clean(errors::ADJUSTMENT_REASON, "reason", reason)?;
        if reason.is_empty() {
            return Err(errors::adjustment_reason_required());
        }
        if amount == 0 {
            return Err(errors::adjustment_amount_zero());
        }
        if jalali_year != 0 && !(1300..=1999).contains(&jalali_year) {
            return Err(errors::adjustment_year_invalid());
        }
        let request_key = (!client_request_id.is_empty()).then(|| client_request_id.to_owned());
        if let Some(id) = &request_key
            && let Some((_, entry)) = ledger::entry_by_request(&mut *self.conn().await?, id).await?
        {
            let balance = ledger::balance(&mut *self.conn().await?, &key).await?;
            return Ok((entry, balance));
        }
        let now = self.now_us();
        let year_now = jalali_at(now).map_err(errors::computation)?.year();
        let mut tx = self.db.begin().await?;
        ledger::open_account(&mut tx, &key, year_now, "opened by a clerk adjustment", now).await?;
        ledger::lock_account(&mut tx, &key).await?;
        if !corrects.is_empty() && ledger::entry(&mut tx, &key, corrects).await?.is_none() {
            return Err(errors::corrected_entry_unknown());
        }
        let result = ledger::append_entry(
            &mut tx,
            &key,
            &NewEntry {
                kind: ENTRY_ADJUSTMENT,
                item_kind: ITEM_ADJUSTMENT,
                jalali_year,
                amount,
                description_fa: "اصلاحیهٔ کارشناس".into(),
                description_en: "Clerk adjustment".into(),
                reason: reason.clone(),
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
                let (_, entry) = ledger::entry_by_request(&mut *self.conn().await?, id)
                    .await?
                    .ok_or_else(|| ServiceError::internal(e))?;
                let balance = ledger::balance(&mut *self.conn().await?, &key).await?;
                return Ok((entry, balance));
            }
            Err(e) => return Err(e.into()),
        };
        ledger::bump_ledger_version(&mut tx, &key).await?;
        bills::supersede_open_bills(&mut tx, &key, "").await?;
        audit::audit(
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
        let balance = ledger::balance(&mut tx, &key).await?;
        tx.commit().await?;
        Ok((entry, balance))
    }
}
