//! The identity use cases: registration, login, sessions, service tokens, administration.
//! Handlers in `api.rs` translate protobuf to these calls and back; the rules they apply
//! live in `password.rs`, `throttle.rs`, `validate.rs` and `tokens.rs`, the SQL in `store.rs`.

use std::sync::Arc;
use std::time::Duration;

use estelam_domain::{CheckCode, CodeKind, name_key};
use estelam_proto::identity::v1::{AuditEventKind, OrganizationType};
use estelam_runtime::auth::{Caller, RevokedSubject, Role, TokenVerifier};
use estelam_runtime::config::Settings;
use estelam_runtime::db::{Database, is_unique_violation, now_micros};
use estelam_runtime::error::{ErrorCode, ServiceError};
use secrecy::ExposeSecret as _;
use sqlx::AnyConnection;

use crate::password::{self, Hasher};
use crate::sms::SmsProvider;
use crate::store::{self, ACTIVE, AccountRow, DISABLED, OrganizationRow};
use crate::throttle::{Penalty, Policy};
use crate::tokens::{self, KeyRing, StoredKey, Subject};
use crate::validate;

const MICROS: i64 = 1_000_000;

/// Where a request came from, for throttling and the audit trail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// Client IP address (see `api::origin` for when `x-forwarded-for` is believed).
    pub source: String,
    /// The client's user agent.
    pub user_agent: String,
}

/// A pair of tokens for a person's session.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    /// JWT access token.
    pub access_token: String,
    /// Its expiry, seconds since the epoch.
    pub access_expires_at: u64,
    /// Opaque refresh token.
    pub refresh_token: String,
    /// Its expiry, µs.
    pub refresh_expires_at: i64,
}

/// How a person names themselves at login.
#[derive(Debug, Clone)]
pub enum LoginName {
    /// National code, any digit set.
    NationalCode(String),
    /// Membership code, any digit set.
    MembershipCode(String),
}

/// A new person's details, as typed.
#[derive(Debug, Clone, Default)]
pub struct PersonInput {
    /// National code.
    pub national_code: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Mobile.
    pub mobile: String,
}

/// A new organization's details, as typed.
#[derive(Debug, Clone, Default)]
pub struct OrganizationInput {
    /// `OrganizationType` number.
    pub kind: i32,
    /// Persian name.
    pub name_fa: String,
    /// English name.
    pub name_en: String,
    /// Official number.
    pub registry_number: String,
    /// City.
    pub city: String,
    /// Address.
    pub address: String,
    /// Phone.
    pub phone: String,
}

/// Collects validation failures of several fields into one error.
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

fn wrong_credentials() -> ServiceError {
    ServiceError::new(
        ErrorCode::Unauthenticated,
        "WRONG_CREDENTIALS",
        "کد ملی یا کد عضویت یا گذرواژه نادرست است.",
        "The national code, membership code or password is wrong.",
    )
}

fn account_disabled() -> ServiceError {
    ServiceError::new(
        ErrorCode::PermissionDenied,
        "ACCOUNT_DISABLED",
        "این حساب غیرفعال شده است؛ برای پیگیری با شهرداری تماس بگیرید.",
        "This account has been disabled; please contact the municipality.",
    )
}

fn session_invalid() -> ServiceError {
    ServiceError::new(
        ErrorCode::Unauthenticated,
        "SESSION_INVALID",
        "نشست شما پایان یافته است؛ دوباره وارد شوید.",
        "Your session has ended; please log in again.",
    )
}

fn throttled(wait: Duration) -> ServiceError {
    let secs = wait.as_secs().max(1);
    ServiceError::new(
        ErrorCode::ResourceExhausted,
        "TOO_MANY_ATTEMPTS",
        format!("تلاش‌های ناموفق زیاد بود؛ {secs} ثانیهٔ دیگر دوباره تلاش کنید."),
        format!("Too many failed attempts; try again in {secs} seconds."),
    )
    .with_retry_after(Duration::from_secs(secs))
}

