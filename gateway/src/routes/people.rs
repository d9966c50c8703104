//! People on the staff desk (`/api/v1/accounts`), for admins, over identity: find accounts
//! by role, organisation, status or text; create a clerk or admin; disable and enable an
//! account; reset a staff member's or an authority user's password. A generated password
//! is in the answer only once, and the person must change it at the next login.

use axum::extract::State;
use axum::http::StatusCode;
use estelam_proto::identity::v1 as pb;
use estelam_runtime::grpc::outgoing;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bearer::Bearer;
use crate::dto::{self, AuditStamp, enum_name, parse_enum};
use crate::extract::{Json, Path, Query};
use crate::openapi::formats::{Id, Mobile, NationalCode, PersonName, Reason};
use crate::problem::ApiError;
use crate::state::AppState;

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_accounts))
        .routes(routes!(create_staff))
        .routes(routes!(disable_account))
        .routes(routes!(enable_account))
        .routes(routes!(reset_password))
}

/// An account as the admin desk shows it: a person (citizen, staff, an authority's user) or
/// a machine (a service account, an organisation's API client).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeskAccount {
    /// The account's id.
    pub account_id: String,
    /// `citizen`, `clerk`, `admin`, `authority`, `service`.
    pub roles: Vec<String>,
    /// `active` or `disabled`.
    pub status: String,
    /// A person's national code; empty for machines.
    pub national_code: String,
    /// A person's membership code; empty for machines.
    pub membership_code: String,
    /// Given name; empty for machines.
    pub first_name: String,
    /// Family name; empty for machines.
    pub last_name: String,
    /// The name shown: "first last", or a machine's name.
    pub display_name: String,
    /// Mobile number (`09…`); empty for machines.
    pub mobile: String,
    /// The organisation an authority user or API client acts for; empty otherwise.
    pub organization_id: String,
    /// A machine's client id for `POST /oauth/token`; empty for people.
    pub client_id: String,
    /// Whether the password was set by an admin and must be changed at the next login.
    pub password_change_required: bool,
    /// When the account was created (RFC 3339).
    pub created_at: Option<String>,
    /// Who last changed its status, roles or password, and when.
    pub last_changed: Option<AuditStamp>,
}

impl From<pb::Account> for DeskAccount {
    fn from(a: pb::Account) -> Self {
        Self {
            roles: a
                .roles()
                .map(|r| enum_name(r.as_str_name(), "ROLE_"))
                .collect(),
            status: enum_name(a.status().as_str_name(), "ACCOUNT_STATUS_"),
            account_id: a.account_id,
            national_code: a.national_code,
            membership_code: a.membership_code,
            first_name: a.first_name,
            last_name: a.last_name,
            display_name: a.display_name,
            mobile: a.mobile,
            organization_id: a.organization_id,
            client_id: a.client_id,
            password_change_required: a.password_change_required,
            created_at: dto::instant(a.created_at),
            last_changed: dto::stamp(a.last_changed),
        }
    }
}

/// The account in a service's answer, or an internal error.
pub fn desk_account(a: Option<pb::Account>) -> Result<DeskAccount, ApiError> {
    Ok(a.ok_or_else(|| dto::missing("account"))?.into())
}

/// Filters of `GET /api/v1/accounts`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AccountsQuery {
    /// Only accounts with this role: `citizen`, `clerk`, `admin`, `authority`, `service`.
    #[serde(default)]
    #[param(schema_with = role_filter_schema)]
    pub role: Option<String>,
    /// Only the users and clients of this organisation.
    #[serde(default)]
    #[param(schema_with = crate::openapi::formats::id_filter)]
    pub organization_id: Option<String>,
    /// Only `active` or only `disabled` accounts.
    #[serde(default)]
    #[param(schema_with = status_filter_schema)]
    pub status: Option<String>,
    /// Free text matched against names, national code, membership code and client id.
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

