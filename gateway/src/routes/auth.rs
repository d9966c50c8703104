//! Accounts and sessions (`/api/v1/auth/…`, `/api/v1/me`), over the identity service.
//!
//! `logout` is the worked example of a gateway route: a JSON body through
//! [`crate::extract::Json`] (bad input is a 400 problem naming the field), the caller's
//! token passed through with [`Bearer`], one gRPC call with `grpc::outgoing` (token and
//! trace context), and `?` turning the service's `tonic::Status` into a problem+json
//! [`ApiError`]. The `#[utoipa::path]` attribute is the route's OpenAPI entry; the shared
//! problem response is added to it by `openapi.rs`.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use estelam_proto::identity::v1::{
    ChangePasswordRequest, GetMeRequest, LoginRequest, LogoutRequest, RefreshRequest,
    RegisterCitizenRequest, SendMobileCodeRequest, VerifyMobileRequest, login_request::Identifier,
};
use estelam_runtime::grpc::outgoing;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bearer::Bearer;
use crate::client_ip::ClientIp;
use crate::dto::{self, Account, Tokens};
use crate::errors;
use crate::extract::Json;
use crate::openapi::formats::{
    MembershipCode, Mobile, MobileCode, NationalCode, Password, PersonName,
};
use crate::problem::ApiError;
use crate::state::AppState;

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(change_password))
        .routes(routes!(send_mobile_code))
        .routes(routes!(verify_mobile))
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

/// Ends a session (or all of them): its refresh token stops working at once, its access
/// tokens at every service within one key refresh (`auth.key_refresh_secs`).
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

/// `request` with `x-forwarded-for: <client>`, so that identity throttles per source (it
/// believes the header only from trusted proxies, i.e. the gateway).
fn forwarded<T>(
    message: T,
    bearer: Option<&str>,
    ip: Option<Extension<ClientIp>>,
) -> tonic::Request<T> {
    let mut request = outgoing(message, bearer);
    if let Some(Extension(ClientIp(ip))) = ip
        && let Ok(value) = ip.to_string().parse()
    {
        request.metadata_mut().insert("x-forwarded-for", value);
    }
    request
}

/// The body of `POST /api/v1/auth/register`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    /// National code, 10 digits.
    #[schema(value_type = NationalCode)]
    pub national_code: String,
    /// First name.
    #[schema(value_type = PersonName)]
    pub first_name: String,
    /// Last name.
    #[schema(value_type = PersonName)]
    pub last_name: String,
    /// Mobile number (`09…`).
    #[schema(value_type = Mobile)]
    pub mobile: String,
    /// Password, 8 to 64 characters, not a common password, not the national code or the
    /// mobile number.
    #[schema(value_type = Password)]
    pub password: String,
}

/// The answer to a registration.
#[derive(Debug, Serialize, ToSchema)]
pub struct Registered {
    /// The new account.
    pub account: Account,
    /// The membership code, an alternative login identifier: shown once, keep it.
    pub membership_code: String,
    /// Until when the code sent to the mobile is valid (RFC 3339).
    pub mobile_code_expires_at: Option<String>,
}

/// Registers a citizen account.
#[utoipa::path(
    post,
    path = "/api/v1/auth/register",
    tag = "auth",
    request_body = RegisterBody,
    responses((status = 201, description = "The account was created.", body = Registered)),
    security(())
)]
pub async fn register(
    State(state): State<AppState>,
    ip: Option<Extension<ClientIp>>,
    Json(body): Json<RegisterBody>,
) -> Result<(StatusCode, axum::Json<Registered>), ApiError> {
    let request = RegisterCitizenRequest {
        national_code: body.national_code,
        first_name: body.first_name,
        last_name: body.last_name,
        mobile: body.mobile,
        password: body.password,
    };
    let r = state
        .backends
        .identity()
        .register_citizen(forwarded(request, None, ip))
        .await?
        .into_inner();
    let account = r.account.ok_or_else(|| dto::missing("account"))?;
    Ok((
        StatusCode::CREATED,
        axum::Json(Registered {
            account: account.into(),
            membership_code: r.membership_code,
            mobile_code_expires_at: dto::instant(r.mobile_code_expires_at),
        }),
    ))
}

