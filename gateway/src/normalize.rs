//! Guarantees that every error under `/api/` is problem+json, including the ones axum and
//! tower produce on their own with an empty body (405 for a wrong method, 413, 408…).

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use estelam_runtime::error::{ErrorCode, ServiceError};

use crate::fallback::is_api;
use crate::limits;
use crate::problem::{ApiError, PROBLEM_JSON};

/// The problem standing in for a bare error `status`.
fn problem_for(status: StatusCode) -> ApiError {
    match status {
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            ErrorCode::InvalidArgument,
            "METHOD_NOT_ALLOWED",
            "این نشانی این روش درخواست را نمی‌پذیرد؛ روش‌های پذیرفته در سرآیند Allow آمده‌اند.",
            "This address does not accept this request method; see the Allow header.",
        )
        .with_status(status),
        StatusCode::PAYLOAD_TOO_LARGE => limits::too_large(),
        StatusCode::NOT_FOUND => ApiError::no_route(),
        s if s.is_server_error() => {
            ApiError::from(ServiceError::internal(anyhow::anyhow!("bare {s} response")))
                .with_status(s)
        }
        s => ApiError::new(
            ErrorCode::InvalidArgument,
            "BAD_REQUEST",
            "درخواست پذیرفته نشد؛ آن را بررسی و دوباره بفرستید.",
            "The request was not accepted; check it and send it again.",
        )
        .with_status(s),
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
