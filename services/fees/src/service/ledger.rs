//! A parcel's ledger: reading it a page at a time, and what settling a bill writes to it
//! (clerk adjustments are in `adjustments`).

use estelam_runtime::error::ServiceError;
use estelam_runtime::paging::Paging;
use sqlx::AnyConnection;

use super::{Fees, PAGE_SIZES, Page, parse_code};
use crate::assess::LineKind;
use crate::codes::{
    BILL_PAID, ENTRY_CHARGE, ENTRY_DISCOUNT, ENTRY_PAYMENT, ITEM_DISCOUNT, ITEM_INQUIRY_FEE,
    ITEM_PENALTY,
};
use crate::errors;
use crate::store::bills::{self, Bill};
use crate::store::ledger::{self, Entry, NewEntry};
use crate::store::payments::Payment;

impl Fees {
    /// Charges what a paid bill charges at payment (penalties, discounts, the inquiry fee),
    /// holds the deposit of its disputed lines, records the payment of the rest, settles the bill's years and marks it paid. The caller holds the
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
        // The disputed part of a payment is held as the disputes' deposit, not paid.
        let held = match payment {
            Some(p) => self.hold_deposits(tx, bill, p, now).await?,
            None => 0,
        };
        if let Some(p) = payment.filter(|p| p.amount - held != 0) {
            ledger::append_entry(
                tx,
                &code,
                &NewEntry {
                    kind: ENTRY_PAYMENT,
                    amount: -(p.amount - held),
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
}
