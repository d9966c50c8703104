//! Accounts and sessions (`/api/v1/auth/…`, `/api/v1/me`), over the identity service.
//!
//! `logout` is the worked example of a gateway route: a JSON body through
//! [`crate::extract::Json`] (bad input is a 400 problem naming the field), the caller's
//! token passed through with [`Bearer`], one gRPC call with `grpc::outgoing` (token and
//! trace context), and `?` turning the service's `tonic::Status` into a problem+json
//! [`ApiError`]. The `#[utoipa::path]` attribute is the route's OpenAPI entry; the shared
//! problem response is added to it by `openapi.rs`.

use axum::extract::State;
use axum::http::StatusCode;
use estelam_proto::identity::v1::LogoutRequest;
use estelam_runtime::grpc::outgoing;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bearer::Bearer;
use crate::extract::Json;
use crate::problem::ApiError;
use crate::state::AppState;

/// The account and session routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(logout))
}

/// The body of `POST /api/v1/auth/logout`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogoutBody {
    /// Refresh token of the session to end; may be empty with `all_sessions` and an access
    /// token.
    #[serde(default)]
    pub refresh_token: String,
    /// End every session of the account, not just this one (needs the access token).
    #[serde(default)]
    pub all_sessions: bool,
}

/// Ends a session (or all of them): its refresh token stops working at once.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    request_body = LogoutBody,
    responses((status = 204, description = "The session has ended (also when it had ended already).")),
    security((), ("bearer" = []))
)]
pub async fn logout(
    State(state): State<AppState>,
    bearer: Bearer,
    Json(body): Json<LogoutBody>,
) -> Result<StatusCode, ApiError> {
    let request = LogoutRequest {
        refresh_token: body.refresh_token,
        all_sessions: body.all_sessions,
    };
    state
        .backends
        .identity()
        .logout(outgoing(request, bearer.token()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
