//! The demo city's label layer: street and alley names along their lines and each block's
//! number, generated from the same layout as its parcels (see the parent module).

use estelam_parcel_geo::labels::{Label, LabelKind};

use super::{
    BLOCK_H, BLOCK_W, City, STREET, STREET_NAMES, block_code, block_parcels, block_start,
    block_start_y, lat, lon, mirror, ring,
};

impl City {
    /// The label layer of the first `n` parcels: a line along the street south of each row
    /// of blocks named as the parcels' addresses name it (`خیابان فردوسی`), a line along the
    /// alley west of each column of blocks (`کوچهٔ ۳`), and each block's number at its
    /// middle — what a municipality's own label file holds, so the demo map reads like one.
    pub fn labels(&self, n: u64) -> Vec<Label> {
        let mut rows: std::collections::BTreeMap<i64, (f64, f64)> = Default::default();
        let mut cols: std::collections::BTreeMap<i64, (f64, f64)> = Default::default();
        let mut labels = Vec::new();
        let mut count = 0u64;
        for (bx, by) in (0i64..).flat_map(ring) {
            if count >= n {
                break;
            }
            count += block_parcels((bx, by)).len() as u64;
            let (x0, y0) = (block_start(bx), block_start_y(by));
            let row = rows.entry(by).or_insert((f64::MAX, f64::MIN));
            *row = (row.0.min(x0), row.1.max(x0 + BLOCK_W));
            let col = cols.entry(bx).or_insert((f64::MAX, f64::MIN));
            *col = (col.0.min(y0), col.1.max(y0 + BLOCK_H));
            let (_, _, block) = block_code(bx, by);
            let centre = [lon(x0 + BLOCK_W / 2.0), lat(y0 + BLOCK_H / 2.0)];
            labels.push(Label {
                kind: LabelKind::Block,
                name: block.to_string(),
                geometry_json: format!(
                    r#"{{"type":"Point","coordinates":[{},{}]}}"#,
                    centre[0], centre[1]
                ),
                bbox: [centre[0], centre[1], centre[0], centre[1]],
            });
        }
        let line = |name: String, a: [f64; 2], b: [f64; 2]| Label {
            kind: LabelKind::Street,
            name,
            geometry_json: format!(
                r#"{{"type":"LineString","coordinates":[[{},{}],[{},{}]]}}"#,
                a[0], a[1], b[0], b[1]
            ),
            bbox: [
                a[0].min(b[0]),
                a[1].min(b[1]),
                a[0].max(b[0]),
                a[1].max(b[1]),
            ],
        };
        for (by, (west, east)) in rows {
            // The middle of the gap between this row and the one south of it (a street, or
            // an avenue at a district boundary).
            let y = (block_start_y(by - 1) + BLOCK_H + block_start_y(by)) / 2.0;
            let street = STREET_NAMES[(by.rem_euclid(STREET_NAMES.len() as i64)) as usize];
            labels.push(line(
                format!("خیابان {street}"),
                [lon(west - STREET / 2.0), lat(y)],
                [lon(east + STREET / 2.0), lat(y)],
            ));
        }
        for (bx, (south, north)) in cols {
            let x = (block_start(bx - 1) + BLOCK_W + block_start(bx)) / 2.0;
            labels.push(line(
                format!("کوچهٔ {}", mirror(bx) + 1),
                [lon(x), lat(south - STREET / 2.0)],
                [lon(x), lat(north + STREET / 2.0)],
            ));
        }
        labels
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_label_layer_names_every_street_the_addresses_name_and_passes_the_import_checks() {
        let labels = City.labels(300);
        let streets: HashSet<&str> = labels
            .iter()
            .filter(|l| l.kind == LabelKind::Street)
            .map(|l| l.name.as_str())
            .collect();
        for p in City.parcels(300) {
            let address = &p.record.address;
            let named = streets
                .iter()
                .any(|s| s.starts_with("خیابان") && address.contains(s));
            assert!(named, "no street label for {address}");
        }
        assert!(labels.iter().any(|l| l.kind == LabelKind::Block));
        let features: Vec<String> = labels
            .iter()
            .map(|l| {
                format!(
                    r#"{{"type":"Feature","geometry":{},"properties":{{"kind":"{}","name":"{}"}}}}"#,
                    l.geometry_json,
                    l.kind.as_str(),
                    l.name
                )
            })
            .collect();
        let file = format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        );
        let checked = estelam_parcel_geo::labels::check_labels(&file).expect("the demo's own file");
        let summary = |l: &Label| l.kind;
        assert_eq!(
            checked.iter().map(summary).collect::<Vec<_>>(),
            labels.iter().map(summary).collect::<Vec<_>>()
        );
    }
}
