//! Parcels (`/api/v1/parcels/…`) and the map's features
//! (`/api/v1/collections/parcels/items`, OGC API – Features, GeoJSON), over the property
//! service.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use estelam_proto::common::v1 as common;
use estelam_proto::property::v1 as pb;
use estelam_runtime::grpc::outgoing;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bearer::Bearer;
use crate::dto::{self, GeoPoint, enum_name};
use crate::extract::{Path, Query, field_error};
use crate::problem::ApiError;
use crate::state::AppState;

/// The parcel routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(parcel_at))
        .routes(routes!(get_parcel))
        .routes(routes!(parcel_items))
}

/// A registry plate.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistryPlate {
    /// Main plate number.
    pub main: String,
    /// Sub plate number.
    pub sub: String,
    /// Registry section.
    pub section: String,
}

/// One owner.
#[derive(Debug, Serialize, ToSchema)]
pub struct Owner {
    /// `natural_person` or `legal_entity`.
    pub kind: String,
    /// National code (or national id of an entity).
    pub national_code: String,
    /// Name.
    pub full_name: String,
    /// Share numerator, in dang (out of `share_denominator`).
    pub share_numerator: i64,
    /// Share denominator.
    pub share_denominator: i64,
    /// Deed number.
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
    /// Renovation code.
    pub renovation_code: String,
    /// Registry plate.
    pub registry_plate: Option<RegistryPlate>,
    /// Address.
    pub address: String,
    /// Postal code.
    pub postal_code: String,
    /// `residential`, `commercial`, `office`, `industrial`, `agricultural`, `public`, `mixed`.
    pub land_use: String,
    /// Land area in square decimetres.
    pub land_area_dm2: i64,
    /// Built area in square decimetres.
    pub built_area_dm2: i64,
    /// Floors.
    pub floors: i32,
    /// Municipal zone.
    pub zone: i32,
    /// District.
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
    /// Version of the record.
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

/// One parcel by its renovation code.
#[utoipa::path(
    get,
    path = "/api/v1/parcels/{renovation_code}",
    tag = "parcels",
    params(("renovation_code" = String, Path, description = "`-` or `/` separated, any digits.")),
    responses((status = 200, description = "The parcel.", body = Parcel)),
    security(("bearer" = []))
)]
pub async fn get_parcel(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(code): Path<String>,
) -> Result<axum::Json<Parcel>, ApiError> {
    let r = state
        .backends
        .property()
        .get_parcel(outgoing(
            pb::GetParcelRequest {
                renovation_code: code,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(
        r.parcel.ok_or_else(|| dto::missing("parcel"))?.into(),
    ))
}

/// `?lat=&lon=` of the point query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AtQuery {
    /// Latitude (WGS 84).
    pub lat: f64,
    /// Longitude (WGS 84).
    pub lon: f64,
}

/// The parcel containing a point on the map.
#[utoipa::path(
    get,
    path = "/api/v1/parcels/at",
    tag = "parcels",
    params(AtQuery),
    responses((status = 200, description = "The parcel at the point.", body = Parcel)),
    security(("bearer" = []))
)]
pub async fn parcel_at(
    State(state): State<AppState>,
    bearer: Bearer,
    Query(q): Query<AtQuery>,
) -> Result<axum::Json<Parcel>, ApiError> {
    if !(-90.0..=90.0).contains(&q.lat) || !(-180.0..=180.0).contains(&q.lon) {
        return Err(field_error(
            "lat",
            "POINT_OUT_OF_RANGE",
            "عرض جغرافیایی باید بین ۹۰- و ۹۰ و طول بین ۱۸۰- و ۱۸۰ باشد.",
            "Latitude must be within -90..90 and longitude within -180..180.",
        ));
    }
    let r = state
        .backends
        .property()
        .pick_at(outgoing(
            pb::PickAtRequest {
                point: Some(common::GeoPoint {
                    lat: q.lat,
                    lon: q.lon,
                }),
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(
        r.parcel.ok_or_else(|| dto::missing("parcel"))?.into(),
    ))
}

/// `?bbox=&limit=&page_token=` of the features query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemsQuery {
    /// `minLon,minLat,maxLon,maxLat` (WGS 84).
    pub bbox: String,
    /// Most features in this page (the server caps it).
    #[serde(default)]
    pub limit: Option<i32>,
    /// Continues a previous page (from its `next` link).
    #[serde(default)]
    pub page_token: Option<String>,
}

fn bad_bbox() -> ApiError {
    field_error(
        "bbox",
        "BBOX_INVALID",
        "محدوده باید چهار عدد باشد: کمینهٔ طول، کمینهٔ عرض، بیشینهٔ طول، بیشینهٔ عرض.",
        "bbox must be four numbers: minLon,minLat,maxLon,maxLat, with min below max.",
    )
}

/// Parses `minLon,minLat,maxLon,maxLat`.
fn parse_bbox(text: &str) -> Result<common::BoundingBox, ApiError> {
    let v: Vec<f64> = text
        .split(',')
        .map(|s| s.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad_bbox())?;
    let [min_lon, min_lat, max_lon, max_lat] = v[..] else {
        return Err(bad_bbox());
    };
    let sound = min_lon <= max_lon
        && min_lat <= max_lat
        && v.iter().all(|x| x.is_finite())
        && (-90.0..=90.0).contains(&min_lat)
        && (-90.0..=90.0).contains(&max_lat);
    if !sound {
        return Err(bad_bbox());
    }
    Ok(common::BoundingBox {
        min_lon,
        min_lat,
        max_lon,
        max_lat,
    })
}

/// Parcels in a box as a GeoJSON FeatureCollection (OGC API – Features), with a `next`
/// link while more remain.
#[utoipa::path(
    get,
    path = "/api/v1/collections/parcels/items",
    tag = "parcels",
    params(ItemsQuery),
    responses((status = 200, description = "A GeoJSON FeatureCollection.", content_type = "application/geo+json", body = Object)),
    security(("bearer" = []))
)]
pub async fn parcel_items(
    State(state): State<AppState>,
    bearer: Bearer,
    Query(q): Query<ItemsQuery>,
) -> Result<Response, ApiError> {
    let bbox = parse_bbox(&q.bbox)?;
    if q.limit.is_some_and(|l| l < 1) {
        return Err(field_error(
            "limit",
            "LIMIT_INVALID",
            "حداکثر تعداد باید عددی مثبت باشد.",
            "limit must be a positive number.",
        ));
    }
    let r = state
        .backends
        .property()
        .parcels_in_box(outgoing(
            pb::ParcelsInBoxRequest {
                bbox: Some(bbox),
                limit: q.limit.unwrap_or_default(),
                page_token: q.page_token.clone().unwrap_or_default(),
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    let mut collection: serde_json::Value = serde_json::from_str(&r.feature_collection_geojson)
        .map_err(|_| dto::missing("valid GeoJSON"))?;
    let query = |token: Option<&str>| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        s.append_pair("bbox", &q.bbox);
        if let Some(limit) = q.limit {
            s.append_pair("limit", &limit.to_string());
        }
        if let Some(token) = token {
            s.append_pair("page_token", token);
        }
        format!("/api/v1/collections/parcels/items?{}", s.finish())
    };
    let mut links = vec![serde_json::json!({
        "href": query(q.page_token.as_deref()),
        "rel": "self",
        "type": "application/geo+json",
    })];
    if !r.next_page_token.is_empty() {
        links.push(serde_json::json!({
            "href": query(Some(&r.next_page_token)),
            "rel": "next",
            "type": "application/geo+json",
        }));
    }
    if let Some(obj) = collection.as_object_mut() {
        obj.insert("links".into(), serde_json::Value::Array(links));
        obj.entry("numberReturned")
            .or_insert(serde_json::json!(r.number_returned));
    }
    let mut response = axum::Json(collection).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/geo+json"),
    );
    Ok(response)
}