/// The body of `POST /api/v1/auth/login`: one of the two identifiers, and the password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// National code (or give `membership_code`).
    #[serde(default)]
    #[schema(value_type = NationalCode)]
    pub national_code: Option<String>,
    /// Membership code (or give `national_code`).
    #[serde(default)]
    #[schema(value_type = MembershipCode)]
    pub membership_code: Option<String>,
    /// The account's password (sent only over TLS; never logged).
    #[schema(min_length = 1, max_length = 1024)]
    pub password: String,
}

/// A new session.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoggedIn {
    /// The session's tokens.
    pub tokens: Tokens,
    /// The account.
    pub account: Account,
}

/// Logs in with a national code or membership code and a password.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    request_body = LoginBody,
    responses((status = 200, description = "Logged in.", body = LoggedIn)),
    security(())
)]
pub async fn login(
    State(state): State<AppState>,
    ip: Option<Extension<ClientIp>>,
    Json(body): Json<LoginBody>,
) -> Result<axum::Json<LoggedIn>, ApiError> {
    let identifier = match (body.national_code, body.membership_code) {
        (Some(code), None) => Identifier::NationalCode(code),
        (None, Some(code)) => Identifier::MembershipCode(code),
        _ => {
            return Err(errors::login_identifier_required());
        }
    };
    let request = LoginRequest {
        identifier: Some(identifier),
        password: body.password,
    };
    let r = state
        .backends
        .identity()
        .login(forwarded(request, None, ip))
        .await?
        .into_inner();
    Ok(axum::Json(LoggedIn {
        tokens: r.tokens.ok_or_else(|| dto::missing("tokens"))?.into(),
        account: r.account.ok_or_else(|| dto::missing("account"))?.into(),
    }))
}

/// The body of `POST /api/v1/auth/refresh`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    /// The refresh token of the session.
    #[schema(min_length = 1, max_length = 4096)]
    pub refresh_token: String,
}

/// New tokens for a session.
#[derive(Debug, Serialize, ToSchema)]
pub struct Refreshed {
    /// The new tokens (the old refresh token stops working).
    pub tokens: Tokens,
}

/// Trades a refresh token for new tokens.
#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh",
    tag = "auth",
    request_body = RefreshBody,
    responses((status = 200, description = "New tokens.", body = Refreshed)),
    security(())
)]
pub async fn refresh(
    State(state): State<AppState>,
    ip: Option<Extension<ClientIp>>,
    Json(body): Json<RefreshBody>,
) -> Result<axum::Json<Refreshed>, ApiError> {
    let request = RefreshRequest {
        refresh_token: body.refresh_token,
    };
    let r = state
        .backends
        .identity()
        .refresh(forwarded(request, None, ip))
        .await?
        .into_inner();
    Ok(axum::Json(Refreshed {
        tokens: r.tokens.ok_or_else(|| dto::missing("tokens"))?.into(),
    }))
}

/// The caller's account.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The account.
    pub account: Account,
    /// The organization an authority user acts for; absent for everyone else.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<super::organizations::Organization>,
}

/// The caller's own account.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "auth",
    responses((status = 200, description = "The caller's account.", body = Me)),
    security(("bearer" = []))
)]
pub async fn me(State(state): State<AppState>, bearer: Bearer) -> Result<axum::Json<Me>, ApiError> {
    let r = state
        .backends
        .identity()
        .get_me(outgoing(GetMeRequest {}, bearer.token()))
        .await?
        .into_inner();
    // The organization comes with the account, so an account that must change its
    // password first (and may call nothing else) still sees whom it acts for.
    Ok(axum::Json(Me {
        account: r.account.ok_or_else(|| dto::missing("account"))?.into(),
        organization: r.organization.map(Into::into),
    }))
}

