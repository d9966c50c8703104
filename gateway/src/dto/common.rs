//! Shapes every part of the API shares: bilingual text, map points, audit stamps.

use estelam_proto::common::v1 as common;
use serde::Serialize;
use utoipa::ToSchema;

use super::instant;

/// Persian and English text.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct LocalizedText {
    /// The text in Persian, shown by default.
    pub fa: String,
    /// The same text in English, for English-speaking users and integrators.
    pub en: String,
}

impl From<common::LocalizedText> for LocalizedText {
    fn from(t: common::LocalizedText) -> Self {
        Self { fa: t.fa, en: t.en }
    }
}

/// Optional localized text → the DTO (empty when unset).
pub fn text(t: Option<common::LocalizedText>) -> LocalizedText {
    t.map(Into::into).unwrap_or_default()
}

/// A point on the map (WGS 84).
#[derive(Debug, Clone, Copy, Default, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GeoPoint {
    /// Latitude in degrees.
    #[schema(minimum = -90, maximum = 90)]
    pub lat: f64,
    /// Longitude in degrees.
    #[schema(minimum = -180, maximum = 180)]
    pub lon: f64,
}

/// Who changed something, and when.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct AuditStamp {
    /// The account that acted.
    pub actor_account_id: String,
    /// Its display name.
    pub actor_display_name: String,
    /// When (RFC 3339).
    pub at: Option<String>,
}

/// An audit stamp as JSON; an unset one stays `null`, so that a step not yet recorded
/// reads as absent rather than as recorded by nobody.
pub fn stamp(s: Option<common::AuditStamp>) -> Option<AuditStamp> {
    s.map(|s| AuditStamp {
        actor_account_id: s.actor_account_id,
        actor_display_name: s.actor_display_name,
        at: instant(s.at),
    })
}
