//! Settings only the documents service reads.

use serde::{Deserialize, Serialize};

/// The `[documents]` section of the settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DocumentsSettings {}
