//! Organisations on the staff desk, for admins, over identity: every organisation with its
//! state (`/api/v1/desk/organizations`), registering one, disabling and enabling it (its
//! users and API clients stop and start working), creating one of its users, and an API
//! client's public keys (list, revoke). The users and clients themselves are listed by
//! `GET /api/v1/accounts?organization_id=…` ([`crate::routes::people`]).

use axum::extract::State;
use axum::http::StatusCode;
use estelam_proto::common::v1::LocalizedText as PbText;
use estelam_proto::identity::v1 as pb;
use estelam_runtime::grpc::outgoing;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bearer::Bearer;
use crate::dto::{self, AuditStamp, LocalizedText, enum_name, parse_enum};
use crate::extract::{Json, Path, Query};
use crate::openapi::formats::{Id, Mobile, NationalCode, PersonName};
use crate::problem::ApiError;
use crate::routes::people::{AccountChangeBody, AccountWithPassword, desk_account};
use crate::state::AppState;

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_organizations))
        .routes(routes!(create_organization))
        .routes(routes!(disable_organization))
        .routes(routes!(enable_organization))
        .routes(routes!(create_user))
        .routes(routes!(list_client_keys))
        .routes(routes!(revoke_client_key))
}

/// An organisation as the admin desk shows it, disabled ones too.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeskOrganization {
    /// Its id.
    pub organization_id: String,
    /// `notary_office`, `bank`, `court`, `registry`, `other`.
    pub r#type: String,
    /// Name in Persian and English.
    pub name: LocalizedText,
    /// Its official number.
    pub registry_number: String,
    /// City.
    pub city: String,
    /// Postal address.
    pub address: String,
    /// Telephone.
    pub phone: String,
    /// Whether its users and clients may work; false once an admin disabled it.
    pub active: bool,
    /// When it was registered (RFC 3339).
    pub created_at: Option<String>,
}

impl From<pb::Organization> for DeskOrganization {
    fn from(o: pb::Organization) -> Self {
        Self {
            r#type: enum_name(o.r#type().as_str_name(), "ORGANIZATION_TYPE_"),
            organization_id: o.organization_id,
            name: dto::text(o.name),
            registry_number: o.registry_number,
            city: o.city,
            address: o.address,
            phone: o.phone,
            active: o.active,
            created_at: dto::instant(o.created_at),
        }
    }
}

fn desk_organization(o: Option<pb::Organization>) -> Result<DeskOrganization, ApiError> {
    Ok(o.ok_or_else(|| dto::missing("organization"))?.into())
}

/// The organisation types as the API names them, read off the proto: `notary_office`, …
pub fn organization_type_schema() -> utoipa::openapi::Object {
    let names: Vec<String> = (1..16)
        .filter_map(|n| pb::OrganizationType::try_from(n).ok())
        .map(|t| enum_name(t.as_str_name(), "ORGANIZATION_TYPE_"))
        .collect();
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(names))
        .description(Some("The kind of organisation."))
        .build()
}

fn type_number(name: &str) -> Option<i32> {
    pb::OrganizationType::from_str_name(name).map(|t| t as i32)
}

/// Filters of `GET /api/v1/desk/organizations`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeskOrganizationsQuery {
    /// Only this type: `notary_office`, `bank`, `court`, `registry`, `other`.
    #[serde(default)]
    #[param(schema_with = organization_type_schema)]
    pub r#type: Option<String>,
    /// Free text matched against names and the registry number.
    #[serde(default)]
    #[param(value_type = Option<crate::openapi::formats::SearchText>)]
    pub query: Option<String>,
    /// Page size (default 50, at most 500).
    #[serde(default)]
    #[param(minimum = 0)]
    pub page_size: Option<i32>,
    /// `next_page_token` of the previous page.
    #[serde(default)]
    #[param(value_type = Option<crate::openapi::formats::PageToken>)]
    pub page_token: Option<String>,
}

/// A page of organisations.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeskOrganizations {
    /// By name.
    pub organizations: Vec<DeskOrganization>,
    /// Pass as `page_token` for the next page; empty on the last.
    pub next_page_token: String,
}

