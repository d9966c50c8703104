//! OGC API – Features, the parts a GIS client reads before the parcels themselves: the
//! landing page (`/api/v1`), the conformance classes (`/api/v1/conformance`), the collections
//! (`/api/v1/collections`) and each collection (`/api/v1/collections/parcels`, and the
//! city's label layer, `/api/v1/collections/labels`). With
//! them QGIS, ArcGIS Pro or GDAL open the parcels layer from the API's address alone; the
//! items themselves stay at `/api/v1/collections/parcels/items` (routes/parcels.rs) and need
//! a token. Links are relative to the API, as the items' `next` links are.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::errors;
use crate::extract::Path;
use crate::problem::ApiError;
use crate::state::AppState;

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(landing))
        .routes(routes!(conformance))
        .routes(routes!(collections))
        .routes(routes!(collection))
}

/// The municipality's parcels.
const PARCELS: &str = "parcels";
/// The city's label layer (street names, block numbers, landmarks).
const LABELS: &str = "labels";

/// The conformance classes the parcels' routes meet: Core (items with bbox/limit and
/// `next` links) and GeoJSON.
const CLASSES: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
];

fn json_response(body: Value) -> Response {
    let mut response = axum::Json(body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn link(href: &str, rel: &str, kind: &str, title: &str) -> Value {
    json!({ "href": href, "rel": rel, "type": kind, "title": title })
}

/// The parcels collection's description.
fn parcels_collection() -> Value {
    json!({
        "id": PARCELS,
        "title": "Parcels (قطعات)",
        "description": "Every registered parcel, its outline in WGS 84 and its public facts \
                        (renovation code, land use, address, registry plate).",
        "itemType": "feature",
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "extent": { "spatial": { "bbox": [[-180.0, -90.0, 180.0, 90.0]] } },
        "links": [
            link("/api/v1/collections/parcels", "self", "application/json", "This collection"),
            link("/api/v1/collections/parcels/items", "items", "application/geo+json", "The parcels (a token is needed)"),
        ],
    })
}

/// The labels collection's description.
fn labels_collection() -> Value {
    json!({
        "id": LABELS,
        "title": "Labels (نام معابر و بلوک‌ها)",
        "description": "The city's street names along their lines, block numbers and landmarks \
                        at their points, as the municipality's own label layer gives them.",
        "itemType": "feature",
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "extent": { "spatial": { "bbox": [[-180.0, -90.0, 180.0, 90.0]] } },
        "links": [
            link("/api/v1/collections/labels", "self", "application/json", "This collection"),
            link("/api/v1/collections/labels/items", "items", "application/geo+json", "The labels (a token and a bbox are needed)"),
        ],
    })
}

/// OGC API – Features landing page: what this API is and where its parts are.
#[utoipa::path(
    get,
    path = "/api/v1",
    tag = "parcels",
    responses((status = 200, description = "The landing page (OGC API – Features).", body = Object)),
    security(())
)]
pub async fn landing() -> Response {
    json_response(json!({
        "title": "Estelam — municipal parcels",
        "description": "The municipality's parcels as OGC API – Features; the rest of the HTTP API is described by the OpenAPI document.",
        "links": [
            link("/api/v1", "self", "application/json", "This document"),
            link("/api/openapi.json", "service-desc", "application/vnd.oai.openapi+json;version=3.1", "The API definition"),
            link("/api/docs", "service-doc", "text/html", "The API documentation"),
            link("/api/v1/conformance", "conformance", "application/json", "Conformance classes"),
            link("/api/v1/collections", "data", "application/json", "The collections"),
        ],
    }))
}

/// The OGC API – Features conformance classes this API meets.
#[utoipa::path(
    get,
    path = "/api/v1/conformance",
    tag = "parcels",
    responses((status = 200, description = "The conformance classes.", body = Object)),
    security(())
)]
pub async fn conformance() -> Response {
    json_response(json!({ "conformsTo": CLASSES }))
}

/// The feature collections: one, the parcels.
#[utoipa::path(
    get,
    path = "/api/v1/collections",
    tag = "parcels",
    responses((status = 200, description = "The collections.", body = Object)),
    security(())
)]
pub async fn collections() -> Response {
    json_response(json!({
        "links": [link("/api/v1/collections", "self", "application/json", "The collections")],
        "collections": [parcels_collection(), labels_collection()],
    }))
}

/// One feature collection's description.
#[utoipa::path(
    get,
    path = "/api/v1/collections/{collection_id}",
    tag = "parcels",
    params(("collection_id" = crate::openapi::formats::CollectionId, Path, description = "`parcels` or `labels`.")),
    responses((status = 200, description = "The collection.", body = Object)),
    security(())
)]
pub async fn collection(Path(id): Path<String>) -> Result<Response, ApiError> {
    match id.as_str() {
        PARCELS => Ok(json_response(parcels_collection())),
        LABELS => Ok(json_response(labels_collection())),
        _ => Err(errors::collection_not_found()),
    }
}
