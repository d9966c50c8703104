//! Operator endpoints: liveness, readiness, Prometheus metrics and a status page.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::status;
use crate::state::AppState;

/// The operator routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
        .routes(routes!(status_page))
}

/// Liveness: the process answers.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "The gateway process is alive.", body = String, content_type = "text/plain"))
)]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: every service answers its gRPC health check.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Every service is serving.", body = String, content_type = "text/plain"),
        (status = 503, description = "Names the services that are not serving.", body = String, content_type = "text/plain")
    )
)]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, String) {
    status::readyz(&state.backends).await
}

/// Prometheus metrics of this process, in the text exposition format.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format 0.0.4.", body = String, content_type = "text/plain"))
)]
pub async fn metrics() -> Response {
    let mut response = estelam_runtime::metrics::render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// A page, Persian first, saying which services answer their health checks.
#[utoipa::path(
    get,
    path = "/status",
    tag = "operations",
    responses((status = 200, description = "An HTML page listing each service and whether it serves.", body = String, content_type = "text/html"))
)]
pub async fn status_page(State(state): State<AppState>) -> Response {
    status::page(&state.backends).await.into_response()
}