/// A page of accounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeskAccounts {
    /// Oldest first.
    pub accounts: Vec<DeskAccount>,
    /// Pass as `page_token` for the next page; empty on the last.
    pub next_page_token: String,
}

/// Lists accounts, filtered by role, organisation, status and text. Admin only.
#[utoipa::path(
    get,
    path = "/api/v1/accounts",
    tag = "people",
    params(AccountsQuery),
    responses((status = 200, description = "A page of accounts, oldest first.", body = DeskAccounts)),
    security(("bearer" = []))
)]
pub async fn list_accounts(
    State(state): State<AppState>,
    bearer: Bearer,
    Query(q): Query<AccountsQuery>,
) -> Result<axum::Json<DeskAccounts>, ApiError> {
    let role = optional(&q.role)
        .map(|r| parse_enum("role", r, "ROLE_", role_number))
        .transpose()?
        .unwrap_or_default();
    let status = optional(&q.status)
        .map(|s| {
            parse_enum("status", s, "ACCOUNT_STATUS_", |n| {
                pb::AccountStatus::from_str_name(n).map(|v| v as i32)
            })
        })
        .transpose()?
        .unwrap_or_default();
    let r = state
        .backends
        .identity()
        .list_accounts(outgoing(
            pb::ListAccountsRequest {
                role,
                organization_id: q.organization_id.unwrap_or_default(),
                status,
                query: q.query.unwrap_or_default(),
                page_size: q.page_size.unwrap_or_default(),
                page_token: q.page_token.unwrap_or_default(),
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(DeskAccounts {
        accounts: r.accounts.into_iter().map(Into::into).collect(),
        next_page_token: r.next_page_token,
    }))
}

/// The values an enum filter takes, read off the proto enum's names (blank: no filter), so
/// that the schema promises exactly what [`parse_enum`] accepts.
fn enum_filter_schema(
    names: impl Iterator<Item = &'static str>,
    prefix: &str,
    description: &str,
) -> utoipa::openapi::Object {
    let mut values: Vec<String> = names.map(|n| enum_name(n, prefix)).collect();
    values.push(String::new());
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(values))
        .description(Some(description))
        .build()
}

fn role_filter_schema() -> utoipa::openapi::Object {
    let names = (1..16).filter_map(|n| pb::Role::try_from(n).ok().map(|r| r.as_str_name()));
    enum_filter_schema(names, "ROLE_", "Only accounts with this role.")
}

fn status_filter_schema() -> utoipa::openapi::Object {
    let names =
        (1..16).filter_map(|n| pb::AccountStatus::try_from(n).ok().map(|s| s.as_str_name()));
    enum_filter_schema(names, "ACCOUNT_STATUS_", "Only accounts in this state.")
}

/// A filter's value, `None` when absent or blank.
fn optional(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// `ROLE_CLERK` → its number, for [`parse_enum`].
fn role_number(name: &str) -> Option<i32> {
    pb::Role::from_str_name(name).map(|r| r as i32)
}

/// The body of `POST /api/v1/accounts/staff`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaffBody {
    /// National code of the staff member.
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
    /// Roles to grant: `clerk` and/or `admin`.
    #[schema(schema_with = staff_roles_schema)]
    pub roles: Vec<String>,
}

/// The roles a staff account takes, one or both.
fn staff_roles_schema() -> utoipa::openapi::Array {
    utoipa::openapi::ArrayBuilder::new()
        .items(
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::Type::String)
                .enum_values(Some(["clerk", "admin"])),
        )
        .min_items(Some(1))
        .max_items(Some(2))
        .description(Some("The roles to grant: `clerk` and/or `admin`."))
        .build()
}

/// A person's account with a generated password, shown only in this answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountWithPassword {
    /// The account (`password_change_required` is set).
    pub account: DeskAccount,
    /// The one-time password to hand to the person; Estelam keeps only its hash, and the
    /// person must change it at the next login.
    pub temporary_password: String,
}

