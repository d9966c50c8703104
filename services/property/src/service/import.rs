//! Loads a municipality's own GIS layers: a GeoJSON FeatureCollection of parcels
//! (`estelam import parcels FILE.geojson`), and beside it the label layer the map draws
//! (`estelam import labels FILE.geojson`: street names, block numbers, landmarks).
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
use estelam_parcel_geo::labels::check_labels;
use estelam_runtime::db::{Database, now_micros};
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

/// Imports the city's label layer (street names, block numbers, landmarks: a GeoJSON
/// FeatureCollection, see [`estelam_parcel_geo::labels`]) beside its parcels, replacing the
/// layer there was; all or nothing. Returns how many labels were imported.
pub async fn import_labels(db: &Database, geojson_text: &str) -> Result<usize, ImportError> {
    let labels = check_labels(geojson_text).map_err(ImportError::Refused)?;
    let store_failed = |e: sqlx::Error| ImportError::Store(ServiceError::from(e));
    let mut tx = db.begin().await.map_err(store_failed)?;
    crate::store::replace_labels(&mut tx, &labels, now_micros())
        .await
        .map_err(store_failed)?;
    tx.commit().await.map_err(store_failed)?;
    Ok(labels.len())
}
