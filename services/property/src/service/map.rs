//! The map: which parcel is under a click, and which parcels lie in a box. Both are
//! answered from the in-memory index (no SQL on the hot path), then the parcels' facts are
//! read from the store.

use estelam_parcel_geo::index::rect;
use estelam_runtime::error::ServiceError;
use estelam_runtime::paging::{PageSizes, Paging};

use super::Property;
use crate::errors;
use crate::features;
use crate::store::{self, StoredParcel};

/// A point on the map in WGS84, checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Longitude, -180..180.
    pub lon: f64,
    /// Latitude, -90..90.
    pub lat: f64,
}

impl Point {
    /// A point from a caller's numbers; non-finite or out-of-range ones are refused.
    pub fn new(lat: f64, lon: f64) -> Result<Self, ServiceError> {
        let ok = lat.is_finite()
            && lon.is_finite()
            && (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lon);
        if ok {
            Ok(Self { lon, lat })
        } else {
            Err(errors::point_invalid())
        }
    }
}

/// A bounding box in WGS84 (min lon, min lat, max lon, max lat), checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox([f64; 4]);

impl BoundingBox {
    /// A box from a caller's numbers; out of range or upside down is refused.
    pub fn new(
        min_lon: f64,
        min_lat: f64,
        max_lon: f64,
        max_lat: f64,
    ) -> Result<Self, ServiceError> {
        let v = [min_lon, min_lat, max_lon, max_lat];
        let ok = v.iter().all(|x| x.is_finite())
            && (-180.0..=180.0).contains(&min_lon)
            && (-180.0..=180.0).contains(&max_lon)
            && (-90.0..=90.0).contains(&min_lat)
            && (-90.0..=90.0).contains(&max_lat)
            && min_lon <= max_lon
            && min_lat <= max_lat;
        if ok {
            Ok(Self(v))
        } else {
            Err(errors::bbox_invalid())
        }
    }
}

/// One page of a box query: the GeoJSON document, how many features it holds, the next
/// page's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxPage {
    /// An OGC API – Features `items` document.
    pub feature_collection_geojson: String,
    /// Features in it.
    pub number_returned: usize,
    /// Empty on the last page.
    pub next_page_token: String,
}

impl Property {
    /// The parcel that contains `point`; `NotFound` (`POINT_OUTSIDE_PARCELS`) between parcels.
    pub async fn pick(&self, point: Point) -> Result<StoredParcel, ServiceError> {
        let code = self
            .registry
            .index()
            .pick(point.lon, point.lat)
            .ok_or_else(errors::point_outside_parcels)?;
        store::current(self.registry.db(), &code)
            .await?
            .ok_or_else(errors::point_outside_parcels)
    }

    /// Parcels whose outline meets the box, in code order, `limit` at a time (the name
    /// OGC API – Features gives the page size).
    pub async fn parcels_in_box(
        &self,
        bbox: BoundingBox,
        limit: i32,
        page_token: &str,
    ) -> Result<BoxPage, ServiceError> {
        if limit < 0 {
            return Err(errors::limit_negative());
        }
        let [min_lon, min_lat, max_lon, max_lat] = bbox.0;
        let filter = format!("bbox:{min_lon},{min_lat},{max_lon},{max_lat}");
        let sizes = PageSizes {
            default: self.settings.box_default_limit,
            max: self.settings.box_max_limit,
        };
        let paging = Paging::parse(limit, page_token, filter, sizes)?;
        let fetch = usize::try_from(paging.fetch_limit()).unwrap_or(usize::MAX);
        let (codes, _) = self.registry.index().in_box_page(
            &rect(min_lon, min_lat, max_lon, max_lat),
            paging.after().unwrap_or_default(),
            fetch,
        );
        let (codes, next_page_token) = paging.finish(codes, ToString::to_string);
        let parcels = store::current_many(self.registry.db(), &codes).await?;
        Ok(BoxPage {
            feature_collection_geojson: features::collection(&parcels, self.registry.now()),
            number_returned: parcels.len(),
            next_page_token,
        })
    }
}

/// The most labels one box answers: far more than a screen can show at street zoom.
pub const MAX_LABELS_IN_BOX: i64 = 2000;

impl Property {
    /// The city's labels (street names, block numbers, landmarks) whose box meets `bbox`,
    /// as an OGC API – Features `items` document of the `labels` collection. Empty when
    /// the city has no label layer; the map then labels streets from parcels' addresses.
    pub async fn labels_in_box(&self, bbox: BoundingBox) -> Result<BoxPage, ServiceError> {
        let labels = store::labels_in_box(self.registry.db(), bbox.0, MAX_LABELS_IN_BOX).await?;
        let features: Vec<serde_json::Value> = labels
            .iter()
            .map(|l| {
                estelam_parcel_geo::labels::Label::feature(
                    &l.label_id,
                    &l.kind,
                    &l.name,
                    &l.geometry,
                )
            })
            .collect();
        let document = serde_json::json!({
            "type": "FeatureCollection",
            "features": features,
            "numberReturned": features.len(),
        });
        Ok(BoxPage {
            feature_collection_geojson: document.to_string(),
            number_returned: labels.len(),
            next_page_token: String::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_and_boxes_outside_wgs84_are_refused() {
        assert!(Point::new(32.86, 51.55).is_ok());
        assert_eq!(
            Point::new(91.0, 0.0).expect_err("latitude").reason,
            "POINT_INVALID"
        );
        assert!(Point::new(f64::NAN, 0.0).is_err());
        assert!(BoundingBox::new(51.0, 32.0, 52.0, 33.0).is_ok());
        assert_eq!(
            BoundingBox::new(52.0, 32.0, 51.0, 33.0)
                .expect_err("upside down")
                .reason,
            "BBOX_INVALID"
        );
        assert!(BoundingBox::new(-181.0, 0.0, 0.0, 1.0).is_err());
    }
}
