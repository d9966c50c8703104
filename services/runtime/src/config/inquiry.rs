//! Settings only the inquiry service reads.

use serde::{Deserialize, Serialize};

/// The `[inquiry]` section of the settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct InquirySettings {}
