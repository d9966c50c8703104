//! Settings only the inquiry service reads.

use std::path::PathBuf;

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
    /// Base64 of 32 bytes: the KEK before `signing_key_encryption_key`, set only while the
    /// KEK is rolled (`docs/operations.md`): keys still sealed under it open, nothing is
    /// sealed with it. Remove it once `POST /api/v1/admin/answer-signing-keys/reseal` has
    /// re-sealed every key under the new one.
    #[serde(serialize_with = "super::expose_opt")]
    pub signing_key_encryption_key_previous: Option<SecretString>,
    /// The municipality's name in Persian, at the head of every printed answer.
    pub municipality_fa: String,
    /// The municipality's name in English, at the head of answers printed in English.
    pub municipality_en: String,
    /// An SVG file printed as the emblem at the head of every answer, read once at start.
    /// Unset, the neutral emblem shipped with the service
    /// (`services/inquiry/assets/emblem.svg`) is printed.
    pub emblem_svg_path: Option<PathBuf>,
    /// Webhook deliveries to organisations' endpoints (`[inquiry.webhooks]`).
    pub webhooks: WebhookSettings,
    /// How batches are worked in the background (`[inquiry.batches]`).
    pub batches: BatchSettings,
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
            signing_key_encryption_key_previous: None,
            municipality_fa: "شهرداری شاهین‌شهر".into(),
            municipality_en: "Shahin Shahr Municipality".into(),
            emblem_svg_path: None,
            webhooks: WebhookSettings::default(),
            batches: BatchSettings::default(),
        }
    }
}

/// The `[inquiry.batches]` section: how each inquiry process works authorities' batches
/// in the background. The defaults keep a large batch from taking the database pool or the
/// other services away from people filing interactively; a value of 0 counts as 1.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct BatchSettings {
    /// Items one process files at a time.
    pub concurrency: usize,
    /// Seconds a worker's claim on an item holds: longer than an item takes, short enough
    /// that a dead worker's items are soon taken up again (by this process after a
    /// restart, or another replica).
    pub lease_secs: u64,
    /// Milliseconds between an idle worker's looks for items another replica stored (a
    /// batch stored by this process wakes it at once).
    pub poll_interval_ms: u64,
    /// Attempts before an item that keeps meeting an unavailable service is refused
    /// (`BATCH_ITEM_UNFINISHED`); the delay between attempts doubles, up to 64 s.
    pub max_attempts: u32,
}

impl Default for BatchSettings {
    fn default() -> Self {
        Self {
            concurrency: 4,
            lease_secs: 30,
            poll_interval_ms: 2_000,
            max_attempts: 12,
        }
    }
}

/// The `[inquiry.webhooks]` section: where organisations' webhook endpoints may point and
/// how deliveries are sent and retried. The defaults are production's: https only, public
/// addresses only; `estelam run` (one machine, a developer's receiver on loopback) allows
/// plain http and loopback.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookSettings {
    /// Accept `http://` endpoint URLs (otherwise https only).
    pub allow_http: bool,
    /// Accept endpoints on loopback addresses (127.0.0.0/8, ::1, `localhost`).
    pub allow_loopback: bool,
    /// Accept endpoints on private, link-local, shared (CGNAT) and unique-local addresses
    /// (a receiver inside the municipality's own network).
    pub allow_private: bool,
    /// Milliseconds one delivery attempt may take, connection included.
    pub timeout_ms: u64,
    /// Deliveries in flight at once, over all endpoints.
    pub concurrency: usize,
    /// The first retry's delay, ms; each later one doubles it (with jitter), up to
    /// `retry_max_delay_ms`.
    pub retry_initial_delay_ms: u64,
    /// The longest delay between two attempts, ms.
    pub retry_max_delay_ms: u64,
    /// Seconds a delivery is retried for, from its first attempt (or its replay), before
    /// it goes to the dead-letter list. At least a day in production.
    pub retry_for_secs: u64,
    /// Milliseconds between looks for due deliveries when nothing wakes the worker.
    pub poll_interval_ms: u64,
    /// Endpoints one organisation may have.
    pub max_endpoints_per_organization: u32,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_http: false,
            allow_loopback: false,
            allow_private: false,
            timeout_ms: 10_000,
            concurrency: 16,
            retry_initial_delay_ms: 5_000,
            retry_max_delay_ms: 3_600_000,
            retry_for_secs: 25 * 3_600,
            poll_interval_ms: 1_000,
            max_endpoints_per_organization: 20,
        }
    }
}
