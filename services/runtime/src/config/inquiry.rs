//! Settings only the inquiry service reads.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// The `[inquiry]` section of the settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct InquirySettings {
    /// Public base URL of the portal; an answer's verification URL (and QR code) is
    /// `<public_base_url>/verify/<code>`.
    pub public_base_url: String,
    /// Client id of the inquiry service's service account at identity, for the
    /// service-to-service calls it makes (property, documents, fees, identity).
    pub service_client_id: Option<String>,
    /// Its client secret.
    #[serde(serialize_with = "expose_opt")]
    pub service_client_secret: Option<SecretString>,
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
}

impl Default for InquirySettings {
    fn default() -> Self {
        Self {
            public_base_url: "http://127.0.0.1:8080".into(),
            service_client_id: None,
            service_client_secret: None,
            unfinished_validity_days: 30,
            recovery_interval_secs: 60,
            signing_key_rotation_days: 180,
            debt_cleared_queue: "inquiry.debt-cleared".into(),
        }
    }
}

fn expose_opt<S: serde::Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    use secrecy::ExposeSecret as _;
    v.as_ref()
        .map(|x| x.expose_secret().to_owned())
        .serialize(s)
}