/// Creates a clerk or admin account with a generated one-time password. Admin only.
#[utoipa::path(
    post,
    path = "/api/v1/accounts/staff",
    tag = "people",
    request_body = NewStaffBody,
    responses((status = 201, description = "The account, with its one-time password (shown once).", body = AccountWithPassword)),
    security(("bearer" = []))
)]
pub async fn create_staff(
    State(state): State<AppState>,
    bearer: Bearer,
    Json(body): Json<NewStaffBody>,
) -> Result<(StatusCode, axum::Json<AccountWithPassword>), ApiError> {
    let roles = body
        .roles
        .iter()
        .map(|r| parse_enum("roles", r, "ROLE_", role_number))
        .collect::<Result<Vec<i32>, ApiError>>()?;
    let r = state
        .backends
        .identity()
        .create_staff_account(outgoing(
            pb::CreateStaffAccountRequest {
                national_code: body.national_code,
                first_name: body.first_name,
                last_name: body.last_name,
                mobile: body.mobile,
                roles,
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

/// The body of the desk routes that change an account or organisation and record why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountChangeBody {
    /// Why, for the audit trail.
    #[schema(value_type = Reason)]
    pub reason: String,
}

/// Disables an account: it can no longer log in, its sessions end and its unexpired tokens
/// are refused everywhere within one key refresh. Admin only; an admin cannot disable
/// their own account.
#[utoipa::path(
    post,
    path = "/api/v1/accounts/{account_id}/disable",
    tag = "people",
    params(("account_id" = Id, Path, description = "The account's id.")),
    request_body = AccountChangeBody,
    responses((status = 200, description = "The account, now disabled.", body = DeskAccount)),
    security(("bearer" = []))
)]
pub async fn disable_account(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(account_id): Path<String>,
    Json(body): Json<AccountChangeBody>,
) -> Result<axum::Json<DeskAccount>, ApiError> {
    let r = state
        .backends
        .identity()
        .disable_account(outgoing(
            pb::DisableAccountRequest {
                account_id,
                reason: body.reason,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(desk_account(r.account)?))
}

/// Enables a disabled account again. Admin only.
#[utoipa::path(
    post,
    path = "/api/v1/accounts/{account_id}/enable",
    tag = "people",
    params(("account_id" = Id, Path, description = "The account's id.")),
    request_body = AccountChangeBody,
    responses((status = 200, description = "The account, now active.", body = DeskAccount)),
    security(("bearer" = []))
)]
pub async fn enable_account(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(account_id): Path<String>,
    Json(body): Json<AccountChangeBody>,
) -> Result<axum::Json<DeskAccount>, ApiError> {
    let r = state
        .backends
        .identity()
        .enable_account(outgoing(
            pb::EnableAccountRequest {
                account_id,
                reason: body.reason,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(desk_account(r.account)?))
}

/// Gives a staff member or an authority's user a new one-time password: the old one stops
/// working, every session of theirs ends, and they must change it at the next login.
/// Citizens and machine clients are refused (422). Admin only.
#[utoipa::path(
    post,
    path = "/api/v1/accounts/{account_id}/password-reset",
    tag = "people",
    params(("account_id" = Id, Path, description = "The account's id.")),
    request_body = AccountChangeBody,
    responses((status = 200, description = "The account, with its one-time password (shown once).", body = AccountWithPassword)),
    security(("bearer" = []))
)]
pub async fn reset_password(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(account_id): Path<String>,
    Json(body): Json<AccountChangeBody>,
) -> Result<axum::Json<AccountWithPassword>, ApiError> {
    let r = state
        .backends
        .identity()
        .reset_password(outgoing(
            pb::ResetPasswordRequest {
                account_id,
                reason: body.reason,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(AccountWithPassword {
        account: desk_account(r.account)?,
        temporary_password: r.temporary_password,
    }))
}
