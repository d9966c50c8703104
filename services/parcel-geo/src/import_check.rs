//! The checks a municipality's own GIS layer (a GeoJSON FeatureCollection of parcels) must
//! pass before the property service imports it, none of which needs a store: every feature's
//! fields, its outline (closed rings, no self-intersection, WGS84 range), its code (unique in
//! the file) and overlaps with the file's other features. Every bad feature is reported by its
//! index (0-based, in file order) with the reason. Whether a code is new and whether an outline
//! overlaps a registered parcel are checked by the service, against its store.
//!
//! ## Field mapping (feature `properties`)
//!
//! | property | parcel field | notes |
//! |---|---|---|
//! | `renovation_code` | renovation code | required (else the feature `id`); `-` or `/`, any digits |
//! | `registry_plate` | plate main/sub | `"123/45"`; or `plate_main`, `plate_sub` |
//! | `plate_section` | registry section | optional |
//! | `address`, `postal_code` | address, postal code | optional |
//! | `land_use` | land use | `residential`…`mixed`, or the Persian name (مسکونی…), or 1–7 |
//! | `land_area_m2` | land area | m², decimals allowed; computed from the outline when absent |
//! | `built_area_m2`, `floors` | built area, floors | default 0 |
//! | `land_value_rials_per_m2`, `building_value_rials_per_m2` | regional values | default 0 |
//! | `ownership_type` | ownership type | `full`, `shared`, `endowment`, `state`, `leasehold` or Persian; absent = not recorded |
//! | `deed_number` | deed number | optional |
//! | `owners` | owners | array of `{national_code, full_name, share, deed_number?}`; `share` in dang as `3`, `"5/2"` or `2.5` |
//!
//! The geometry is the feature's `geometry`: Polygon or MultiPolygon, `[lon, lat]` in WGS84.

use std::collections::HashMap;
use std::fmt;

use geojson::FeatureCollection;
use serde_json::Value;

use crate::dang::Dang;
use crate::geometry::Shape;
use crate::index::{IndexedParcel, ParcelIndex};
use crate::ownership::{OwnerInput, OwnershipType};
use crate::parcel::{GeometryInput, LandUse, ParcelInput, ParcelRecord, RegistryPlate, validate};

/// One reason a file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureProblem {
    /// 0-based index of the feature; `None` for the file as a whole.
    pub index: Option<usize>,
    /// What is wrong, in English.
    pub message: String,
}

impl fmt::Display for FeatureProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(i) => write!(f, "feature {i}: {}", self.message),
            None => write!(f, "file: {}", self.message),
        }
    }
}

fn text(props: &serde_json::Map<String, Value>, key: &str) -> String {
    match props.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn number(
    props: &serde_json::Map<String, Value>,
    key: &str,
    problems: &mut Vec<String>,
) -> Option<f64> {
    match props.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => match estelam_domain::normalize_digits(s.trim()).parse::<f64>() {
            Ok(v) => Some(v),
            Err(_) => {
                problems.push(format!("{key}: {s:?} is not a number"));
                None
            }
        },
        Some(other) => {
            problems.push(format!("{key}: {other} is not a number"));
            None
        }
    }
}

fn share_of(v: Option<&Value>) -> Option<(i64, i64)> {
    let d = match v? {
        Value::Number(n) => Dang::parse(&n.to_string()),
        Value::String(s) => Dang::parse(s),
        _ => None,
    }?;
    Some((d.numerator(), d.denominator()))
}

