//! Rolling the key-encryption key (admins): re-seal every stored private signing key of a
//! service under a new KEK, all or none, so an operator can replace the KEK without
//! downtime — the answer-signing keys in inquiry, the token-signing keys in identity. See
//! `docs/operations.md`.

use axum::extract::State;
use estelam_proto::identity::v1 as ipb;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::grpc::outgoing;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::bearer::Bearer;
use crate::extract::Json;
use crate::problem::ApiError;
use crate::state::AppState;

/// The body of the two re-sealing routes.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResealBody {
    /// The new key-encryption key, base64 of 32 random bytes. Absent: re-seal under the KEK
    /// already configured (`…signing_key_encryption_key`, rolled out with the old one in
    /// `…_previous`). Never logged.
    #[serde(default)]
    pub new_key_encryption_key: Option<String>,
}

// By hand, so that the KEK never reaches a log line through `{:?}`.
impl std::fmt::Debug for ResealBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResealBody(..)")
    }
}

/// How many keys were re-sealed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Resealed {
    /// Private keys re-sealed under the new KEK.
    pub resealed: u32,
}

/// Re-seals the inquiry service's stored private keys (answer-signing keys and the trust
/// list's root) under a new key-encryption key, all or none (admins).
#[utoipa::path(
    post,
    path = "/api/v1/admin/answer-signing-keys/reseal",
    tag = "inquiries",
    request_body = ResealBody,
    responses((status = 200, description = "The keys were re-sealed.", body = Resealed)),
    security(("bearer" = []))
)]
pub async fn reseal_answer_signing_keys(
    State(state): State<AppState>,
    bearer: Bearer,
    Json(body): Json<ResealBody>,
) -> Result<axum::Json<Resealed>, ApiError> {
    let r = state
        .backends
        .inquiry()
        .reseal_answer_signing_keys(outgoing(
            pb::ResealAnswerSigningKeysRequest {
                new_key_encryption_key: body.new_key_encryption_key.unwrap_or_default(),
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(Resealed {
        resealed: r.resealed,
    }))
}

/// Re-seals the identity service's stored token-signing keys under a new key-encryption
/// key, all or none (admins).
#[utoipa::path(
    post,
    path = "/api/v1/admin/token-signing-keys/reseal",
    tag = "auth",
    request_body = ResealBody,
    responses((status = 200, description = "The keys were re-sealed.", body = Resealed)),
    security(("bearer" = []))
)]
pub async fn reseal_token_signing_keys(
    State(state): State<AppState>,
    bearer: Bearer,
    Json(body): Json<ResealBody>,
) -> Result<axum::Json<Resealed>, ApiError> {
    let r = state
        .backends
        .identity()
        .reseal_token_signing_keys(outgoing(
            ipb::ResealTokenSigningKeysRequest {
                new_key_encryption_key: body.new_key_encryption_key.unwrap_or_default(),
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(Resealed {
        resealed: r.resealed,
    }))
}
