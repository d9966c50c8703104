//! Settings only the inquiry service reads.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// The `[inquiry]` section of the settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct InquirySettings {
    /// Public base URL of the portal; an answer's verification URL (and QR code) is
    /// `<public_base_url>/verify/<code>`. Left at its default, it is
    /// `gateway.public_base_url` (see [`super::Settings::derive_public_links`]).
    pub public_base_url: String,
    /// Days an unfinished (or unpaid) inquiry stays open before it expires.
    pub unfinished_validity_days: u32,
    /// Seconds between recovery sweeps (resume inquiries left between steps, expire old
    /// ones); one always runs at start.
    pub recovery_interval_secs: u64,
    /// Days an answer-signing key signs before a new one replaces it (the old one stays
    /// published as the previous key).
    pub signing_key_rotation_days: u32,
    /// The durable queue that receives `fees.debt.cleared`.
    pub debt_cleared_queue: String,
    /// Base64 of 32 random bytes: the key that encrypts the answer-signing keys at rest in
    /// the inquiry store (a Secret on Kubernetes, shared by every replica). When unset, one
    /// is generated once into `<data_dir>/answer-signing-kek.secret` (mode 0600), which
    /// suits one process with a lasting data directory (`estelam run`).
    #[serde(serialize_with = "super::expose_opt")]
    pub signing_key_encryption_key: Option<SecretString>,
}

impl Default for InquirySettings {
    fn default() -> Self {
        Self {
            public_base_url: "http://127.0.0.1:8080".into(),
            unfinished_validity_days: 30,
            recovery_interval_secs: 60,
            signing_key_rotation_days: 180,
            debt_cleared_queue: "inquiry.debt-cleared".into(),
            signing_key_encryption_key: None,
        }
    }
}