/// Lists every organisation, disabled ones too, by name. Admin only.
#[utoipa::path(
    get,
    path = "/api/v1/desk/organizations",
    tag = "people",
    params(DeskOrganizationsQuery),
    responses((status = 200, description = "A page of organisations, by name.", body = DeskOrganizations)),
    security(("bearer" = []))
)]
pub async fn list_organizations(
    State(state): State<AppState>,
    bearer: Bearer,
    Query(q): Query<DeskOrganizationsQuery>,
) -> Result<axum::Json<DeskOrganizations>, ApiError> {
    let kind = match q.r#type.as_deref().map(str::trim) {
        None | Some("") => 0,
        Some(t) => parse_enum("type", t, "ORGANIZATION_TYPE_", type_number)?,
    };
    let r = state
        .backends
        .identity()
        .list_organizations(outgoing(
            pb::ListOrganizationsRequest {
                r#type: kind,
                query: q.query.unwrap_or_default(),
                include_inactive: true,
                page_size: q.page_size.unwrap_or_default(),
                page_token: q.page_token.unwrap_or_default(),
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(DeskOrganizations {
        organizations: r.organizations.into_iter().map(Into::into).collect(),
        next_page_token: r.next_page_token,
    }))
}

/// The body of `POST /api/v1/desk/organizations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganizationBody {
    /// `notary_office`, `bank`, `court`, `registry` or `other`.
    #[schema(schema_with = organization_type_schema)]
    pub r#type: String,
    /// Name in Persian (required) and English.
    pub name: OrganizationNameBody,
    /// Its official number: unique with its type and city.
    #[schema(min_length = 1, max_length = 50, example = "12")]
    pub registry_number: String,
    /// City.
    #[schema(min_length = 1, max_length = 100, example = "شاهین‌شهر")]
    pub city: String,
    /// Postal address.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub address: String,
    /// Telephone.
    #[serde(default)]
    #[schema(max_length = 30)]
    pub phone: String,
}

/// A name in Persian and English.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationNameBody {
    /// In Persian; required.
    #[schema(min_length = 1, max_length = 200)]
    pub fa: String,
    /// In English; optional.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub en: String,
}

