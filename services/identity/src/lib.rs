//! Identity service: citizens, staff and inquiring authorities, and the access tokens every
//! service trusts.
//!
//! * **Accounts**: citizens register themselves (national code, names, mobile, password) and
//!   get a membership code (کد عضویت) that works as a login name; admins create clerks,
//!   admins, users of inquiring authorities (organizations) and service accounts.
//! * **Passwords**: argon2id at OWASP parameters, hashed on the blocking pool under a
//!   semaphore ([`password::Hasher`]); a policy of length and a shipped common-password list.
//! * **Tokens**: Ed25519 JWT access tokens (15 minutes) with the claims of
//!   [`estelam_runtime::auth::Claims`], verified locally by every service; opaque refresh
//!   tokens stored as SHA-256 hashes, rotated on each use, a reused one revoking its session.
//!   Signing keys live in the store sealed under a key-encryption key
//!   (`identity.signing_key_encryption_key`, or a file generated once in the data directory,
//!   mode 0600), so a copy of the store cannot mint tokens; they rotate every `identity.signing_key_rotation_days`; `GetSigningKeys` and
//!   [`jwks`] publish the current and previous public keys.
//! * **Disabling an account** revokes its sessions at once and records a token revocation
//!   that `GetSigningKeys` publishes until every token issued before it has expired. Other
//!   services verify tokens without asking identity, so they refuse the account's tokens
//!   from their next key refresh (`auth.key_refresh_secs`, 30 s by default); identity's own
//!   calls check the account on every request and refuse them immediately.
//! * **Ending a session** (logout, "log out everywhere", a password change, a reused
//!   refresh token) also ends its access tokens: every token carries its session (`sid`),
//!   and `GetSigningKeys` lists the sessions ended within the longest token lifetime, so
//!   every service refuses their tokens from its next key refresh and identity at once.
//!   Log out everywhere ends every session of the account by its id rather than revoking
//!   the account like a disable, so a login right after it is not caught by the revocation.
//! * **Brute force**: failures are counted per account and per source address, in the store;
//!   delays grow, then the key is locked out; refusals are RESOURCE_EXHAUSTED with RetryInfo.
//!   The source is the peer address, or `x-forwarded-for` when the peer is a trusted proxy
//!   (`identity.trusted_proxies`, the gateway's addresses). A refusal with no account to
//!   blame (registration's "already registered") counts once, against the source only.
//! * **One-time codes leave through an outbox** (`mobile_code_sends`): queued sealed in the
//!   transaction that stores the code's hash, sent by a background task with retries until
//!   the provider takes them or they expire, the send's id going as the provider's
//!   `localid` (`service::code_outbox`, [`sms`]).
//! * Every authentication and account event is appended to `audit_events`, which the store
//!   refuses to update or delete.
//! * **Owners are told** when a representative files an inquiry in their name and when a
//!   clerk approves or refuses the representation — by the notifications service, which
//!   sends every message to a person; identity consumes the same
//!   `inquiry.representation.changed` and records whether the owner could be texted at all
//!   (`owner_notices`: no account, no verified mobile, or handed to notifications).
//!
//! The crate exposes [`SERVICE`], its [`migrations`] and [`build`], which the launcher uses to
//! host it, [`build_with`] for tests that read the SMS outbox, and [`service_credentials`] for
//! the launcher's generated service secrets.
//!
//! Where things are: `api.rs` translates gRPC (the wire forms in `wire.rs`) to the use cases
//! in `service/` (one module per group: keys, guard, registration, sessions, machines,
//! org_clients, client_keys, admin, password_reset, org_status, bootstrap), which apply
//! the I/O-free rules of `password.rs`, `throttle.rs`, `tokens.rs` and `validate.rs` and
//! keep their rows through `store/` (one file per table group). Every refusal and its
//! reason code is in `errors.rs`; the signing-key gauge in `metrics.rs`.

pub mod api;
pub mod client_assertion;
mod credentials;
pub mod errors;
pub mod events;
pub mod metrics;
pub mod password;
pub mod service;
pub mod sms;
pub mod store;
pub mod throttle;
pub mod tokens;
pub mod validate;
mod wire;

use std::sync::Arc;

use estelam_proto::identity::v1::identity_service_server::IdentityServiceServer;
use estelam_runtime::config::SmsProviderKind;
use estelam_runtime::db::Migrations;
use estelam_runtime::grpc::GrpcServer;
use estelam_runtime::host::ServiceContext;
use secrecy::SecretString;

pub use credentials::{SERVICE_CREDENTIALS_FILE, service_credentials};
pub use service::Identity;
pub use sms::{HttpSms, LogSms, SmsProvider};

/// The service's name: config key, schema, SQLite file and log field.
pub const SERVICE: &str = "identity";

/// The fully-qualified gRPC service name, for health and reflection.
pub const GRPC_SERVICE: &str = "estelam.identity.v1.IdentityService";

/// The service's schema migrations, one set per backend.
pub fn migrations() -> Migrations {
    Migrations {
        sqlite: sqlx::migrate!("./migrations/sqlite"),
        postgres: sqlx::migrate!("./migrations/postgres"),
    }
}

/// Builds the service's gRPC server from the shared context, with the SMS provider named in
/// `identity.sms.provider`.
pub async fn build(ctx: &ServiceContext) -> anyhow::Result<GrpcServer> {
    let sms: Arc<dyn SmsProvider> = match ctx.settings.identity.sms.provider {
        SmsProviderKind::Log => Arc::new(LogSms::new()),
        SmsProviderKind::Http => Arc::new(HttpSms::new(&ctx.settings.identity.sms)?),
    };
    Ok(build_with(ctx, sms).await?.0)
}

