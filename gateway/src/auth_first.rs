//! Authentication before anything else on a protected route: a request without
//! `Authorization` to a route whose OpenAPI operation requires the bearer token is answered
//! 401 before its path, query or body is read, so that a client learns first that it must
//! log in (and a generated client, or Schemathesis, finds every protected route answering
//! 401 to an anonymous request, never 400).
//!
//! Which routes are protected is read from the OpenAPI document, where each handler's
//! `security(…)` says it: an operation whose every requirement names the bearer scheme
//! needs a token; one that also lists the empty requirement `()` takes anonymous callers.
//! The token itself is checked by the services (the gateway is not a trust boundary).

use std::collections::HashSet;
use std::sync::OnceLock;

use axum::extract::{MatchedPath, Request};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use estelam_runtime::error::ServiceError;

use crate::problem::ApiError;

/// `METHOD path-template` of every operation that requires a bearer token.
fn protected() -> &'static HashSet<(Method, String)> {
    static SET: OnceLock<HashSet<(Method, String)>> = OnceLock::new();
    SET.get_or_init(|| {
        let mut set = HashSet::new();
        for (path, item) in &crate::openapi::document().paths.paths {
            let operations = [
                (Method::GET, &item.get),
                (Method::PUT, &item.put),
                (Method::POST, &item.post),
                (Method::DELETE, &item.delete),
                (Method::PATCH, &item.patch),
            ];
            for (method, op) in operations {
                let Some(op) = op else { continue };
                let Some(requirements) = &op.security else {
                    continue;
                };
                // `()` serialises as `{}`: an empty requirement means "no token needed".
                let anonymous_allowed = requirements.iter().any(|r| {
                    serde_json::to_value(r)
                        .ok()
                        .and_then(|v| v.as_object().map(serde_json::Map::is_empty))
                        .unwrap_or(false)
                });
                if !requirements.is_empty() && !anonymous_allowed {
                    set.insert((method, path.clone()));
                }
            }
        }
        set
    })
}

/// Middleware (a route layer, so the route is matched): 401 for a protected route's request
/// without `Authorization`.
pub async fn require_token(request: Request, next: Next) -> Response {
    let needs_token = request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|p| protected().contains(&(request.method().clone(), p.as_str().to_owned())));
    if needs_token && !request.headers().contains_key(header::AUTHORIZATION) {
        return ApiError::from(ServiceError::unauthenticated()).into_response();
    }
    next.run(request).await
}

/// Builds the set now (at start-up, not on the first request).
pub fn prepare() {
    let _ = protected();
}
