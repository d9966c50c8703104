//! `POST /oauth/token`: the OAuth 2.0 token endpoint for the client-credentials grant
//! (RFC 6749 §4.4), as every OAuth client library calls it: a form-encoded body, the client
//! authenticated by HTTP Basic (§2.3.1) or by `client_id`/`client_secret` in the body, and
//! refusals as RFC 6749 §5.2 error JSON (`{"error":"invalid_client"}`), not problem+json.
//! A client with a registered key may instead authenticate with `private_key_jwt`
//! (RFC 7523 §2.2): `client_assertion_type` and a signed `client_assertion` in the body.
//! Identity does the work (`ClientCredentialsToken`), so throttling and the audit trail per
//! client are the same over HTTP and gRPC.

use axum::Extension;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use estelam_proto::identity::v1::ClientCredentialsTokenRequest;
use estelam_runtime::error::{ErrorCode, ServiceError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::client_ip::ClientIp;
use crate::state::AppState;

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(token))
}

/// The form of `POST /oauth/token` (`application/x-www-form-urlencoded`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenForm {
    /// Always `client_credentials`.
    #[schema(example = "client_credentials")]
    pub grant_type: String,
    /// The client id, when not sent by HTTP Basic.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The client secret, when not sent by HTTP Basic.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Ignored: a client's token carries its account's roles.
    #[serde(default)]
    pub scope: Option<String>,
    /// With private_key_jwt: `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
    #[serde(default)]
    pub client_assertion_type: Option<String>,
    /// With private_key_jwt: the JWT the client signed (iss = sub = client id, aud = this
    /// endpoint's URL, exp at most 5 minutes ahead, a jti used once).
    #[serde(default)]
    pub client_assertion: Option<String>,
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// The JWT to send as `Authorization: Bearer …` (HTTP) or `authorization` metadata
    /// (gRPC).
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires; there is no refresh token, ask again.
    pub expires_in: u64,
}

/// An error response (RFC 6749 §5.2).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenError {
    /// `invalid_request`, `invalid_client`, `unsupported_grant_type` or `server_error`.
    pub error: String,
    /// What happened and what to do, in English.
    pub error_description: String,
}

/// Exchanges an organisation client's (or service account's) id and secret for an access
/// token. Wrong credentials are throttled per client and per source.
#[utoipa::path(
    post,
    path = "/oauth/token",
    tag = "auth",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "A token.", body = TokenResponse),
        (status = 400, description = "invalid_request or unsupported_grant_type.", body = TokenError),
        (status = 401, description = "invalid_client: unknown client, wrong secret or revoked client.", body = TokenError),
        (status = 429, description = "invalid_client: too many failures; see Retry-After.", body = TokenError),
    ),
    security(())
)]
pub async fn token(
    State(state): State<AppState>,
    ip: Option<Extension<ClientIp>>,
    headers: HeaderMap,
    form: Result<axum::Form<TokenForm>, FormRejection>,
) -> Response {
    // The client's authentication is checked before the body, so a caller who presents no
    // client credentials learns nothing about the form but that (RFC 6749 §5.2).
    let Ok(basic) = basic_credentials(&headers) else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The Authorization header is not HTTP Basic with the client id and secret.",
        );
    };
    let form = match form {
        Ok(axum::Form(form)) => form,
        Err(_) if basic.is_none() => return missing_client(),
        Err(_) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Send a form-encoded body (application/x-www-form-urlencoded) with grant_type.",
            );
        }
    };
    let one_way_only = || {
        refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Use one way to authenticate the client, not both.",
        )
    };
    let assertion = match (form.client_assertion_type, form.client_assertion) {
        (None, None) => None,
        (Some(kind), Some(jwt)) if basic.is_none() && form.client_secret.is_none() => {
            Some((kind, jwt))
        }
        (Some(_), Some(_)) => return one_way_only(),
        _ => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Send client_assertion_type and client_assertion together.",
            );
        }
    };
    let (client_id, client_secret) = if assertion.is_some() {
        // The assertion names the client; a client_id beside it must be the same one.
        (form.client_id.unwrap_or_default(), String::new())
    } else {
        match (basic, form.client_id, form.client_secret) {
            (Some(pair), None, None) => pair,
            (None, Some(id), Some(secret)) => (id, secret),
            (None, _, _) => return missing_client(),
            (Some(_), _, _) => return one_way_only(),
        }
    };
    if form.grant_type != "client_credentials" {
        return refuse(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Only grant_type=client_credentials is supported.",
        );
    }
    let (client_assertion_type, client_assertion) = assertion.unwrap_or_default();
    let mut request = estelam_runtime::grpc::outgoing(
        ClientCredentialsTokenRequest {
            client_id,
            client_secret,
            client_assertion_type,
            client_assertion,
        },
        None,
    );
    if let Some(Extension(ClientIp(ip))) = ip
        && let Ok(value) = ip.to_string().parse()
    {
        request.metadata_mut().insert("x-forwarded-for", value);
    }
    match state
        .backends
        .identity()
        .client_credentials_token(request)
        .await
    {
        Ok(reply) => {
            let reply = reply.into_inner();
            let now = u64::try_from(now_secs()).unwrap_or_default();
            let expires = reply
                .expires_at
                .and_then(|t| u64::try_from(t.seconds).ok())
                .unwrap_or(now);
            let mut response = axum::Json(TokenResponse {
                access_token: reply.access_token,
                token_type: "Bearer".to_owned(),
                expires_in: expires.saturating_sub(now),
            })
            .into_response();
            no_store(&mut response);
            response
        }
        Err(status) => refusal_of(&ServiceError::from_status(&status)),
    }
}

