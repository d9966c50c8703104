//! Loads a municipality's own GIS layer: a GeoJSON FeatureCollection of parcels
//! (`estelam import parcels FILE.geojson`).
//!
//! All or nothing: every feature is checked — its fields, its outline (closed rings, no
//! self-intersection, WGS84 range), its code (new, and unique in the file), overlaps with the
//! other features and with registered parcels — and every bad feature is reported by its
//! index (0-based, in file order) with the reason. If any feature is bad nothing is imported.
//!
//! The checks that need no store, and the field mapping from feature properties to a parcel,
//! live in [`estelam_parcel_geo::import_check`] (so they can be fuzzed without the service's
//! dependencies); this module adds the store's checks and the write.

use estelam_parcel_geo::import_check::{FeatureProblem, check_collection};
use estelam_runtime::error::ServiceError;

use crate::registry::Registry;
use crate::store::{Actor, Change, ChangeKind};

/// Why an import stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Some features are bad; each is listed.
    #[error("{} problem(s); nothing was imported:\n{}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Refused(Vec<FeatureProblem>),
    /// The store failed; nothing was imported.
    #[error("the store failed: {0}")]
    Store(ServiceError),
}

/// Imports a GeoJSON FeatureCollection of parcels, all or nothing; returns how many were
/// imported.
pub async fn import_geojson(
    registry: &Registry,
    geojson_text: &str,
    actor: &Actor,
    reason: &str,
) -> Result<usize, ImportError> {
    let valid = check_collection(geojson_text).map_err(ImportError::Refused)?;
    let change = Change {
        kind: ChangeKind::Created,
        reason: reason.to_owned(),
        actor: actor.clone(),
        client_request_id: None,
        at: registry.now(),
    };
    let order: Vec<usize> = valid.iter().map(|(i, _, _)| *i).collect();
    let items = valid.into_iter().map(|(_, r, s)| (r, s)).collect();
    match registry.insert_new(items, &change).await {
        Ok(Ok(n)) => Ok(n),
        Ok(Err(found)) => Err(ImportError::Refused(
            found
                .into_iter()
                .map(|p| FeatureProblem {
                    index: Some(order[p.index]),
                    message: p.message,
                })
                .collect(),
        )),
        Err(e) => Err(ImportError::Store(e)),
    }
}
