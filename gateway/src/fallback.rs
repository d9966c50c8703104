//! What answers when no route matches: a problem for `/api/…`, an embedded file for
//! `/assets/…`, and the portal's shell for every other page address (deep links).

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::assets;
use crate::errors;
use crate::state::AppState;

/// Whether `path` belongs to the JSON API.
pub fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Answers what no route matched: an API path gets a problem, an asset its file, and any
/// other GET the portal's shell, so that deep links and reloads reach the client's router.
pub async fn handle(State(state): State<AppState>, request: Request) -> Response {
    let path = request.uri().path();
    if is_api(path) {
        return errors::route_not_found().into_response();
    }
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        let mut response = (
            StatusCode::METHOD_NOT_ALLOWED,
            "روش درخواست پذیرفته نیست. / Method not allowed.",
        )
            .into_response();
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    if let Some(rest) = path.strip_prefix(assets::PREFIX) {
        return assets::serve(rest, request.headers()).unwrap_or_else(|| {
            (StatusCode::NOT_FOUND, "پرونده پیدا نشد. / File not found.").into_response()
        });
    }
    state.shell.page(path)
}