/// Seconds since the epoch, for `expires_in`.
fn now_secs() -> i64 {
    estelam_runtime::db::now_micros() / 1_000_000
}

/// The RFC 6749 answer to identity's refusal. Every authentication failure is
/// `invalid_client` (a revoked client reads like a wrong secret); a throttled one is 429
/// with `Retry-After`; an internal failure says nothing of its cause.
fn refusal_of(error: &ServiceError) -> Response {
    match error.code {
        ErrorCode::Unauthenticated | ErrorCode::PermissionDenied => refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The client id or secret is wrong, or the client was revoked.",
        ),
        ErrorCode::ResourceExhausted => {
            let mut response = refuse(
                StatusCode::TOO_MANY_REQUESTS,
                "invalid_client",
                &error.message_en,
            );
            if let Some(wait) = error.retry_after {
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(wait.as_secs().max(1)),
                );
            }
            response
        }
        ErrorCode::InvalidArgument => refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &error.message_en,
        ),
        _ => {
            error.log();
            refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "server_error",
                "The token service is unavailable; try again shortly.",
            )
        }
    }
}

/// No client credentials at all.
fn missing_client() -> Response {
    refuse(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "Authenticate with HTTP Basic, client_id and client_secret in the body, or a \
         client_assertion (private_key_jwt).",
    )
}

/// An RFC 6749 §5.2 error; 401s name the Basic scheme as §5.2 requires.
fn refuse(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = (
        status,
        axum::Json(TokenError {
            error: error.to_owned(),
            error_description: description.to_owned(),
        }),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"estelam\""),
        );
    }
    no_store(&mut response);
    response
}

/// Token responses are never cached (RFC 6749 §5.1).
fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// The client id and secret of an `Authorization: Basic` header, each form-urlencoded
/// (RFC 6749 §2.3.1); `Ok(None)` without the header, `Err` when it is not valid Basic.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, ()> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ())?;
    let (scheme, encoded) = value.split_once(' ').ok_or(())?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(());
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| ())?;
    let decoded = String::from_utf8(decoded).map_err(|_| ())?;
    let (id, secret) = decoded.split_once(':').ok_or(())?;
    Ok(Some((form_decode(id)?, form_decode(secret)?)))
}

/// Undoes `application/x-www-form-urlencoded` encoding: `+` is a space, `%XX` a byte.
fn form_decode(s: &str) -> Result<String, ()> {
    let mut bytes = Vec::with_capacity(s.len());
    let mut input = s.bytes();
    while let Some(b) = input.next() {
        match b {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hi = input.next().and_then(|c| (c as char).to_digit(16));
                let lo = input.next().and_then(|c| (c as char).to_digit(16));
                let (Some(hi), Some(lo)) = (hi, lo) else {
                    return Err(());
                };
                // Two hex digits are at most 0xFF, so the byte conversion cannot fail.
                bytes.push(u8::try_from(hi * 16 + lo).map_err(|_| ())?);
            }
            other => bytes.push(other),
        }
    }
    String::from_utf8(bytes).map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let mut headers = HeaderMap::new();
        let encoded = base64::engine::general_purpose::STANDARD.encode("desk-1%3Aa:s%2B+t");
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {encoded}")).unwrap(),
        );
        assert_eq!(
            basic_credentials(&headers),
            Ok(Some(("desk-1:a".to_owned(), "s+ t".to_owned())))
        );
    }

    #[test]
    fn a_bearer_or_broken_header_is_not_basic() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(basic_credentials(&headers), Err(()));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic %%%"));
        assert_eq!(basic_credentials(&headers), Err(()));
        assert_eq!(form_decode("%4"), Err(()));
    }
}
