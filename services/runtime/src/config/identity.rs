//! Settings only the identity service reads.
//!
//! ```toml
//! [identity]
//! access_token_ttl_secs = 900            # 15 minutes
//! refresh_token_ttl_secs = 1209600       # 14 days
//! trusted_proxies = ["127.0.0.0/8", "::1/128", "10.0.0.0/8"]
//!
//! [identity.bootstrap_admin]             # the first admin, created once when no admin exists
//! national_code = "0076229645"
//! first_name = "مدیر"
//! last_name = "سامانه"
//! mobile = "09120000000"
//! # password = "…"                       # optional: the operator's choice; without it a
//!                                         # one-time password is printed, to be changed first
//!
//! [identity.service_clients]             # client id → secret of each service account
//! fees = "a long random secret of at least 32 characters"
//! ```
//!
//! The same keys work from the environment, e.g.
//! `ESTELAM_IDENTITY__SERVICE_CLIENTS__FEES=…` or `ESTELAM_IDENTITY__BOOTSTRAP_ADMIN__NATIONAL_CODE=…`.

use std::collections::BTreeMap;
use std::net::IpAddr;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// The `[identity]` section of the settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdentitySettings {
    /// Lifetime of a person's access token. Also the longest a disabled account's last
    /// token keeps working in other services, which verify tokens without asking identity.
    pub access_token_ttl_secs: u64,
    /// Lifetime of an unused refresh token (each use rotates it).
    pub refresh_token_ttl_secs: u64,
    /// Lifetime of a service account's access token (client credentials; no refresh token).
    pub service_token_ttl_secs: u64,
    /// Age at which the signing key is replaced by a new one; 0 turns automatic rotation off.
    pub signing_key_rotation_days: u64,
    /// Password hashes computed at once; 0 means one per CPU core. Each hash takes ~19 MiB
    /// and tens of milliseconds of one core, so this bounds both memory and CPU in a burst.
    pub password_hash_concurrency: usize,
    /// How long a mobile one-time code stays valid.
    pub mobile_code_ttl_secs: u64,
    /// How soon another mobile code may be requested.
    pub mobile_code_resend_secs: u64,
    /// Wrong tries before a mobile code stops working.
    pub mobile_code_max_attempts: u32,
    /// Brute-force protection of logins and other secret checks.
    pub throttle: ThrottleSettings,
    /// Peers (CIDR blocks) whose `x-forwarded-for` header is believed: the gateway's
    /// addresses. From any other peer the header is ignored and the peer address is the source.
    pub trusted_proxies: Vec<String>,
    /// Where one-time codes are sent.
    pub sms: SmsSettings,
    /// The durable queue identity reads `inquiry.representation.changed` from, to tell an
    /// owner by SMS that a representative filed in their name and what a clerk decided.
    pub owner_notice_queue: String,
    /// The first admin, created at start when no active admin exists.
    pub bootstrap_admin: Option<BootstrapAdmin>,
    /// Service accounts to create or update at start: client id → client secret.
    #[serde(serialize_with = "expose_map")]
    pub service_clients: BTreeMap<String, SecretString>,
    /// Base64 of 32 random bytes: the key that encrypts the token-signing keys at rest in
    /// the identity store (a Secret on Kubernetes, shared by every replica), so a copy of
    /// the store cannot mint access tokens. When unset, one is generated once into
    /// `<data_dir>/token-signing-kek.secret` (mode 0600), which suits one process with a
    /// lasting data directory (`estelam run`).
    #[serde(serialize_with = "super::expose_opt")]
    pub signing_key_encryption_key: Option<SecretString>,
    /// Base64 of 32 bytes: the KEK before `signing_key_encryption_key`, set only while the
    /// KEK is rolled (`docs/operations.md`): keys still sealed under it open, nothing is
    /// sealed with it. Remove it once `POST /api/v1/admin/token-signing-keys/reseal` has
    /// re-sealed every key under the new one.
    #[serde(serialize_with = "super::expose_opt")]
    pub signing_key_encryption_key_previous: Option<SecretString>,
}

impl Default for IdentitySettings {
    fn default() -> Self {
        Self {
            access_token_ttl_secs: 900,
            refresh_token_ttl_secs: 14 * 24 * 3600,
            service_token_ttl_secs: 600,
            signing_key_rotation_days: 30,
            password_hash_concurrency: 0,
            mobile_code_ttl_secs: 300,
            mobile_code_resend_secs: 60,
            mobile_code_max_attempts: 5,
            throttle: ThrottleSettings::default(),
            trusted_proxies: vec!["127.0.0.0/8".into(), "::1/128".into()],
            sms: SmsSettings::default(),
            owner_notice_queue: "identity.owner-notices".into(),
            bootstrap_admin: None,
            service_clients: BTreeMap::new(),
            signing_key_encryption_key: None,
            signing_key_encryption_key_previous: None,
        }
    }
}

