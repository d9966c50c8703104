//! Settings only the fees service reads.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// The `[fees]` section of the settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeesSettings {
    /// Shared secret of the sandbox payment provider: callbacks are HMAC-SHA256 signed with
    /// it. The default is a published development value; set `ESTELAM_FEES__PSP_SHARED_SECRET`
    /// anywhere real money or real people are involved.
    #[serde(serialize_with = "expose")]
    pub psp_shared_secret: SecretString,
    /// Base URL of the sandbox PSP's pages (served by the gateway under `/psp`); payers are
    /// redirected to `<base>/pay?token=…`.
    pub psp_base_url: String,
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
}

/// The development secret; documented as public, so never trusted outside the sandbox.
const DEV_PSP_SECRET: &str = "estelam-sandbox-psp-development-secret";

impl Default for FeesSettings {
    fn default() -> Self {
        Self {
            psp_shared_secret: SecretString::from(DEV_PSP_SECRET),
            psp_base_url: "http://127.0.0.1:8080/psp".into(),
            bill_validity_secs: 24 * 3600,
            reconcile_interval_secs: 60,
            reconcile_pending_after_secs: 15 * 60,
            reconcile_batch: 100,
            seed_demo_data: true,
        }
    }
}

fn expose<S: serde::Serializer>(v: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.expose_secret())
}
