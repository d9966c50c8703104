//! A parcel's record and the rules it must satisfy: plain types and functions, no I/O.
//!
//! Callers (the gRPC API, the GeoJSON import, the synthetic city) turn what they received
//! into a [`ParcelInput`]; [`validate`] checks every field at once and returns either a
//! [`ParcelRecord`] ready to store, with its validated [`Shape`], or every problem found,
//! each naming its field.

use estelam_domain::text::{TextField, clean_text};
use estelam_domain::{RenovationCode, fold_name, normalize_digits};

use crate::geometry::{GeometryError, Shape};
use crate::ownership::{FieldProblem, OwnerInput, Ownership, text_problem, validate_ownership};

/// What a parcel is used for (mirrors `estelam.property.v1.LandUse`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LandUse {
    /// مسکونی
    Residential,
    /// تجاری
    Commercial,
    /// اداری
    Office,
    /// صنعتی
    Industrial,
    /// کشاورزی
    Agricultural,
    /// عمومی
    Public,
    /// مختلط
    Mixed,
}

impl LandUse {
    /// Every land use, in wire order.
    pub const ALL: [LandUse; 7] = [
        Self::Residential,
        Self::Commercial,
        Self::Office,
        Self::Industrial,
        Self::Agricultural,
        Self::Public,
        Self::Mixed,
    ];

    /// The wire number.
    pub fn to_i32(self) -> i32 {
        match self {
            Self::Residential => 1,
            Self::Commercial => 2,
            Self::Office => 3,
            Self::Industrial => 4,
            Self::Agricultural => 5,
            Self::Public => 6,
            Self::Mixed => 7,
        }
    }

    /// From the wire number; `None` for unspecified or unknown.
    pub fn from_i32(v: i32) -> Option<Self> {
        Self::ALL.into_iter().find(|u| u.to_i32() == v)
    }

    /// Lower-case English name, as GeoJSON features carry it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Residential => "residential",
            Self::Commercial => "commercial",
            Self::Office => "office",
            Self::Industrial => "industrial",
            Self::Agricultural => "agricultural",
            Self::Public => "public",
            Self::Mixed => "mixed",
        }
    }

    /// Persian name.
    pub fn name_fa(self) -> &'static str {
        match self {
            Self::Residential => "مسکونی",
            Self::Commercial => "تجاری",
            Self::Office => "اداری",
            Self::Industrial => "صنعتی",
            Self::Agricultural => "کشاورزی",
            Self::Public => "عمومی",
            Self::Mixed => "مختلط",
        }
    }

    /// Parses the English or Persian name.
    pub fn parse(s: &str) -> Option<Self> {
        let folded = fold_name(s);
        Self::ALL
            .into_iter()
            .find(|u| folded == u.name() || folded == fold_name(u.name_fa()))
    }
}

/// A registry plate (پلاک ثبتی): main, sub and section numbers as ASCII digit strings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RegistryPlate {
    /// Main plate; required.
    pub main: String,
    /// Sub plate; empty when none.
    pub sub: String,
    /// Registry section; empty when not recorded.
    pub section: String,
}

impl RegistryPlate {
    /// `main/sub` (or `main`) as written on deeds, Latin digits.
    pub fn display(&self) -> String {
        if self.sub.is_empty() {
            self.main.clone()
        } else {
            format!("{}/{}", self.main, self.sub)
        }
    }

    /// A plate from its parts as typed (any digit set; sub and section may be empty).
    pub fn from_parts(main: &str, sub: &str, section: &str) -> Option<Self> {
        Some(Self {
            main: canonical_digits(main)?,
            sub: canonical_digits_or_empty(sub)?,
            section: canonical_digits_or_empty(section)?,
        })
    }

    /// Parses `123/45`, `۱۲۳/۴۵` or `123`.
    pub fn parse(s: &str) -> Option<Self> {
        let s = normalize_digits(s.trim());
        let (main, sub) = s.split_once('/').unwrap_or((&s, ""));
        let plate = Self {
            main: canonical_digits(main)?,
            sub: canonical_digits_or_empty(sub)?,
            section: String::new(),
        };
        (!plate.main.is_empty()).then_some(plate)
    }
}

