//! The documents that let anyone check a printed answer's QR code offline, over the inquiry
//! service: the trust list (answer-signing keys with their periods, signed by the root key
//! verifiers pin) and the status list (revocations), both compact JWS; and the admin's
//! rotation of the answer-signing key. See `docs/certificate.md`.

use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::grpc::outgoing;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bearer::Bearer;
use crate::problem::ApiError;
use crate::state::AppState;

mod code_check;
mod reseal;

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(answer_trust_list))
        .routes(routes!(answer_status_list))
        .routes(routes!(rotate_answer_signing_key))
        .routes(routes!(code_check::check_answer_code))
        .routes(routes!(reseal::reseal_answer_signing_keys))
        .routes(routes!(reseal::reseal_token_signing_keys))
}

/// The header that repeats the root key's fingerprint, for a person comparing it by eye.
const ROOT_FINGERPRINT: HeaderName = HeaderName::from_static("x-estelam-root-fingerprint");

fn signed_document(body: String, content_type: &'static str, max_age: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(max_age));
    // Public, signed, and fetched without credentials by the offline page saved to a file
    // (origin `null`) or served elsewhere: any origin may read them.
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// The trust list (public): a compact JWS (`typ` `jwk-set+jwt`) whose payload is a JWK Set
/// of every answer-signing key with `nbf`/`exp`, signed by the root key in its header.
#[utoipa::path(
    get,
    path = "/api/v1/answer-trust-list",
    tag = "inquiries",
    responses((status = 200, description = "The signed trust list.", body = String, content_type = "application/jwk-set+jwt")),
    security(())
)]
pub async fn answer_trust_list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let r = state
        .backends
        .inquiry()
        .get_answer_trust_list(outgoing(pb::GetAnswerTrustListRequest {}, None))
        .await?
        .into_inner();
    let mut response = signed_document(
        r.trust_list,
        "application/jwk-set+jwt",
        "public, max-age=300",
    );
    if let Ok(v) = HeaderValue::from_str(&r.root_fingerprint) {
        response.headers_mut().insert(ROOT_FINGERPRINT, v);
    }
    Ok(response)
}

/// The status list (public): an IETF Token Status List in its JWT form, one bit per answer
/// with a QR code, set when revoked; rebuilt on every request, cacheable for its `ttl`.
#[utoipa::path(
    get,
    path = "/api/v1/answer-status-list",
    tag = "inquiries",
    responses((status = 200, description = "The signed status list.", body = String, content_type = "application/statuslist+jwt")),
    security(())
)]
pub async fn answer_status_list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let r = state
        .backends
        .inquiry()
        .get_answer_status_list(outgoing(pb::GetAnswerStatusListRequest {}, None))
        .await?
        .into_inner();
    Ok(signed_document(
        r.status_list,
        "application/statuslist+jwt",
        "public, max-age=60",
    ))
}

/// The new current answer-signing key.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedKey {
    /// Its key id; the previous key stays in the trust list.
    pub kid: String,
}

/// Replaces the current answer-signing key now (admins); answers signed before keep
/// verifying with the old key, which the trust list keeps with the end of its period.
#[utoipa::path(
    post,
    path = "/api/v1/admin/answer-signing-key/rotate",
    tag = "inquiries",
    responses((status = 200, description = "The new key's id.", body = RotatedKey)),
    security(("bearer" = []))
)]
pub async fn rotate_answer_signing_key(
    State(state): State<AppState>,
    bearer: Bearer,
) -> Result<axum::Json<RotatedKey>, ApiError> {
    let r = state
        .backends
        .inquiry()
        .rotate_answer_signing_key(outgoing(
            pb::RotateAnswerSigningKeyRequest {},
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(RotatedKey { kid: r.kid }))
}
