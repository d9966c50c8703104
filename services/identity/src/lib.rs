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
//!   Signing keys live in the store (unencrypted: encryption at rest is the database's job
//!   here) and rotate every `identity.signing_key_rotation_days`; `GetSigningKeys` and
//!   [`jwks`] publish the current and previous public keys.
//! * **Disabling an account** revokes its sessions at once and records a token revocation
//!   that `GetSigningKeys` publishes until every token issued before it has expired. Other
//!   services verify tokens without asking identity, so they refuse the account's tokens
//!   from their next key refresh (`auth.key_refresh_secs`, 30 s by default); identity's own
//!   calls check the account on every request and refuse them immediately.
//! * **Brute force**: failures are counted per account and per source address, in the store;
//!   delays grow, then the key is locked out; refusals are RESOURCE_EXHAUSTED with RetryInfo.
//!   The source is the peer address, or `x-forwarded-for` when the peer is a trusted proxy
//!   (`identity.trusted_proxies`, the gateway's addresses).
//! * Every authentication and account event is appended to `audit_events`, which the store
//!   refuses to update or delete.
//!
//! The crate exposes [`SERVICE`], its [`migrations`] and [`build`], which the launcher uses to
//! host it, [`build_with`] for tests that read the SMS outbox, and [`service_credentials`] for
//! the launcher's generated service secrets.

pub mod api;
pub mod password;
pub mod service;
pub mod sms;
pub mod store;
pub mod throttle;
pub mod tokens;
pub mod validate;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use estelam_proto::identity::v1::identity_service_server::IdentityServiceServer;
use estelam_runtime::config::SmsProviderKind;
use estelam_runtime::db::Migrations;
use estelam_runtime::grpc::GrpcServer;
use estelam_runtime::host::ServiceContext;
use secrecy::SecretString;

pub use service::Identity;
pub use sms::{LogSms, SmsProvider};

/// The service's name: config key, schema, SQLite file and log field.
pub const SERVICE: &str = "identity";

/// The fully-qualified gRPC service name.
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
    /// The one-time password printed on standard output.
    pub password: SecretString,
}

/// [`build`], also returning the first admin's login when this start generated it.
pub async fn build_bootstrapping(
    ctx: &ServiceContext,
) -> anyhow::Result<(GrpcServer, Option<BootstrapAdmin>)> {
    let sms: Arc<dyn SmsProvider> = match ctx.settings.identity.sms.provider {
        SmsProviderKind::Log => Arc::new(LogSms::new()),
    };
    let (server, _, admin) = build_parts(ctx, sms).await?;
    Ok((server, admin))
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
    let admin = identity
        .bootstrap_admin(is_embedded(ctx))
        .await
        .map_err(|e| anyhow::anyhow!("creating the first admin: {e} ({:?})", e.cause))?
        .map(|(membership_code, password)| BootstrapAdmin {
            membership_code,
            password: SecretString::from(password),
        });
    identity.spawn_key_maintenance(ctx.shutdown.clone());
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

/// File in the data directory holding the generated client secrets of `estelam run`.
pub const SERVICE_CREDENTIALS_FILE: &str = "service-clients.secret";

/// The client secret of each of `services` for `estelam run`: read from
/// `<data_dir>/service-clients.secret`, with random secrets generated (and the file
/// rewritten, mode 0600) for services that have none yet. One `name = secret` per line.
pub fn service_credentials(
    data_dir: &Path,
    services: &[&str],
) -> anyhow::Result<BTreeMap<String, SecretString>> {
    use secrecy::ExposeSecret as _;
    let path = data_dir.join(SERVICE_CREDENTIALS_FILE);
    let mut secrets: BTreeMap<String, SecretString> = BTreeMap::new();
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let (name, secret) = line
                .split_once('=')
                .with_context(|| format!("{}: a line is not `name = secret`", path.display()))?;
            secrets.insert(
                name.trim().to_owned(),
                SecretString::from(secret.trim().to_owned()),
            );
        }
    }
    let missing: Vec<&str> = services
        .iter()
        .copied()
        .filter(|s| !secrets.contains_key(*s))
        .collect();
    if !missing.is_empty() {
        for name in missing {
            secrets.insert(
                name.to_owned(),
                SecretString::from(tokens::new_opaque_secret()),
            );
        }
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating {}", data_dir.display()))?;
        let mut text = String::from(
            "# Client secrets of the Estelam services for `estelam run`; generated once. Keep private.\n",
        );
        for (name, secret) in &secrets {
            text.push_str(&format!("{name} = {}\n", secret.expose_secret()));
        }
        write_private(&path, &text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(secrets)
}

/// Writes `text` to `path` readable by the owner only (0600 on Unix), replacing it atomically.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret as _;

    #[test]
    fn service_credentials_are_generated_once_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = service_credentials(dir.path(), &["fees", "inquiry"]).unwrap();
        assert_eq!(first.len(), 2);
        assert!(first["fees"].expose_secret().len() >= 43);
        let again = service_credentials(dir.path(), &["fees", "inquiry", "property"]).unwrap();
        assert_eq!(again["fees"].expose_secret(), first["fees"].expose_secret());
        assert_eq!(again.len(), 3);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join(SERVICE_CREDENTIALS_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
