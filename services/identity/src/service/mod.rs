//! The identity use cases, one module per group: signing keys (`keys`), the audit trail
//! and brute-force throttle every use case goes through (`guard`), registration and the
//! mobile number (`registration`), logging in and sessions (`sessions`), machine callers
//! (`machines`), organisations' API clients (`org_clients`, their keys in `client_keys`),
//! administration (`admin`; an admin's password reset in `password_reset`, an organisation's
//! disabling in `org_status`) and what a start creates (`bootstrap`).
//!
//! Nothing here knows protobuf: `api.rs` translates requests into these calls and the
//! answers back. The rules with no I/O live in `password.rs`, `throttle.rs`, `validate.rs`
//! and `tokens.rs`, the SQL in `store/`, the refusals in `errors.rs`.

mod admin;
mod bootstrap;
mod client_keys;
mod code_outbox;
mod guard;
mod keys;
mod machines;
mod org_clients;
mod org_status;
mod owner_notices;
mod password_reset;
mod registration;
mod sessions;

pub use owner_notices::{TOLD_BY_NOTIFICATIONS, spawn_owner_notices};

use std::sync::Arc;
use std::time::Duration;

use estelam_runtime::auth::TokenVerifier;
use estelam_runtime::config::Settings;
use estelam_runtime::db::{Database, now_micros};
use estelam_runtime::error::{ErrorCode, ServiceError};
use estelam_runtime::key_seal::KeySeal;

use crate::password::Hasher;
use crate::sms::SmsProvider;
use crate::throttle::Policy;
use crate::tokens::KeyRing;

pub use keys::KEY_RELOAD_INTERVAL;
pub use org_clients::MAX_OVERLAP_DAYS;

const MICROS: i64 = 1_000_000;

/// Where a request came from: the throttle counts failures per source, and the audit trail
/// records who tried what from where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// Client IP address (see `api::Api::origin` for when `x-forwarded-for` is believed).
    pub source: String,
    /// The client's user agent, kept (truncated) in the audit trail to tell devices apart.
    pub user_agent: String,
}

/// What a person's login or refresh hands back: a short-lived access token every service
/// verifies on its own, and the refresh token that continues the session.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    /// The signed JWT sent with every call.
    pub access_token: String,
    /// When the access token lapses, in seconds since the epoch as the JWT's `exp` has it.
    pub access_expires_at: u64,
    /// Opaque, single-use refresh token; only its hash is stored.
    pub refresh_token: String,
    /// When the refresh token lapses, µs since the epoch.
    pub refresh_expires_at: i64,
}

/// How a person names themselves at login: citizens know their national code, and the
/// membership code works for people registered without one (the generated first admin).
#[derive(Debug, Clone)]
pub enum LoginName {
    /// A national code in any digit set.
    NationalCode(String),
    /// A membership code in any digit set.
    MembershipCode(String),
}

/// A new person's details as typed, before validation: validating them together lets one
/// refusal name every wrong field at once.
#[derive(Debug, Clone, Default)]
pub struct PersonInput {
    /// National code, any digit set.
    pub national_code: String,
    /// Given name, tidied and checked for letters only.
    pub first_name: String,
    /// Family name, tidied and checked for letters only.
    pub last_name: String,
    /// Mobile number in any common form; stored as `09…`.
    pub mobile: String,
}

/// A new organisation's details as typed, before validation.
#[derive(Debug, Clone, Default)]
pub struct OrganizationInput {
    /// `OrganizationType` number (notary office, bank, court…); unspecified is refused.
    pub kind: i32,
    /// Persian name, required: it is what answers print.
    pub name_fa: String,
    /// English name, optional.
    pub name_en: String,
    /// The organisation's official number; with type and city it must be unique.
    pub registry_number: String,
    /// City, part of the uniqueness rule (registry numbers repeat across cities).
    pub city: String,
    /// Postal address, optional.
    pub address: String,
    /// Telephone, optional, any digit set.
    pub phone: String,
}

/// Collects validation failures of several fields into one error, so a person fixes a form
/// in one round instead of one field per round.
#[derive(Default)]
struct Violations(Option<ServiceError>);

impl Violations {
    fn take<T>(&mut self, result: Result<T, ServiceError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                match &mut self.0 {
                    Some(first)
                        if first.code == ErrorCode::InvalidArgument
                            && e.code == ErrorCode::InvalidArgument =>
                    {
                        first.fields.extend(e.fields)
                    }
                    Some(_) => {}
                    None => self.0 = Some(e),
                }
                None
            }
        }
    }

    fn finish(self) -> Result<(), ServiceError> {
        self.0.map_or(Ok(()), Err)
    }
}

/// The defect a [`Violations`] caller reports if a check passed without giving its value.
fn validated_without_value() -> ServiceError {
    ServiceError::internal(anyhow::anyhow!("validation passed without values"))
}

fn now_secs() -> u64 {
    u64::try_from(now_micros() / MICROS).unwrap_or_default()
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// The identity service's state and use cases. Cheap to clone: every field is shared, so
/// the gRPC handlers and the key-maintenance task hold the same key ring and store.
#[derive(Clone)]
pub struct Identity {
    db: Database,
    settings: Arc<Settings>,
    hasher: Hasher,
    keys: KeyRing,
    /// Seals the token-signing keys in the store.
    seal: Arc<KeySeal>,
    verifier: TokenVerifier,
    sms: Arc<dyn SmsProvider>,
    accounts_policy: Policy,
    sources_policy: Policy,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

/// The file the token-signing KEK is generated into when none is configured.
pub const KEK_FILE: &str = "token-signing-kek.secret";

/// The setting that holds the token-signing KEK in production.
pub const KEK_SETTING: &str = "identity.signing_key_encryption_key";

impl Identity {
    /// Loads (or creates) the signing keys and makes `verifier` trust them, so identity's
    /// own handlers accept the tokens it issues without a call to itself.
    pub async fn new(
        db: Database,
        settings: Arc<Settings>,
        verifier: TokenVerifier,
        sms: Arc<dyn SmsProvider>,
        hasher: Hasher,
    ) -> Result<Self, ServiceError> {
        let keys = KeyRing::new(&settings.auth.issuer, &settings.auth.audience);
        let seal = KeySeal::load_rolling(
            settings.identity.signing_key_encryption_key.as_ref(),
            settings
                .identity
                .signing_key_encryption_key_previous
                .as_ref(),
            KEK_SETTING,
            &settings.data_dir,
            KEK_FILE,
        )
        .map_err(ServiceError::internal)?;
        let throttle = &settings.identity.throttle;
        let identity = Self {
            accounts_policy: Policy::accounts(throttle),
            sources_policy: Policy::sources(throttle),
            db,
            settings,
            hasher,
            keys,
            seal: Arc::new(seal),
            verifier,
            sms,
        };
        identity.ensure_signing_key().await?;
        Ok(identity)
    }

    /// The key ring, for the JWKS document and `GetSigningKeys`.
    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// The store, for tests and tools that inspect what the service wrote.
    pub fn db(&self) -> &Database {
        &self.db
    }

    fn access_ttl(&self) -> Duration {
        Duration::from_secs(self.settings.identity.access_token_ttl_secs)
    }

    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, ServiceError> {
        Ok(self.db.pool().acquire().await?)
    }
}
