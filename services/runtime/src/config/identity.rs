//! Settings only the identity service reads.

use serde::{Deserialize, Serialize};

/// The `[identity]` section of the settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdentitySettings {}