/// Maps one feature's properties and geometry to a [`ParcelInput`]; problems with the
/// mapping itself (unreadable values) are returned alongside.
fn feature_input(feature: &geojson::Feature) -> (ParcelInput, Vec<String>) {
    let empty = serde_json::Map::new();
    let props = feature.properties.as_ref().unwrap_or(&empty);
    let mut problems = Vec::new();
    let mut code = text(props, "renovation_code");
    if code.is_empty()
        && let Some(id) = &feature.id
    {
        code = match id {
            geojson::feature::Id::String(s) => s.clone(),
            geojson::feature::Id::Number(n) => n.to_string(),
        };
    }
    let plate = match props.get("registry_plate") {
        Some(Value::String(s)) => match RegistryPlate::parse(s) {
            Some(p) => (p.main, p.sub, text(props, "plate_section")),
            None => (s.clone(), String::new(), String::new()),
        },
        _ => (
            text(props, "plate_main"),
            text(props, "plate_sub"),
            text(props, "plate_section"),
        ),
    };
    let land_use_text = text(props, "land_use");
    let land_use = land_use_text
        .parse::<i32>()
        .ok()
        .or_else(|| LandUse::parse(&land_use_text).map(LandUse::to_i32))
        .unwrap_or(0);
    let ownership_text = text(props, "ownership_type");
    let ownership_type = if ownership_text.is_empty() {
        0
    } else {
        OwnershipType::parse(&ownership_text).map_or_else(
            || {
                problems.push(format!("ownership_type: {ownership_text:?} is not full, shared, endowment, state or leasehold"));
                -1
            },
            OwnershipType::to_i32,
        )
    };
    let mut owners = Vec::new();
    match props.get("owners") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for (i, o) in list.iter().enumerate() {
                let Some(o) = o.as_object() else {
                    problems.push(format!("owners[{i}] is not an object"));
                    continue;
                };
                let share = share_of(o.get("share")).unwrap_or_else(|| {
                    problems.push(format!(
                        "owners[{i}].share is not a number of dang such as 3, \"5/2\" or 2.5"
                    ));
                    (0, 1)
                });
                owners.push(OwnerInput {
                    kind: 0,
                    national_code: text(o, "national_code"),
                    full_name: text(o, "full_name"),
                    share,
                    deed_number: text(o, "deed_number"),
                });
            }
        }
        Some(_) => problems.push("owners must be an array".into()),
    }
    let to_dm2 = |v: Option<f64>| v.map_or(0, |m2| (m2 * 100.0).round() as i64);
    let input = ParcelInput {
        renovation_code: code,
        plate,
        address: text(props, "address"),
        postal_code: text(props, "postal_code"),
        land_use,
        land_area_dm2: to_dm2(number(props, "land_area_m2", &mut problems)),
        built_area_dm2: to_dm2(number(props, "built_area_m2", &mut problems)),
        floors: number(props, "floors", &mut problems).map_or(0, |f| f as i32),
        land_value_rials_per_m2: number(props, "land_value_rials_per_m2", &mut problems)
            .map_or(0, |v| v as i64),
        building_value_rials_per_m2: number(props, "building_value_rials_per_m2", &mut problems)
            .map_or(0, |v| v as i64),
        geometry: GeometryInput::Parsed(feature.geometry.as_ref().map(|g| g.value.clone())),
        ownership_type,
        deed_number: text(props, "deed_number"),
        owners,
    };
    (input, problems)
}

/// One feature of an import file that passed every check that needs no store: its index
/// in the file, the parcel it describes and its outline.
pub type CheckedFeature = (usize, ParcelRecord, Shape);

