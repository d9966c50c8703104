//! Parcels (`/api/v1/parcels/…`) and the map's features
//! (`/api/v1/collections/parcels/items`, OGC API – Features, GeoJSON), and the city's label
//! layer the map draws over them (`/api/v1/collections/labels/items`), over the property
//! service.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use estelam_proto::common::v1 as common;
use estelam_proto::property::v1 as pb;
use estelam_runtime::grpc::outgoing;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bearer::Bearer;
use crate::dto::{self, Parcel, ParcelList};
use crate::errors;
use crate::extract::{Path, Query};
use crate::problem::ApiError;
use crate::state::AppState;

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(parcel_at))
        .routes(routes!(search_parcels))
        .routes(routes!(my_parcels))
        .routes(routes!(get_parcel))
        .routes(routes!(parcel_items))
        .routes(routes!(label_items))
}

/// One parcel by its renovation code.
#[utoipa::path(
    get,
    path = "/api/v1/parcels/{renovation_code}",
    tag = "parcels",
    params(("renovation_code" = crate::openapi::formats::RenovationCode, Path, description = "`-` or `/` separated, any digits.")),
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

/// `?q=` of the parcel search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// A renovation code, a registry plate (`123/45`), or a street and plate number
    /// (`خیابان فردوسی پلاک ۱۲`); any digits.
    #[param(min_length = 1, max_length = 200)]
    pub q: String,
    /// Most parcels to return (the server caps it at 20).
    #[serde(default)]
    pub limit: Option<i32>,
}

/// Finds parcels the way a person names their home: by renovation code, registry plate,
/// or street and plate number. The map's search box flies to what this finds.
#[utoipa::path(
    get,
    path = "/api/v1/parcels/search",
    tag = "parcels",
    params(SearchQuery),
    responses((status = 200, description = "The parcels found (maybe none).", body = ParcelList)),
    security(("bearer" = []))
)]
pub async fn search_parcels(
    State(state): State<AppState>,
    bearer: Bearer,
    Query(q): Query<SearchQuery>,
) -> Result<axum::Json<ParcelList>, ApiError> {
    let r = state
        .backends
        .property()
        .search_parcels(outgoing(
            pb::SearchParcelsRequest {
                query: q.q,
                page_size: q.limit.unwrap_or_default(),
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(ParcelList::found(r)))
}

/// The parcels the logged-in person owns a share of ("your properties" on the map).
#[utoipa::path(
    get,
    path = "/api/v1/me/parcels",
    tag = "parcels",
    responses((status = 200, description = "The caller's parcels (maybe none).", body = ParcelList)),
    security(("bearer" = []))
)]
pub async fn my_parcels(
    State(state): State<AppState>,
    bearer: Bearer,
) -> Result<axum::Json<ParcelList>, ApiError> {
    let r = state
        .backends
        .property()
        .list_my_parcels(outgoing(
            pb::ListMyParcelsRequest { page_size: 0 },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(ParcelList::own(r)))
}

/// `?lat=&lon=` of the point query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AtQuery {
    /// Latitude (WGS 84).
    #[param(minimum = -90, maximum = 90)]
    pub lat: f64,
    /// Longitude (WGS 84).
    #[param(minimum = -180, maximum = 180)]
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
        return Err(errors::point_out_of_range());
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
    #[param(value_type = crate::openapi::formats::Bbox)]
    pub bbox: String,
    /// Most features in this page, at least 1 (the server caps it).
    #[serde(default)]
    #[param(minimum = 1)]
    pub limit: Option<i32>,
    /// Continues a previous page (from its `next` link).
    #[serde(default)]
    #[param(value_type = Option<crate::openapi::formats::PageToken>)]
    pub page_token: Option<String>,
}

/// Parses `minLon,minLat,maxLon,maxLat`.
fn parse_bbox(text: &str) -> Result<common::BoundingBox, ApiError> {
    let v: Vec<f64> = text
        .split(',')
        .map(|s| s.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| errors::bbox_invalid())?;
    let [min_lon, min_lat, max_lon, max_lat] = v[..] else {
        return Err(errors::bbox_invalid());
    };
    let sound = min_lon <= max_lon
        && min_lat <= max_lat
        && v.iter().all(|x| x.is_finite())
        && (-90.0..=90.0).contains(&min_lat)
        && (-90.0..=90.0).contains(&max_lat);
    if !sound {
        return Err(errors::bbox_invalid());
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
        return Err(errors::parcel_limit_invalid());
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

/// Where the city's labels are asked for.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LabelsQuery {
    /// `minLon,minLat,maxLon,maxLat` in WGS84.
    #[param(value_type = crate::openapi::formats::Bbox)]
    pub bbox: String,
}

/// The city's labels in a box — street names along their lines, block numbers and
/// landmarks at their points — as a GeoJSON FeatureCollection (OGC API – Features), for the
/// map to draw with no tile server. Empty when the city has no label layer.
#[utoipa::path(
    get,
    path = "/api/v1/collections/labels/items",
    tag = "parcels",
    params(LabelsQuery),
    responses((status = 200, description = "A GeoJSON FeatureCollection of labels (properties `kind`: street, block or place; `name`).", content_type = "application/geo+json", body = Object)),
    security(("bearer" = []))
)]
pub async fn label_items(
    State(state): State<AppState>,
    bearer: Bearer,
    Query(q): Query<LabelsQuery>,
) -> Result<Response, ApiError> {
    let bbox = parse_bbox(&q.bbox)?;
    let r = state
        .backends
        .property()
        .list_map_labels(outgoing(
            pb::ListMapLabelsRequest { bbox: Some(bbox) },
            bearer.token(),
        ))
        .await?
        .into_inner();
    let collection: serde_json::Value = serde_json::from_str(&r.feature_collection_geojson)
        .map_err(|_| dto::missing("valid GeoJSON"))?;
    let mut response = axum::Json(collection).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/geo+json"),
    );
    Ok(response)
}
