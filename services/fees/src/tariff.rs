//! Tariffs as data: what each levy is, per Jalali year, land use and zone, from an
//! effective date. No I/O: the store loads [`Tariff`]s, these functions choose and check them.
//!
//! # Which tariff applies
//! For one parcel, one levy item and one instant, the candidates are the stored versions
//! of the levy's Jalali year whose effective instant is not after the instant and that
//! define that item, for the parcel's land use (or all land uses, `land_use = 0`) and zone
//! (or all zones, `zone = 0`). The most specific wins (land use over zone over "all"), then
//! the latest effective date, then the highest version. Choosing per item lets the
//! municipality define the renewal levy and inquiry fees once for all land uses and the
//! waste fee per land use. A year with no tariff of its own uses the latest earlier year
//! that has one, so a levy never silently becomes zero at Nowruz; the bill line names the
//! tariff it used.

use estelam_domain::JalaliDate;
use serde::{Deserialize, Serialize};

/// Parts per million: the unit of every rate (5 per thousand is 5,000 ppm).
pub const PPM: i64 = 1_000_000;

/// A levy a tariff item defines (`TariffItemKind` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// Renewal levy (عوارض نوسازی), yearly.
    RenewalLevy,
    /// Waste-collection fee (عوارض پسماند), yearly.
    WasteFee,
    /// Inquiry fee, per inquiry of a request type.
    InquiryFee,
}

impl ItemKind {
    /// Whether the item is charged once per Jalali year (and so can be late).
    pub fn is_yearly(self) -> bool {
        matches!(self, Self::RenewalLevy | Self::WasteFee)
    }
}

/// What an item's amount is computed from (`TariffBasis` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// `rate_ppm` of the assessed value (land + building at regional values).
    AssessedValue,
    /// `amount_rials` per m² of land.
    LandArea,
    /// `amount_rials` per m² built.
    BuiltArea,
    /// `amount_rials` flat.
    Fixed,
}

/// One levy of a tariff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TariffItem {
    /// The levy it defines; at most one item per levy (per request type for inquiry fees).
    pub kind: ItemKind,
    /// Name on bills, Persian.
    pub description_fa: String,
    /// Name on bills, English.
    pub description_en: String,
    /// What the amount is computed from.
    pub basis: Basis,
    /// For [`Basis::AssessedValue`]: ppm of the assessed value.
    pub rate_ppm: i64,
    /// For the other bases: rials (per m² for the area bases).
    pub amount_rials: i64,
    /// For [`ItemKind::InquiryFee`]: the request type it prices.
    pub request_type_code: String,
}

/// The late-payment penalty of a tariff's yearly levies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PenaltyRule {
    /// Penalty per whole month late, ppm of the line's base.
    pub monthly_rate_ppm: i64,
    /// Most penalty a line reaches, ppm of its base.
    pub cap_ppm: i64,
    /// Months after the end of the levy's year before penalties start.
    pub grace_months: i32,
}

/// A discount of a yearly levy, earned by paying on or before a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscountRule {
    /// Name on bills, Persian.
    pub description_fa: String,
    /// Name on bills, English.
    pub description_en: String,
    /// The levy it reduces.
    pub applies_to: ItemKind,
    /// ppm of that levy's base.
    pub rate_ppm: i64,
    /// Last Jalali day a bill earns it.
    pub valid_until: JalaliDate,
}

/// The rules of a tariff version: what is stored as its body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TariffRules {
    /// The levy items.
    pub items: Vec<TariffItem>,
    /// How late yearly levies of this tariff grow.
    pub penalty: PenaltyRule,
    /// Early-payment discounts of its yearly levies.
    pub discounts: Vec<DiscountRule>,
}

/// One stored tariff version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tariff {
    /// UUIDv7; bill lines name the version they were priced by.
    pub tariff_id: String,
    /// The Jalali year whose levies it defines.
    pub jalali_year: i32,
    /// The day it applies from.
    pub effective_from: JalaliDate,
    /// Start of that day in Iran, microseconds since the epoch.
    pub effective_from_us: i64,
    /// `LandUse` wire value; 0 for all land uses.
    pub land_use: i32,
    /// Zone; 0 for all zones.
    pub zone: i32,
    /// 1, 2, … per (year, land use, zone).
    pub version: i64,
    /// What it charges, and how late payment and early payment change that.
    pub rules: TariffRules,
    /// Why it was added (a council resolution, say), shown with the version.
    pub reason: String,
    /// Who added it ("" for the system's demo tariffs).
    pub actor_id: String,
    /// When it was added, µs; not when it applies (see `effective_from`).
    pub created_at_us: i64,
}