/// The body of `POST /api/v1/me/password`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordBody {
    /// The password now in use (the one-time password, for an account that must change it).
    #[schema(min_length = 1, max_length = 1024)]
    pub current_password: String,
    /// The new password, under the same rules as at registration (8 to 64 characters, not
    /// a common password, not the national code or mobile number).
    #[schema(value_type = Password)]
    pub new_password: String,
}

/// Changes the caller's password. Every session of the account ends (their access tokens
/// are refused within one key refresh) and a new one starts: the answer's tokens replace
/// the caller's. An account whose password was set for it (`password_change_required`) may
/// call nothing else but `GET /api/v1/me` and logout until it has done this.
#[utoipa::path(
    post,
    path = "/api/v1/me/password",
    tag = "auth",
    request_body = ChangePasswordBody,
    responses((status = 200, description = "The password was changed; the new session's tokens.", body = Refreshed)),
    security(("bearer" = []))
)]
pub async fn change_password(
    State(state): State<AppState>,
    bearer: Bearer,
    ip: Option<Extension<ClientIp>>,
    Json(body): Json<ChangePasswordBody>,
) -> Result<axum::Json<Refreshed>, ApiError> {
    let request = ChangePasswordRequest {
        current_password: body.current_password,
        new_password: body.new_password,
    };
    let r = state
        .backends
        .identity()
        .change_password(forwarded(request, bearer.token(), ip))
        .await?
        .into_inner();
    Ok(axum::Json(Refreshed {
        tokens: r.tokens.ok_or_else(|| dto::missing("tokens"))?.into(),
    }))
}

/// When the code just sent expires, and when another may be asked for.
#[derive(Debug, Serialize, ToSchema)]
pub struct MobileCodeSent {
    /// When the code just sent stops working (RFC 3339).
    pub expires_at: Option<String>,
    /// Earliest time another code may be asked for (RFC 3339); asking sooner is answered
    /// 429 with `Retry-After`.
    pub resend_after: Option<String>,
}

/// Sends a new verification code to the caller's mobile (the registration step's "send it
/// again"): at most one per `identity.mobile_code_resend_secs`, sooner is 429 with
/// `Retry-After`.
#[utoipa::path(
    post,
    path = "/api/v1/me/mobile/code",
    tag = "auth",
    responses((status = 200, description = "A new code was sent.", body = MobileCodeSent)),
    security(("bearer" = []))
)]
pub async fn send_mobile_code(
    State(state): State<AppState>,
    bearer: Bearer,
) -> Result<axum::Json<MobileCodeSent>, ApiError> {
    let r = state
        .backends
        .identity()
        .send_mobile_code(outgoing(SendMobileCodeRequest {}, bearer.token()))
        .await?
        .into_inner();
    Ok(axum::Json(MobileCodeSent {
        expires_at: dto::instant(r.expires_at),
        resend_after: dto::instant(r.resend_after),
    }))
}

/// The body of `POST /api/v1/me/mobile/verify`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyMobileBody {
    /// The six-digit code received by SMS, in any digit set.
    #[schema(value_type = MobileCode)]
    pub code: String,
}

/// Confirms the caller's mobile with the code sent to it at registration (or resent).
#[utoipa::path(
    post,
    path = "/api/v1/me/mobile/verify",
    tag = "auth",
    request_body = VerifyMobileBody,
    responses((status = 200, description = "The account, its mobile now verified.", body = Account)),
    security(("bearer" = []))
)]
pub async fn verify_mobile(
    State(state): State<AppState>,
    bearer: Bearer,
    Json(body): Json<VerifyMobileBody>,
) -> Result<axum::Json<Account>, ApiError> {
    let r = state
        .backends
        .identity()
        .verify_mobile(outgoing(
            VerifyMobileRequest { code: body.code },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(
        r.account.ok_or_else(|| dto::missing("account"))?.into(),
    ))
}
