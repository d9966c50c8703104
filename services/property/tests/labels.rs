//! The city's label layer (street names, block numbers) over gRPC (`ListMapLabels`) and its
//! import, on SQLite and (when `ESTELAM_TEST_POSTGRES_URL` is set) PostgreSQL: the demo city
//! brings its own, an imported file replaces it, and a bad file is refused whole with every
//! bad feature named.

mod common;

use common::harnesses;
use estelam_property::import::{ImportError, import_labels};
use estelam_proto::common::v1::BoundingBox;
use estelam_proto::property::v1 as pb;
use estelam_runtime::testing::with_token;
use serde_json::Value;
use tonic::Code;

fn around_the_centre() -> pb::ListMapLabelsRequest {
    pb::ListMapLabelsRequest {
        bbox: Some(BoundingBox {
            min_lon: 51.545,
            min_lat: 32.855,
            max_lon: 51.555,
            max_lat: 32.865,
        }),
    }
}

fn features(r: &pb::ListMapLabelsResponse) -> Vec<Value> {
    let doc: Value = serde_json::from_str(&r.feature_collection_geojson).expect("GeoJSON");
    assert_eq!(doc["type"], "FeatureCollection");
    doc["features"].as_array().cloned().unwrap_or_default()
}

const GOOD: &str = r#"{"type":"FeatureCollection","features":[
  {"type":"Feature","geometry":{"type":"LineString","coordinates":[[51.546,32.86],[51.554,32.86]]},"properties":{"name":"بلوار آزادي"}},
  {"type":"Feature","geometry":{"type":"Point","coordinates":[51.55,32.861]},"properties":{"kind":"block","name":"۷"}}
]}"#;

const BAD: &str = r#"{"type":"FeatureCollection","features":[
  {"type":"Feature","geometry":{"type":"LineString","coordinates":[[51.546,32.86],[51.554,32.86]]},"properties":{"name":"بلوار آزادی"}},
  {"type":"Feature","geometry":{"type":"Point","coordinates":[51.55,32.861]},"properties":{"kind":"block"}},
  {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[51.5,32.8],[51.6,32.8],[51.6,32.9],[51.5,32.8]]]},"properties":{"name":"پارک"}}
]}"#;

#[tokio::test]
async fn the_demo_city_has_labels_an_import_replaces_them_and_a_bad_file_changes_nothing() {
    for mut h in harnesses("labels", 300, |_| {}).await {
        let label = h.label;
        let citizen = h.citizen();
        let demo = h
            .client
            .list_map_labels(with_token(around_the_centre(), &citizen))
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}"))
            .into_inner();
        let shown = features(&demo);
        assert_eq!(demo.number_returned as usize, shown.len(), "{label}");
        assert!(
            shown.iter().any(|f| f["properties"]["kind"] == "street"
                && f["properties"]["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("خیابان "))),
            "{label}: {shown:?}"
        );
        assert!(
            shown.iter().any(|f| f["properties"]["kind"] == "block"),
            "{label}"
        );

        // A bad file: every bad feature named, nothing changed.
        let Err(ImportError::Refused(problems)) = import_labels(&h.db.db, BAD).await else {
            panic!("{label}: the bad file is refused");
        };
        let named: Vec<_> = problems.iter().map(|p| p.index).collect();
        assert_eq!(named, vec![Some(1), Some(2)], "{label}: {problems:?}");
        assert!(problems[0].to_string().contains("no name"), "{problems:?}");
        assert!(problems[1].to_string().contains("Polygon"), "{problems:?}");
        let after = h
            .client
            .list_map_labels(with_token(around_the_centre(), &citizen))
            .await
            .expect("labels")
            .into_inner();
        assert_eq!(features(&after), shown, "{label}: all or nothing");

        // A good file replaces the layer.
        let n = import_labels(&h.db.db, GOOD)
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(n, 2, "{label}");
        let imported = features(
            &h.client
                .list_map_labels(with_token(around_the_centre(), &citizen))
                .await
                .expect("labels")
                .into_inner(),
        );
        let names: Vec<_> = imported
            .iter()
            .map(|f| {
                (
                    f["properties"]["kind"].clone(),
                    f["properties"]["name"].clone(),
                )
            })
            .collect();
        assert_eq!(
            names,
            vec![
                ("street".into(), "بلوار آزادی".into()),
                ("block".into(), "7".into())
            ],
            "{label}: cleaned, digits folded, the demo's layer gone"
        );

        // Someone not logged in, and a box upside down.
        let refused = h
            .client
            .list_map_labels(around_the_centre())
            .await
            .expect_err("a token is needed");
        assert_eq!(refused.code(), Code::Unauthenticated, "{label}");
        let mut upside_down = around_the_centre();
        if let Some(b) = upside_down.bbox.as_mut() {
            std::mem::swap(&mut b.min_lat, &mut b.max_lat);
        }
        let refused = h
            .client
            .list_map_labels(with_token(upside_down, &citizen))
            .await
            .expect_err("an upside-down box");
        assert_eq!(refused.code(), Code::InvalidArgument, "{label}");
    }
}