/// True when `ctx`'s identity store is the embedded SQLite default (no database URL set):
/// only then does a start with no admin create one with a printed one-time password.
pub fn is_embedded(ctx: &ServiceContext) -> bool {
    ctx.settings.database.url.is_none() && !ctx.settings.database.services.contains_key(SERVICE)
}

/// Builds the server with a given SMS provider; also returns the [`Identity`] behind it.
///
/// At start: loads or creates the signing key (and makes `ctx.verifier` trust identity's
/// keys directly), upserts the configured service clients, creates the first admin if
/// needed, and starts the key maintenance task (stopped by `ctx.shutdown`).
pub async fn build_with(
    ctx: &ServiceContext,
    sms: Arc<dyn SmsProvider>,
) -> anyhow::Result<(GrpcServer, Identity)> {
    let (server, identity, _) = build_parts(ctx, sms).await?;
    Ok((server, identity))
}

/// The first admin's login when this start created it with a generated one-time password:
/// the embedded launcher (`estelam run`) logs in with it once to create the demo people.
#[derive(Debug, Clone)]
pub struct BootstrapAdmin {
    /// Membership code (the login name; the generated admin has no national code).
    pub membership_code: String,
    /// The one-time password printed on standard output; the account must change it
    /// before anything else.
    pub password: SecretString,
    /// The access token of the admin's set-up session
    /// ([`Identity::first_admin_setup_session`]), with which the launcher creates the demo
    /// people; it is not held to the password change.
    pub setup_access_token: SecretString,
    /// That session's refresh token, to log it out when the demo people exist.
    pub setup_refresh_token: SecretString,
}

/// [`build`], also returning the first admin's login when this start generated it, and
/// the log provider's messages (what the whole-system tests read one-time codes from).
pub async fn build_bootstrapping(
    ctx: &ServiceContext,
) -> anyhow::Result<(GrpcServer, Option<BootstrapAdmin>, LogSms)> {
    let log = LogSms::new();
    let sms: Arc<dyn SmsProvider> = match ctx.settings.identity.sms.provider {
        SmsProviderKind::Log => Arc::new(log.clone()),
        SmsProviderKind::Http => Arc::new(HttpSms::new(&ctx.settings.identity.sms)?),
    };
    let (server, _, admin) = build_parts(ctx, sms).await?;
    Ok((server, admin, log))
}

async fn build_parts(
    ctx: &ServiceContext,
    sms: Arc<dyn SmsProvider>,
) -> anyhow::Result<(GrpcServer, Identity, Option<BootstrapAdmin>)> {
    let s = &ctx.settings.identity;
    let hasher = password::Hasher::new(password::owasp_params(), s.password_hash_concurrency)
        .await
        .map_err(|e| anyhow::anyhow!("starting the password hasher: {e}"))?;
    let identity = Identity::new(
        ctx.db.clone(),
        ctx.settings.clone(),
        ctx.verifier.clone(),
        sms,
        hasher,
    )
    .await
    .map_err(|e| anyhow::anyhow!("loading the signing keys: {e} ({:?})", e.cause))?;
    identity.upsert_service_clients().await.map_err(|e| {
        anyhow::anyhow!(
            "creating the service accounts of identity.service_clients: {e} ({:?})",
            e.cause
        )
    })?;
    let admin = match identity
        .bootstrap_admin(is_embedded(ctx))
        .await
        .map_err(|e| anyhow::anyhow!("creating the first admin: {e} ({:?})", e.cause))?
    {
        Some((membership_code, password)) => {
            let setup = identity
                .first_admin_setup_session(&membership_code)
                .await
                .map_err(|e| {
                    anyhow::anyhow!("the first admin's set-up session: {e} ({:?})", e.cause)
                })?;
            Some(BootstrapAdmin {
                membership_code,
                password: SecretString::from(password),
                setup_access_token: SecretString::from(setup.access_token),
                setup_refresh_token: SecretString::from(setup.refresh_token),
            })
        }
        None => None,
    };
    identity.spawn_key_maintenance(ctx.shutdown.clone());
    // Codes queued before a restart (the provider was down, or the process stopped before
    // sending) go now.
    identity.spawn_code_sender(ctx.shutdown.clone());
    // Publishes `identity.session.started` (logins) to the bus; it polls, since a login
    // notice a fraction of a second late is no loss.
    ctx.start_outbox_relay();
    service::spawn_owner_notices(
        identity.clone(),
        ctx.bus.clone(),
        &s.owner_notice_queue,
        ctx.settings.bus.prefetch,
        ctx.settings.bus.delivery_limit,
        ctx.shutdown.clone(),
    )
    .await?;
    let max_age = i32::try_from(ctx.settings.auth.key_refresh_secs).unwrap_or(i32::MAX);
    let api = api::Api::new(identity.clone(), s.trusted_proxy_blocks(), max_age);
    let routes = tonic::service::Routes::new(IdentityServiceServer::new(api));
    let server = GrpcServer::new(
        SERVICE,
        routes,
        ctx.settings.grpc.clone(),
        ctx.verifier.clone(),
    )
    .describe(estelam_proto::FILE_DESCRIPTOR_SET)
    .hosts(GRPC_SERVICE);
    Ok((server, identity, admin))
}

/// The JSON Web Key Set of `identity`'s published keys (for the gateway's
/// `/.well-known/jwks.json`).
pub fn jwks(identity: &Identity) -> serde_json::Value {
    identity.keys().jwks()
}
