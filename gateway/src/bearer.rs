//! The caller's access token, passed through to the services as it came: every service
//! verifies it itself (the gateway is not a trust boundary), so the gateway neither
//! requires nor trusts it beyond per-account rate limiting.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// The `Authorization: Bearer …` token of a request, if any. Forward it with
/// `estelam_runtime::grpc::outgoing(message, bearer.token())`, which also carries the
/// request's trace context.
#[derive(Debug, Clone, Default)]
pub struct Bearer(Option<String>);

impl Bearer {
    /// The token, for `grpc::outgoing`.
    pub fn token(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            estelam_runtime::auth::bearer_token(&parts.headers).map(str::to_owned),
        ))
    }
}