/// Digits without leading zeros (`"0"` stays `"0"`), or `None` if not all digits / too long.
fn canonical_digits(s: &str) -> Option<String> {
    let s = normalize_digits(s.trim());
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = s.trim_start_matches('0');
    Some(if t.is_empty() {
        "0".to_owned()
    } else {
        t.to_owned()
    })
}

fn canonical_digits_or_empty(s: &str) -> Option<String> {
    if s.trim().is_empty() {
        Some(String::new())
    } else {
        canonical_digits(s)
    }
}

/// The writable facts of one parcel version, validated and normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct ParcelRecord {
    /// Renovation code.
    pub code: RenovationCode,
    /// Registry plate.
    pub plate: RegistryPlate,
    /// Postal address.
    pub address: String,
    /// Ten-digit postal code or empty.
    pub postal_code: String,
    /// Land use.
    pub land_use: LandUse,
    /// Land area, dm².
    pub land_area_dm2: i64,
    /// Built area, dm².
    pub built_area_dm2: i64,
    /// Floors above ground.
    pub floors: i32,
    /// Regional land value, rials per m².
    pub land_value_rials_per_m2: i64,
    /// Regional building value, rials per m².
    pub building_value_rials_per_m2: i64,
    /// Normalised GeoJSON geometry text.
    pub geometry_geojson: String,
    /// Bounding box: min lon, min lat, max lon, max lat.
    pub bbox: [f64; 4],
    /// A point inside: lon, lat.
    pub label: [f64; 2],
    /// Who owns the parcel and in what shares (dang); checked against the applicant in step 6.
    pub ownership: Ownership,
}

impl ParcelRecord {
    /// Fills the derived geometry fields (normalised text, bbox, label) from a shape.
    pub fn set_shape(&mut self, shape: &Shape) {
        let r = shape.bounding_rect();
        self.geometry_geojson = shape.to_geojson();
        self.bbox = [r.min().x, r.min().y, r.max().x, r.max().y];
        let l = shape.label_point();
        self.label = [l.x(), l.y()];
    }
}

/// Where a parcel's outline comes from in an input.
#[derive(Debug, Clone)]
pub enum GeometryInput {
    /// GeoJSON geometry text (the gRPC field).
    Text(String),
    /// Already-parsed GeoJSON (a feature in an import file), or `None` if absent.
    Parsed(Option<geojson::GeometryValue>),
}

/// A parcel as a caller sent it, before validation.
#[derive(Debug, Clone)]
pub struct ParcelInput {
    /// As typed.
    pub renovation_code: String,
    /// Registry plate parts as typed.
    pub plate: (String, String, String),
    /// As typed.
    pub address: String,
    /// As typed.
    pub postal_code: String,
    /// Wire `LandUse`.
    pub land_use: i32,
    /// dm²; 0 means "compute from the outline".
    pub land_area_dm2: i64,
    /// dm².
    pub built_area_dm2: i64,
    /// Floors above ground.
    pub floors: i32,
    /// Rials per m².
    pub land_value_rials_per_m2: i64,
    /// Rials per m².
    pub building_value_rials_per_m2: i64,
    /// The outline.
    pub geometry: GeometryInput,
    /// Wire `OwnershipType`.
    pub ownership_type: i32,
    /// As typed.
    pub deed_number: String,
    /// Owners as typed.
    pub owners: Vec<OwnerInput>,
}

fn problem(
    field: &str,
    reason: &'static str,
    fa: impl Into<String>,
    en: impl Into<String>,
) -> FieldProblem {
    FieldProblem {
        field: field.to_owned(),
        reason,
        fa: fa.into(),
        en: en.into(),
    }
}

fn geometry_problem(e: &GeometryError) -> FieldProblem {
    problem(
        "geometry_geojson",
        e.reason(),
        e.message_fa(),
        e.to_string(),
    )
}