/// What selects an item within a tariff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKey<'a> {
    /// A yearly levy.
    Yearly(ItemKind),
    /// The inquiry fee of a request type.
    InquiryFee(&'a str),
}

impl ItemKey<'_> {
    fn matches(&self, item: &TariffItem) -> bool {
        match self {
            Self::Yearly(kind) => item.kind == *kind,
            Self::InquiryFee(code) => {
                item.kind == ItemKind::InquiryFee && item.request_type_code == *code
            }
        }
    }
}

/// The tariff that applies to `key` for a parcel of `land_use` in `zone`, for the levies of
/// `year`, at instant `at_us` (see the module docs), with the item it defines.
pub fn applicable<'t>(
    tariffs: &'t [Tariff],
    key: ItemKey<'_>,
    year: i32,
    land_use: i32,
    zone: i32,
    at_us: i64,
) -> Option<(&'t Tariff, &'t TariffItem)> {
    let usable = |t: &&'t Tariff| {
        t.effective_from_us <= at_us
            && (t.land_use == 0 || t.land_use == land_use)
            && (t.zone == 0 || t.zone == zone)
            && t.rules.items.iter().any(|i| key.matches(i))
    };
    let best_year = tariffs
        .iter()
        .filter(usable)
        .map(|t| t.jalali_year)
        .filter(|y| *y <= year)
        .max()?;
    let tariff = tariffs
        .iter()
        .filter(usable)
        .filter(|t| t.jalali_year == best_year)
        .max_by_key(|t| (t.land_use != 0, t.zone != 0, t.effective_from_us, t.version))?;
    let item = tariff.rules.items.iter().find(|i| key.matches(i))?;
    Some((tariff, item))
}

/// What ListTariffs selects; 0 means any year, land use or zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TariffFilter {
    /// Only this Jalali year's tariffs.
    pub jalali_year: i32,
    /// Only this `LandUse`'s tariffs.
    pub land_use: i32,
    /// Only this zone's tariffs.
    pub zone: i32,
    /// Also the versions a later version of the same (year, land use, zone) replaced.
    pub include_history: bool,
}

impl TariffFilter {
    /// Text that differs whenever the filter does, which page tokens are bound to.
    pub fn fingerprint(&self) -> String {
        format!(
            "tariffs:{}:{}:{}:{}",
            self.jalali_year, self.land_use, self.zone, self.include_history
        )
    }

    fn selects(&self, t: &Tariff) -> bool {
        (self.jalali_year == 0 || t.jalali_year == self.jalali_year)
            && (self.land_use == 0 || t.land_use == self.land_use)
            && (self.zone == 0 || t.zone == self.zone)
    }
}

/// A tariff's place in a list: year newest first, then land use, zone and version, as the
/// contract orders ListTariffs. Unique (a version is unique per year, land use and zone), so
/// it is the list's page key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ListKey {
    year: std::cmp::Reverse<i32>,
    land_use: i32,
    zone: i32,
    version: i64,
}

impl ListKey {
    /// Where `t` sits.
    pub fn of(t: &Tariff) -> Self {
        Self {
            year: std::cmp::Reverse(t.jalali_year),
            land_use: t.land_use,
            zone: t.zone,
            version: t.version,
        }
    }

    /// Reads a key written by [`ListKey`]'s `Display`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split(':');
        let mut next = || parts.next()?.parse::<i64>().ok();
        let key = Self {
            year: std::cmp::Reverse(i32::try_from(next()?).ok()?),
            land_use: i32::try_from(next()?).ok()?,
            zone: i32::try_from(next()?).ok()?,
            version: next()?,
        };
        parts.next().is_none().then_some(key)
    }
}

impl std::fmt::Display for ListKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}:{}",
            self.year.0, self.land_use, self.zone, self.version
        )
    }
}

/// The tariffs `filter` selects from `all`, in list order, starting after `after`: without
/// history, only the latest version of each (year, land use, zone).
pub fn list<'t>(
    all: &'t [Tariff],
    filter: &TariffFilter,
    after: Option<ListKey>,
) -> Vec<&'t Tariff> {
    let latest = |t: &Tariff| {
        !all.iter().any(|o| {
            (o.jalali_year, o.land_use, o.zone) == (t.jalali_year, t.land_use, t.zone)
                && o.version > t.version
        })
    };
    let mut out: Vec<&Tariff> = all
        .iter()
        .filter(|t| filter.selects(t))
        .filter(|t| filter.include_history || latest(t))
        .filter(|t| after.is_none_or(|a| ListKey::of(t) > a))
        .collect();
    out.sort_by_key(|t| ListKey::of(t));
    out
}