/// Checks an import file without touching any store: the collection parses, every feature's
/// fields and outline are valid, no code repeats and no two outlines overlap. Either every
/// feature passes, or every problem found is returned, sorted by feature index.
///
/// Pure, so the checks can be fuzzed and reused by a dry run.
pub fn check_collection(geojson_text: &str) -> Result<Vec<CheckedFeature>, Vec<FeatureProblem>> {
    let collection: FeatureCollection = serde_json::from_str(geojson_text).map_err(|e| {
        vec![FeatureProblem {
            index: None,
            message: format!("not a GeoJSON FeatureCollection: {e}"),
        }]
    })?;
    if collection.features.is_empty() {
        return Err(vec![FeatureProblem {
            index: None,
            message: "the collection has no features".into(),
        }]);
    }
    let mut problems: Vec<FeatureProblem> = Vec::new();
    let mut valid = Vec::new();
    let mut first_of_code: HashMap<String, usize> = HashMap::new();
    for (i, feature) in collection.features.iter().enumerate() {
        let (input, mapping) = feature_input(feature);
        problems.extend(mapping.into_iter().map(|message| FeatureProblem {
            index: Some(i),
            message,
        }));
        match validate(&input) {
            Ok((record, shape)) => {
                let code = record.code.to_string();
                if let Some(first) = first_of_code.get(&code) {
                    problems.push(FeatureProblem {
                        index: Some(i),
                        message: format!("renovation code {code} repeats feature {first}"),
                    });
                } else {
                    first_of_code.insert(code, i);
                }
                valid.push((i, record, shape));
            }
            Err(found) => problems.extend(found.into_iter().map(|p| FeatureProblem {
                index: Some(i),
                message: format!("{}: {}", p.field, p.en),
            })),
        }
    }
    // Overlaps among the file's own features. The index is keyed by code, so only the first
    // feature of each code goes in (a repeat is refused above): an overlap found then always
    // names the feature it is with, never a later repeat of that feature's code.
    let local = ParcelIndex::build(
        valid
            .iter()
            .filter(|(i, r, _)| first_of_code.get(&r.code.to_string()) == Some(i))
            .map(|(_, r, s)| IndexedParcel::new(r.code, s.clone()))
            .collect(),
    );
    for (i, record, shape) in &valid {
        for other in local.overlapping(shape, Some(&record.code)) {
            // Every indexed code is in `first_of_code`.
            if let Some(j) = first_of_code.get(&other.to_string()) {
                problems.push(FeatureProblem {
                    index: Some(*i),
                    message: format!("outline overlaps feature {j} ({other})"),
                });
            }
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.index);
        return Err(problems);
    }
    Ok(valid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feature(code: &str, x: f64, props: &str) -> String {
        let (x2, y, y2) = (x + 0.0002, 32.86, 32.8602);
        format!(
            r#"{{"type":"Feature","geometry":{{"type":"Polygon","coordinates":[[[{x},{y}],[{x2},{y}],[{x2},{y2}],[{x},{y2}],[{x},{y}]]]}},"properties":{{"renovation_code":"{code}","registry_plate":"12/3","land_use":"مسکونی"{props}}}}}"#
        )
    }

    fn collection(features: &[String]) -> String {
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        )
    }

    #[test]
    fn neighbours_with_owners_in_every_written_form_pass() {
        let owners = r#","ownership_type":"مشاع","owners":[{"national_code":"۰۰۷۶۲۲۹۶۴۵","full_name":"علی","share":"5/2"},{"national_code":"1583250689","full_name":"مریم","share":3.5}]"#;
        let file = collection(&[
            feature("1-1-1-1-0-0", 51.55, owners),
            feature("1/1/1/2/0/0", 51.5502, ""),
        ]);
        let checked = check_collection(&file).expect("a clean layer");
        assert_eq!(checked.len(), 2);
        let (_, first, _) = &checked[0];
        assert_eq!(first.land_use, LandUse::Residential);
        assert_eq!(first.plate.display(), "12/3");
        assert_eq!(first.ownership.owners[0].national_code, "0076229645");
        assert_eq!(first.ownership.owners[1].share, Dang::new(7, 2).unwrap());
        assert_eq!(checked[1].1.code.to_string(), "1-1-1-2-0-0");
    }

    #[test]
    fn every_bad_feature_is_named_in_file_order() {
        let file = collection(&[
            feature("1-1-1-1-0-0", 51.55, r#","floors":"two""#),
            feature("1-1-1-2-0-0", 51.5501, ""),
            feature("1-1-1-1-0-0", 51.56, ""),
        ]);
        let problems = check_collection(&file).unwrap_err();
        let said = |i: usize, what: &str| {
            problems
                .iter()
                .any(|p| p.index == Some(i) && p.message.contains(what))
        };
        assert!(said(0, "floors"), "{problems:?}");
        assert!(said(0, "overlaps feature 1"), "{problems:?}");
        assert!(said(1, "overlaps feature 0"), "{problems:?}");
        assert!(said(2, "repeats feature 0"), "{problems:?}");
        assert!(problems.windows(2).all(|w| w[0].index <= w[1].index));
    }

    #[test]
    fn a_file_that_is_not_a_collection_is_refused_as_a_whole() {
        for text in ["", "[]", r#"{"type":"Feature"}"#, &collection(&[])] {
            let problems = check_collection(text).unwrap_err();
            assert_eq!(problems.len(), 1, "{text:?}");
            assert_eq!(problems[0].index, None, "{text:?}");
        }
    }
}
