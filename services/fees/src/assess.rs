//! The bill: a pure function of the tariffs, the parcel's facts, its ledger and an instant.
//!
//! # Which years are owed
//! Every parcel has an account with a *levy start year*: the first Jalali year it owes
//! yearly levies for (set when the parcel joins the fee records: the demo parcels with
//! arrears are seeded with earlier years; a parcel first seen by an assessment starts in
//! that assessment's year). A yearly levy (renewal levy, waste fee) of year Y is owed
//! while (Y, levy) is not *settled*, for every Y from the start year through the as-of
//! year; a paid bill settles the (year, levy) pairs it carried.
//!
//! # Amounts and rounding
//! * Areas are dm² and regional values rials per m², so the assessed value
//!   `land_dm2 × land_value + built_dm2 × building_value` is kept exactly in hundredths of a
//!   rial (i128) and divided by 100 only inside the one division that makes the line:
//!   `levy = ⌊assessed_centi × rate_ppm / (100 × 10⁶)⌋`. Every line is rounded **down** to a
//!   whole rial once, where it is computed, as the contract says; nothing is rounded twice.
//! * Penalty: `⌊base × min(months_late × monthly_rate_ppm, cap_ppm) / 10⁶⌋`, where
//!   `months_late` counts whole Jalali months from the start of the month `grace_months`
//!   after the levy year ends (1 Farvardin of Y+1) to the as-of day.
//! * Discounts: `−⌊base × rate_ppm / 10⁶⌋` (the magnitude is rounded down, so a discount
//!   never exceeds its exact value), when the as-of day is on or before the rule's last day.
//! * A year's base is charged to the ledger once (when first assessed) and from then on
//!   read from the ledger, so a later tariff change never rewrites a debt already charged;
//!   penalties, discounts and the inquiry fee are charged when the bill is paid.
//! * Whatever else the balance holds (clerk adjustments, credit left over) is one
//!   adjustment line; a credit larger than the bill is carried forward, never paid out, so
//!   the bill's total is never negative.

use estelam_domain::{DomainError, JalaliDate, Rial};

use crate::parcels::Facts;
use crate::tariff::{ItemKey, ItemKind, PPM, Tariff, TariffItem, applicable};

/// What a bill line is for (`BillItemKind` on the wire).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// Renewal levy of a year.
    RenewalLevy,
    /// Waste fee of a year.
    WasteFee,
    /// A penalty not carried on its levy's line (unused by this service's bills: penalties
    /// ride on their levy's line; kept for ledger entries).
    Penalty,
    /// Inquiry fee of a request type.
    InquiryFee,
    /// A discount (negative).
    Discount,
    /// Clerk adjustments and carried credit.
    Adjustment,
}

impl LineKind {
    /// The yearly levy this line charges, if it is one.
    pub fn levy(self) -> Option<ItemKind> {
        match self {
            Self::RenewalLevy => Some(ItemKind::RenewalLevy),
            Self::WasteFee => Some(ItemKind::WasteFee),
            _ => None,
        }
    }

    /// The line kind of a yearly levy.
    pub fn of_levy(kind: ItemKind) -> Self {
        match kind {
            ItemKind::RenewalLevy => Self::RenewalLevy,
            ItemKind::WasteFee => Self::WasteFee,
            ItemKind::InquiryFee => Self::InquiryFee,
        }
    }
}

/// One line of a bill.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Line {
    /// Jalali year; 0 for lines not tied to a year.
    pub year: i32,
    /// What it is for.
    pub kind: LineKind,
    /// What the payer reads on the bill, in Persian.
    pub description_fa: String,
    /// What the payer reads on the bill, in English.
    pub description_en: String,
    /// Amount before penalty; negative for discounts and credits.
    pub base: i64,
    /// Late-payment penalty.
    pub penalty: i64,
    /// base + penalty.
    pub total: i64,
    /// Whole months late counted.
    pub months_late: i32,
    /// Tariff version used; empty for adjustments.
    pub tariff_id: String,
}

