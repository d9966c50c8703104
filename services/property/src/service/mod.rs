//! The property service's use cases, free of protobuf: [`parcels`] (read, search, history,
//! write), [`applicants`] (is this person an owner?), [`map`] (pick and box),
//! [`request_numbers`] (issue, verify, use, list) and [`import`] (a municipality's GIS layer).
//!
//! [`Property`] holds what they share: the [`Registry`] (store and map index in step) and the
//! settings. Identifiers arrive parsed (`RenovationCode`, `CheckCode`); the limits on what a
//! caller may write (reasons, notes, validity) are checked here, because they are the
//! service's rules rather than the wire's.

pub mod applicants;
pub mod audit;
pub mod import;
pub mod map;
pub mod parcels;
pub mod request_numbers;
pub mod search;

use std::sync::Arc;

use estelam_domain::NationalCode;
use estelam_parcel_geo::identifiers::legal_id_is_valid;
use estelam_runtime::config::PropertySettings;
use estelam_runtime::error::ServiceError;
use estelam_runtime::paging::PageSizes;

use crate::errors;
use crate::registry::Registry;

/// Page sizes of the list methods (owner, plate, history, request numbers).
const LIST_SIZES: PageSizes = PageSizes {
    default: 50,
    max: 500,
};

/// The property service: the registry and the settings its rules read.
pub struct Property {
    registry: Arc<Registry>,
    settings: PropertySettings,
}

impl std::fmt::Debug for Property {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Property")
            .field("registry", &self.registry)
            .finish_non_exhaustive()
    }
}

impl Property {
    /// The service over a registry, with the settings its limits come from.
    pub fn new(registry: Arc<Registry>, settings: PropertySettings) -> Self {
        Self { registry, settings }
    }

    /// The store and the map index.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }
}

/// The reason a clerk gives for a change, trimmed: required, because the history shows it.
fn change_reason(reason: &str) -> Result<String, ServiceError> {
    let r =
        estelam_domain::clean_text(errors::CHANGE_REASON, reason).map_err(errors::text_refused)?;
    if r.is_empty() || r.chars().count() > 1000 {
        return Err(errors::reason_required());
    }
    Ok(r)
}

/// A caller's idempotency key: `None` when not given; at most 128 bytes, as the store keeps.
fn client_request_id(id: &str) -> Result<Option<&str>, ServiceError> {
    match id.trim() {
        "" => Ok(None),
        s if s.len() <= 128 => Ok(Some(s)),
        _ => Err(errors::client_request_id_too_long()),
    }
}

/// The code an owner is recorded under: a legal entity's 11-digit national id, or a person's
/// national code (Persian and Arabic digits accepted), canonical.
pub fn owner_code(raw: &str) -> Result<String, ServiceError> {
    let digits = estelam_domain::normalize_digits(raw.trim());
    if digits.len() == 11 && legal_id_is_valid(&digits) {
        return Ok(digits);
    }
    NationalCode::parse(raw)
        .map(|c| c.as_str().to_owned())
        .map_err(|e| errors::national_code_invalid(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_codes_accept_people_and_legal_entities() {
        assert_eq!(owner_code("۰۰۷۶۲۲۹۶۴۵").expect("person"), "0076229645");
        let err = owner_code("0076229646").expect_err("check digit");
        assert_eq!(err.reason, "NATIONAL_CODE_INVALID");
        assert_eq!(err.fields[0].field, "national_code");
    }

    #[test]
    fn reasons_and_request_ids_are_bounded() {
        assert_eq!(change_reason("  fix  ").expect("given"), "fix");
        assert_eq!(
            change_reason(" ").expect_err("empty").reason,
            "REASON_REQUIRED"
        );
        assert!(change_reason(&"x".repeat(1001)).is_err());
        assert_eq!(client_request_id(" ").expect("none"), None);
        assert_eq!(client_request_id(" k ").expect("some"), Some("k"));
        assert_eq!(
            client_request_id(&"k".repeat(129))
                .expect_err("long")
                .reason,
            "CLIENT_REQUEST_ID_TOO_LONG"
        );
    }
}