/// Throttling of failed authentication, per account and per source address.
///
/// The first `*_free_failures` failures within `window_secs` cost nothing; each further one
/// makes the key wait `base_delay_secs`, doubling, up to `max_delay_secs`; at
/// `*_lockout_failures` the key is locked for `lockout_secs`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThrottleSettings {
    /// Failures of one account tolerated before delays start.
    pub account_free_failures: u32,
    /// Failures of one account that lock it out temporarily.
    pub account_lockout_failures: u32,
    /// Failures from one source address tolerated before delays start.
    pub source_free_failures: u32,
    /// Failures from one source address that lock it out temporarily.
    pub source_lockout_failures: u32,
    /// First delay after the free failures.
    pub base_delay_secs: u64,
    /// Longest delay before lockout.
    pub max_delay_secs: u64,
    /// Length of a lockout.
    pub lockout_secs: u64,
    /// Failures older than this (since the last failure) are forgotten.
    pub window_secs: u64,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        Self {
            account_free_failures: 3,
            account_lockout_failures: 10,
            source_free_failures: 20,
            source_lockout_failures: 100,
            base_delay_secs: 2,
            max_delay_secs: 120,
            lockout_secs: 900,
            window_secs: 900,
        }
    }
}

/// Where one-time codes leave (`[identity.sms]`). Codes stay inside identity: it keeps
/// each one sealed in its own outbox until the provider takes it, and texts it itself.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsSettings {
    /// Which provider sends the messages.
    pub provider: SmsProviderKind,
    /// The HTTP gateway's base URL (provider `http`), e.g. `https://api.kavenegar.com/v1`.
    pub base_url: String,
    /// The gateway account's API key (a Secret on Kubernetes).
    #[serde(serialize_with = "expose_opt")]
    pub api_key: Option<SecretString>,
    /// The provider-side template codes are sent with (the "verify/lookup" call).
    pub code_template: String,
    /// First pause after the provider failed to take a code, in milliseconds; it doubles
    /// per attempt (up to a minute) until the code expires.
    pub retry_min_ms: u64,
}

impl Default for SmsSettings {
    fn default() -> Self {
        Self {
            provider: SmsProviderKind::Log,
            base_url: String::new(),
            api_key: None,
            code_template: "estelam-code".into(),
            retry_min_ms: 1000,
        }
    }
}

/// The SMS providers built in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SmsProviderKind {
    /// Writes each message to the log and keeps it in memory (development, tests, demos).
    #[default]
    Log,
    /// An HTTP SMS gateway in the style of Iranian providers; codes go through its
    /// template call with the send's id as `localid`.
    Http,
}

/// The first admin account.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapAdmin {
    /// National code (login name).
    pub national_code: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Mobile number, `09…`.
    pub mobile: String,
    /// The admin's password, chosen by the operator (kept in the deployment's secret store),
    /// so the account is not held to changing it; without it a one-time password is
    /// generated and printed once on standard output, and must be changed before anything
    /// else.
    #[serde(default, serialize_with = "expose_opt")]
    pub password: Option<SecretString>,
}

/// Shortest accepted service client secret: secrets are hashed with SHA-256 (fast), which
/// is safe only for high-entropy secrets.
pub const MIN_CLIENT_SECRET_LEN: usize = 32;

fn expose_opt<S: serde::Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    v.as_ref()
        .map(|x| x.expose_secret().to_owned())
        .serialize(s)
}

fn expose_map<S: serde::Serializer>(
    v: &BTreeMap<String, SecretString>,
    s: S,
) -> Result<S::Ok, S::Error> {
    v.iter()
        .map(|(k, x)| (k.clone(), x.expose_secret().to_owned()))
        .collect::<BTreeMap<_, _>>()
        .serialize(s)
}

