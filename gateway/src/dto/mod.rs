//! The JSON shapes of the API's bodies, built from the services' proto messages by the
//! conventions in the README: proto field names, enums as their lower-case value names
//! without the prefix, instants as RFC 3339 strings, money in `*_rials`.
//!
//! One file per service whose messages the shapes come from, and here the helpers the
//! conventions need. The inquiry flow's request bodies are with its shapes in [`inquiry`],
//! since its route modules share them; a smaller route group keeps its few bodies beside
//! its handlers.

mod common;
mod fees;
mod identity;
pub mod inquiry;
pub mod institution;
mod notifications;
mod property;
pub mod representation;
pub mod request_types;
pub mod review;

pub use common::{AuditStamp, GeoPoint, LocalizedText, stamp, text};
pub use fees::{Bill, BillLine, Dispute, Payment};
pub use identity::{Account, Tokens};
pub use notifications::NotificationPreferences;
pub use property::{Owner, Parcel, ParcelList, RegistryPlate};

use crate::errors;
use crate::problem::ApiError;

/// A document kind as the HTTP API writes it: its code with `_` for `-`
/// (`national_id_card`), as the five kinds the API started with were always written.
pub fn kind_out(code: &str) -> String {
    code.replace('-', "_")
}

/// A document kind as the HTTP API reads it: either spelling (`national_id_card`,
/// `national-id-card`) gives the code, which never holds `_`.
pub fn kind_in(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace('_', "-")
}

/// The code of a kind on the wire: the code when the service sent one, else the enum's.
pub fn wire_kind(kind: i32, code: &str) -> String {
    if code.is_empty() {
        estelam_proto::documents::v1::DocumentKind::code_of(kind)
            .map(kind_out)
            .unwrap_or_default()
    } else {
        kind_out(code)
    }
}

/// `INQUIRY_STATE_AWAITING_PAYMENT` with prefix `INQUIRY_STATE_` → `awaiting_payment`.
pub fn enum_name(proto_name: &str, prefix: &str) -> String {
    proto_name
        .strip_prefix(prefix)
        .unwrap_or(proto_name)
        .to_ascii_lowercase()
}

/// Parses the API's lower-case name of an enum value back to its number, or a 400 naming
/// `field`.
pub fn parse_enum(
    field: &str,
    value: &str,
    prefix: &str,
    from_str_name: impl Fn(&str) -> Option<i32>,
) -> Result<i32, ApiError> {
    let upper = format!("{prefix}{}", value.trim().to_ascii_uppercase());
    match from_str_name(&upper) {
        Some(n) if n != 0 => Ok(n),
        _ => Err(errors::enum_value_unknown(field)),
    }
}

/// A proto instant as RFC 3339, or `None` when unset.
pub fn instant(ts: Option<prost_types::Timestamp>) -> Option<String> {
    ts.map(|t| t.to_string())
}

/// A missing message in a service's answer: an internal error (never shown in detail).
pub fn missing(what: &str) -> ApiError {
    ApiError::from(estelam_runtime::error::ServiceError::internal(
        anyhow::anyhow!("the service's answer has no {what}"),
    ))
}
