//! Caller authentication, done by every service itself: the gateway is not a trust boundary.
//!
//! Identity issues EdDSA (Ed25519) JWT access tokens; every service verifies them locally
//! with identity's public keys ([`TokenVerifier`]), which it refreshes in the background so
//! that a key rotation needs no restart. [`AuthLayer`] sits in the gRPC tower stack: a
//! request with no token passes on as anonymous (public methods such as answer verification
//! need none); a request with a bad token is refused with `Unauthenticated`; a good token
//! puts a [`Caller`] into the request extensions, where handlers check roles and ownership.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::error::ServiceError;

/// What a person or machine may be; a token carries one or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A resident asking about their own property.
    Citizen,
    /// Municipal staff who look up and correct records.
    Clerk,
    /// Staff who manage accounts, tariffs and request types.
    Admin,
    /// A user of an inquiring authority (notary office, bank, court, registry).
    Authority,
    /// Another system calling machine to machine.
    Service,
}

impl Role {
    /// The role's name inside tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Citizen => "citizen",
            Self::Clerk => "clerk",
            Self::Admin => "admin",
            Self::Authority => "authority",
            Self::Service => "service",
        }
    }

    /// Parses a role name from a token; unknown names are ignored by the verifier.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "citizen" => Some(Self::Citizen),
            "clerk" => Some(Self::Clerk),
            "admin" => Some(Self::Admin),
            "authority" => Some(Self::Authority),
            "service" => Some(Self::Service),
            _ => None,
        }
    }
}

/// The claims of an Estelam access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer: the identity service.
    pub iss: String,
    /// Audience: every Estelam service.
    pub aud: String,
    /// Subject: the account id.
    pub sub: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Not valid before, seconds since the epoch.
    pub nbf: u64,
    /// Issued at, seconds since the epoch.
    pub iat: u64,
    /// Token id, for audit and revocation.
    pub jti: String,
    /// Role names.
    pub roles: Vec<String>,
    /// Organisation id of an authority user or service account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
}

/// Who is calling, as proven by a verified token; handlers read it from request extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Account id.
    pub subject: String,
    /// What the account may do.
    pub roles: Vec<Role>,
    /// The inquiring authority or system the account belongs to.
    pub organization: Option<String>,
    /// The token's id.
    pub token_id: String,
}

impl Caller {
    /// True when the caller has `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// True when the caller has any of `roles`.
    pub fn has_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has(*r))
    }

    /// True for municipal staff (clerk or admin).
    pub fn is_staff(&self) -> bool {
        self.has_any(&[Role::Clerk, Role::Admin])
    }

    /// Refuses unless the caller has one of `roles`.
    pub fn require_any(&self, roles: &[Role]) -> Result<(), ServiceError> {
        if self.has_any(roles) {
            Ok(())
        } else {
            Err(ServiceError::permission_denied())
        }
    }
}

/// The authenticated caller of a gRPC request, or `Unauthenticated`.
pub fn caller<T>(request: &tonic::Request<T>) -> Result<&Caller, ServiceError> {
    request
        .extensions()
        .get::<Caller>()
        .ok_or_else(ServiceError::unauthenticated)
}

/// The caller if a token was presented; `None` for an anonymous request.
pub fn optional_caller<T>(request: &tonic::Request<T>) -> Option<&Caller> {
    request.extensions().get::<Caller>()
}

/// One of identity's Ed25519 public keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// Key id, the `kid` in token headers.
    pub kid: String,
    /// The 32-byte Ed25519 public key.
    pub key: [u8; 32],
}

/// Why a token was refused (logged; the caller only sees "please log in").
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Not three base64 parts, or undecodable.
    #[error("malformed token")]
    Malformed,
    /// Signed with an algorithm other than EdDSA (including `none`).
    #[error("algorithm not allowed")]
    Algorithm,
    /// No `kid`, or a key identity does not publish.
    #[error("unknown signing key")]
    UnknownKey,
    /// Bad signature, expired, not yet valid, wrong issuer or audience.
    #[error("token rejected: {0}")]
    Rejected(String),
}

/// Where identity's current public keys come from (its `GetSigningKeys` RPC in production).
pub trait KeySource: Send + Sync + 'static {
    /// Fetches the keys now valid for verification.
    fn fetch(&self) -> Pin<Box<dyn Future<Output = anyhow::Result<Vec<PublicKey>>> + Send + '_>>;
}

