//! Guarantees that every error under `/api/` is problem+json, including the ones axum and
//! tower produce on their own with an empty body (405 for a wrong method, 413, 408…).

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use estelam_runtime::error::ServiceError;

use crate::errors;
use crate::fallback::is_api;
use crate::problem::{ApiError, PROBLEM_JSON};

/// The problem standing in for a bare error `status`.
fn problem_for(status: StatusCode) -> ApiError {
    match status {
        StatusCode::METHOD_NOT_ALLOWED => errors::method_not_allowed(),
        StatusCode::PAYLOAD_TOO_LARGE => errors::body_too_large(),
        StatusCode::NOT_FOUND => errors::route_not_found(),
        s if s.is_server_error() => {
            ApiError::from(ServiceError::internal(anyhow::anyhow!("bare {s} response")))
                .with_status(s)
        }
        s => errors::request_refused(s),
    }
}

/// Middleware: replaces a bare API error response with the matching problem.
pub async fn problems_only(request: Request, next: Next) -> Response {
    let api = is_api(request.uri().path());
    let response = next.run(request).await;
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !api || is_problem || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let mut replaced = problem_for(status).into_response();
    if let Some(allow) = allow {
        replaced.headers_mut().insert(header::ALLOW, allow);
    }
    replaced
}