/// A CIDR block such as `10.0.0.0/8` or `::1/128` (a bare address means a single host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `addr/prefix` or a bare address.
    pub fn parse(s: &str) -> Option<Self> {
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (s.trim().parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Self { addr, prefix })
    }

    /// True when `ip` lies in this block (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl IdentitySettings {
    /// The trusted proxy blocks (entries that fail to parse are refused by [`Self::validate`]).
    pub fn trusted_proxy_blocks(&self) -> Vec<Cidr> {
        self.trusted_proxies
            .iter()
            .filter_map(|s| Cidr::parse(s))
            .collect()
    }

    /// Checks what types alone cannot; the message names the wrong setting.
    pub fn validate(&self) -> Result<(), String> {
        if self.access_token_ttl_secs == 0 || self.access_token_ttl_secs > 3600 {
            return Err("identity.access_token_ttl_secs must be between 1 and 3600".into());
        }
        if self.service_token_ttl_secs == 0 || self.service_token_ttl_secs > 3600 {
            return Err("identity.service_token_ttl_secs must be between 1 and 3600".into());
        }
        if self.refresh_token_ttl_secs <= self.access_token_ttl_secs {
            return Err("identity.refresh_token_ttl_secs must be longer than identity.access_token_ttl_secs".into());
        }
        if self.mobile_code_ttl_secs == 0 || self.mobile_code_max_attempts == 0 {
            return Err("identity.mobile_code_ttl_secs and identity.mobile_code_max_attempts must be at least 1".into());
        }
        if self.sms.provider == SmsProviderKind::Http
            && (self.sms.base_url.is_empty() || self.sms.api_key.is_none())
        {
            return Err(
                "identity.sms.provider = \"http\" needs identity.sms.base_url and identity.sms.api_key"
                    .into(),
            );
        }
        if self.sms.retry_min_ms == 0 {
            return Err("identity.sms.retry_min_ms must be at least 1".into());
        }
        let t = &self.throttle;
        if t.account_lockout_failures <= t.account_free_failures
            || t.source_lockout_failures <= t.source_free_failures
        {
            return Err("identity.throttle.*_lockout_failures must be larger than the matching *_free_failures".into());
        }
        if t.base_delay_secs == 0
            || t.max_delay_secs < t.base_delay_secs
            || t.lockout_secs == 0
            || t.window_secs == 0
        {
            return Err("identity.throttle: delays, lockout_secs and window_secs must be positive, max_delay_secs ≥ base_delay_secs".into());
        }
        for p in &self.trusted_proxies {
            if Cidr::parse(p).is_none() {
                return Err(format!(
                    "identity.trusted_proxies: {p:?} is not an address or CIDR block like 10.0.0.0/8"
                ));
            }
        }
        for (id, secret) in &self.service_clients {
            if id.is_empty()
                || id.len() > 64
                || !id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
            {
                return Err(format!(
                    "identity.service_clients.{id}: a client id is 1-64 of a-z 0-9 - _ ."
                ));
            }
            if secret.expose_secret().chars().count() < MIN_CLIENT_SECRET_LEN {
                return Err(format!(
                    "identity.service_clients.{id}: the secret must have at least {MIN_CLIENT_SECRET_LEN} characters"
                ));
            }
        }
        if let Some(admin) = &self.bootstrap_admin
            && (admin.national_code.trim().is_empty()
                || admin.first_name.trim().is_empty()
                || admin.last_name.trim().is_empty())
        {
            return Err(
                "identity.bootstrap_admin needs national_code, first_name and last_name".into(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_blocks_match_their_addresses_only() {
        let lo = Cidr::parse("127.0.0.0/8").unwrap();
        assert!(lo.contains("127.1.2.3".parse().unwrap()));
        assert!(lo.contains("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!lo.contains("128.0.0.1".parse().unwrap()));
        let host = Cidr::parse("::1").unwrap();
        assert!(host.contains("::1".parse().unwrap()));
        assert!(!host.contains("::2".parse().unwrap()));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("gateway").is_none());
    }

    #[test]
    fn defaults_are_valid_and_weak_client_secrets_are_refused() {
        let mut s = IdentitySettings::default();
        assert!(s.validate().is_ok());
        s.service_clients
            .insert("fees".into(), SecretString::from("short"));
        assert!(
            s.validate()
                .unwrap_err()
                .contains("identity.service_clients.fees")
        );
    }

    #[test]
    fn identity_settings_load_from_a_file_and_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "estelam.toml",
                "[identity]\naccess_token_ttl_secs = 600\n\n[identity.bootstrap_admin]\nnational_code = \"0076229645\"\n\
                 first_name = \"مدیر\"\nlast_name = \"سامانه\"\nmobile = \"09120000000\"\n",
            )?;
            jail.set_env("ESTELAM_IDENTITY__SERVICE_CLIENTS__FEES", "f".repeat(40));
            jail.set_env("ESTELAM_AUTH__CLIENT_ID", "fees");
            jail.set_env("ESTELAM_AUTH__CLIENT_SECRET", "f".repeat(40));
            let s = crate::config::Settings::load(Some(std::path::Path::new("estelam.toml")))
                .expect("valid");
            assert_eq!(s.identity.access_token_ttl_secs, 600);
            assert_eq!(
                s.identity
                    .bootstrap_admin
                    .as_ref()
                    .map(|a| a.national_code.as_str()),
                Some("0076229645")
            );
            assert!(
                s.identity
                    .bootstrap_admin
                    .as_ref()
                    .is_some_and(|a| a.password.is_none())
            );
            assert_eq!(
                s.identity.service_clients["fees"].expose_secret(),
                "f".repeat(40)
            );
            assert_eq!(s.auth.client_id.as_deref(), Some("fees"));
            jail.set_env("ESTELAM_AUTH__CLIENT_SECRET", "");
            jail.set_env("ESTELAM_IDENTITY__SERVICE_CLIENTS__FEES", "short");
            let err = crate::config::Settings::load(Some(std::path::Path::new("estelam.toml")))
                .expect_err("weak secret");
            assert!(
                err.to_string().contains("identity.service_clients.fees"),
                "{err}"
            );
            Ok(())
        });
    }
}
