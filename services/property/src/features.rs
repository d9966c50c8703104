//! GeoJSON output for map clients: a FeatureCollection in the shape of an OGC API – Features
//! `items` response (RFC 7946 plus `numberReturned` and `timeStamp`). Owners never appear.

use serde_json::{Map, Value, json};

use crate::store::StoredParcel;

/// RFC 3339 UTC text of an instant in µs since the epoch, e.g. `2024-03-20T08:30:00Z`.
pub fn rfc3339(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// One parcel as a GeoJSON Feature: `id` the renovation code, the stored outline, and the
/// public facts as properties.
pub fn feature(p: &StoredParcel) -> Value {
    let r = &p.record;
    let geometry: Value = serde_json::from_str(&r.geometry_geojson).unwrap_or(Value::Null);
    let mut props = Map::new();
    props.insert("renovation_code".into(), json!(r.code.to_string()));
    props.insert("land_use".into(), json!(r.land_use.name()));
    props.insert("address".into(), json!(r.address));
    props.insert("registry_plate".into(), json!(r.plate.display()));
    json!({
        "type": "Feature",
        "id": r.code.to_string(),
        "geometry": geometry,
        "properties": props,
    })
}

/// A page of parcels as an OGC API – Features `items` document.
pub fn collection(parcels: &[StoredParcel], now_micros: i64) -> String {
    json!({
        "type": "FeatureCollection",
        "features": parcels.iter().map(feature).collect::<Vec<_>>(),
        "numberReturned": parcels.len(),
        "timeStamp": rfc3339(now_micros),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_format_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_710_892_800_000_000), "2024-03-20T00:00:00Z");
        assert_eq!(
            rfc3339(951_782_400_000_000 + 3_723_000_000),
            "2000-02-29T01:02:03Z"
        );
    }
}
