//! Caller authentication, done by every service itself: the gateway is not a trust boundary.
//!
//! Identity issues EdDSA (Ed25519) JWT access tokens; every service verifies them locally
//! with identity's public keys ([`TokenVerifier`]), which it refreshes in the background so
//! that a key rotation needs no restart. [`AuthLayer`] sits in the gRPC tower stack: a
//! request with no token passes on as anonymous (public methods such as answer verification
//! need none); a request with a bad token is refused with `Unauthenticated`; a good token
//! puts a [`Caller`] into the request extensions, where handlers check roles and ownership.
//!
//! Identity also publishes the subjects whose tokens it revoked (disabled accounts) and the
//! login sessions that ended (logout); the verifier refuses their tokens, so a disabled
//! account or an ended session is locked out everywhere within one refresh interval instead
//! of when its tokens expire ([`crate::revocations`]).

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
use crate::revocations::Revocations;
pub use crate::revocations::{RevokedSession, RevokedSubject};
use crate::verified_tokens::{Verified, VerifiedTokens};

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
    /// National code of a citizen's account, so that a service can tell who the person is
    /// (an inquiry's applicant) from the token alone, never from a form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nc: Option<String>,
    /// The login session the token belongs to, so that ending one session (logout) can
    /// refuse its tokens at every service without touching the account's other sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Set when the account must change its password (a generated or one-time password it
    /// did not choose): every service then refuses the token for anything but
    /// [`PASSWORD_CHANGE_METHODS`], so the password is changed before the account is used.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pwc: bool,
}

/// The only gRPC methods a token with the `pwc` claim may call: change the password, see
/// who one is (so a client can tell the person why) and log out.
pub const PASSWORD_CHANGE_METHODS: &[&str] = &[
    "/estelam.identity.v1.IdentityService/ChangePassword",
    "/estelam.identity.v1.IdentityService/GetMe",
    "/estelam.identity.v1.IdentityService/Logout",
];

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
    /// The person's national code, for a citizen's account (from identity, never typed).
    pub national_code: Option<String>,
    /// The login session the token was issued in; machine tokens have none.
    pub session_id: Option<String>,
    /// The account must change its password before anything else (the token's `pwc`).
    pub password_change_required: bool,
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
    /// Issued to a subject before identity revoked its tokens (a disabled account), or in a
    /// session that has ended (logout).
    #[error("token revoked")]
    Revoked,
}

/// What identity publishes for verifiers: its public keys, the revoked subjects and the
/// ended sessions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Published {
    /// Keys now valid for verification.
    pub keys: Vec<PublicKey>,
    /// Subjects whose earlier tokens must be refused.
    pub revoked: Vec<RevokedSubject>,
    /// Sessions whose tokens must be refused.
    pub revoked_sessions: Vec<RevokedSession>,
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Where identity's current public keys and revocations come from (its `GetSigningKeys`
/// RPC in production).
pub trait KeySource: Send + Sync + 'static {
    /// Fetches the keys now valid for verification and the revoked subjects.
    fn fetch(&self) -> Pin<Box<dyn Future<Output = anyhow::Result<Published>> + Send + '_>>;
}