fn now_secs() -> u64 {
    u64::try_from(now_micros() / MICROS).unwrap_or_default()
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// The identity service's state and use cases. Cheap to clone.
#[derive(Clone)]
pub struct Identity {
    db: Database,
    settings: Arc<Settings>,
    hasher: Hasher,
    keys: KeyRing,
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

/// Age of the key that signs new tokens, refreshed at every key reload (each minute).
static SIGNING_KEY_AGE: std::sync::LazyLock<prometheus::Gauge> = std::sync::LazyLock::new(|| {
    let gauge = prometheus::Gauge::new(
        "estelam_identity_signing_key_age_seconds",
        "Age of identity's current token signing key",
    )
    .expect("a constant, valid metric name and help");
    let _ = estelam_runtime::metrics::registry().register(Box::new(gauge.clone()));
    gauge
});

/// How long the key ring waits between reloads from the store (picks up a rotation made by
/// another replica).
pub const KEY_RELOAD_INTERVAL: Duration = Duration::from_secs(60);

impl Identity {
    /// Loads (or creates) the signing keys and makes `verifier` trust them.
    pub async fn new(
        db: Database,
        settings: Arc<Settings>,
        verifier: TokenVerifier,
        sms: Arc<dyn SmsProvider>,
        hasher: Hasher,
    ) -> Result<Self, ServiceError> {
        let keys = KeyRing::new(&settings.auth.issuer, &settings.auth.audience);
        let throttle = &settings.identity.throttle;
        let identity = Self {
            accounts_policy: Policy::accounts(throttle),
            sources_policy: Policy::sources(throttle),
            db,
            settings,
            hasher,
            keys,
            verifier,
            sms,
        };
        identity.ensure_signing_key().await?;
        Ok(identity)
    }

    /// The key ring (for the JWKS document and `GetSigningKeys`).
    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// The store.
    pub fn db(&self) -> &Database {
        &self.db
    }

    fn access_ttl(&self) -> Duration {
        Duration::from_secs(self.settings.identity.access_token_ttl_secs)
    }

    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, ServiceError> {
        Ok(self.db.pool().acquire().await?)
    }

    // -----------------------------------------------------------------------------------
    // Signing keys

    /// Creates the first key if there is none, rotates the current one when it is older than
    /// `identity.signing_key_rotation_days`, then loads the ring and the local verifier.
    pub async fn ensure_signing_key(&self) -> Result<(), ServiceError> {
        let now = now_micros();
        let days = self.settings.identity.signing_key_rotation_days;
        let mut tx = self.db.begin().await?;
        let keys = store::signing_keys(&mut tx).await?;
        let current = keys
            .iter()
            .filter(|k| k.retired_at.is_none())
            .map(|k| k.created_at)
            .max();
        let due = match current {
            None => true,
            Some(created) => {
                days > 0
                    && now - created
                        >= i64::try_from(days).unwrap_or(i64::MAX / 2 / 86_400 / MICROS)
                            * 86_400
                            * MICROS
            }
        };
        if due {
            self.rotate_in(&mut tx, now, current.is_some()).await?;
        }
        tx.commit().await?;
        self.reload_keys().await
    }

    /// Replaces the signing key now: the current key stops signing and stays published until
    /// every token it signed has expired.
    pub async fn rotate_signing_key(&self) -> Result<String, ServiceError> {
        let mut tx = self.db.begin().await?;
        let kid = self.rotate_in(&mut tx, now_micros(), true).await?;
        tx.commit().await?;
        self.reload_keys().await?;
        Ok(kid)
    }

    async fn rotate_in(
        &self,
        conn: &mut AnyConnection,
        now: i64,
        had_key: bool,
    ) -> Result<String, ServiceError> {
        let s = &self.settings.identity;
        // The old key verifies for as long as a token it signed can live, plus the time other
        // replicas may keep signing with it before their next reload, plus clock leeway.
        let longest = s.access_token_ttl_secs.max(s.service_token_ttl_secs);
        let grace =
            Duration::from_secs(longest) + 2 * KEY_RELOAD_INTERVAL + Duration::from_secs(60);
        store::retire_signing_keys(conn, now, now + micros(grace)).await?;
        let key = StoredKey::generate(now);
        store::insert_signing_key(conn, &key).await?;
        if had_key {
            let event = self.audit_row(
                AuditEventKind::SigningKeyRotated,
                "",
                "",
                "",
                &Origin::default(),
                &key.kid,
            );
            store::insert_audit(conn, &event).await?;
        }
        tracing::info!(kid = %key.kid, "new token signing key");
        Ok(key.kid)
    }

    /// Reloads the key ring from the store and hands the public keys to the local verifier.
    /// Also sets `estelam_identity_signing_key_age_seconds` (alerted on past 90 days).
    pub async fn reload_keys(&self) -> Result<(), ServiceError> {
        let keys = store::signing_keys(&mut *self.conn().await?).await?;
        self.keys.load(keys, now_micros())?;
        self.verifier.set_keys(&self.keys.public_keys());
        // Merged, not replaced: a revocation this replica just made stays until its hold ends.
        for revoked in self.revoked_subjects().await? {
            self.verifier.revoke(revoked);
        }
        if let Some(current) = self
            .keys
            .published()
            .first()
            .filter(|k| k.retired_at.is_none())
        {
            SIGNING_KEY_AGE.set((now_micros() - current.created_at) as f64 / MICROS as f64);
        }
        Ok(())
    }

    /// Keeps the key ring fresh until `shutdown`: reloads it every [`KEY_RELOAD_INTERVAL`]
    /// and rotates the key when it is due.
    pub fn spawn_key_maintenance(
        &self,
        shutdown: tokio_util::sync::CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(KEY_RELOAD_INTERVAL) => {}
                }
                if let Err(err) = this.ensure_signing_key().await {
                    tracing::warn!(error = %err, cause = ?err.cause, "could not refresh the signing keys");
                }
            }
        })
    }

    // -----------------------------------------------------------------------------------
    // Audit and throttling

    fn audit_row(
        &self,
        kind: AuditEventKind,
        account: &str,
        identifier: &str,
        actor: &str,
        origin: &Origin,
        detail: &str,
    ) -> store::AuditRow {
        store::AuditRow {
            audit_event_id: uuid::Uuid::now_v7().hyphenated().to_string(),
            kind: kind as i32,
            account_id: account.to_owned(),
            presented_identifier: identifier.chars().take(100).collect(),
            actor_account_id: actor.to_owned(),
            source_address: origin.source.clone(),
            user_agent: origin.user_agent.chars().take(200).collect(),
            detail: detail.to_owned(),
            occurred_at: now_micros(),
        }
    }

    // One argument per column of the audit row the call appends.
    #[allow(clippy::too_many_arguments)]
    async fn audit(
        &self,
        conn: &mut AnyConnection,
        kind: AuditEventKind,
        account: &str,
        identifier: &str,
        actor: &str,
        origin: &Origin,
        detail: &str,
    ) -> Result<(), ServiceError> {
        store::insert_audit(
            conn,
            &self.audit_row(kind, account, identifier, actor, origin, detail),
        )
        .await?;
        Ok(())
    }

    fn source_key(origin: &Origin) -> String {
        format!("source:{}", origin.source)
    }

    /// Refuses with RESOURCE_EXHAUSTED while any of `keys` is blocked.
    async fn check_throttle(&self, keys: &[&str]) -> Result<(), ServiceError> {
        let until = store::blocked_until(&mut *self.conn().await?, keys).await?;
        let now = now_micros();
        if until > now {
            return Err(throttled(Duration::from_micros(
                u64::try_from(until - now).unwrap_or(0),
            )));
        }
        Ok(())
    }

    /// Counts one failure against the key of the account (or identifier) and the source;
    /// returns the wait now imposed, if any. A lockout is audited.
    async fn record_failure(
        &self,
        conn: &mut AnyConnection,
        subject_key: &str,
        account: &str,
        identifier: &str,
        origin: &Origin,
    ) -> Result<Option<Duration>, ServiceError> {
        let now = now_micros();
        let window_start = now
            - micros(Duration::from_secs(
                self.settings.identity.throttle.window_secs,
            ));
        let mut wait: Option<Duration> = None;
        let source_key = Self::source_key(origin);
        for (key, policy) in [
            (subject_key, &self.accounts_policy),
            (source_key.as_str(), &self.sources_policy),
        ] {
            let failures = store::record_failure(conn, key, now, window_start).await?;
            let (delay, locked) = match policy.penalty(failures) {
                Penalty::None => continue,
                Penalty::Delay(d) => (d, false),
                Penalty::Lockout(d) => (d, true),
            };
            store::block(conn, key, now + micros(delay)).await?;
            if locked && failures == policy.lockout {
                let detail = format!(
                    "{key} locked for {} s after {failures} failures",
                    delay.as_secs()
                );
                self.audit(
                    conn,
                    AuditEventKind::LockedOut,
                    account,
                    identifier,
                    "",
                    origin,
                    &detail,
                )
                .await?;
            }
            wait = Some(wait.map_or(delay, |w| w.max(delay)));
        }
        Ok(wait)
    }

    // -----------------------------------------------------------------------------------
    // Registration and mobile verification

    /// Registers a citizen; returns the account and when the mobile code expires (µs).
    pub async fn register(
        &self,
        origin: &Origin,
        person: &PersonInput,
        password: &str,
    ) -> Result<(AccountRow, i64), ServiceError> {
        let source_key = Self::source_key(origin);
        self.check_throttle(&[&source_key]).await?;
        let mut v = Violations::default();
        let national = v.take(validate::national_code(
            "national_code",
            &person.national_code,
        ));
        let first = v.take(validate::person_name("first_name", &person.first_name));
        let last = v.take(validate::person_name("last_name", &person.last_name));
        let mobile = v.take(validate::mobile("mobile", &person.mobile));
        let personal = [
            national
                .as_ref()
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default(),
            mobile.clone().unwrap_or_default(),
        ];
        v.take(password::check_policy(
            "password",
            password,
            &[&personal[0], &personal[1]],
        ));
        v.finish()?;
        let (Some(national), Some(first), Some(last), Some(mobile)) =
            (national, first, last, mobile)
        else {
            return Err(ServiceError::internal(anyhow::anyhow!(
                "validation passed without values"
            )));
        };
        let hash = self.hasher.hash(password.to_owned()).await?;
        let now = now_micros();
        let mut tx = self.db.begin().await?;
        if store::account_by_national_code(&mut tx, national.as_str())
            .await?
            .is_some()
        {
            tx.rollback().await?;
            // Registration tells whether a national code is registered, so repeated tries
            // from one source are throttled like failed logins.
            let mut conn = self.conn().await?;
            self.record_failure(&mut conn, &source_key, "", "", origin)
                .await?;
            return Err(already_registered());
        }
        let account = self
            .new_person(
                &mut tx,
                national.as_str(),
                first,
                last,
                mobile,
                vec![Role::Citizen],
                None,
                hash,
                false,
                now,
                "",
                "",
            )
            .await?;
        let (code, expires_at) = self
            .new_mobile_code(&mut tx, &account.account_id, now)
            .await?;
        self.audit(
            &mut tx,
            AuditEventKind::Registered,
            &account.account_id,
            national.as_str(),
            "",
            origin,
            "",
        )
        .await?;
        match tx.commit().await {
            Err(e) if is_unique_violation(&e) => return Err(already_registered()),
            other => other?,
        }
        self.send_code(&account.mobile, &code).await;
        Ok((account, expires_at))
    }

    #[allow(clippy::too_many_arguments)]
    async fn new_person(
        &self,
        conn: &mut AnyConnection,
        national_code: &str,
        first: String,
        last: String,
        mobile: String,
        roles: Vec<Role>,
        organization_id: Option<String>,
        hash: String,
        change_required: bool,
        now: i64,
        by: &str,
        by_name: &str,
    ) -> Result<AccountRow, ServiceError> {
        let national = (!national_code.is_empty()).then(|| national_code.to_owned());
        let membership = self.unused_membership_code(conn).await?;
        let display_name = format!("{first} {last}");
        let account = AccountRow {
            account_id: uuid::Uuid::now_v7().hyphenated().to_string(),
            roles,
            status: ACTIVE,
            search_key: format!(
                "{}|{}|{}",
                name_key(&display_name),
                national_code,
                membership
            ),
            national_code: national,
            membership_code: Some(membership),
            first_name: first,
            last_name: last,
            display_name,
            mobile,
            mobile_verified: false,
            organization_id,
            client_id: None,
            description: String::new(),
            secret_hash: hash,
            password_change_required: change_required,
            created_at: now,
            changed_at: now,
            changed_by: by.to_owned(),
            changed_by_name: by_name.to_owned(),
        };
        match store::insert_account(conn, &account).await {
            Err(e) if is_unique_violation(&e) => Err(already_registered()),
            other => Ok(other.map(|()| account)?),
        }
    }

    async fn unused_membership_code(
        &self,
        conn: &mut AnyConnection,
    ) -> Result<String, ServiceError> {
        for _ in 0..8 {
            let code =
                CheckCode::generate_random(CodeKind::Membership, &mut rand::rng()).to_string();
            if store::account_by_membership_code(conn, &code)
                .await?
                .is_none()
            {
                return Ok(code);
            }
        }
        Err(ServiceError::internal(anyhow::anyhow!(
            "no unused membership code after 8 tries"
        )))
    }

    fn mobile_code_hash(account_id: &str, code: &str) -> String {
        tokens::secret_hash(&format!("{account_id}:{code}"))
    }

    async fn new_mobile_code(
        &self,
        conn: &mut AnyConnection,
        account_id: &str,
        now: i64,
    ) -> Result<(String, i64), ServiceError> {
        let code = format!("{:06}", rand::random_range(0..1_000_000u32));
        let expires_at = now
            + micros(Duration::from_secs(
                self.settings.identity.mobile_code_ttl_secs,
            ));
        store::put_mobile_code(
            conn,
            account_id,
            &Self::mobile_code_hash(account_id, &code),
            now,
            expires_at,
        )
        .await?;
        Ok((code, expires_at))
    }

    async fn send_code(&self, mobile: &str, code: &str) {
        let text =
            format!("استعلام شهرداری — کد تأیید شما: {code}\nEstelam verification code: {code}");
        if let Err(err) = self.sms.send(mobile, &text).await {
            // The account exists either way; the person can ask for another code.
            tracing::warn!(error = %err, cause = ?err.cause, "could not send the mobile code");
        }
    }

    /// Sends a new one-time code to the caller's mobile; returns (expires, resend after), µs.
    pub async fn send_mobile_code(&self, caller: &Caller) -> Result<(i64, i64), ServiceError> {
        let account = self.caller_account(caller).await?;
        if account.mobile.is_empty() {
            return Err(ServiceError::new(
                ErrorCode::FailedPrecondition,
                "NO_MOBILE",
                "برای این حساب شمارهٔ همراهی ثبت نشده است.",
                "This account has no mobile number.",
            ));
        }
        if account.mobile_verified {
            return Err(ServiceError::new(
                ErrorCode::FailedPrecondition,
                "MOBILE_ALREADY_VERIFIED",
                "شمارهٔ همراه شما پیش‌تر تأیید شده است.",
                "Your mobile number is already verified.",
            ));
        }
        let now = now_micros();
        let resend = micros(Duration::from_secs(
            self.settings.identity.mobile_code_resend_secs,
        ));
        let mut tx = self.db.begin().await?;
        if let Some(pending) = store::mobile_code(&mut tx, &account.account_id).await?
            && pending.sent_at + resend > now
        {
            tx.rollback().await?;
            let wait =
                Duration::from_micros(u64::try_from(pending.sent_at + resend - now).unwrap_or(0));
            let secs = wait.as_secs().max(1);
            return Err(ServiceError::new(
                ErrorCode::ResourceExhausted,
                "MOBILE_CODE_RESEND_TOO_SOON",
                format!(
                    "کد تازه‌ای فرستاده شده است؛ {secs} ثانیهٔ دیگر می‌توانید دوباره درخواست کنید."
                ),
                format!("A code was just sent; you can ask for another in {secs} seconds."),
            )
            .with_retry_after(Duration::from_secs(secs)));
        }
        let (code, expires_at) = self
            .new_mobile_code(&mut tx, &account.account_id, now)
            .await?;
        tx.commit().await?;
        self.send_code(&account.mobile, &code).await;
        Ok((expires_at, now + resend))
    }

    /// Confirms the caller's mobile with the code sent to it.
    pub async fn verify_mobile(
        &self,
        caller: &Caller,
        origin: &Origin,
        code: &str,
    ) -> Result<AccountRow, ServiceError> {
        let account = self.caller_account(caller).await?;
        let code = estelam_domain::normalize_digits(code.trim());
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ServiceError::invalid_field(
                "code",
                "CODE_FORMAT",
                "کد تأیید شش رقم است.",
                "The verification code has six digits.",
            ));
        }
        let now = now_micros();
        let mut tx = self.db.begin().await?;
        let pending = store::mobile_code(&mut tx, &account.account_id).await?;
        let max =
            i32::try_from(self.settings.identity.mobile_code_max_attempts).unwrap_or(i32::MAX);
        let Some(pending) = pending.filter(|p| p.expires_at > now && p.attempts < max) else {
            tx.rollback().await?;
            return Err(ServiceError::new(
                ErrorCode::FailedPrecondition,
                "MOBILE_CODE_EXPIRED",
                "کد تأیید منقضی شده یا بیش از حد اشتباه وارد شده است؛ کد تازه‌ای درخواست کنید.",
                "The verification code has expired or was entered wrongly too often; ask for a new one.",
            ));
        };
        if !tokens::hashes_equal(
            &pending.code_hash,
            &Self::mobile_code_hash(&account.account_id, &code),
        ) {
            store::bump_mobile_code_attempts(&mut tx, &account.account_id).await?;
            self.audit(
                &mut tx,
                AuditEventKind::MobileVerificationFailed,
                &account.account_id,
                "",
                "",
                origin,
                "",
            )
            .await?;
            tx.commit().await?;
            return Err(ServiceError::invalid_field(
                "code",
                "CODE_WRONG",
                "کد تأیید نادرست است.",
                "The verification code is wrong.",
            ));
        }
        store::set_mobile_verified(&mut tx, &account.account_id).await?;
        store::delete_mobile_code(&mut tx, &account.account_id).await?;
        self.audit(
            &mut tx,
            AuditEventKind::MobileVerified,
            &account.account_id,
            "",
            "",
            origin,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(AccountRow {
            mobile_verified: true,
            ..account
        })
    }

    // -----------------------------------------------------------------------------------
    // Login and sessions

    /// Logs a person in with a password.
    pub async fn login(
        &self,
        origin: &Origin,
        name: &LoginName,
        password: &str,
    ) -> Result<(IssuedTokens, AccountRow), ServiceError> {
        let (identifier, account) = {
            let mut conn = self.conn().await?;
            match name {
                LoginName::NationalCode(raw) => {
                    let code = validate::national_code("national_code", raw)?;
                    (
                        code.as_str().to_owned(),
                        store::account_by_national_code(&mut conn, code.as_str()).await?,
                    )
                }
                LoginName::MembershipCode(raw) => {
                    let code = validate::membership_code("membership_code", raw)?;
                    (
                        code.as_str().to_owned(),
                        store::account_by_membership_code(&mut conn, code.as_str()).await?,
                    )
                }
            }
        };
        if password.is_empty() {
            return Err(ServiceError::invalid_field(
                "password",
                "REQUIRED",
                "گذرواژه را وارد کنید.",
                "Enter the password.",
            ));
        }
        let subject_key = match &account {
            Some(a) => format!("account:{}", a.account_id),
            None => format!("identifier:{identifier}"),
        };
        let source_key = Self::source_key(origin);
        self.check_throttle(&[&subject_key, &source_key]).await?;

        let person = account.filter(|a| !a.has(Role::Service));
        let ok = self
            .hasher
            .verify(
                password.to_owned(),
                person.as_ref().map(|a| a.secret_hash.clone()),
            )
            .await?;
        let account_id = person
            .as_ref()
            .map(|a| a.account_id.clone())
            .unwrap_or_default();
        let Some(account) = person.filter(|_| ok) else {
            let mut conn = self.conn().await?;
            self.audit(
                &mut conn,
                AuditEventKind::LoginFailed,
                &account_id,
                &identifier,
                "",
                origin,
                "",
            )
            .await?;
            return Err(
                match self
                    .record_failure(&mut conn, &subject_key, &account_id, &identifier, origin)
                    .await?
                {
                    Some(wait) => throttled(wait),
                    None => wrong_credentials(),
                },
            );
        };
        // The password was right: only now may the caller learn that the account is disabled.
        self.ensure_may_log_in(&account).await?;
        let mut tx = self.db.begin().await?;
        store::clear_throttle(&mut tx, &subject_key).await?;
        self.audit(
            &mut tx,
            AuditEventKind::LoginSucceeded,
            &account.account_id,
            &identifier,
            "",
            origin,
            "",
        )
        .await?;
        let tokens = self.start_session(&mut tx, &account).await?;
        tx.commit().await?;
        Ok((tokens, account))
    }

    async fn ensure_may_log_in(&self, account: &AccountRow) -> Result<(), ServiceError> {
        if !account.is_active() {
            return Err(account_disabled());
        }
        if let Some(org) = &account.organization_id {
            let org = store::organization_by_id(&mut *self.conn().await?, org).await?;
            if !org.is_some_and(|o| o.active) {
                return Err(ServiceError::new(
                    ErrorCode::PermissionDenied,
                    "ORGANIZATION_DISABLED",
                    "سازمان شما در سامانه غیرفعال است.",
                    "Your organization is disabled in the system.",
                ));
            }
        }
        Ok(())
    }

    fn subject_of(account: &AccountRow) -> Subject {
        Subject {
            account_id: account.account_id.clone(),
            roles: account.roles.clone(),
            organization_id: account.organization_id.clone(),
        }
    }

    async fn start_session(
        &self,
        conn: &mut AnyConnection,
        account: &AccountRow,
    ) -> Result<IssuedTokens, ServiceError> {
        let family = uuid::Uuid::now_v7().hyphenated().to_string();
        let now = now_micros();
        store::insert_session(conn, &family, &account.account_id, now).await?;
        self.continue_session(conn, account, &family, now).await
    }

    async fn continue_session(
        &self,
        conn: &mut AnyConnection,
        account: &AccountRow,
        family: &str,
        now: i64,
    ) -> Result<IssuedTokens, ServiceError> {
        let refresh = tokens::new_opaque_secret();
        let refresh_expires_at = now
            + micros(Duration::from_secs(
                self.settings.identity.refresh_token_ttl_secs,
            ));
        store::insert_refresh_token(
            conn,
            &tokens::secret_hash(&refresh),
            family,
            &account.account_id,
            now,
            refresh_expires_at,
        )
        .await?;
        let (access, _jti, exp) =
            self.keys
                .issue(&Self::subject_of(account), self.access_ttl(), now_secs())?;
        Ok(IssuedTokens {
            access_token: access,
            access_expires_at: exp,
            refresh_token: refresh,
            refresh_expires_at,
        })
    }

    /// Exchanges a refresh token for new tokens; a reused token revokes its whole session.
    pub async fn refresh(
        &self,
        origin: &Origin,
        refresh_token: &str,
    ) -> Result<IssuedTokens, ServiceError> {
        let token = refresh_token.trim();
        if token.is_empty() {
            return Err(ServiceError::invalid_field(
                "refresh_token",
                "REQUIRED",
                "نشانهٔ نوسازی را بفرستید.",
                "The refresh token is required.",
            ));
        }
        let hash = tokens::secret_hash(token);
        let now = now_micros();
        let mut tx = self.db.begin().await?;
        let Some(row) = store::refresh_token(&mut tx, &hash).await? else {
            tx.rollback().await?;
            return Err(session_invalid());
        };
        if row.session_revoked_at.is_some() {
            tx.rollback().await?;
            return Err(session_invalid());
        }
        let first_use =
            row.used_at.is_none() && store::mark_refresh_used(&mut tx, &hash, now).await?;
        if !first_use {
            // Someone holds a copy of a token already exchanged: the thief or the owner, we
            // cannot tell which, so the whole session ends for both.
            store::revoke_session(&mut tx, &row.family_id, now, "refresh token reuse").await?;
            self.audit(
                &mut tx,
                AuditEventKind::RefreshReuseDetected,
                &row.account_id,
                "",
                "",
                origin,
                &format!("session {}", row.family_id),
            )
            .await?;
            tx.commit().await?;
            return Err(session_invalid());
        }
        if row.expires_at <= now {
            tx.rollback().await?;
            return Err(session_invalid());
        }
        let account = store::account_by_id(&mut tx, &row.account_id).await?;
        let Some(account) = account.filter(AccountRow::is_active) else {
            store::revoke_session(&mut tx, &row.family_id, now, "account disabled").await?;
            tx.commit().await?;
            return Err(session_invalid());
        };
        self.audit(
            &mut tx,
            AuditEventKind::TokenRefreshed,
            &account.account_id,
            "",
            "",
            origin,
            "",
        )
        .await?;
        let tokens = self
            .continue_session(&mut tx, &account, &row.family_id, now)
            .await?;
        tx.commit().await?;
        Ok(tokens)
    }

    /// Ends the session of `refresh_token`, or every session of its account (or of the
    /// caller) when `all_sessions`.
    pub async fn logout(
        &self,
        origin: &Origin,
        caller: Option<&Caller>,
        refresh_token: &str,
        all_sessions: bool,
    ) -> Result<(), ServiceError> {
        let now = now_micros();
        let mut tx = self.db.begin().await?;
        let token = refresh_token.trim();
        if !token.is_empty() {
            if let Some(row) = store::refresh_token(&mut tx, &tokens::secret_hash(token)).await? {
                if all_sessions {
                    store::revoke_account_sessions(
                        &mut tx,
                        &row.account_id,
                        None,
                        now,
                        "logout (all sessions)",
                    )
                    .await?;
                } else {
                    store::revoke_session(&mut tx, &row.family_id, now, "logout").await?;
                }
                self.audit(
                    &mut tx,
                    AuditEventKind::LoggedOut,
                    &row.account_id,
                    "",
                    "",
                    origin,
                    if all_sessions { "all sessions" } else { "" },
                )
                .await?;
            }
            // An unknown or already revoked token: the session is over either way.
        } else if all_sessions {
            let Some(caller) = caller else {
                tx.rollback().await?;
                return Err(ServiceError::unauthenticated());
            };
            store::revoke_account_sessions(
                &mut tx,
                &caller.subject,
                None,
                now,
                "logout (all sessions)",
            )
            .await?;
            self.audit(
                &mut tx,
                AuditEventKind::LoggedOut,
                &caller.subject,
                "",
                "",
                origin,
                "all sessions",
            )
            .await?;
        } else {
            tx.rollback().await?;
            return Err(ServiceError::invalid_field(
                "refresh_token",
                "REQUIRED",
                "نشانهٔ نوسازی نشستی را که باید بسته شود بفرستید، یا همهٔ نشست‌ها را ببندید.",
                "Send the refresh token of the session to end, or set all_sessions.",
            ));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Changes the caller's password; every session ends and a new one starts.
    pub async fn change_password(
        &self,
        caller: &Caller,
        origin: &Origin,
        current: &str,
        new: &str,
    ) -> Result<IssuedTokens, ServiceError> {
        let account = self.caller_account(caller).await?;
        if account.has(Role::Service) {
            return Err(ServiceError::permission_denied());
        }
        let subject_key = format!("account:{}", account.account_id);
        self.check_throttle(&[&subject_key, &Self::source_key(origin)])
            .await?;
        if !self
            .hasher
            .verify(current.to_owned(), Some(account.secret_hash.clone()))
            .await?
        {
            let mut conn = self.conn().await?;
            self.audit(
                &mut conn,
                AuditEventKind::LoginFailed,
                &account.account_id,
                "",
                "",
                origin,
                "wrong current password",
            )
            .await?;
            return Err(
                match self
                    .record_failure(&mut conn, &subject_key, &account.account_id, "", origin)
                    .await?
                {
                    Some(wait) => throttled(wait),
                    None => ServiceError::invalid_field(
                        "current_password",
                        "PASSWORD_WRONG",
                        "گذرواژهٔ کنونی نادرست است.",
                        "The current password is wrong.",
                    ),
                },
            );
        }
        let personal = [
            account.national_code.clone().unwrap_or_default(),
            account.mobile.clone(),
        ];
        password::check_policy("new_password", new, &[&personal[0], &personal[1]])?;
        if self
            .hasher
            .verify(new.to_owned(), Some(account.secret_hash.clone()))
            .await?
        {
            return Err(ServiceError::invalid_field(
                "new_password",
                "PASSWORD_UNCHANGED",
                "گذرواژهٔ تازه باید با گذرواژهٔ کنونی فرق داشته باشد.",
                "The new password must differ from the current one.",
            ));
        }
        let hash = self.hasher.hash(new.to_owned()).await?;
        let now = now_micros();
        let mut tx = self.db.begin().await?;
        store::set_secret(
            &mut tx,
            &account.account_id,
            &hash,
            false,
            now,
            &account.account_id,
            &account.display_name,
        )
        .await?;
        store::revoke_account_sessions(&mut tx, &account.account_id, None, now, "password changed")
            .await?;
        store::clear_throttle(&mut tx, &subject_key).await?;
        self.audit(
            &mut tx,
            AuditEventKind::PasswordChanged,
            &account.account_id,
            "",
            "",
            origin,
            "",
        )
        .await?;
        let tokens = self.start_session(&mut tx, &account).await?;
        tx.commit().await?;
        Ok(tokens)
    }

    /// The caller's own account (and organization); a caller whose account is gone or
    /// disabled gets PERMISSION_DENIED even while their access token lasts.
    pub async fn me(
        &self,
        caller: &Caller,
    ) -> Result<(AccountRow, Option<OrganizationRow>), ServiceError> {
        let account = self.caller_account(caller).await?;
        let org = match &account.organization_id {
            Some(id) => store::organization_by_id(&mut *self.conn().await?, id).await?,
            None => None,
        };
        Ok((account, org))
    }

    async fn caller_account(&self, caller: &Caller) -> Result<AccountRow, ServiceError> {
        let account = store::account_by_id(&mut *self.conn().await?, &caller.subject).await?;
        match account {
            Some(a) if a.is_active() => Ok(a),
            Some(_) => Err(account_disabled()),
            None => Err(ServiceError::unauthenticated()),
        }
    }

    // -----------------------------------------------------------------------------------
    // Machines

    /// Client credentials → a short access token with the service role; (token, expiry s).
    pub async fn client_credentials(
        &self,
        origin: &Origin,
        client_id: &str,
        secret: &str,
    ) -> Result<(String, u64), ServiceError> {
        let client_id = client_id.trim();
        if client_id.is_empty() || secret.is_empty() {
            return Err(ServiceError::invalid_field(
                "client_id",
                "REQUIRED",
                "شناسه و رمز کارخواه را بفرستید.",
                "Send the client id and secret.",
            ));
        }
        let subject_key = format!("client:{}", client_id.chars().take(64).collect::<String>());
        self.check_throttle(&[&subject_key, &Self::source_key(origin)])
            .await?;
        let account = store::account_by_client_id(&mut *self.conn().await?, client_id).await?;
        let presented = format!("sha256:{}", tokens::secret_hash(secret));
        let stored = account
            .as_ref()
            .map_or("sha256:-", |a| a.secret_hash.as_str());
        let ok = tokens::hashes_equal(&presented, stored);
        let account_id = account
            .as_ref()
            .map(|a| a.account_id.clone())
            .unwrap_or_default();
        let Some(account) = account.filter(|_| ok) else {
            let mut conn = self.conn().await?;
            self.audit(
                &mut conn,
                AuditEventKind::ClientTokenFailed,
                &account_id,
                client_id,
                "",
                origin,
                "",
            )
            .await?;
            return Err(
                match self
                    .record_failure(&mut conn, &subject_key, &account_id, client_id, origin)
                    .await?
                {
                    Some(wait) => throttled(wait),
                    None => ServiceError::new(
                        ErrorCode::Unauthenticated,
                        "WRONG_CLIENT_CREDENTIALS",
                        "شناسه یا رمز کارخواه نادرست است.",
                        "The client id or secret is wrong.",
                    ),
                },
            );
        };
        if !account.is_active() {
            return Err(account_disabled());
        }
        let ttl = Duration::from_secs(self.settings.identity.service_token_ttl_secs);
        let (token, jti, exp) = self
            .keys
            .issue(&Self::subject_of(&account), ttl, now_secs())?;
        self.audit(
            &mut *self.conn().await?,
            AuditEventKind::ClientTokenIssued,
            &account.account_id,
            client_id,
            "",
            origin,
            &format!("jti {jti}"),
        )
        .await?;
        Ok((token, exp))
    }

    /// Whether a national code and membership code belong to one active citizen: the
    /// consent check of an authority's inquiry. Throttled per caller and source.
    pub async fn verify_membership(
        &self,
        caller: &Caller,
        origin: &Origin,
        national: &str,
        membership: &str,
    ) -> Result<Option<AccountRow>, ServiceError> {
        caller.require_any(&[Role::Service, Role::Authority])?;
        let mut v = Violations::default();
        let national = v.take(validate::national_code("national_code", national));
        let membership = v.take(validate::membership_code("membership_code", membership));
        v.finish()?;
        let (Some(national), Some(membership)) = (national, membership) else {
            return Err(ServiceError::internal(anyhow::anyhow!(
                "validation passed without values"
            )));
        };
        let subject_key = format!("caller:{}", caller.subject);
        self.check_throttle(&[&subject_key, &Self::source_key(origin)])
            .await?;
        let mut conn = self.conn().await?;
        let account = store::account_by_national_code(&mut conn, national.as_str()).await?;
        let matched = account.filter(|a| {
            a.is_active()
                && a.has(Role::Citizen)
                && a.membership_code.as_deref() == Some(membership.as_str())
        });
        let detail = if matched.is_some() {
            "match"
        } else {
            "no match"
        };
        let account_id = matched
            .as_ref()
            .map(|a| a.account_id.as_str())
            .unwrap_or("");
        self.audit(
            &mut conn,
            AuditEventKind::MembershipChecked,
            account_id,
            national.as_str(),
            &caller.subject,
            origin,
            detail,
        )
        .await?;
        if matched.is_none()
            && let Some(wait) = self
                .record_failure(&mut conn, &subject_key, "", national.as_str(), origin)
                .await?
        {
            return Err(throttled(wait));
        }
        Ok(matched)
    }

    // -----------------------------------------------------------------------------------
    // Administration

    /// The caller's account if it is an active admin; PERMISSION_DENIED otherwise (checked
    /// against the store, so a disabled admin's unexpired token no longer works here).
    pub async fn require_admin(&self, caller: &Caller) -> Result<AccountRow, ServiceError> {
        caller.require_any(&[Role::Admin])?;
        let account = store::account_by_id(&mut *self.conn().await?, &caller.subject).await?;
        account
            .filter(|a| a.is_active() && a.has(Role::Admin))
            .ok_or_else(ServiceError::permission_denied)
    }

    fn validate_person(
        person: &PersonInput,
    ) -> Result<(String, String, String, String), ServiceError> {
        let mut v = Violations::default();
        let national = v.take(validate::national_code(
            "national_code",
            &person.national_code,
        ));
        let first = v.take(validate::person_name("first_name", &person.first_name));
        let last = v.take(validate::person_name("last_name", &person.last_name));
        let mobile = v.take(validate::mobile("mobile", &person.mobile));
        v.finish()?;
        match (national, first, last, mobile) {
            (Some(n), Some(f), Some(l), Some(m)) => Ok((n.as_str().to_owned(), f, l, m)),
            _ => Err(ServiceError::internal(anyhow::anyhow!(
                "validation passed without values"
            ))),
        }
    }

    /// Creates a staff (clerk/admin) or authority account with a generated one-time password.
    pub async fn create_person(
        &self,
        actor: &AccountRow,
        origin: &Origin,
        person: &PersonInput,
        roles: Vec<Role>,
        organization_id: Option<String>,
    ) -> Result<(AccountRow, String), ServiceError> {
        let (national, first, last, mobile) = Self::validate_person(person)?;
        if let Some(org) = &organization_id {
            let found = store::organization_by_id(&mut *self.conn().await?, org).await?;
            match found {
                None => return Err(ServiceError::not_found("سازمان", "The organization")),
                Some(o) if !o.active => {
                    return Err(ServiceError::new(
                        ErrorCode::FailedPrecondition,
                        "ORGANIZATION_DISABLED",
                        "این سازمان غیرفعال است.",
                        "This organization is disabled.",
                    ));
                }
                Some(_) => {}
            }
        }
        let initial = password::generate();
        let hash = self.hasher.hash(initial.clone()).await?;
        let now = now_micros();
        let mut tx = self.db.begin().await?;
        if store::account_by_national_code(&mut tx, &national)
            .await?
            .is_some()
        {
            tx.rollback().await?;
            return Err(already_registered());
        }
        let account = self
            .new_person(
                &mut tx,
                &national,
                first,
                last,
                mobile,
                roles,
                organization_id,
                hash,
                true,
                now,
                &actor.account_id,
                &actor.display_name,
            )
            .await?;
        let detail = format!(
            "roles {}",
            store::roles_column(&account.roles).trim_matches(',')
        );
        self.audit(
            &mut tx,
            AuditEventKind::AccountCreated,
            &account.account_id,
            &national,
            &actor.account_id,
            origin,
            &detail,
        )
        .await?;
        tx.commit().await?;
        Ok((account, initial))
    }

    /// Creates a service account; returns it and its client secret (shown once).
    pub async fn create_service_account(
        &self,
        actor: &AccountRow,
        origin: &Origin,
        name: &str,
        description: &str,
    ) -> Result<(AccountRow, String), ServiceError> {
        let name = name.trim().to_ascii_lowercase();
        if name.is_empty()
            || name.len() > 40
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
        {
            return Err(ServiceError::invalid_field(
                "name",
                "SERVICE_NAME_INVALID",
                "نام سامانه ۱ تا ۴۰ نویسه از حروف لاتین کوچک، رقم و - _ . است.",
                "A system name is 1-40 characters: a-z, 0-9, - _ .",
            ));
        }
        let description = validate::optional_text("description", description, 500)?;
        let client_id = format!(
            "{name}-{}",
            &uuid::Uuid::now_v7().simple().to_string()[20..]
        );
        let secret = tokens::new_opaque_secret();
        let mut tx = self.db.begin().await?;
        let account = self
            .insert_service_account(
                &mut tx,
                &client_id,
                &name,
                &description,
                &secret,
                &actor.account_id,
                &actor.display_name,
            )
            .await?;
        self.audit(
            &mut tx,
            AuditEventKind::AccountCreated,
            &account.account_id,
            &client_id,
            &actor.account_id,
            origin,
            "roles service",
        )
        .await?;
        tx.commit().await?;
        Ok((account, secret))
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_service_account(
        &self,
        conn: &mut AnyConnection,
        client_id: &str,
        name: &str,
        description: &str,
        secret: &str,
        by: &str,
        by_name: &str,
    ) -> Result<AccountRow, ServiceError> {
        let now = now_micros();
        let account = AccountRow {
            account_id: uuid::Uuid::now_v7().hyphenated().to_string(),
            roles: vec![Role::Service],
            status: ACTIVE,
            national_code: None,
            membership_code: None,
            first_name: String::new(),
            last_name: String::new(),
            display_name: name.to_owned(),
            search_key: format!("{}|{client_id}", name_key(name)),
            mobile: String::new(),
            mobile_verified: false,
            organization_id: None,
            client_id: Some(client_id.to_owned()),
            description: description.to_owned(),
            secret_hash: format!("sha256:{}", tokens::secret_hash(secret)),
            password_change_required: false,
            created_at: now,
            changed_at: now,
            changed_by: by.to_owned(),
            changed_by_name: by_name.to_owned(),
        };
        match store::insert_account(conn, &account).await {
            Err(e) if is_unique_violation(&e) => Err(ServiceError::new(
                ErrorCode::AlreadyExists,
                "CLIENT_ID_TAKEN",
                "این شناسهٔ کارخواه پیش‌تر ثبت شده است.",
                "This client id is already registered.",
            )),
            other => Ok(other.map(|()| account)?),
        }
    }

    /// One account, for an admin.
    pub async fn account(&self, id: &str) -> Result<AccountRow, ServiceError> {
        let id = validate::id("account_id", id, "حساب", "The account")?;
        store::account_by_id(&mut *self.conn().await?, &id)
            .await?
            .ok_or_else(|| ServiceError::not_found("حساب", "The account"))
    }

    /// Accounts matching a filter (the role and status as stored names/numbers).
    pub async fn list_accounts(
        &self,
        mut filter: store::AccountFilter,
        page_token: &str,
    ) -> Result<(Vec<AccountRow>, String), ServiceError> {
        filter.after = validate::decode_page_token(page_token)?;
        filter.query = name_key(&filter.query);
        let limit = filter.limit;
        filter.limit = limit + 1;
        let mut rows = store::list_accounts(&mut *self.conn().await?, &filter).await?;
        let next = if rows.len() as i64 > limit {
            rows.truncate(usize::try_from(limit).unwrap_or(0));
            rows.last()
                .map(|r| validate::encode_page_token(&r.account_id))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok((rows, next))
    }

    /// Disables (`enable == false`) or enables an account. Disabling ends all its sessions
    /// (refresh tokens); its access tokens lapse within their 15 minutes, and identity's own
    /// calls refuse them at once.
    pub async fn set_enabled(
        &self,
        actor: &AccountRow,
        origin: &Origin,
        id: &str,
        reason: &str,
        enable: bool,
    ) -> Result<AccountRow, ServiceError> {
        let id = validate::id("account_id", id, "حساب", "The account")?;
        let reason = validate::required_text("reason", reason, 500)?;
        if !enable && id == actor.account_id {
            return Err(ServiceError::new(
                ErrorCode::FailedPrecondition,
                "CANNOT_DISABLE_SELF",
                "نمی‌توانید حساب خودتان را غیرفعال کنید.",
                "You cannot disable your own account.",
            ));
        }
        let now = now_micros();
        let mut tx = self.db.begin().await?;
        let status = if enable { ACTIVE } else { DISABLED };
        if !store::set_status(
            &mut tx,
            &id,
            status,
            now,
            &actor.account_id,
            &actor.display_name,
        )
        .await?
        {
            tx.rollback().await?;
            return Err(ServiceError::not_found("حساب", "The account"));
        }
        let kind = if enable {
            AuditEventKind::AccountEnabled
        } else {
            let ended =
                store::revoke_account_sessions(&mut tx, &id, None, now, "account disabled").await?;
            store::revoke_tokens(&mut tx, &id, now, now + micros(self.revocation_hold())).await?;
            tracing::info!(account = %id, sessions = ended, "account disabled; its sessions ended");
            AuditEventKind::AccountDisabled
        };
        self.audit(&mut tx, kind, &id, "", &actor.account_id, origin, &reason)
            .await?;
        let account = store::account_by_id(&mut tx, &id)
            .await?
            .ok_or_else(|| ServiceError::not_found("حساب", "The account"))?;
        tx.commit().await?;
        if !enable {
            // This replica's own verifier refuses the tokens at once; other services learn
            // of it at their next key refresh (`GetSigningKeys`).
            self.verifier.revoke(RevokedSubject {
                subject: id.clone(),
                revoked_at: u64::try_from(now / MICROS).unwrap_or_default(),
                hold_until: now_secs() + self.revocation_hold().as_secs(),
            });
        }
        Ok(account)
    }

    /// How long a revocation is published: the longest token lifetime plus clock leeway,
    /// after which no token issued before it can still be accepted anywhere.
    fn revocation_hold(&self) -> Duration {
        let s = &self.settings.identity;
        Duration::from_secs(s.access_token_ttl_secs.max(s.service_token_ttl_secs) + 60)
    }

    /// The revocations to publish with the signing keys (`GetSigningKeys`).
    pub async fn revoked_subjects(&self) -> Result<Vec<RevokedSubject>, ServiceError> {
        let now = now_micros();
        let rows = store::token_revocations(&mut *self.conn().await?, now).await?;
        Ok(rows
            .into_iter()
            .map(|(subject, at, hold)| RevokedSubject {
                subject,
                revoked_at: u64::try_from(at / MICROS).unwrap_or_default(),
                hold_until: u64::try_from(hold.div_euclid(MICROS) + 1).unwrap_or_default(),
            })
            .collect())
    }

    /// Registers an inquiring authority.
    pub async fn create_organization(
        &self,
        actor: &AccountRow,
        origin: &Origin,
        input: &OrganizationInput,
    ) -> Result<OrganizationRow, ServiceError> {
        let mut v = Violations::default();
        let kind = v.take(match OrganizationType::try_from(input.kind) {
            Ok(OrganizationType::Unspecified) | Err(_) => Err(ServiceError::invalid_field(
                "type",
                "TYPE_REQUIRED",
                "نوع سازمان را برگزینید.",
                "Choose the organization type.",
            )),
            Ok(t) => Ok(t as i32),
        });
        let name_fa = v.take(validate::required_text("name.fa", &input.name_fa, 200));
        let name_en = v.take(validate::optional_text("name.en", &input.name_en, 200));
        let number = v.take(validate::required_text(
            "registry_number",
            &estelam_domain::normalize_digits(&input.registry_number),
            50,
        ));
        let city = v.take(validate::required_text("city", &input.city, 100));
        let address = v.take(validate::optional_text("address", &input.address, 500));
        let phone = v.take(validate::optional_text(
            "phone",
            &estelam_domain::normalize_digits(&input.phone),
            30,
        ));
        v.finish()?;
        let (
            Some(kind),
            Some(name_fa),
            Some(name_en),
            Some(number),
            Some(city),
            Some(address),
            Some(phone),
        ) = (kind, name_fa, name_en, number, city, address, phone)
        else {
            return Err(ServiceError::internal(anyhow::anyhow!(
                "validation passed without values"
            )));
        };
        let org = OrganizationRow {
            organization_id: uuid::Uuid::now_v7().hyphenated().to_string(),
            kind,
            name_key: name_key(&name_fa),
            city_key: name_key(&city),
            name_fa,
            name_en,
            registry_number: number,
            city,
            address,
            phone,
            active: true,
            created_at: now_micros(),
        };
        let mut tx = self.db.begin().await?;
        if let Err(e) = store::insert_organization(&mut tx, &org).await {
            return Err(if is_unique_violation(&e) {
                ServiceError::new(
                    ErrorCode::AlreadyExists,
                    "ORGANIZATION_EXISTS",
                    "سازمانی از همین نوع با همین شماره در این شهر پیش‌تر ثبت شده است.",
                    "An organization of this type with this number is already registered in this city.",
                )
            } else {
                e.into()
            });
        }
        self.audit(
            &mut tx,
            AuditEventKind::OrganizationCreated,
            "",
            &org.registry_number,
            &actor.account_id,
            origin,
            &format!("organization {}", org.organization_id),
        )
        .await?;
        tx.commit().await?;
        Ok(org)
    }

    /// One organization.
    pub async fn organization(&self, id: &str) -> Result<OrganizationRow, ServiceError> {
        let id = validate::id("organization_id", id, "سازمان", "The organization")?;
        store::organization_by_id(&mut *self.conn().await?, &id)
            .await?
            .ok_or_else(|| ServiceError::not_found("سازمان", "The organization"))
    }

    /// Organizations matching a filter, by name.
    pub async fn list_organizations(
        &self,
        mut filter: store::OrganizationFilter,
        page_token: &str,
    ) -> Result<(Vec<OrganizationRow>, String), ServiceError> {
        let after = validate::decode_page_token(page_token)?;
        filter.after = if after.is_empty() {
            None
        } else {
            let (name, id) = after
                .split_once('\u{1f}')
                .ok_or_else(|| validate::decode_page_token("%").unwrap_err())?;
            Some((name.to_owned(), id.to_owned()))
        };
        filter.query = name_key(&filter.query);
        let limit = filter.limit;
        filter.limit = limit + 1;
        let mut rows = store::list_organizations(&mut *self.conn().await?, &filter).await?;
        let next = if rows.len() as i64 > limit {
            rows.truncate(usize::try_from(limit).unwrap_or(0));
            rows.last()
                .map(|r| {
                    validate::encode_page_token(&format!(
                        "{}\u{1f}{}",
                        r.name_key, r.organization_id
                    ))
                })
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok((rows, next))
    }

    /// The audit trail, newest first.
    pub async fn list_audit(
        &self,
        mut filter: store::AuditFilter,
        page_token: &str,
    ) -> Result<(Vec<store::AuditRow>, String), ServiceError> {
        filter.before = validate::decode_page_token(page_token)?;
        let limit = filter.limit;
        filter.limit = limit + 1;
        let mut rows = store::list_audit(&mut *self.conn().await?, &filter).await?;
        let next = if rows.len() as i64 > limit {
            rows.truncate(usize::try_from(limit).unwrap_or(0));
            rows.last()
                .map(|r| validate::encode_page_token(&r.audit_event_id))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok((rows, next))
    }

    // -----------------------------------------------------------------------------------
    // Bootstrap

    /// Creates or updates the configured service accounts (`[identity] service_clients`):
    /// a new client id becomes a service account, a known one gets the configured secret.
    pub async fn upsert_service_clients(&self) -> Result<(), ServiceError> {
        for (client_id, secret) in &self.settings.identity.service_clients {
            let secret = secret.expose_secret();
            let mut tx = self.db.begin().await?;
            match store::account_by_client_id(&mut tx, client_id).await? {
                Some(existing) => {
                    let hash = format!("sha256:{}", tokens::secret_hash(secret));
                    if existing.secret_hash != hash {
                        store::set_secret(
                            &mut tx,
                            &existing.account_id,
                            &hash,
                            false,
                            now_micros(),
                            "",
                            "",
                        )
                        .await?;
                        tracing::info!(client_id = %client_id, "service client secret updated from configuration");
                    }
                }
                None => {
                    let account = self
                        .insert_service_account(
                            &mut tx,
                            client_id,
                            client_id,
                            "from configuration",
                            secret,
                            "",
                            "",
                        )
                        .await?;
                    self.audit(
                        &mut tx,
                        AuditEventKind::AccountCreated,
                        &account.account_id,
                        client_id,
                        "",
                        &Origin::default(),
                        "service client from configuration",
                    )
                    .await?;
                }
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// Creates the first admin when no active admin exists: from `[identity.bootstrap_admin]`
    /// if configured, else (only when `embedded`) a generated one. A generated password is
    /// printed once on standard output and stored only as its hash. Returns the
    /// (membership code, one-time password) printed, if any.
    pub async fn bootstrap_admin(
        &self,
        embedded: bool,
    ) -> Result<Option<(String, String)>, ServiceError> {
        if store::active_admin_exists(&mut *self.conn().await?).await? {
            return Ok(None);
        }
        let configured = self.settings.identity.bootstrap_admin.clone();
        let (person, given_password) = match configured {
            Some(c) => (
                PersonInput {
                    national_code: c.national_code,
                    first_name: c.first_name,
                    last_name: c.last_name,
                    mobile: c.mobile,
                },
                c.password.map(|p| p.expose_secret().to_owned()),
            ),
            None if embedded => (
                PersonInput {
                    first_name: "مدیر".into(),
                    last_name: "سامانه".into(),
                    ..PersonInput::default()
                },
                None,
            ),
            None => {
                tracing::warn!(
                    "no active admin exists; set [identity.bootstrap_admin] to create one"
                );
                return Ok(None);
            }
        };
        let national = if person.national_code.trim().is_empty() {
            String::new()
        } else {
            validate::national_code(
                "identity.bootstrap_admin.national_code",
                &person.national_code,
            )?
            .as_str()
            .to_owned()
        };
        let first =
            validate::person_name("identity.bootstrap_admin.first_name", &person.first_name)?;
        let last = validate::person_name("identity.bootstrap_admin.last_name", &person.last_name)?;
        let mobile = if person.mobile.trim().is_empty() {
            String::new()
        } else {
            validate::mobile("identity.bootstrap_admin.mobile", &person.mobile)?
        };
        let password = match &given_password {
            Some(p) => {
                password::check_policy(
                    "identity.bootstrap_admin.password",
                    p,
                    &[&national, &mobile],
                )?;
                p.clone()
            }
            None => password::generate(),
        };
        let hash = self.hasher.hash(password.clone()).await?;
        let mut tx = self.db.begin().await?;
        if !national.is_empty()
            && store::account_by_national_code(&mut tx, &national)
                .await?
                .is_some()
        {
            tx.rollback().await?;
            tracing::warn!(
                "identity.bootstrap_admin.national_code already belongs to an account; no admin created"
            );
            return Ok(None);
        }
        let account = self
            .new_person(
                &mut tx,
                &national,
                first,
                last,
                mobile,
                vec![Role::Admin],
                None,
                hash,
                true,
                now_micros(),
                "",
                "",
            )
            .await?;
        self.audit(
            &mut tx,
            AuditEventKind::AccountCreated,
            &account.account_id,
            &national,
            "",
            &Origin::default(),
            "bootstrap admin",
        )
        .await?;
        tx.commit().await?;
        let membership = account.membership_code.clone().unwrap_or_default();
        if given_password.is_some() {
            tracing::info!(account = %account.account_id, "bootstrap admin created from configuration");
            return Ok(None);
        }
        // Printed, not logged: logs are collected and kept; this must be seen once only.
        println!();
        println!("  First admin account created (اولین حساب مدیر ساخته شد).");
        println!("  Log in with membership code {membership} and the one-time password {password}");
        println!(
            "  and change the password at once. It is shown only this once and stored only as a hash."
        );
        println!();
        Ok(Some((membership, password)))
    }
}

fn already_registered() -> ServiceError {
    ServiceError::new(
        ErrorCode::AlreadyExists,
        "NATIONAL_CODE_REGISTERED",
        "با این کد ملی پیش‌تر حسابی ساخته شده است؛ وارد شوید یا گذرواژه را بازیابی کنید.",
        "An account with this national code already exists; log in instead.",
    )
}