/// A yearly levy charged to the ledger and not yet settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charged {
    /// Its Jalali year.
    pub year: i32,
    /// The levy charged.
    pub kind: ItemKind,
    /// The amount charged.
    pub amount: i64,
    /// The tariff it was computed from.
    pub tariff_id: String,
    /// Its description, as charged.
    pub description_fa: String,
    /// Its description, as charged.
    pub description_en: String,
}

/// Everything a bill depends on.
#[derive(Debug, Clone)]
pub struct AssessInput<'a> {
    /// The instant, microseconds since the epoch.
    pub as_of_us: i64,
    /// The parcel's facts from the property service.
    pub facts: &'a Facts,
    /// Every stored tariff version (the function picks).
    pub tariffs: &'a [Tariff],
    /// First year the parcel owes yearly levies for.
    pub levy_start_year: i32,
    /// (year, levy) pairs already settled.
    pub settled: &'a [(i32, ItemKind)],
    /// Yearly levies charged and unsettled.
    pub charged: &'a [Charged],
    /// The ledger balance (sum of entries).
    pub balance: i64,
    /// Request type whose inquiry fee to include.
    pub request_type_code: Option<&'a str>,
    /// Only lines of these kinds; empty for all.
    pub kinds: &'a [LineKind],
    /// Longest a bill stays payable, microseconds.
    pub validity_us: i64,
}

/// A computed bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// The as-of day in Iran.
    pub as_of_date: JalaliDate,
    /// The lines, by year then kind.
    pub lines: Vec<Line>,
    /// Sum of bases.
    pub total_base: i64,
    /// Sum of penalties.
    pub total_penalty: i64,
    /// Amount to pay (never negative).
    pub total: i64,
    /// Yearly levies this bill charges to the ledger for the first time.
    pub new_charges: Vec<Charged>,
    /// (year, levy) pairs a payment of this bill settles.
    pub settles: Vec<(i32, ItemKind)>,
    /// Last instant the bill may be paid.
    pub valid_until_us: i64,
}

/// Why no bill could be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssessError {
    /// An amount does not fit in 64 bits.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The request type has no inquiry fee in any tariff that applies.
    #[error("no inquiry fee is defined for request type {0:?}")]
    NoInquiryFee(String),
}

const MICROS: i64 = 1_000_000;

/// The inquiry fee of `request_type_code` for a parcel at an instant, from the tariff in
/// force: a bill line, and what an authority's account is charged (`ChargeAccount`).
pub fn inquiry_fee(
    tariffs: &[Tariff],
    request_type_code: &str,
    facts: &Facts,
    as_of_us: i64,
) -> Result<Line, AssessError> {
    let on = jalali_at(as_of_us)?;
    let (tariff, item) = applicable(
        tariffs,
        ItemKey::InquiryFee(request_type_code),
        on.year(),
        facts.land_use,
        facts.zone,
        as_of_us,
    )
    .ok_or_else(|| AssessError::NoInquiryFee(request_type_code.to_owned()))?;
    let amount = item_amount(item, facts)?;
    Ok(Line {
        year: 0,
        kind: LineKind::InquiryFee,
        description_fa: item.description_fa.clone(),
        description_en: item.description_en.clone(),
        base: amount,
        penalty: 0,
        total: amount,
        months_late: 0,
        tariff_id: tariff.tariff_id.clone(),
    })
}

/// The Jalali day in Iran at an instant.
pub fn jalali_at(us: i64) -> Result<JalaliDate, DomainError> {
    JalaliDate::from_unix_seconds_in_iran(us.div_euclid(MICROS))
}

/// The instant a Jalali day starts in Iran, microseconds.
pub fn start_of_day_us(date: JalaliDate) -> i64 {
    date.start_in_iran_unix_seconds() * MICROS
}

