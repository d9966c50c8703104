//! Settings only the fees service reads.

use serde::{Deserialize, Serialize};

/// The `[fees]` section of the settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeesSettings {}
