//! Settings only the property service reads.

use serde::{Deserialize, Serialize};

/// The `[property]` section of the settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PropertySettings {}
