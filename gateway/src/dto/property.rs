//! Parcels and their owners, from the property service's messages (the answer's facts name
//! owners too).

use estelam_proto::property::v1 as pb;
use serde::Serialize;
use utoipa::ToSchema;

use super::{GeoPoint, enum_name};

/// A registry plate.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistryPlate {
    /// The registry's main plate number (پلاک اصلی).
    pub main: String,
    /// The registry's sub plate number (پلاک فرعی).
    pub sub: String,
    /// The registry section (بخش) the plate numbers belong to.
    pub section: String,
}

/// One owner.
#[derive(Debug, Serialize, ToSchema)]
pub struct Owner {
    /// `natural_person` or `legal_entity`.
    pub kind: String,
    /// National code (or national id of an entity).
    pub national_code: String,
    /// As the ownership record has it.
    pub full_name: String,
    /// Share numerator, in dang (out of `share_denominator`).
    pub share_numerator: i64,
    /// What the numerator is out of (6 when the share is in whole dang).
    pub share_denominator: i64,
    /// The ownership deed this owner's share is recorded on.
    pub deed_number: String,
}

impl From<pb::Owner> for Owner {
    fn from(o: pb::Owner) -> Self {
        Self {
            kind: enum_name(o.kind().as_str_name(), "OWNER_KIND_"),
            share_numerator: o.share.map(|s| s.numerator).unwrap_or_default(),
            share_denominator: o.share.map(|s| s.denominator).unwrap_or_default(),
            national_code: o.national_code,
            full_name: o.full_name,
            deed_number: o.deed_number,
        }
    }
}

/// A parcel as the caller may see it (owners only for those allowed to see them).
#[derive(Debug, Serialize, ToSchema)]
pub struct Parcel {
    /// The municipal parcel id, canonical (`zone-district-block-parcel-building-unit`).
    pub renovation_code: String,
    /// The land registry's name for the same property.
    pub registry_plate: Option<RegistryPlate>,
    /// The postal address as the municipality records it (Persian).
    pub address: String,
    /// Postal code.
    pub postal_code: String,
    /// `residential`, `commercial`, `office`, `industrial`, `agricultural`, `public`, `mixed`.
    pub land_use: String,
    /// Land area in square decimetres.
    pub land_area_dm2: i64,
    /// Built area in square decimetres.
    pub built_area_dm2: i64,
    /// Floors above ground, as the municipality recorded them.
    pub floors: i32,
    /// Municipal zone (منطقه); levies are set per zone.
    pub zone: i32,
    /// District (ناحیه) within the zone.
    pub district: i32,
    /// The outline, a GeoJSON geometry.
    #[schema(value_type = Object)]
    pub geometry: Option<serde_json::Value>,
    /// Where to put its label on a map.
    pub label_point: Option<GeoPoint>,
    /// `full`, `shared`, … (empty when not shown).
    pub ownership_type: String,
    /// Owners (empty when not shown).
    pub owners: Vec<Owner>,
    /// Changes with every correction, so a clerk's edit is refused if someone else changed
    /// the record first.
    pub version: i64,
}

impl From<pb::Parcel> for Parcel {
    fn from(p: pb::Parcel) -> Self {
        let ownership = p.ownership.clone().unwrap_or_default();
        Self {
            land_use: enum_name(p.land_use().as_str_name(), "LAND_USE_"),
            renovation_code: p.renovation_code,
            registry_plate: p.registry_plate.map(|r| RegistryPlate {
                main: r.main,
                sub: r.sub,
                section: r.section,
            }),
            address: p.address,
            postal_code: p.postal_code,
            land_area_dm2: p.land_area_dm2,
            built_area_dm2: p.built_area_dm2,
            floors: p.floors,
            zone: p.zone,
            district: p.district,
            geometry: serde_json::from_str(&p.geometry_geojson).ok(),
            label_point: p.label_point.map(|g| GeoPoint {
                lat: g.lat,
                lon: g.lon,
            }),
            ownership_type: if p.ownership.is_some() {
                enum_name(ownership.ownership_type().as_str_name(), "OWNERSHIP_TYPE_")
            } else {
                String::new()
            },
            owners: ownership.owners.into_iter().map(Owner::from).collect(),
            version: p.version,
        }
    }
}

/// Parcels found for a person: "your properties" on the map, or a search's results.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParcelList {
    /// The parcels, best first (a search) or in code order (your properties).
    pub parcels: Vec<Parcel>,
    /// How a search read the query: `renovation_code`, `registry_plate` or `address`;
    /// empty for a list that is not a search.
    pub matched_by: String,
}

impl ParcelList {
    /// A search's answer.
    pub fn found(r: pb::SearchParcelsResponse) -> Self {
        Self {
            matched_by: enum_name(r.kind().as_str_name(), "PARCEL_SEARCH_KIND_"),
            parcels: r.parcels.into_iter().map(Into::into).collect(),
        }
    }

    /// The caller's own parcels.
    pub fn own(r: pb::ListMyParcelsResponse) -> Self {
        Self {
            matched_by: String::new(),
            parcels: r.parcels.into_iter().map(Into::into).collect(),
        }
    }
}
