//! An account whose password was set for it (a generated or one-time password, the `pwc`
//! claim of its access token) may do nothing through the gateway but change the password,
//! ask who it is and log out, until it has changed it: every other `/api/` call is refused
//! here with 403 `PASSWORD_CHANGE_REQUIRED`, as every service refuses it over gRPC. The
//! services hold the rule on their own (the gateway is not a trust boundary); this answers
//! the same refusal before any service is called, and the portal takes the person to the
//! change-password page.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use estelam_runtime::auth::{TokenVerifier, bearer_token};
use estelam_runtime::error::ServiceError;

use crate::problem::ApiError;

/// The routes a token with the `pwc` claim may call: change the password, see the own
/// account, log out.
pub const ALLOWED: &[(Method, &str)] = &[
    (Method::POST, "/api/v1/me/password"),
    (Method::GET, "/api/v1/me"),
    (Method::POST, "/api/v1/auth/logout"),
];

/// Middleware: refuses a flagged account's token on every API route but [`ALLOWED`]. A
/// token this gateway cannot verify passes on; the service refuses it.
pub async fn hold(State(verifier): State<TokenVerifier>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path.starts_with("/api/")
        && !ALLOWED
            .iter()
            .any(|(method, allowed)| method == request.method() && *allowed == path)
        && bearer_token(request.headers())
            .and_then(|token| verifier.verify(token).ok())
            .is_some_and(|caller| caller.password_change_required)
    {
        return ApiError::from(ServiceError::password_change_required()).into_response();
    }
    next.run(request).await
}
