//! Settings only the property service reads.

use serde::{Deserialize, Serialize};

/// The `[property]` section of the settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PropertySettings {
    /// Days a request number stays valid when the clerk gives no period.
    pub request_number_validity_days: u32,
    /// Longest validity a clerk may give a request number, in days.
    pub request_number_max_validity_days: u32,
    /// Features per `ParcelsInBox` page when the caller gives no limit.
    pub box_default_limit: u32,
    /// Most features per `ParcelsInBox` page, whatever the caller asks (OGC `limit` cap).
    pub box_max_limit: u32,
    /// Parcels of the synthetic demo city `estelam run` loads into an empty store; 0 turns
    /// the demo city off.
    pub demo_parcels: u32,
    /// How often (ms) the map index picks up parcels written by other processes (another
    /// replica, `estelam seed`, `estelam import`); 0 turns it off.
    pub index_refresh_ms: u64,
}

impl Default for PropertySettings {
    fn default() -> Self {
        Self {
            request_number_validity_days: 30,
            request_number_max_validity_days: 365,
            box_default_limit: 100,
            box_max_limit: 1000,
            demo_parcels: 2000,
            index_refresh_ms: 2000,
        }
    }
}

impl PropertySettings {
    /// Checks what types alone cannot; the message names the wrong setting.
    pub fn validate(&self) -> Result<(), super::ConfigError> {
        if self.box_default_limit == 0 || self.box_max_limit < self.box_default_limit {
            return Err(super::ConfigError(
                "property.box_default_limit must be at least 1 and at most property.box_max_limit"
                    .into(),
            ));
        }
        if self.request_number_validity_days == 0
            || self.request_number_validity_days > self.request_number_max_validity_days
        {
            return Err(super::ConfigError(
                "property.request_number_validity_days must be at least 1 and at most property.request_number_max_validity_days".into(),
            ));
        }
        Ok(())
    }
}
