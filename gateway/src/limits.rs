//! How much a request may ask of the gateway: body size, time, and concurrency. Each
//! limit answers with problem+json in both languages, never a bare status.
//!
//! Bodies: small for JSON (`gateway.json_body_limit_bytes`), larger for the one streamed
//! upload route (`POST /api/v1/documents`, `gateway.upload_body_limit_bytes`), and up to
//! 1 MiB for a batch of 1,000 parcels (`POST /api/v1/batches`). A declared
//! `Content-Length` over the limit is refused at once; an undeclared (chunked) body is cut
//! off where it crosses the limit, and the extractor reading it answers 413.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use estelam_runtime::config::GatewaySettings;

use crate::errors;
use crate::problem::ApiError;

/// The one route that takes a large, streamed body.
pub const UPLOAD_PATH: &str = "/api/v1/documents";
/// The bulk-filing route, whose JSON body holds up to 1,000 parcels.
pub const BATCH_PATH: &str = "/api/v1/batches";
/// Largest bulk-filing body: 1,000 items of about half a kilobyte each, with room to spare.
pub const BATCH_BODY_BYTES: usize = 1024 * 1024;

/// Body and time limits per kind of route.
#[derive(Debug, Clone, Copy)]
pub struct RouteLimits {
    /// Largest ordinary body.
    pub json_bytes: usize,
    /// Largest upload body.
    pub upload_bytes: usize,
    /// Longest ordinary request.
    pub timeout: Duration,
    /// Longest upload.
    pub upload_timeout: Duration,
}

impl RouteLimits {
    /// The limits from `[gateway]`, read once at start so that every request is measured
    /// against the same numbers.
    pub fn from_settings(s: &GatewaySettings) -> Self {
        Self {
            json_bytes: s.json_body_limit_bytes,
            upload_bytes: s.upload_body_limit_bytes,
            timeout: Duration::from_millis(s.request_timeout_ms),
            upload_timeout: Duration::from_millis(s.upload_timeout_ms),
        }
    }

    fn is_upload(request: &Request) -> bool {
        request.method() == Method::POST && request.uri().path() == UPLOAD_PATH
    }

    /// `(body limit, time limit)` for this request.
    fn for_request(&self, request: &Request) -> (usize, Duration) {
        if Self::is_upload(request) {
            (self.upload_bytes, self.upload_timeout)
        } else if request.method() == Method::POST && request.uri().path() == BATCH_PATH {
            (self.json_bytes.max(BATCH_BODY_BYTES), self.timeout)
        } else {
            (self.json_bytes, self.timeout)
        }
    }
}

/// Middleware: refuses or caps the request body according to its route.
pub async fn body_limit(
    State(limits): State<RouteLimits>,
    request: Request,
    next: Next,
) -> Response {
    let (max, _) = limits.for_request(&request);
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max as u64) {
        return errors::body_too_large().into_response();
    }
    let request = request.map(|body| Body::new(http_body_util::Limited::new(body, max)));
    next.run(request).await
}

/// Middleware: answers 504 when the route's time runs out (dropping the work in flight,
/// which cancels its gRPC calls).
pub async fn timeout(State(limits): State<RouteLimits>, request: Request, next: Next) -> Response {
    let (_, time) = limits.for_request(&request);
    match tokio::time::timeout(time, next.run(request)).await {
        Ok(response) => response,
        Err(_) => errors::gateway_timeout().into_response(),
    }
}

/// Turns the load-shedding layer's refusal into a problem (`HandleErrorLayer`).
pub async fn shed(err: tower::BoxError) -> ApiError {
    if err.is::<tower::load_shed::error::Overloaded>() {
        errors::gateway_overloaded()
    } else {
        ApiError::from(estelam_runtime::error::ServiceError::internal(
            anyhow::anyhow!(err),
        ))
    }
}