/// Verifies access tokens against a refreshable set of public keys.
#[derive(Clone)]
pub struct TokenVerifier {
    keys: Arc<RwLock<HashMap<String, DecodingKey>>>,
    validation: Arc<Validation>,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<String> = self
            .keys
            .read()
            .map(|k| k.keys().cloned().collect())
            .unwrap_or_default();
        f.debug_struct("TokenVerifier")
            .field("kids", &kids)
            .finish()
    }
}

/// Clock skew tolerated between identity and the verifying service.
const LEEWAY_SECS: u64 = 30;

impl TokenVerifier {
    /// A verifier for tokens from `issuer` meant for `audience`, with no keys yet.
    pub fn new(issuer: &str, audience: &str) -> Self {
        // Only EdDSA is accepted: `alg: none` and HMAC-with-public-key confusions fail here.
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        Self {
            keys: Arc::new(RwLock::new(HashMap::new())),
            validation: Arc::new(validation),
        }
    }

    /// Replaces the key set (current and previous keys, after a rotation).
    pub fn set_keys(&self, keys: &[PublicKey]) {
        let map = keys
            .iter()
            .map(|k| (k.kid.clone(), DecodingKey::from_ed_der(&k.key)))
            .collect::<HashMap<_, _>>();
        if let Ok(mut guard) = self.keys.write() {
            *guard = map;
        }
    }

    /// How many keys are loaded (zero means every token is refused).
    pub fn key_count(&self) -> usize {
        self.keys.read().map(|k| k.len()).unwrap_or(0)
    }

    /// Checks signature, algorithm, issuer, audience, expiry and not-before; returns the caller.
    pub fn verify(&self, token: &str) -> Result<Caller, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::Algorithm);
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = {
            let keys = self.keys.read().map_err(|_| TokenError::UnknownKey)?;
            keys.get(&kid).cloned().ok_or(TokenError::UnknownKey)?
        };
        let data = jsonwebtoken::decode::<Claims>(token, &key, &self.validation)
            .map_err(|e| TokenError::Rejected(e.to_string()))?;
        let claims = data.claims;
        Ok(Caller {
            subject: claims.sub,
            roles: claims.roles.iter().filter_map(|r| Role::parse(r)).collect(),
            organization: claims.org,
            token_id: claims.jti,
        })
    }

    /// Loads keys from `source` now and then every `every`, until `shutdown`. A failed
    /// refresh keeps the old keys and is retried sooner.
    pub fn spawn_refresh(
        &self,
        source: Arc<dyn KeySource>,
        every: Duration,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let verifier = self.clone();
        tokio::spawn(async move {
            let mut delay = Duration::ZERO;
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(delay) => {}
                }
                match source.fetch().await {
                    Ok(keys) if !keys.is_empty() => {
                        verifier.set_keys(&keys);
                        delay = every;
                    }
                    Ok(_) => {
                        tracing::warn!("identity published no signing keys");
                        delay = Duration::from_secs(2);
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "could not refresh signing keys");
                        delay = Duration::from_secs(2);
                    }
                }
            }
        })
    }
}

/// Tower layer that authenticates gRPC requests with a [`TokenVerifier`].
#[derive(Clone, Debug)]
pub struct AuthLayer {
    verifier: TokenVerifier,
}

impl AuthLayer {
    /// Wraps services so each request is checked by `verifier`.
    pub fn new(verifier: TokenVerifier) -> Self {
        Self { verifier }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            verifier: self.verifier.clone(),
        }
    }
}

/// The service [`AuthLayer`] produces.
#[derive(Clone, Debug)]
pub struct AuthService<S> {
    inner: S,
    verifier: TokenVerifier,
}

/// The bearer token of a request's `authorization` header, if any.
pub fn bearer_token(headers: &http::HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

impl<S, B> tower::Service<http::Request<B>> for AuthService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        // Take the service that was driven to readiness; leave a fresh clone in its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if let Some(token) = bearer_token(request.headers()) {
            match self.verifier.verify(token) {
                Ok(caller) => {
                    request.extensions_mut().insert(caller);
                }
                Err(err) => {
                    tracing::info!(error = %err, "refused an access token");
                    let status: tonic::Status = ServiceError::unauthenticated().into();
                    return Box::pin(async move { Ok(status.into_http()) });
                }
            }
        }
        Box::pin(inner.call(request))
    }
}