/// Checks every field of a parcel; returns the record and its outline, or every problem.
pub fn validate(input: &ParcelInput) -> Result<(ParcelRecord, Shape), Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let code = RenovationCode::parse(&input.renovation_code)
        .map_err(|e| {
            problems.push(problem(
                "renovation_code",
                "RENOVATION_CODE_INVALID",
                e.message_fa(),
                e.to_string(),
            ))
        })
        .ok();
    let plate = match RegistryPlate::from_parts(&input.plate.0, &input.plate.1, &input.plate.2) {
        Some(plate) => plate,
        None => {
            problems.push(problem(
                "registry_plate",
                "REGISTRY_PLATE_INVALID",
                "پلاک ثبتی: پلاک اصلی (الزامی)، فرعی و بخش فقط رقم و حداکثر ۹ رقم.",
                "Registry plate: main (required), sub and section are digits only, at most 9 each.",
            ));
            RegistryPlate::default()
        }
    };
    // The address is printed in signed answers: cleaned like every free text.
    const ADDRESS: TextField = TextField::new("address", "نشانی", "address");
    let address = clean_text(ADDRESS, &input.address).unwrap_or_else(|e| {
        problems.push(text_problem("address".to_owned(), &e));
        String::new()
    });
    if address.chars().count() > 500 {
        problems.push(problem(
            "address",
            "ADDRESS_INVALID",
            "نشانی حداکثر ۵۰۰ نویسه است.",
            "The address is at most 500 characters.",
        ));
    }
    let postal_code = normalize_digits(input.postal_code.trim()).replace('-', "");
    if !postal_code.is_empty()
        && (postal_code.len() != 10 || !postal_code.bytes().all(|b| b.is_ascii_digit()))
    {
        problems.push(problem(
            "postal_code",
            "POSTAL_CODE_INVALID",
            "کد پستی ده رقم است.",
            "A postal code has ten digits.",
        ));
    }
    let land_use = LandUse::from_i32(input.land_use);
    if land_use.is_none() {
        problems.push(problem(
            "land_use",
            "LAND_USE_REQUIRED",
            "کاربری قطعه را مشخص کنید.",
            "Give the land use (residential, commercial, office, industrial, agricultural, public, mixed).",
        ));
    }
    let shape = match &input.geometry {
        GeometryInput::Text(t) if t.trim().is_empty() => {
            Err(GeometryError::NotGeoJson("empty".into()))
        }
        GeometryInput::Text(t) => Shape::parse(t),
        GeometryInput::Parsed(Some(v)) => Shape::from_geojson(v),
        GeometryInput::Parsed(None) => Err(GeometryError::NotGeoJson("missing".into())),
    }
    .map_err(|e| problems.push(geometry_problem(&e)))
    .ok();
    const MAX_AREA_DM2: i64 = 100 * 1_000_000 * 100; // 100 km²: no parcel is larger
    let mut land_area_dm2 = input.land_area_dm2;
    if land_area_dm2 == 0
        && let Some(s) = &shape
    {
        land_area_dm2 = (s.area_m2() * 100.0).round() as i64;
    }
    // With no area given and no valid outline to measure, the outline's problem says it all.
    if (shape.is_some() || input.land_area_dm2 != 0) && !(1..=MAX_AREA_DM2).contains(&land_area_dm2)
    {
        problems.push(problem(
            "land_area_dm2",
            "LAND_AREA_INVALID",
            "مساحت زمین باید مثبت باشد (به دسی‌متر مربع).",
            "The land area must be positive (in dm²).",
        ));
    }
    if !(0..=MAX_AREA_DM2).contains(&input.built_area_dm2) {
        problems.push(problem(
            "built_area_dm2",
            "BUILT_AREA_INVALID",
            "مساحت اعیانی نمی‌تواند منفی باشد.",
            "The built area cannot be negative.",
        ));
    }
    if !(0..=200).contains(&input.floors) {
        problems.push(problem(
            "floors",
            "FLOORS_INVALID",
            "تعداد طبقات بین ۰ و ۲۰۰ است.",
            "Floors must be between 0 and 200.",
        ));
    }
    for (field, v) in [
        ("land_value_rials_per_m2", input.land_value_rials_per_m2),
        (
            "building_value_rials_per_m2",
            input.building_value_rials_per_m2,
        ),
    ] {
        if !(0..=1_000_000_000_000).contains(&v) {
            problems.push(problem(
                field,
                "REGIONAL_VALUE_INVALID",
                "ارزش منطقه‌ای باید بین صفر و هزار میلیارد ریال باشد.",
                "A regional value must be between 0 and 10¹² rials per m².",
            ));
        }
    }
    let ownership = validate_ownership(input.ownership_type, &input.deed_number, &input.owners)
        .map_err(|mut e| problems.append(&mut e))
        .ok();
    match (code, land_use, shape, ownership) {
        (Some(code), Some(land_use), Some(shape), Some(ownership)) if problems.is_empty() => {
            let mut record = ParcelRecord {
                code,
                plate,
                address,
                postal_code,
                land_use,
                land_area_dm2,
                built_area_dm2: input.built_area_dm2,
                floors: input.floors,
                land_value_rials_per_m2: input.land_value_rials_per_m2,
                building_value_rials_per_m2: input.building_value_rials_per_m2,
                geometry_geojson: String::new(),
                bbox: [0.0; 4],
                label: [0.0; 2],
                ownership,
            };
            record.set_shape(&shape);
            Ok((record, shape))
        }
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ParcelInput {
        ParcelInput {
            renovation_code: "۱/۲/۳/۴/۰/۰".into(),
            plate: ("۱۲۳".into(), "045".into(), String::new()),
            address: " شاهین‌شهر، خیابان فردوسی ".into(),
            postal_code: "83181-12345".into(),
            land_use: 1,
            land_area_dm2: 0,
            built_area_dm2: 30_000,
            floors: 2,
            land_value_rials_per_m2: 45_000_000,
            building_value_rials_per_m2: 20_000_000,
            geometry: GeometryInput::Text(
                r#"{"type":"Polygon","coordinates":[[[51.55,32.86],[51.5502,32.86],[51.5502,32.8601],[51.55,32.8601],[51.55,32.86]]]}"#.into(),
            ),
            ownership_type: 1,
            deed_number: "۹۸۷".into(),
            owners: vec![OwnerInput {
                kind: 0,
                national_code: "0076229645".into(),
                full_name: "علي رضايي".into(),
                share: (6, 1),
                deed_number: String::new(),
            }],
        }
    }

    #[test]
    fn a_good_parcel_is_normalised() {
        let (r, _) = validate(&input()).unwrap();
        assert_eq!(r.code.to_string(), "1-2-3-4-0-0");
        assert_eq!(r.plate.display(), "123/45");
        assert_eq!(r.postal_code, "8318112345");
        assert_eq!(r.address, "شاهین‌شهر، خیابان فردوسی");
        assert_eq!(r.ownership.owners[0].full_name, "علی رضایی");
        // ~18.7 m × 11.1 m computed from the outline when no area is given.
        assert!(
            (18_000..23_000).contains(&r.land_area_dm2),
            "{}",
            r.land_area_dm2
        );
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let mut i = input();
        i.renovation_code = "1-2-3".into();
        i.land_use = 0;
        i.floors = -1;
        i.postal_code = "123".into();
        i.geometry = GeometryInput::Text(r#"{"type":"Point","coordinates":[51.55,32.86]}"#.into());
        i.owners[0].share = (5, 1);
        let fields: Vec<String> = validate(&i)
            .unwrap_err()
            .into_iter()
            .map(|p| p.field)
            .collect();
        for f in [
            "renovation_code",
            "land_use",
            "floors",
            "postal_code",
            "geometry_geojson",
            "ownership.owners",
        ] {
            assert!(fields.iter().any(|x| x == f), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn land_use_and_plates_parse_in_both_languages() {
        assert_eq!(LandUse::parse("تجاری"), Some(LandUse::Commercial));
        assert_eq!(LandUse::parse("Mixed"), Some(LandUse::Mixed));
        assert_eq!(RegistryPlate::parse("۱۲۳/۴۵").unwrap().display(), "123/45");
        assert!(RegistryPlate::parse("12a").is_none());
    }
}
