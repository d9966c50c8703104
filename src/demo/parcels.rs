//! The demo's parcels, with no I/O: the parcel a demo citizen owns, and the rules that pick
//! the newcomer's parcel out of the synthetic city.

use estelam_proto::common::v1 as cpb;
use estelam_proto::property::v1 as ppb;

use super::spec::CitizenSpec;

pub(super) fn full_name(first: &str, last: &str) -> String {
    format!("{first} {last}")
}

/// The parcel a demo citizen owns outright. The load generator builds its applicants'
/// parcels with it too, so that they look like the demo's.
pub fn demo_parcel(c: &CitizenSpec) -> ppb::Parcel {
    let ring: Vec<String> = c
        .polygon
        .iter()
        .map(|[lon, lat]| format!("[{lon},{lat}]"))
        .collect();
    ppb::Parcel {
        renovation_code: c.renovation_code.clone(),
        registry_plate: Some(ppb::RegistryPlate {
            main: "9001".into(),
            sub: c.renovation_code.split('-').nth(3).unwrap_or("1").into(),
            section: "5".into(),
        }),
        address: format!("شاهین‌شهر، خیابان نمونه، پلاک {}", c.deed_number),
        land_use: ppb::LandUse::Residential as i32,
        land_area_dm2: 25_000,
        built_area_dm2: 40_000,
        floors: 2,
        land_value_rials_per_m2: 8_000_000,
        building_value_rials_per_m2: 5_000_000,
        geometry_geojson: format!(
            "{{\"type\":\"Polygon\",\"coordinates\":[[{}]]}}",
            ring.join(",")
        ),
        ownership: Some(ppb::Ownership {
            ownership_type: ppb::OwnershipType::Full as i32,
            deed_number: c.deed_number.clone(),
            owners: vec![ppb::Owner {
                kind: ppb::OwnerKind::NaturalPerson as i32,
                national_code: c.national_code.clone(),
                full_name: full_name(&c.first_name, &c.last_name),
                share: Some(cpb::DangShare {
                    numerator: 6,
                    denominator: 1,
                }),
                deed_number: String::new(),
            }],
        }),
        ..Default::default()
    }
}

/// The one natural person owning all six dang of `parcel`: the only kind of owner whose
/// walk needs no co-owner or representative, which a newcomer's first try should not.
pub(super) fn sole_owner(parcel: &ppb::Parcel) -> Option<&ppb::Owner> {
    let own = parcel.ownership.as_ref()?;
    match own.owners.as_slice() {
        [owner]
            if own.ownership_type == ppb::OwnershipType::Full as i32
                && owner.kind == ppb::OwnerKind::NaturalPerson as i32 =>
        {
            Some(owner)
        }
        _ => None,
    }
}

/// A point inside a convex polygon, `(lat, lon)`: the mean of its vertices. The city's lots
/// are convex, so this is where a person taps to pick the parcel on the map.
pub(super) fn inner_point(geojson: &str) -> Option<(f64, f64)> {
    let value: serde_json::Value = serde_json::from_str(geojson).ok()?;
    let ring = value.get("coordinates")?.get(0)?.as_array()?;
    // The closing vertex repeats the first.
    let open = &ring[..ring.len().checked_sub(1)?];
    if open.is_empty() {
        return None;
    }
    let (mut lat, mut lon) = (0.0, 0.0);
    for vertex in open {
        lon += vertex.get(0)?.as_f64()?;
        lat += vertex.get(1)?.as_f64()?;
    }
    let n = open.len() as f64;
    Some((lat / n, lon / n))
}