/// The first day of the Jalali month `months` after the month of (`year`, `month`).
fn month_start(year: i32, month: u8, months: i32) -> Result<JalaliDate, DomainError> {
    let index = year * 12 + i32::from(month) - 1 + months;
    let month = u8::try_from(index.rem_euclid(12) + 1).map_err(|_| DomainError::Overflow)?;
    JalaliDate::new(index.div_euclid(12), month, 1)
}

/// Whole Jalali months from the start of the month `grace` months after year `year` ends
/// to `on`; 0 before that.
pub fn months_late(year: i32, grace: i32, on: JalaliDate) -> i32 {
    let start = (year + 1) * 12 + grace;
    let now = on.year() * 12 + i32::from(on.month()) - 1;
    (now - start).max(0)
}

fn fits(value: i128) -> Result<i64, DomainError> {
    i64::try_from(value).map_err(|_| DomainError::Overflow)
}

/// `⌊amount × ppm / 10⁶⌋` for a non-negative amount and rate.
pub fn ppm_of(amount: i64, ppm: i64) -> Result<i64, DomainError> {
    fits((i128::from(amount) * i128::from(ppm)).div_euclid(i128::from(PPM)))
}

/// The amount a tariff item charges a parcel, rounded down to a whole rial.
pub fn item_amount(item: &TariffItem, facts: &Facts) -> Result<i64, DomainError> {
    use crate::tariff::Basis;
    let per_m2 = |dm2: i64, rials: i64| fits((i128::from(dm2) * i128::from(rials)).div_euclid(100));
    match item.basis {
        Basis::AssessedValue => {
            let centi = i128::from(facts.land_area_dm2) * i128::from(facts.land_value_per_m2.get())
                + i128::from(facts.built_area_dm2) * i128::from(facts.building_value_per_m2.get());
            let scaled = centi
                .checked_mul(i128::from(item.rate_ppm))
                .ok_or(DomainError::Overflow)?;
            fits(scaled.div_euclid(100 * i128::from(PPM)))
        }
        Basis::LandArea => per_m2(facts.land_area_dm2, item.amount_rials),
        Basis::BuiltArea => per_m2(facts.built_area_dm2, item.amount_rials),
        Basis::Fixed => Ok(item.amount_rials),
    }
}