/// Verifies access tokens against a refreshable set of public keys.
#[derive(Clone)]
pub struct TokenVerifier {
    keys: Arc<RwLock<HashMap<String, DecodingKey>>>,
    validation: Arc<Validation>,
    /// Revoked subjects and ended sessions.
    revoked: Arc<Revocations>,
    /// Woken when a token names a key we do not have: identity may have just rotated.
    refresh_hint: Arc<tokio::sync::Notify>,
    /// Tokens already verified, so a signature is checked once per token, not per request.
    verified: Arc<VerifiedTokens>,
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

/// Shortest time between two key refreshes triggered by tokens naming an unknown key, so a
/// stream of forged `kid`s cannot turn every request into a call to identity.
pub const MIN_HINTED_REFRESH_GAP: Duration = Duration::from_secs(10);

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
            revoked: Arc::new(Revocations::default()),
            refresh_hint: Arc::new(tokio::sync::Notify::new()),
            verified: Arc::new(VerifiedTokens::default()),
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
            // What was verified with the old set is verified again against the new one.
            self.verified.clear();
        }
    }

    /// Replaces the subject revocations with `revoked` (and forgets every ended session),
    /// dropping entries already past their `hold_until`.
    pub fn set_revoked(&self, revoked: &[RevokedSubject]) {
        self.revoked.replace(revoked, &[], now_secs());
    }

    /// Replaces the revoked subjects and ended sessions with what identity now publishes.
    pub fn set_published_revocations(&self, published: &Published) {
        self.revoked
            .replace(&published.revoked, &published.revoked_sessions, now_secs());
    }

    /// Adds one revocation at once (identity's own verifier, when it disables an account),
    /// without waiting for the next refresh.
    pub fn revoke(&self, entry: RevokedSubject) {
        self.revoked.add_subject(entry, now_secs());
    }

    /// Ends one session's tokens at once (identity's own verifier, at logout), without
    /// waiting for the next refresh.
    pub fn revoke_session(&self, entry: RevokedSession) {
        self.revoked.add_session(entry, now_secs());
    }

    /// How many revocations (subjects and sessions) are held (entries past their
    /// `hold_until` are not counted).
    pub fn revoked_count(&self) -> usize {
        self.revoked.count(now_secs())
    }

    /// How many keys are loaded (zero means every token is refused).
    pub fn key_count(&self) -> usize {
        self.keys.read().map(|k| k.len()).unwrap_or(0)
    }

    /// Checks signature, algorithm, issuer, audience, expiry, not-before and revocation;
    /// returns the caller.
    pub fn verify(&self, token: &str) -> Result<Caller, TokenError> {
        let now = now_secs();
        if let Some(known) = self.verified.get(token, now) {
            if self.revoked.refuses(&known.caller, known.iat, now) {
                return Err(TokenError::Revoked);
            }
            return Ok(known.caller);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::Algorithm);
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = {
            let keys = self.keys.read().map_err(|_| TokenError::UnknownKey)?;
            keys.get(&kid).cloned()
        };
        let Some(key) = key else {
            // Perhaps a key identity has just started signing with: ask for a refresh (rate
            // limited by the refresh task). This token is still refused.
            self.refresh_hint.notify_one();
            return Err(TokenError::UnknownKey);
        };
        let data = jsonwebtoken::decode::<Claims>(token, &key, &self.validation)
            .map_err(|e| TokenError::Rejected(e.to_string()))?;
        let claims = data.claims;
        let caller = Caller {
            subject: claims.sub,
            roles: claims.roles.iter().filter_map(|r| Role::parse(r)).collect(),
            organization: claims.org,
            token_id: claims.jti,
            national_code: claims.nc,
            session_id: claims.sid,
            password_change_required: claims.pwc,
        };
        if self.revoked.refuses(&caller, claims.iat, now) {
            return Err(TokenError::Revoked);
        }
        self.verified.insert(
            token,
            Verified {
                caller: caller.clone(),
                iat: claims.iat,
                valid_from: claims.nbf.saturating_sub(LEEWAY_SECS),
                valid_until: claims.exp.saturating_add(LEEWAY_SECS),
            },
            now,
        );
        Ok(caller)
    }

    /// Loads keys and revocations from `source` now and then every `every`, until
    /// `shutdown`. A failed refresh keeps the old keys and revocations and is retried sooner. A token naming an unknown key
    /// triggers an early refresh, at most once per [`MIN_HINTED_REFRESH_GAP`].
    pub fn spawn_refresh(
        &self,
        source: Arc<dyn KeySource>,
        every: Duration,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let verifier = self.clone();
        tokio::spawn(async move {
            let mut delay = Duration::ZERO;
            let mut last_fetch: Option<tokio::time::Instant> = None;
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(delay) => {}
                    () = verifier.refresh_hint.notified() => {
                        let wait = last_fetch
                            .map(|t| MIN_HINTED_REFRESH_GAP.saturating_sub(t.elapsed()))
                            .unwrap_or_default();
                        tokio::select! {
                            () = shutdown.cancelled() => return,
                            () = tokio::time::sleep(wait) => {}
                        }
                    }
                }
                last_fetch = Some(tokio::time::Instant::now());
                match source.fetch().await {
                    Ok(published) if !published.keys.is_empty() => {
                        verifier.set_keys(&published.keys);
                        verifier.set_published_revocations(&published);
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
                Ok(caller)
                    if caller.password_change_required
                        && !PASSWORD_CHANGE_METHODS.contains(&request.uri().path()) =>
                {
                    let status: tonic::Status = ServiceError::password_change_required().into();
                    return Box::pin(async move { Ok(status.into_http()) });
                }
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

/// Identity's public keys, fetched with its `GetSigningKeys` RPC: what every service's
/// [`TokenVerifier`] refreshes from (`verifier.spawn_refresh(Arc::new(source), …)`).
#[derive(Clone, Debug)]
pub struct IdentityKeySource {
    client: estelam_proto::identity::v1::identity_service_client::IdentityServiceClient<
        tonic::transport::Channel,
    >,
}

impl IdentityKeySource {
    /// A source calling identity over `channel`.
    pub fn new(channel: tonic::transport::Channel) -> Self {
        Self {
            client:
                estelam_proto::identity::v1::identity_service_client::IdentityServiceClient::new(
                    channel,
                ),
        }
    }

    /// A source calling identity at `settings.endpoints.identity`; connects lazily.
    pub fn from_settings(settings: &crate::config::Settings) -> anyhow::Result<Self> {
        Ok(Self::new(crate::grpc::channel(
            &settings.endpoints.identity,
            &settings.grpc,
        )?))
    }

    /// Fetches the keys identity now publishes (current first, then previous ones still
    /// within their `not_after`), skipping any that is not an Ed25519 key.
    pub async fn keys(&self) -> anyhow::Result<Vec<PublicKey>> {
        Ok(self.published().await?.keys)
    }

    /// Fetches the keys (as [`Self::keys`]) and the revoked subjects identity publishes.
    pub async fn published(&self) -> anyhow::Result<Published> {
        use estelam_proto::identity::v1::GetSigningKeysRequest;
        let response = crate::grpc::retry_idempotent(|| {
            let mut client = self.client.clone();
            async move {
                client
                    .get_signing_keys(crate::grpc::outgoing(GetSigningKeysRequest {}, None))
                    .await
            }
        })
        .await
        .map_err(|status| {
            anyhow::anyhow!(
                "GetSigningKeys failed: {} {}",
                status.code(),
                status.message()
            )
        })?
        .into_inner();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        let mut keys = Vec::with_capacity(response.keys.len());
        for key in response.keys {
            let expired = key.not_after.as_ref().is_some_and(|t| t.seconds <= now);
            match <[u8; 32]>::try_from(key.public_key.as_slice()) {
                Ok(bytes) if key.algorithm == "EdDSA" && !expired => {
                    keys.push(PublicKey {
                        kid: key.kid,
                        key: bytes,
                    });
                }
                _ if expired => {}
                _ => {
                    tracing::warn!(kid = %key.kid, algorithm = %key.algorithm, "ignoring a signing key that is not Ed25519")
                }
            }
        }
        let seconds = |t: Option<i64>| t.and_then(|s| u64::try_from(s).ok()).unwrap_or_default();
        let revoked = response
            .revoked_subjects
            .into_iter()
            .map(|r| RevokedSubject {
                revoked_at: seconds(r.revoked_at.map(|t| t.seconds)),
                hold_until: seconds(r.hold_until.map(|t| t.seconds)),
                subject: r.subject,
            })
            .collect();
        let revoked_sessions = response
            .revoked_sessions
            .into_iter()
            .map(|r| RevokedSession {
                revoked_at: seconds(r.revoked_at.map(|t| t.seconds)),
                hold_until: seconds(r.hold_until.map(|t| t.seconds)),
                session_id: r.session_id,
            })
            .collect();
        Ok(Published {
            keys,
            revoked,
            revoked_sessions,
        })
    }
}

impl KeySource for IdentityKeySource {
    fn fetch(&self) -> Pin<Box<dyn Future<Output = anyhow::Result<Published>> + Send + '_>> {
        Box::pin(self.published())
    }
}

mod outgoing;
pub use outgoing::*;
