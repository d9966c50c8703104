//! The API's own description: the OpenAPI 3.1 document generated from the handlers, and a
//! reference page rendering it with the vendored swagger-ui (no CDN; no inline script: the
//! page loads `assets/docs/docs.js`, which starts swagger-ui).

use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;
use crate::{assets, openapi};

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(openapi_json))
        .routes(routes!(reference_page))
}

/// The OpenAPI 3.1 document of every route of this gateway.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "documentation",
    responses((status = 200, description = "The OpenAPI 3.1 document.", body = serde_json::Value, content_type = "application/json"))
)]
pub async fn openapi_json() -> Response {
    let mut response = openapi::json().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // The document changes only with the binary.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// A browsable reference of the API (swagger-ui).
#[utoipa::path(
    get,
    path = "/api/docs",
    tag = "documentation",
    responses((status = 200, description = "An HTML page rendering the OpenAPI document.", body = String, content_type = "text/html"))
)]
pub async fn reference_page() -> Response {
    let html = assets::text("docs/index.html").replace("{{assets}}", &assets::url(""));
    let mut response = Html(html).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
