//! Organisations' API clients for admins (`/api/v1/organizations/{id}/clients`,
//! `/api/v1/clients/{account_id}/…`), over identity: register a client for an organisation,
//! rotate its secret with an overlap, register a public key for `private_key_jwt`, revoke
//! it. A secret is in the answer only once.

use axum::extract::State;
use axum::http::StatusCode;
use estelam_proto::identity::v1 as pb;
use estelam_runtime::grpc::outgoing;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bearer::Bearer;
use crate::dto::{self, Account};
use crate::extract::{Json, Path};
use crate::problem::ApiError;
use crate::state::AppState;

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_client))
        .routes(routes!(rotate_secret))
        .routes(routes!(register_key))
        .routes(routes!(revoke_client))
}

/// The body of `POST /api/v1/organizations/{id}/clients`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClientBody {
    /// The software's name, 1–40 of a-z, 0-9, `-`, `_`, `.`; the client id starts with it.
    #[schema(example = "notary-desk", pattern = "^[a-z0-9._-]{1,40}$")]
    pub name: String,
    /// What the client is for.
    #[serde(default)]
    #[schema(value_type = crate::openapi::formats::OptionalReason)]
    pub description: String,
}

/// A client and its secret, shown only in this answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientWithSecret {
    /// The client id for `POST /oauth/token`.
    pub client_id: String,
    /// The client secret; Estelam keeps only its hash.
    pub client_secret: String,
    /// The client's account (authority role, the organisation).
    pub account: Account,
}

/// Registers an API client for the organisation. Admin only.
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/clients",
    tag = "clients",
    params(("id" = crate::openapi::formats::Id, Path, description = "The organisation id.")),
    request_body = NewClientBody,
    responses((status = 201, description = "The client, with its secret (shown once).", body = ClientWithSecret)),
    security(("bearer" = []))
)]
pub async fn create_client(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    Json(body): Json<NewClientBody>,
) -> Result<(StatusCode, axum::Json<ClientWithSecret>), ApiError> {
    let r = state
        .backends
        .identity()
        .create_organization_client(outgoing(
            pb::CreateOrganizationClientRequest {
                organization_id: id,
                name: body.name,
                description: body.description,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok((
        StatusCode::CREATED,
        axum::Json(ClientWithSecret {
            client_id: r.client_id,
            client_secret: r.client_secret,
            account: r.account.ok_or_else(|| dto::missing("account"))?.into(),
        }),
    ))
}

/// The body of `POST /api/v1/clients/{account_id}/rotate`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateClientBody {
    /// How long the previous secret stays valid, in seconds (0 ends it now; at most 30 days).
    #[serde(default)]
    #[schema(maximum = 2_592_000)]
    pub overlap_seconds: u32,
}

/// A rotated client's new secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedSecret {
    /// The new client secret, shown only here.
    pub client_secret: String,
    /// Until when the previous secret is still accepted (RFC 3339).
    pub previous_valid_until: Option<String>,
    /// The client's account.
    pub account: Account,
}

/// Gives the client a new secret; the previous one stays valid for the overlap. Admin only.
#[utoipa::path(
    post,
    path = "/api/v1/clients/{account_id}/rotate",
    tag = "clients",
    params(("account_id" = crate::openapi::formats::Id, Path, description = "The client's account id.")),
    request_body = RotateClientBody,
    responses((status = 200, description = "The new secret (shown once).", body = RotatedSecret)),
    security(("bearer" = []))
)]
pub async fn rotate_secret(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(account_id): Path<String>,
    Json(body): Json<RotateClientBody>,
) -> Result<axum::Json<RotatedSecret>, ApiError> {
    let r = state
        .backends
        .identity()
        .rotate_client_secret(outgoing(
            pb::RotateClientSecretRequest {
                account_id,
                overlap_seconds: body.overlap_seconds,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(RotatedSecret {
        client_secret: r.client_secret,
        previous_valid_until: dto::instant(r.previous_valid_until),
        account: r.account.ok_or_else(|| dto::missing("account"))?.into(),
    }))
}

/// The body of `POST /api/v1/clients/{account_id}/keys`: the client's public key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientKeyBody {
    /// A public JSON Web Key: `{"kty":"EC","crv":"P-256","x","y"}` (ES256) or
    /// `{"kty":"OKP","crv":"Ed25519","x"}` (EdDSA); `kid` and `alg` optional. A private key
    /// (`d`) is refused.
    #[schema(value_type = Object)]
    pub jwk: serde_json::Value,
}

/// A registered client key.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientKey {
    /// The key's id (its own `kid`, or its thumbprint).
    pub kid: String,
    /// `ES256` or `EdDSA`.
    pub alg: String,
    /// RFC 7638 SHA-256 thumbprint, base64url.
    pub thumbprint: String,
}

/// Registers a public key with which the client authenticates at `POST /oauth/token` by a
/// signed client assertion (`private_key_jwt`, RFC 7523) instead of its secret. Admin only.
#[utoipa::path(
    post,
    path = "/api/v1/clients/{account_id}/keys",
    tag = "clients",
    params(("account_id" = String, Path, description = "The client's account id.")),
    request_body = ClientKeyBody,
    responses((status = 201, description = "The key, registered.", body = ClientKey)),
    security(("bearer" = []))
)]
pub async fn register_key(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(account_id): Path<String>,
    Json(body): Json<ClientKeyBody>,
) -> Result<(StatusCode, axum::Json<ClientKey>), ApiError> {
    let r = state
        .backends
        .identity()
        .register_client_key(outgoing(
            pb::RegisterClientKeyRequest {
                account_id,
                jwk: body.jwk.to_string(),
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok((
        StatusCode::CREATED,
        axum::Json(ClientKey {
            kid: r.kid,
            alg: r.alg,
            thumbprint: r.thumbprint,
        }),
    ))
}

/// The body of `POST /api/v1/clients/{account_id}/revoke`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeClientBody {
    /// Why, for the audit trail.
    #[schema(value_type = crate::openapi::formats::Reason)]
    pub reason: String,
}

/// Revokes the client: no new tokens, and its unexpired ones are refused everywhere within
/// one key refresh. Admin only; an account that is no organisation client is not found.
#[utoipa::path(
    post,
    path = "/api/v1/clients/{account_id}/revoke",
    tag = "clients",
    params(("account_id" = crate::openapi::formats::Id, Path, description = "The client's account id.")),
    request_body = RevokeClientBody,
    responses((status = 200, description = "The revoked client's account.", body = Account)),
    security(("bearer" = []))
)]
pub async fn revoke_client(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(account_id): Path<String>,
    Json(body): Json<RevokeClientBody>,
) -> Result<axum::Json<Account>, ApiError> {
    let mut identity = state.backends.identity();
    // Only an organisation's client: this route never disables a person.
    let account = identity
        .get_account(outgoing(
            pb::GetAccountRequest {
                account_id: account_id.clone(),
            },
            bearer.token(),
        ))
        .await?
        .into_inner()
        .account
        .ok_or_else(|| dto::missing("account"))?;
    if account.client_id.is_empty() || account.organization_id.is_empty() {
        return Err(ApiError::from(
            estelam_runtime::error::ServiceError::not_found(
                "کارخواه سازمان",
                "The organization client",
            ),
        ));
    }
    let r = identity
        .disable_account(outgoing(
            pb::DisableAccountRequest {
                account_id,
                reason: body.reason,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(
        r.account.ok_or_else(|| dto::missing("account"))?.into(),
    ))
}
