//! Bills and clearance: assessing a parcel (a preview, or a stored bill whose new levies are
//! charged to the ledger), reading a bill, and the clearance facts of a parcel that owes
//! nothing.

use estelam_runtime::db::is_unique_violation;
use estelam_runtime::error::ServiceError;
use estelam_runtime::outbox;

use super::{Fees, parse_code};
use crate::assess::{self, AssessInput, LineKind, jalali_at};
use crate::codes::{BILL_EXPIRED, BILL_OPEN, ENTRY_CHARGE, levy_code};
use crate::errors;
use crate::events;
use crate::store::bills::{self, Bill};
use crate::store::ledger::{self, NewEntry};
use crate::store::{payments, tariffs};
use crate::tariff::Tariff;

/// A stored assessment may be for "now" give or take this much clock skew; other instants
/// are for previews only (a stored bill as of the past would dodge penalties).
const AS_OF_SKEW_US: i64 = 5 * 60 * 1_000_000;

/// What Assess was asked, in the domain's terms.
#[derive(Debug, Clone, Default)]
pub struct AssessArgs {
    /// The parcel, in any form people write it.
    pub renovation_code: String,
    /// The instant penalties and discounts are computed for; `None` for now.
    pub as_of_us: Option<i64>,
    /// The request type whose inquiry fee the bill carries; empty for none.
    pub request_type_code: String,
    /// The inquiry the bill is for, echoed in its events.
    pub inquiry_id: String,
    /// Compute and return the bill without storing or charging anything.
    pub preview: bool,
    /// Idempotency key: a retry with the same key gets the first bill back.
    pub client_request_id: String,
    /// Only lines of these kinds; empty for all.
    pub kinds: Vec<LineKind>,
    /// A tariff version not yet published, counted as if it were (PreviewTariff); only
    /// with `preview`, which it implies.
    pub draft: Option<Tariff>,
}

/// A bill and the ledger balance it was computed from.
#[derive(Debug, Clone)]
pub struct Assessed {
    /// The bill (with an empty id for a preview).
    pub bill: Bill,
    /// The parcel's ledger balance before the bill charged anything.
    pub balance_before: i64,
}

/// What a clearance (مفاصاحساب) certifies about a parcel that owes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClearanceFacts {
    /// Canonical renovation code.
    pub renovation_code: String,
    /// The ledger balance: 0, or negative for a credit carried forward.
    pub balance: i64,
    /// The instant it holds for, µs.
    pub as_of_us: i64,
    /// That instant's Jalali day in Iran.
    pub as_of_jalali: String,
    /// The last Jalali year whose levies are settled.
    pub settled_through: i32,
    /// The last payment's tracking code and confirmation time (µs), if the parcel was ever
    /// paid for.
    pub last_payment: Option<(String, i64)>,
    /// Disputes whose deposit is held and not yet decided: a clearance with these pending
    /// (note to article 74 of the Municipalities Law).
    pub pending_disputes: Vec<super::DisputeView>,
}

/// A bill's status as callers see it: an open bill past its validity reads as expired
/// (expiry is never stored, because it only depends on the clock).
pub fn effective_bill_status(bill: &Bill, now_us: i64) -> i64 {
    if bill.status == BILL_OPEN && now_us > bill.valid_until_us {
        BILL_EXPIRED
    } else {
        bill.status
    }
}

impl Fees {
    /// Computes a parcel's bill and, unless a preview, stores it: levies first owed now are
    /// charged to the ledger, older open bills are superseded, `fees.debt.assessed` is
    /// published, and a bill of zero is paid from its creation.
    pub async fn assess(&self, actor: &str, a: AssessArgs) -> Result<Assessed, ServiceError> {
        let code = parse_code("renovation_code", &a.renovation_code)?;
        let key = code.to_string();
        let now = self.now_us();
        let as_of = a.as_of_us.unwrap_or(now);
        let preview = a.preview || a.draft.is_some();
        if !preview && (as_of - now).abs() > AS_OF_SKEW_US {
            return Err(errors::as_of_only_for_preview());
        }
        let request_key =
            (!preview && !a.client_request_id.is_empty()).then(|| a.client_request_id.clone());
        if let Some(id) = &request_key
            && let Some(bill) = bills::bill_by_request(&mut *self.conn().await?, id).await?
        {
            return Ok(Assessed {
                balance_before: bill.balance_before,
                bill,
            });
        }
        let facts = self.facts.facts(&code).await?;
        let on = jalali_at(as_of).map_err(errors::computation)?;

        let mut tx = self.db.begin().await?;
        ledger::open_account(
            &mut tx,
            &key,
            on.year(),
            "opened by its first assessment",
            now,
        )
        .await?;
        let account = ledger::lock_account(&mut tx, &key)
            .await?
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("account vanished")))?;
        let mut tariffs = tariffs::all_tariffs(&mut tx).await?;
        tariffs.extend(a.draft.clone());
        let settled = ledger::settled(&mut tx, &key).await?;
        let charged = ledger::unsettled_charges(&mut tx, &key).await?;
        let balance = ledger::balance(&mut tx, &key).await?;
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
        .map_err(errors::assessment)?;
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
        if preview {
            tx.rollback().await?;
            return Ok(Assessed {
                bill,
                balance_before: balance,
            });
        }
        bill.bill_id = uuid::Uuid::now_v7().to_string();
        for c in &computed.new_charges {
            ledger::append_entry(
                &mut tx,
                &key,
                &NewEntry {
                    kind: ENTRY_CHARGE,
                    item_kind: levy_code(c.kind),
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
            bill.ledger_version = ledger::bump_ledger_version(&mut tx, &key).await?;
            bills::supersede_open_bills(&mut tx, &key, &bill.bill_id).await?;
        }
        if let Err(e) = bills::insert_bill(&mut tx, &bill, request_key.as_deref()).await {
            if is_unique_violation(&e)
                && let Some(id) = &request_key
            {
                tx.rollback().await?;
                let bill = bills::bill_by_request(&mut *self.conn().await?, id)
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
        let balance_after = ledger::balance(&mut tx, &key).await?;
        outbox::enqueue(&mut tx, &events::debt_assessed(&bill, balance_after, now)).await?;
        tx.commit().await?;
        self.notify();
        Ok(Assessed {
            bill,
            balance_before: balance,
        })
    }

    /// A stored bill by id.
    pub async fn bill(&self, bill_id: &str) -> Result<Bill, ServiceError> {
        bills::bill(&mut *self.conn().await?, bill_id.trim())
            .await?
            .ok_or_else(errors::bill_not_found)
    }

    /// The clearance facts of a parcel that owes nothing now, or FAILED_PRECONDITION with
    /// the amount it owes.
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
            return Err(errors::debt_outstanding(owed));
        }
        let mut conn = self.conn().await?;
        let settled = ledger::settled(&mut conn, &key).await?;
        let start = ledger::account(&mut conn, &key)
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
            last_payment: payments::last_payment(&mut conn, &key).await?,
            pending_disputes: self.held_disputes(&mut conn, &key).await?,
        })
    }
}
