//! Operator endpoints: liveness, readiness and a status page. Prometheus metrics are not
//! here: they are served on the admin port (`listen.admin`, `/metrics`), which the Ingress
//! does not reach, so the public cannot read the system's internals.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::status;
use crate::state::AppState;

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
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
