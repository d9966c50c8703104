//! Settings only the fees service reads.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// The `[fees]` section of the settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeesSettings {
    /// Shared secret of the sandbox payment provider: callbacks are HMAC-SHA256 signed with
    /// it. When unset, the fees service generates a random one on first start and keeps it in
    /// its own store, so no secret ever ships with the code and every replica agrees on it.
    #[serde(serialize_with = "expose")]
    pub psp_shared_secret: Option<SecretString>,
    /// Base URL of the sandbox PSP's pages (served by the gateway under `/psp`); payers are
    /// redirected to `<base>/pay?token=…`. Left at its default, it is
    /// `<gateway.public_base_url>/psp` (see [`super::Settings::derive_public_links`]).
    pub psp_base_url: String,
    /// The portal's address, which a payment's `return_url` path is resolved against: the
    /// payer comes back only to the portal (or to an origin in `return_origins`). Left at its
    /// default, it is `gateway.public_base_url`.
    pub public_base_url: String,
    /// Origins besides the portal's that a payment may return to (`https://notary.example`),
    /// for an organisation's own front end. Empty by default: payments return only home.
    pub return_origins: Vec<String>,
    /// Seconds a bill stays payable at most (it also ends at the next Jalali month, when
    /// penalties move on).
    pub bill_validity_secs: u64,
    /// Seconds between runs of the reconciliation job that asks the provider about payments
    /// whose callback never came.
    pub reconcile_interval_secs: u64,
    /// A payment pending this many seconds without a callback is reconciled.
    pub reconcile_pending_after_secs: u64,
    /// Most payments one reconciliation run asks about.
    pub reconcile_batch: u32,
    /// Load the demo tariffs (and the demo parcels' arrears) on start when none exist.
    pub seed_demo_data: bool,
    /// A clerk adjustment (correction, discount or write-off) whose size in rials is above
    /// this is only proposed: it takes effect when a second staff member, not its proposer,
    /// approves it. Default 100,000,000 rials (ten million toman); 0 sends every adjustment
    /// to a second approver.
    pub adjustment_second_approval_above_rials: i64,
}

impl Default for FeesSettings {
    fn default() -> Self {
        Self {
            psp_shared_secret: None,
            psp_base_url: "http://127.0.0.1:8080/psp".into(),
            public_base_url: "http://127.0.0.1:8080".into(),
            return_origins: Vec::new(),
            bill_validity_secs: 24 * 3600,
            reconcile_interval_secs: 60,
            reconcile_pending_after_secs: 15 * 60,
            reconcile_batch: 100,
            seed_demo_data: true,
            adjustment_second_approval_above_rials: 100_000_000,
        }
    }
}

fn expose<S: serde::Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    v.as_ref()
        .map(|x| x.expose_secret().to_owned())
        .serialize(s)
}