/// Computes the bill. Deterministic: the same input gives the same bill.
pub fn assess(input: &AssessInput<'_>) -> Result<Assessment, AssessError> {
    let want = |k: LineKind| input.kinds.is_empty() || input.kinds.contains(&k);
    let on = jalali_at(input.as_of_us)?;
    let facts = input.facts;
    let mut lines = Vec::new();
    let mut new_charges = Vec::new();
    let mut settles = Vec::new();
    let mut valid_until = input
        .as_of_us
        .saturating_add(input.validity_us)
        .min(start_of_day_us(month_start(on.year(), on.month(), 1)?));

    for kind in [ItemKind::RenewalLevy, ItemKind::WasteFee] {
        if !want(LineKind::of_levy(kind)) {
            continue;
        }
        for year in input.levy_start_year..=on.year() {
            if input.settled.contains(&(year, kind)) {
                continue;
            }
            let rule = applicable(
                input.tariffs,
                ItemKey::Yearly(kind),
                year,
                facts.land_use,
                facts.zone,
                input.as_of_us,
            );
            let charged = input
                .charged
                .iter()
                .find(|c| c.year == year && c.kind == kind)
                .cloned();
            let charge = match (charged, rule) {
                (Some(c), _) => c,
                (None, Some((tariff, item))) => {
                    let amount = item_amount(item, facts)?;
                    if amount == 0 {
                        continue;
                    }
                    let c = Charged {
                        year,
                        kind,
                        amount,
                        tariff_id: tariff.tariff_id.clone(),
                        description_fa: item.description_fa.clone(),
                        description_en: item.description_en.clone(),
                    };
                    new_charges.push(c.clone());
                    c
                }
                (None, None) => continue,
            };
            let (penalty_rule, discounts) = match rule {
                Some((tariff, _)) => (tariff.rules.penalty, tariff.rules.discounts.as_slice()),
                None => (Default::default(), &[][..]),
            };
            let months = months_late(year, penalty_rule.grace_months, on);
            let rate =
                (i64::from(months) * penalty_rule.monthly_rate_ppm).min(penalty_rule.cap_ppm);
            let penalty = ppm_of(charge.amount, rate)?;
            lines.push(Line {
                year,
                kind: LineKind::of_levy(kind),
                description_fa: format!("{} سال {}", charge.description_fa, year),
                description_en: format!("{} {}", charge.description_en, year),
                base: charge.amount,
                penalty,
                total: Rial::new(charge.amount)
                    .checked_add(Rial::new(penalty))?
                    .get(),
                months_late: months,
                tariff_id: charge.tariff_id.clone(),
            });
            settles.push((year, kind));
            if want(LineKind::Discount) {
                for d in discounts
                    .iter()
                    .filter(|d| d.applies_to == kind && on <= d.valid_until)
                {
                    let amount = -ppm_of(charge.amount, d.rate_ppm)?;
                    if amount == 0 {
                        continue;
                    }
                    lines.push(Line {
                        year,
                        kind: LineKind::Discount,
                        description_fa: format!("{} سال {}", d.description_fa, year),
                        description_en: format!("{} {}", d.description_en, year),
                        base: amount,
                        penalty: 0,
                        total: amount,
                        months_late: 0,
                        tariff_id: rule.map(|r| r.0.tariff_id.clone()).unwrap_or_default(),
                    });
                    let day_after = JalaliDate::from_unix_seconds_in_iran(
                        d.valid_until.start_in_iran_unix_seconds() + 86_400,
                    )?;
                    valid_until = valid_until.min(start_of_day_us(day_after));
                }
            }
        }
    }

    if let Some(code) = input
        .request_type_code
        .filter(|_| want(LineKind::InquiryFee))
    {
        lines.push(inquiry_fee(input.tariffs, code, facts, input.as_of_us)?);
    }

    if want(LineKind::Adjustment) {
        let charged_sum = Rial::checked_sum(input.charged.iter().map(|c| Rial::new(c.amount)))?;
        let other = Rial::new(input.balance).checked_sub(charged_sum)?.get();
        let rest = Rial::checked_sum(lines.iter().map(|l| Rial::new(l.total)))?.get();
        // A credit larger than the rest of the bill is carried forward, not paid out.
        let other = other.max(-rest);
        if other != 0 {
            lines.push(Line {
                year: 0,
                kind: LineKind::Adjustment,
                description_fa: if other > 0 {
                    "اصلاحیه‌ها و بدهی‌های دیگر".into()
                } else {
                    "بستانکاری".into()
                },
                description_en: if other > 0 {
                    "Adjustments and other charges".into()
                } else {
                    "Credit".into()
                },
                base: other,
                penalty: 0,
                total: other,
                months_late: 0,
                tariff_id: String::new(),
            });
        }
    }

    lines.sort_by_key(|l| (l.year, l.kind));
    let total_base = Rial::checked_sum(lines.iter().map(|l| Rial::new(l.base)))?.get();
    let total_penalty = Rial::checked_sum(lines.iter().map(|l| Rial::new(l.penalty)))?.get();
    let total = Rial::new(total_base)
        .checked_add(Rial::new(total_penalty))?
        .get();
    Ok(Assessment {
        as_of_date: on,
        lines,
        total_base,
        total_penalty,
        total,
        new_charges,
        settles,
        valid_until_us: valid_until,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tariff::{Basis, DiscountRule, PenaltyRule, TariffRules};

    fn facts() -> Facts {
        Facts {
            renovation_code: "1-2-3-4-0-0".parse().expect("valid code"),
            land_use: 1,
            zone: 1,
            land_area_dm2: 25_000,
            built_area_dm2: 30_037,
            land_value_per_m2: Rial::new(20_000_000),
            building_value_per_m2: Rial::new(15_000_001),
        }
    }

    fn item(kind: ItemKind, basis: Basis, rate_ppm: i64, amount: i64, code: &str) -> TariffItem {
        TariffItem {
            kind,
            description_fa: format!("{kind:?}"),
            description_en: format!("{kind:?}"),
            basis,
            rate_ppm,
            amount_rials: amount,
            request_type_code: code.into(),
        }
    }

    fn tariff(year: i32, items: Vec<TariffItem>, discounts: Vec<DiscountRule>) -> Tariff {
        let from = JalaliDate::new(year, 1, 1).expect("valid");
        Tariff {
            tariff_id: format!("t{year}"),
            jalali_year: year,
            effective_from: from,
            effective_from_us: start_of_day_us(from),
            land_use: 0,
            zone: 0,
            version: 1,
            rules: TariffRules {
                items,
                penalty: PenaltyRule {
                    monthly_rate_ppm: 15_000,
                    cap_ppm: 300_000,
                    grace_months: 0,
                },
                discounts,
            },
            reason: String::new(),
            actor_id: String::new(),
            created_at_us: 0,
        }
    }

    fn at(y: i32, m: u8, d: u8) -> i64 {
        start_of_day_us(JalaliDate::new(y, m, d).expect("valid")) + 12 * 3600 * MICROS
    }

    #[test]
    fn the_assessed_value_is_exact_and_the_levy_rounded_down_once() {
        // 250.00 m² × 20,000,000 + 300.37 m² × 15,000,001 = 9,505,550,300.37 rials;
        // 5 per thousand of it is 47,527,751.50…, rounded down to 47,527,751.
        let levy = item(ItemKind::RenewalLevy, Basis::AssessedValue, 5_000, 0, "");
        assert_eq!(item_amount(&levy, &facts()), Ok(47_527_751));
        // 300.37 m² × 12,345 rials = 3,708,067.65 → 3,708,067.
        let waste = item(ItemKind::WasteFee, Basis::BuiltArea, 0, 12_345, "");
        assert_eq!(item_amount(&waste, &facts()), Ok(3_708_067));
    }

    #[test]
    fn months_late_count_whole_jalali_months_after_the_grace() {
        let on = |m, d| JalaliDate::new(1404, m, d).expect("valid");
        assert_eq!(months_late(1403, 0, on(1, 31)), 0);
        assert_eq!(months_late(1403, 0, on(2, 1)), 1);
        assert_eq!(months_late(1402, 0, on(7, 15)), 18);
        assert_eq!(months_late(1403, 3, on(4, 1)), 0);
        assert_eq!(months_late(1404, 0, on(12, 29)), 0);
    }

    #[test]
    fn three_unpaid_years_with_penalties_a_discount_and_the_inquiry_fee() {
        let discount = DiscountRule {
            description_fa: "تخفیف".into(),
            description_en: "Early payment".into(),
            applies_to: ItemKind::RenewalLevy,
            rate_ppm: 100_000,
            valid_until: JalaliDate::new(1404, 3, 31).expect("valid"),
        };
        let tariffs: Vec<Tariff> = (1402..=1404)
            .map(|y| {
                let mut items = vec![item(
                    ItemKind::RenewalLevy,
                    Basis::AssessedValue,
                    5_000,
                    0,
                    "",
                )];
                if y == 1404 {
                    items.push(item(
                        ItemKind::InquiryFee,
                        Basis::Fixed,
                        0,
                        500_000,
                        "property-transfer",
                    ));
                }
                tariff(
                    y,
                    items,
                    if y == 1404 {
                        vec![discount.clone()]
                    } else {
                        vec![]
                    },
                )
            })
            .collect();
        let f = facts();
        let input = AssessInput {
            as_of_us: at(1404, 2, 10),
            facts: &f,
            tariffs: &tariffs,
            levy_start_year: 1402,
            settled: &[],
            charged: &[],
            balance: 0,
            request_type_code: Some("property-transfer"),
            kinds: &[],
            validity_us: 24 * 3600 * MICROS,
        };
        let bill = assess(&input).expect("bill");
        let levy = 47_527_751;
        // 1402: 13 months late → 19.5%, under the 30% cap: ⌊47,527,751 × 0.195⌋ = 9,267,911.
        // 1403: 1 month late → 1.5%: ⌊712,916.265⌋ = 712,916. 1404: not yet due.
        // 1404 early-payment discount 10%: −4,752,775.
        let got: Vec<(i32, LineKind, i64, i64, i32)> = bill
            .lines
            .iter()
            .map(|l| (l.year, l.kind, l.base, l.penalty, l.months_late))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, LineKind::InquiryFee, 500_000, 0, 0),
                (1402, LineKind::RenewalLevy, levy, 9_267_911, 13),
                (1403, LineKind::RenewalLevy, levy, 712_916, 1),
                (1404, LineKind::RenewalLevy, levy, 0, 0),
                (1404, LineKind::Discount, -4_752_775, 0, 0),
            ]
        );
        assert_eq!(
            bill.total,
            3 * levy + 9_267_911 + 712_916 - 4_752_775 + 500_000
        );
        assert_eq!(bill.new_charges.len(), 3);
        // Valid until the end of the as-of day plus a day at most, and never into Khordad.
        assert_eq!(
            bill.valid_until_us,
            at(1404, 2, 11) - 12 * 3600 * MICROS + 12 * 3600 * MICROS
        );
        assert_eq!(assess(&input).expect("again"), bill, "deterministic");
    }

    #[test]
    fn charged_years_come_from_the_ledger_and_credit_is_carried_not_paid_out() {
        let tariffs = vec![tariff(
            1404,
            vec![item(ItemKind::RenewalLevy, Basis::Fixed, 0, 1_000, "")],
            vec![],
        )];
        let f = facts();
        let charged = [Charged {
            year: 1404,
            kind: ItemKind::RenewalLevy,
            amount: 900,
            tariff_id: "old".into(),
            description_fa: "x".into(),
            description_en: "x".into(),
        }];
        let mut input = AssessInput {
            as_of_us: at(1404, 5, 1),
            facts: &f,
            tariffs: &tariffs,
            levy_start_year: 1404,
            settled: &[],
            charged: &charged,
            balance: 900 + 250,
            request_type_code: None,
            kinds: &[],
            validity_us: i64::MAX / 4,
        };
        let bill = assess(&input).expect("bill");
        assert!(bill.new_charges.is_empty());
        assert_eq!(bill.total, 1_150, "900 charged earlier, 250 adjustment");
        input.balance = 900 - 5_000;
        let bill = assess(&input).expect("bill");
        assert_eq!(bill.total, 0, "credit covers it");
        assert_eq!(
            bill.lines
                .iter()
                .find(|l| l.kind == LineKind::Adjustment)
                .map(|l| l.base),
            Some(-900)
        );
        assert_eq!(
            bill.valid_until_us,
            at(1404, 6, 1) - 12 * 3600 * MICROS,
            "penalties move on at the next month"
        );
    }

    #[test]
    fn an_unknown_request_type_has_no_fee() {
        let tariffs = vec![tariff(
            1404,
            vec![item(ItemKind::RenewalLevy, Basis::Fixed, 0, 1, "")],
            vec![],
        )];
        let f = facts();
        let input = AssessInput {
            as_of_us: at(1404, 5, 1),
            facts: &f,
            tariffs: &tariffs,
            levy_start_year: 1404,
            settled: &[],
            charged: &[],
            balance: 0,
            request_type_code: Some("nope"),
            kinds: &[],
            validity_us: 1,
        };
        assert_eq!(
            assess(&input),
            Err(AssessError::NoInquiryFee("nope".into()))
        );
    }
}
