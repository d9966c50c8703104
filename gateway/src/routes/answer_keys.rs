//! The public keys that sign inquiry answers (`GET /api/v1/answer-signing-keys`), over the
//! inquiry service: with an answer's `signed_payload`, `signature` and `signing_key_id`, a
//! bank or notary office checks an answer offline, without asking Estelam each time.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use estelam_proto::identity::v1::SigningKey;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::grpc::outgoing;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::dto::instant;
use crate::problem::ApiError;
use crate::state::AppState;

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_answer_signing_keys))
}

/// One Ed25519 public key that signs answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerSigningKey {
    /// Matches an answer's `signing_key_id`.
    pub kid: String,
    /// Always `EdDSA` (Ed25519).
    pub algorithm: String,
    /// The raw 32-byte public key, standard base64.
    pub public_key: String,
    /// The same key as a PEM `PUBLIC KEY` block.
    pub public_key_pem: String,
    /// When it started signing (RFC 3339).
    pub not_before: Option<String>,
    /// When it stopped being trusted (RFC 3339); absent for the current key.
    pub not_after: Option<String>,
}

impl From<SigningKey> for AnswerSigningKey {
    fn from(k: SigningKey) -> Self {
        Self {
            public_key: BASE64.encode(&k.public_key),
            kid: k.kid,
            algorithm: k.algorithm,
            public_key_pem: k.public_key_pem,
            not_before: instant(k.not_before),
            not_after: instant(k.not_after),
        }
    }
}

/// The keys, current first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerSigningKeys {
    /// The keys.
    pub keys: Vec<AnswerSigningKey>,
}

/// The public keys that sign answers (public: verifying needs no account).
#[utoipa::path(
    get,
    path = "/api/v1/answer-signing-keys",
    tag = "inquiries",
    responses((status = 200, description = "The keys, current first.", body = AnswerSigningKeys)),
    security(())
)]
pub async fn list_answer_signing_keys(State(state): State<AppState>) -> Result<Response, ApiError> {
    let r = state
        .backends
        .inquiry()
        .list_answer_signing_keys(outgoing(pb::ListAnswerSigningKeysRequest {}, None))
        .await?
        .into_inner();
    let body = AnswerSigningKeys {
        keys: r.keys.into_iter().map(Into::into).collect(),
    };
    let mut response = axum::Json(body).into_response();
    // Keys change rarely and only by rotation, which keeps the old key listed.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(response)
}