/// Registers an inquiring authority. Admin only.
#[utoipa::path(
    post,
    path = "/api/v1/desk/organizations",
    tag = "people",
    request_body = NewOrganizationBody,
    responses((status = 201, description = "The organisation.", body = DeskOrganization)),
    security(("bearer" = []))
)]
pub async fn create_organization(
    State(state): State<AppState>,
    bearer: Bearer,
    Json(body): Json<NewOrganizationBody>,
) -> Result<(StatusCode, axum::Json<DeskOrganization>), ApiError> {
    let kind = parse_enum("type", &body.r#type, "ORGANIZATION_TYPE_", type_number)?;
    let r = state
        .backends
        .identity()
        .create_organization(outgoing(
            pb::CreateOrganizationRequest {
                r#type: kind,
                name: Some(PbText {
                    fa: body.name.fa,
                    en: body.name.en,
                }),
                registry_number: body.registry_number,
                city: body.city,
                address: body.address,
                phone: body.phone,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok((
        StatusCode::CREATED,
        axum::Json(desk_organization(r.organization)?),
    ))
}

/// Disables an organisation: none of its users or API clients can log in or get a token,
/// and their sessions and unexpired tokens end. Admin only.
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/disable",
    tag = "people",
    params(("id" = Id, Path, description = "The organisation id.")),
    request_body = AccountChangeBody,
    responses((status = 200, description = "The organisation, now inactive.", body = DeskOrganization)),
    security(("bearer" = []))
)]
pub async fn disable_organization(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    Json(body): Json<AccountChangeBody>,
) -> Result<axum::Json<DeskOrganization>, ApiError> {
    let r = state
        .backends
        .identity()
        .disable_organization(outgoing(
            pb::DisableOrganizationRequest {
                organization_id: id,
                reason: body.reason,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(desk_organization(r.organization)?))
}

/// Enables a disabled organisation; its active users and clients work again. Admin only.
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/enable",
    tag = "people",
    params(("id" = Id, Path, description = "The organisation id.")),
    request_body = AccountChangeBody,
    responses((status = 200, description = "The organisation, now active.", body = DeskOrganization)),
    security(("bearer" = []))
)]
pub async fn enable_organization(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    Json(body): Json<AccountChangeBody>,
) -> Result<axum::Json<DeskOrganization>, ApiError> {
    let r = state
        .backends
        .identity()
        .enable_organization(outgoing(
            pb::EnableOrganizationRequest {
                organization_id: id,
                reason: body.reason,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(desk_organization(r.organization)?))
}

/// The body of `POST /api/v1/organizations/{id}/users`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    /// National code of the user.
    #[schema(value_type = NationalCode)]
    pub national_code: String,
    /// Given name.
    #[schema(value_type = PersonName)]
    pub first_name: String,
    /// Family name.
    #[schema(value_type = PersonName)]
    pub last_name: String,
    /// Mobile number.
    #[schema(value_type = Mobile)]
    pub mobile: String,
}

/// Creates a user of the organisation (the authority role) with a generated one-time
/// password. Admin only; the organisation must be active.
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/users",
    tag = "people",
    params(("id" = Id, Path, description = "The organisation id.")),
    request_body = NewUserBody,
    responses((status = 201, description = "The user, with the one-time password (shown once).", body = AccountWithPassword)),
    security(("bearer" = []))
)]
pub async fn create_user(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    Json(body): Json<NewUserBody>,
) -> Result<(StatusCode, axum::Json<AccountWithPassword>), ApiError> {
    let r = state
        .backends
        .identity()
        .create_authority_user(outgoing(
            pb::CreateAuthorityUserRequest {
                organization_id: id,
                national_code: body.national_code,
                first_name: body.first_name,
                last_name: body.last_name,
                mobile: body.mobile,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok((
        StatusCode::CREATED,
        axum::Json(AccountWithPassword {
            account: desk_account(r.account)?,
            temporary_password: r.initial_password,
        }),
    ))
}

/// A public key an organisation's client signs its token requests with.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeskClientKey {
    /// The key's id.
    pub kid: String,
    /// `ES256` or `EdDSA`.
    pub alg: String,
    /// RFC 7638 SHA-256 thumbprint, base64url.
    pub thumbprint: String,
    /// When and by whom it was registered.
    pub registered: Option<AuditStamp>,
    /// When and by whom it was revoked; `null` while in use.
    pub revoked: Option<AuditStamp>,
    /// Why it was revoked; empty while in use.
    pub revoke_reason: String,
}

impl From<pb::ClientKey> for DeskClientKey {
    fn from(k: pb::ClientKey) -> Self {
        Self {
            kid: k.kid,
            alg: k.alg,
            thumbprint: k.thumbprint,
            registered: dto::stamp(k.registered),
            revoked: dto::stamp(k.revoked),
            revoke_reason: k.revoke_reason,
        }
    }
}

/// A client's keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeskClientKeys {
    /// Every key registered, revoked ones too, oldest first.
    pub keys: Vec<DeskClientKey>,
}

/// Lists an organisation client's public keys, revoked ones too. Admin only.
#[utoipa::path(
    get,
    path = "/api/v1/clients/{account_id}/keys",
    tag = "clients",
    params(("account_id" = Id, Path, description = "The client's account id.")),
    responses((status = 200, description = "The client's keys, oldest first.", body = DeskClientKeys)),
    security(("bearer" = []))
)]
pub async fn list_client_keys(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(account_id): Path<String>,
) -> Result<axum::Json<DeskClientKeys>, ApiError> {
    let r = state
        .backends
        .identity()
        .list_client_keys(outgoing(
            pb::ListClientKeysRequest { account_id },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(DeskClientKeys {
        keys: r.keys.into_iter().map(Into::into).collect(),
    }))
}

/// Revokes one of the client's keys: an assertion signed with it is refused from now on
/// (`invalid_client`); its other keys and its secret keep working. Admin only.
#[utoipa::path(
    post,
    path = "/api/v1/clients/{account_id}/keys/{kid}/revoke",
    tag = "clients",
    params(
        ("account_id" = Id, Path, description = "The client's account id."),
        ("kid" = String, Path, description = "The key's id."),
    ),
    request_body = AccountChangeBody,
    responses((status = 200, description = "The key, now revoked.", body = DeskClientKey)),
    security(("bearer" = []))
)]
pub async fn revoke_client_key(
    State(state): State<AppState>,
    bearer: Bearer,
    Path((account_id, kid)): Path<(String, String)>,
    Json(body): Json<AccountChangeBody>,
) -> Result<axum::Json<DeskClientKey>, ApiError> {
    let r = state
        .backends
        .identity()
        .revoke_client_key(outgoing(
            pb::RevokeClientKeyRequest {
                account_id,
                kid,
                reason: body.reason,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(r.key.ok_or_else(|| dto::missing("key"))?.into()))
}
