//! `map_labels`: the city's label layer (street names, block numbers, landmarks), replaced
//! as a whole by an import and read by bounding box for the map.

use estelam_parcel_geo::labels::Label;
use sqlx::{Any, Row as _, Transaction};

use estelam_runtime::db::Database;

use super::StoreResult;

/// One stored label, as the map reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredLabel {
    /// Stable id within one import.
    pub label_id: String,
    /// `street`, `block` or `place`.
    pub kind: String,
    /// The name drawn.
    pub name: String,
    /// GeoJSON geometry text.
    pub geometry: String,
}

/// Replaces the whole layer with `labels` (an import is the city's layer, not an addition).
pub async fn replace_labels(
    tx: &mut Transaction<'static, Any>,
    labels: &[Label],
    now_us: i64,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM map_labels")
        .execute(&mut **tx)
        .await?;
    for (i, l) in labels.iter().enumerate() {
        sqlx::query(
            "INSERT INTO map_labels (label_id, kind, name, geometry, min_lon, min_lat, max_lon, \
             max_lat, imported_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(format!("label-{}", i + 1))
        .bind(l.kind.as_str())
        .bind(&l.name)
        .bind(&l.geometry_json)
        .bind(l.bbox[0])
        .bind(l.bbox[1])
        .bind(l.bbox[2])
        .bind(l.bbox[3])
        .bind(now_us)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Up to `limit` labels whose box meets `bbox` (min lon, min lat, max lon, max lat).
pub async fn labels_in_box(
    db: &Database,
    bbox: [f64; 4],
    limit: i64,
) -> StoreResult<Vec<StoredLabel>> {
    let rows = sqlx::query(
        "SELECT label_id, kind, name, geometry FROM map_labels \
         WHERE max_lon >= $1 AND min_lon <= $2 AND max_lat >= $3 AND min_lat <= $4 \
         ORDER BY label_id LIMIT $5",
    )
    .bind(bbox[0])
    .bind(bbox[2])
    .bind(bbox[1])
    .bind(bbox[3])
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StoredLabel {
                label_id: r.try_get("label_id")?,
                kind: r.try_get("kind")?,
                name: r.try_get("name")?,
                geometry: r.try_get("geometry")?,
            })
        })
        .collect()
}

/// How many labels the layer holds.
pub async fn label_count(db: &Database) -> StoreResult<i64> {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM map_labels")
        .fetch_one(db.pool())
        .await
}