/// Why a tariff cannot be stored: the field and both messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffProblem {
    /// The request field at fault.
    pub field: String,
    /// What is wrong and what to do, in Persian.
    pub fa: String,
    /// What is wrong and what to do, in English.
    pub en: String,
}

fn problem(field: impl Into<String>, fa: &str, en: &str) -> TariffProblem {
    TariffProblem {
        field: field.into(),
        fa: fa.to_owned(),
        en: en.to_owned(),
    }
}

/// Checks the rules of a new tariff version; the first problem found.
pub fn validate(year: i32, rules: &TariffRules) -> Result<(), TariffProblem> {
    if !(1300..=1999).contains(&year) {
        return Err(problem(
            "tariff.jalali_year",
            "سال تعرفه باید سالی شمسی مانند ۱۴۰۴ باشد.",
            "The tariff year must be a Jalali year such as 1404.",
        ));
    }
    if rules.items.is_empty() {
        return Err(problem(
            "tariff.items",
            "تعرفه دست‌کم یک قلم لازم دارد.",
            "A tariff needs at least one item.",
        ));
    }
    let mut seen: Vec<ItemKey<'_>> = Vec::new();
    for (i, item) in rules.items.iter().enumerate() {
        let field = |f: &str| format!("tariff.items[{i}].{f}");
        let key = match item.kind {
            ItemKind::InquiryFee => {
                if item.request_type_code.trim().is_empty() {
                    return Err(problem(
                        field("request_type_code"),
                        "برای هزینهٔ استعلام نوع درخواست را بنویسید.",
                        "An inquiry fee needs the request type it applies to.",
                    ));
                }
                ItemKey::InquiryFee(&item.request_type_code)
            }
            kind => ItemKey::Yearly(kind),
        };
        if seen.contains(&key) {
            return Err(problem(
                field("kind"),
                "هر قلم فقط یک بار در تعرفه می‌آید.",
                "Each item may appear only once in a tariff.",
            ));
        }
        seen.push(key);
        if item.description_fa.trim().is_empty() {
            return Err(problem(
                field("description"),
                "شرح فارسی قلم را بنویسید.",
                "Give the item a Persian description.",
            ));
        }
        let rate_ok = (0..=PPM).contains(&item.rate_ppm);
        let amount_ok = item.amount_rials >= 0;
        match item.basis {
            Basis::AssessedValue if !rate_ok || item.rate_ppm == 0 => {
                return Err(problem(
                    field("rate_ppm"),
                    "نرخ باید بین ۱ و ۱٬۰۰۰٬۰۰۰ در میلیون باشد.",
                    "The rate must be between 1 and 1,000,000 parts per million.",
                ));
            }
            Basis::LandArea | Basis::BuiltArea | Basis::Fixed if !amount_ok => {
                return Err(problem(
                    field("amount_rials"),
                    "مبلغ نمی‌تواند منفی باشد.",
                    "The amount cannot be negative.",
                ));
            }
            _ => {}
        }
    }
    let p = rules.penalty;
    if !(0..=PPM).contains(&p.monthly_rate_ppm) || !(0..=PPM).contains(&p.cap_ppm) {
        return Err(problem(
            "tariff.penalty",
            "نرخ و سقف جریمه باید بین ۰ و ۱٬۰۰۰٬۰۰۰ در میلیون باشند.",
            "Penalty rate and cap must be between 0 and 1,000,000 parts per million.",
        ));
    }
    if !(0..=24).contains(&p.grace_months) {
        return Err(problem(
            "tariff.penalty.grace_months",
            "مهلت جریمه باید بین ۰ و ۲۴ ماه باشد.",
            "The penalty grace period must be 0 to 24 months.",
        ));
    }
    for (i, d) in rules.discounts.iter().enumerate() {
        if !d.applies_to.is_yearly() || !(1..=PPM).contains(&d.rate_ppm) {
            return Err(problem(
                format!("tariff.discounts[{i}]"),
                "تخفیف باید برای عوارض سالانه و با نرخ ۱ تا ۱٬۰۰۰٬۰۰۰ در میلیون باشد.",
                "A discount must reduce a yearly levy, at 1 to 1,000,000 parts per million.",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tariff(id: &str, year: i32, land_use: i32, zone: i32, from_us: i64, version: i64) -> Tariff {
        Tariff {
            tariff_id: id.into(),
            jalali_year: year,
            effective_from: JalaliDate::new(year, 1, 1).expect("valid"),
            effective_from_us: from_us,
            land_use,
            zone,
            version,
            rules: TariffRules {
                items: vec![TariffItem {
                    kind: ItemKind::RenewalLevy,
                    description_fa: "عوارض نوسازی".into(),
                    description_en: "Renewal levy".into(),
                    basis: Basis::AssessedValue,
                    rate_ppm: 5000,
                    amount_rials: 0,
                    request_type_code: String::new(),
                }],
                ..TariffRules::default()
            },
            reason: String::new(),
            actor_id: String::new(),
            created_at_us: 0,
        }
    }

    const RENEWAL: ItemKey<'static> = ItemKey::Yearly(ItemKind::RenewalLevy);

    #[test]
    fn the_most_specific_then_latest_effective_tariff_applies() {
        let all = tariff("all", 1404, 0, 0, 100, 1);
        let residential = tariff("res", 1404, 1, 0, 100, 1);
        let residential_later = tariff("res2", 1404, 1, 0, 500, 2);
        let ts = [all, residential, residential_later];
        let id = |land_use, at| {
            applicable(&ts, RENEWAL, 1404, land_use, 3, at).map(|t| t.0.tariff_id.clone())
        };
        assert_eq!(id(1, 200).as_deref(), Some("res"));
        assert_eq!(
            id(1, 500).as_deref(),
            Some("res2"),
            "applies from its effective instant"
        );
        assert_eq!(
            id(2, 900).as_deref(),
            Some("all"),
            "other land uses get the general one"
        );
        assert_eq!(id(1, 50), None, "nothing applies before any effective date");
    }

    #[test]
    fn a_year_without_its_own_tariff_uses_the_latest_earlier_one() {
        let ts = [
            tariff("1402", 1402, 0, 0, 0, 1),
            tariff("1403", 1403, 0, 0, 0, 1),
        ];
        let pick = |year| applicable(&ts, RENEWAL, year, 1, 1, 10).map(|t| t.0.tariff_id.clone());
        assert_eq!(pick(1405).as_deref(), Some("1403"));
        assert_eq!(pick(1402).as_deref(), Some("1402"));
        assert_eq!(pick(1401), None);
    }

    #[test]
    fn lists_show_the_latest_versions_in_order_and_resume_after_a_key() {
        let ts = [
            tariff("a1", 1404, 0, 0, 0, 1),
            tariff("b1", 1405, 1, 0, 0, 1),
            tariff("b2", 1405, 1, 0, 0, 2),
            tariff("c1", 1405, 0, 0, 0, 1),
            tariff("d1", 1405, 1, 7, 0, 1),
        ];
        let ids = |l: Vec<&Tariff>| l.iter().map(|t| t.tariff_id.clone()).collect::<Vec<_>>();
        let latest = TariffFilter::default();
        assert_eq!(ids(list(&ts, &latest, None)), ["c1", "b2", "d1", "a1"]);
        let history = TariffFilter {
            include_history: true,
            ..latest
        };
        assert_eq!(
            ids(list(&ts, &history, None)),
            ["c1", "b1", "b2", "d1", "a1"]
        );
        let after = ListKey::parse(&ListKey::of(&ts[1]).to_string());
        assert_eq!(after, Some(ListKey::of(&ts[1])), "keys round-trip");
        assert_eq!(ids(list(&ts, &history, after)), ["b2", "d1", "a1"]);
        let zone_7 = TariffFilter { zone: 7, ..latest };
        assert_eq!(ids(list(&ts, &zone_7, None)), ["d1"]);
        assert_ne!(zone_7.fingerprint(), latest.fingerprint());
        assert_ne!(history.fingerprint(), latest.fingerprint());
        assert_eq!(ListKey::parse("1405:1:0"), None);
        assert_eq!(ListKey::parse("1405:1:0:1:9"), None);
        assert_eq!(ListKey::parse("x:1:0:1"), None);
    }

    #[test]
    fn validation_names_the_field() {
        let mut rules = tariff("x", 1404, 0, 0, 0, 1).rules;
        assert!(validate(1404, &rules).is_ok());
        rules.items[0].rate_ppm = 0;
        assert_eq!(
            validate(1404, &rules).unwrap_err().field,
            "tariff.items[0].rate_ppm"
        );
        rules.items[0].rate_ppm = 5000;
        rules.items.push(rules.items[0].clone());
        assert_eq!(
            validate(1404, &rules).unwrap_err().field,
            "tariff.items[1].kind"
        );
        assert_eq!(
            validate(2024, &rules).unwrap_err().field,
            "tariff.jalali_year"
        );
    }
}
