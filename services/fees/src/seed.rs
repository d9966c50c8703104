//! Demo data: default tariffs for recent Jalali years and a few parcels with arrears.
//!
//! **These are demonstration figures, not any municipality's real rates.** They are shaped
//! like real ones (renewal levy 5 per thousand of the assessed value, a waste fee by land use,
//! a 1.5 % monthly late penalty capped at 36 %, a 10 % discount for paying the renewal levy by
//! the end of Khordad, an inquiry fee per request type) and grow about 25 % a year. Seeding
//! writes version 1 of each (year, land use, zone) that has no tariff yet, effective from
//! 1 Farvardin of its year: the only tariffs ever stored with a past effective date, because
//! they describe the past. An admin changes them with `PutTariff`.

use estelam_domain::JalaliDate;
use estelam_proto::property::v1::LandUse;
use estelam_runtime::db::Database;
use estelam_runtime::error::ServiceError;

use crate::assess::start_of_day_us;
use crate::store::{ledger, tariffs};
use crate::tariff::{Basis, DiscountRule, ItemKind, PenaltyRule, Tariff, TariffItem, TariffRules};

/// Years the demo tariffs cover; later years fall back to the last (see `tariff`).
pub const DEMO_YEARS: std::ops::RangeInclusive<i32> = 1400..=1405;

/// Demo parcels with arrears: (renovation code, first unpaid year). They are meant to match
/// parcels of the property service's demo city; the launcher's seeding step aligns them.
/// `9-1-1-2-0-0` is the parcel of the demo citizen with unpaid levies (`estelam run`'s demo
/// people, `src/demo/people.json` at the root).
pub const DEMO_ARREARS: &[(&str, i32)] = &[
    ("1-1-1-1-0-0", 1401),
    ("1-1-1-2-0-0", 1403),
    ("9-1-1-2-0-0", 1402),
];

/// Demo parcels paid up through the current year: their accounts open with next year as the
/// first year owed, so they assess to no debt. `9-1-1-1-0-0` is the parcel of the demo
/// citizen with no debt.
pub const DEMO_PAID_UP: &[&str] = &["9-1-1-1-0-0"];

/// Request types with an inquiry fee in the demo tariffs, with their 1400 fee in rials.
pub const DEMO_INQUIRY_FEES: &[(&str, &str, &str, i64)] = &[
    (
        "property-transfer",
        "هزینهٔ استعلام نقل و انتقال",
        "Property transfer inquiry fee",
        400_000,
    ),
    (
        "mortgage",
        "هزینهٔ استعلام رهن بانکی",
        "Mortgage inquiry fee",
        300_000,
    ),
    ("court", "هزینهٔ استعلام قضایی", "Court inquiry fee", 0),
    (
        "clearance",
        "هزینهٔ گواهی مفاصاحساب",
        "Clearance certificate fee",
        200_000,
    ),
];

/// Waste fee per land use, basis and 1400 amount (public land pays none).
const DEMO_WASTE: &[(LandUse, Basis, i64)] = &[
    (LandUse::Residential, Basis::BuiltArea, 10_000),
    (LandUse::Commercial, Basis::BuiltArea, 40_000),
    (LandUse::Office, Basis::BuiltArea, 25_000),
    (LandUse::Industrial, Basis::BuiltArea, 20_000),
    (LandUse::Agricultural, Basis::LandArea, 400),
    (LandUse::Mixed, Basis::BuiltArea, 25_000),
];

/// `amount` grown 25 % a year from 1400, rounded down to a thousand rials.
fn grown(amount: i64, year: i32) -> i64 {
    let mut a = i128::from(amount);
    for _ in 1400..year {
        a = a * 125 / 100;
    }
    i64::try_from(a / 1000 * 1000).unwrap_or(i64::MAX)
}

fn penalty() -> PenaltyRule {
    PenaltyRule {
        monthly_rate_ppm: 15_000,
        cap_ppm: 360_000,
        grace_months: 0,
    }
}

fn item(
    kind: ItemKind,
    fa: &str,
    en: &str,
    basis: Basis,
    rate: i64,
    amount: i64,
    code: &str,
) -> TariffItem {
    TariffItem {
        kind,
        description_fa: fa.into(),
        description_en: en.into(),
        basis,
        rate_ppm: rate,
        amount_rials: amount,
        request_type_code: code.into(),
    }
}

/// The demo tariffs of one year: one for all land uses (renewal levy, inquiry fees, the
/// early-payment discount) and one per land use with a waste fee.
pub fn demo_tariffs(year: i32) -> Result<Vec<(i32, TariffRules)>, estelam_domain::DomainError> {
    let mut items = vec![item(
        ItemKind::RenewalLevy,
        "عوارض نوسازی",
        "Renewal levy",
        Basis::AssessedValue,
        5_000,
        0,
        "",
    )];
    for (code, fa, en, amount) in DEMO_INQUIRY_FEES {
        items.push(item(
            ItemKind::InquiryFee,
            fa,
            en,
            Basis::Fixed,
            0,
            grown(*amount, year),
            code,
        ));
    }
    let general = TariffRules {
        items,
        penalty: penalty(),
        discounts: vec![DiscountRule {
            description_fa: "تخفیف پرداخت زودهنگام عوارض نوسازی".into(),
            description_en: "Early payment discount on the renewal levy".into(),
            applies_to: ItemKind::RenewalLevy,
            rate_ppm: 100_000,
            valid_until: JalaliDate::new(year, 3, 31)?,
        }],
    };
    let mut out = vec![(0, general)];
    for (land_use, basis, amount) in DEMO_WASTE {
        out.push((
            *land_use as i32,
            TariffRules {
                items: vec![item(
                    ItemKind::WasteFee,
                    "عوارض پسماند",
                    "Waste-collection fee",
                    *basis,
                    0,
                    grown(*amount, year),
                    "",
                )],
                penalty: penalty(),
                discounts: Vec::new(),
            },
        ));
    }
    Ok(out)
}

/// Loads the demo tariffs that are missing and opens the demo parcels' accounts. Safe to
/// run on every start.
pub async fn seed_demo(db: &Database, now_us: i64) -> Result<(), ServiceError> {
    let mut tx = db.begin().await?;
    for year in DEMO_YEARS {
        let from =
            JalaliDate::new(year, 1, 1).map_err(|e| ServiceError::internal(anyhow::anyhow!(e)))?;
        for (land_use, rules) in
            demo_tariffs(year).map_err(|e| ServiceError::internal(anyhow::anyhow!(e)))?
        {
            if tariffs::latest_tariff_version(&mut tx, year, land_use, 0).await? > 0 {
                continue;
            }
            let t = Tariff {
                tariff_id: uuid::Uuid::now_v7().to_string(),
                jalali_year: year,
                effective_from: from,
                effective_from_us: start_of_day_us(from),
                land_use,
                zone: 0,
                version: 1,
                rules,
                reason: "Demo tariff (not a real municipal rate)".into(),
                actor_id: String::new(),
                created_at_us: now_us,
            };
            tariffs::insert_tariff(&mut tx, &t, None).await?;
        }
    }
    for (code, start) in DEMO_ARREARS {
        ledger::open_account(&mut tx, code, *start, "demo parcel with arrears", now_us).await?;
    }
    let this_year = crate::assess::jalali_at(now_us)
        .map_err(|e| ServiceError::internal(anyhow::anyhow!(e)))?
        .year();
    for code in DEMO_PAID_UP {
        ledger::open_account(
            &mut tx,
            code,
            this_year + 1,
            "demo parcel paid up through this year",
            now_us,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
