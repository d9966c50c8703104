//! The map over real gRPC, on every backend: picking, bounding-box paging, writes seen by the
//! very next pick, and the GeoJSON import.

mod common;

use std::collections::HashSet;

use common::{harnesses, reason, square};
use estelam_parcel_geo::geometry::Shape;
use estelam_parcel_geo::index::rect;
use estelam_property::city::City;
use estelam_property::import::{ImportError, import_geojson};
use estelam_property::store::Actor;
use estelam_property::{Registry, system_clock};
use estelam_proto::common::v1::{BoundingBox, GeoPoint};
use estelam_proto::property::v1 as pb;
use estelam_runtime::testing::with_token;
use geo::{Contains, Point};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tonic::Code;

const CITY: u64 = 3_000;

fn pick(lon: f64, lat: f64) -> pb::PickAtRequest {
    pb::PickAtRequest {
        point: Some(GeoPoint { lat, lon }),
    }
}

/// A random point strictly inside a polygon (not on its boundary), by rejection sampling.
fn interior_point(shape: &Shape, rng: &mut ChaCha8Rng) -> (f64, f64) {
    let r = shape.bounding_rect();
    let Shape::Polygon(poly) = shape else {
        panic!("the city has only polygons")
    };
    loop {
        let p = Point::new(
            rng.random_range(r.min().x..r.max().x),
            rng.random_range(r.min().y..r.max().y),
        );
        if poly.contains(&p) {
            return (p.x(), p.y());
        }
    }
}

#[tokio::test]
async fn a_point_inside_each_of_1000_random_parcels_picks_that_parcel() {
    let parcels: Vec<_> = City.parcels(CITY).collect();
    for mut h in harnesses("pick_inside", CITY, |_| {}).await {
        let token = h.citizen();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..1000 {
            let p = &parcels[rng.random_range(0..parcels.len())];
            let shape = Shape::parse_trusted(&p.record.geometry_geojson).unwrap();
            let (lon, lat) = interior_point(&shape, &mut rng);
            let got = h
                .client
                .pick_at(with_token(pick(lon, lat), &token))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(
                got.parcel.unwrap().renovation_code,
                p.record.code.to_string(),
                "{}: ({lon}, {lat})",
                h.label
            );
        }
        h.stop().await;
    }
}

#[tokio::test]
async fn points_outside_every_parcel_are_not_found() {
    let shapes: Vec<Shape> = City
        .parcels(CITY)
        .map(|p| Shape::parse_trusted(&p.record.geometry_geojson).unwrap())
        .collect();
    let e = City.extent(CITY);
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut outside = vec![(51.389, 35.689), (0.0, 0.0)]; // Tehran, and null island
    while outside.len() < 200 {
        let (lon, lat) = (rng.random_range(e[0]..e[2]), rng.random_range(e[1]..e[3]));
        if !shapes.iter().any(|s| s.covers_point(lon, lat)) {
            outside.push((lon, lat));
        }
    }
    for mut h in harnesses("pick_outside", CITY, |_| {}).await {
        let token = h.citizen();
        for (lon, lat) in &outside {
            let status = h
                .client
                .pick_at(with_token(pick(*lon, *lat), &token))
                .await
                .unwrap_err();
            assert_eq!(status.code(), Code::NotFound, "{}: ({lon}, {lat})", h.label);
            assert_eq!(reason(&status), "POINT_OUTSIDE_PARCELS");
        }
        let bad = h
            .client
            .pick_at(with_token(pick(f64::NAN, 200.0), &token))
            .await
            .unwrap_err();
        assert_eq!(bad.code(), Code::InvalidArgument);
        let anonymous = h.client.pick_at(pick(51.55, 32.86)).await.unwrap_err();
        assert_eq!(anonymous.code(), Code::Unauthenticated);
        h.stop().await;
    }
}

#[tokio::test]
async fn paging_through_a_box_returns_every_parcel_exactly_once() {
    let parcels: Vec<_> = City.parcels(CITY).collect();
    let e = City.extent(CITY);
    // The middle third of the city in each direction, edges cutting through parcels.
    let (w, hgt) = (e[2] - e[0], e[3] - e[1]);
    let bbox = [
        e[0] + w / 3.0,
        e[1] + hgt / 3.0,
        e[0] + 2.0 * w / 3.0,
        e[1] + 2.0 * hgt / 3.0,
    ];
    let r = rect(bbox[0], bbox[1], bbox[2], bbox[3]);
    let expected: HashSet<String> = parcels
        .iter()
        .filter(|p| {
            Shape::parse_trusted(&p.record.geometry_geojson)
                .unwrap()
                .intersects_rect(&r)
        })
        .map(|p| p.record.code.to_string())
        .collect();
    assert!(
        expected.len() > 200,
        "the box holds {} parcels",
        expected.len()
    );
    for mut h in harnesses("box_paging", CITY, |_| {}).await {
        let token = h.citizen();
        let mut seen = Vec::new();
        let mut page_token = String::new();
        let mut pages = 0;
        loop {
            let req = pb::ParcelsInBoxRequest {
                bbox: Some(BoundingBox {
                    min_lon: bbox[0],
                    min_lat: bbox[1],
                    max_lon: bbox[2],
                    max_lat: bbox[3],
                }),
                limit: 37,
                page_token: page_token.clone(),
            };
            let page = h
                .client
                .parcels_in_box(with_token(req, &token))
                .await
                .unwrap()
                .into_inner();
            let doc: serde_json::Value =
                serde_json::from_str(&page.feature_collection_geojson).unwrap();
            assert_eq!(doc["type"], "FeatureCollection");
            assert_eq!(doc["numberReturned"], page.number_returned);
            assert!(doc["timeStamp"].as_str().unwrap().ends_with('Z'));
            let features = doc["features"].as_array().unwrap();
            assert!(features.len() <= 37);
            assert_eq!(features.len(), page.number_returned as usize);
            for f in features {
                assert_eq!(f["type"], "Feature");
                assert!(
                    f["properties"].get("owners").is_none(),
                    "owners never appear on the map"
                );
                assert!(
                    ["Polygon", "MultiPolygon"].contains(&f["geometry"]["type"].as_str().unwrap())
                );
                seen.push(f["id"].as_str().unwrap().to_owned());
            }
            pages += 1;
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        let unique: HashSet<String> = seen.iter().cloned().collect();
        assert_eq!(
            unique.len(),
            seen.len(),
            "{}: a parcel came back twice",
            h.label
        );
        assert_eq!(unique, expected, "{}", h.label);
        assert!(pages > 5);

        // The server caps the limit, and a token from another box is refused.
        let req = pb::ParcelsInBoxRequest {
            bbox: Some(BoundingBox {
                min_lon: e[0],
                min_lat: e[1],
                max_lon: e[2],
                max_lat: e[3],
            }),
            limit: 1_000_000,
            page_token: String::new(),
        };
        let page = h
            .client
            .parcels_in_box(with_token(req.clone(), &token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(page.number_returned, 1000);
        let other = pb::ParcelsInBoxRequest {
            bbox: Some(BoundingBox {
                min_lon: bbox[0],
                min_lat: bbox[1],
                max_lon: bbox[2],
                max_lat: bbox[3],
            }),
            page_token: page.next_page_token,
            ..req
        };
        let status = h
            .client
            .parcels_in_box(with_token(other, &token))
            .await
            .unwrap_err();
        assert_eq!(reason(&status), "PAGE_TOKEN_INVALID");
        h.stop().await;
    }
}

fn new_parcel(code: &str, geometry: String) -> pb::Parcel {
    pb::Parcel {
        renovation_code: code.into(),
        registry_plate: Some(pb::RegistryPlate {
            main: "۴۵۶".into(),
            sub: "7".into(),
            section: String::new(),
        }),
        address: "شاهین‌شهر، بلوار آزادی".into(),
        land_use: pb::LandUse::Residential as i32,
        floors: 2,
        built_area_dm2: 20_000,
        land_value_rials_per_m2: 50_000_000,
        building_value_rials_per_m2: 20_000_000,
        geometry_geojson: geometry,
        ownership: Some(pb::Ownership {
            ownership_type: pb::OwnershipType::Full as i32,
            deed_number: "12345".into(),
            owners: vec![pb::Owner {
                kind: pb::OwnerKind::NaturalPerson as i32,
                national_code: "۰۰۷۶۲۲۹۶۴۵".into(),
                full_name: "علي رضايي".into(),
                share: Some(estelam_proto::common::v1::DangShare {
                    numerator: 6,
                    denominator: 1,
                }),
                deed_number: String::new(),
            }],
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_write_is_visible_to_the_very_next_pick() {
    for mut h in harnesses("write_then_pick", 200, |s| s.property.index_refresh_ms = 0).await {
        let clerk = h.clerk();
        // South of the city, clear of every generated parcel.
        let (lon, lat) = (51.55, 32.80);
        let created = h
            .client
            .upsert_parcel(with_token(
                pb::UpsertParcelRequest {
                    parcel: Some(new_parcel("9/1/1/1/0/0", square(lon, lat, 0.0002))),
                    expected_version: 0,
                    reason: "new subdivision".into(),
                    client_request_id: "req-1".into(),
                },
                &clerk,
            ))
            .await
            .unwrap()
            .into_inner()
            .parcel
            .unwrap();
        assert_eq!(created.version, 1);
        let picked = h
            .client
            .pick_at(with_token(pick(lon + 0.0001, lat + 0.0001), &clerk))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            picked.parcel.unwrap().renovation_code,
            "9-1-1-1-0-0",
            "{}",
            h.label
        );

        // Move it east: the old spot is empty and the new one picks it at once.
        let moved = pb::UpsertParcelRequest {
            parcel: Some(new_parcel("9-1-1-1-0-0", square(lon + 0.001, lat, 0.0002))),
            expected_version: 1,
            reason: "survey correction".into(),
            client_request_id: String::new(),
        };
        assert_eq!(
            h.client
                .upsert_parcel(with_token(moved.clone(), &clerk))
                .await
                .unwrap()
                .into_inner()
                .parcel
                .unwrap()
                .version,
            2
        );
        let gone = h
            .client
            .pick_at(with_token(pick(lon + 0.0001, lat + 0.0001), &clerk))
            .await
            .unwrap_err();
        assert_eq!(gone.code(), Code::NotFound);
        let here = h
            .client
            .pick_at(with_token(pick(lon + 0.0011, lat + 0.0001), &clerk))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(here.parcel.unwrap().version, 2);

        // Replaying the stale version is a conflict; an overlapping parcel is refused.
        let stale = h
            .client
            .upsert_parcel(with_token(moved, &clerk))
            .await
            .unwrap_err();
        assert_eq!(stale.code(), Code::Aborted);
        let overlapping = pb::UpsertParcelRequest {
            parcel: Some(new_parcel(
                "9-1-1-2-0-0",
                square(lon + 0.0011, lat + 0.0001, 0.0002),
            )),
            expected_version: 0,
            reason: "x".into(),
            client_request_id: String::new(),
        };
        let refused = h
            .client
            .upsert_parcel(with_token(overlapping, &clerk))
            .await
            .unwrap_err();
        assert_eq!(reason(&refused), "PARCEL_OVERLAPS", "{}", h.label);
        // A neighbour sharing the edge is fine, and a click on the shared edge goes to the
        // smaller code as text: "9-1-1-1-0-0" < "9-1-1-3-0-0".
        let neighbour = pb::UpsertParcelRequest {
            parcel: Some(new_parcel("9-1-1-3-0-0", square(lon + 0.0012, lat, 0.0002))),
            expected_version: 0,
            reason: "x".into(),
            client_request_id: String::new(),
        };
        h.client
            .upsert_parcel(with_token(neighbour, &clerk))
            .await
            .unwrap();
        let edge = h
            .client
            .pick_at(with_token(pick(lon + 0.0012, lat + 0.0001), &clerk))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(edge.parcel.unwrap().renovation_code, "9-1-1-1-0-0");
        h.stop().await;
    }
}

fn feature(code: &str, geometry: &str) -> String {
    format!(
        r#"{{"type":"Feature","geometry":{geometry},"properties":{{"renovation_code":"{code}","registry_plate":"۸۰۰/۱","land_use":"مسکونی","ownership_type":"shared","owners":[{{"national_code":"0076229645","full_name":"علی رضایی","share":"5/2"}},{{"national_code":"1583250689","full_name":"مریم احمدی","share":3.5}}]}}}}"#
    )
}

#[tokio::test]
async fn an_import_with_one_self_intersecting_polygon_is_refused_whole() {
    for mut h in harnesses("import", 100, |s| s.property.index_refresh_ms = 0).await {
        let registry = Registry::open(h.db.db.clone(), system_clock())
            .await
            .unwrap();
        let bow_tie = r#"{"type":"Polygon","coordinates":[[[51.60,32.80],[51.6002,32.8002],[51.6002,32.80],[51.60,32.8002],[51.60,32.80]]]}"#;
        let mut features: Vec<String> = (0..5)
            .map(|i| {
                feature(
                    &format!("8-1-1-{}-0-0", i + 1),
                    &square(51.60 + 0.0003 * f64::from(i), 32.81, 0.0002),
                )
            })
            .collect();
        features[3] = feature("8-1-1-4-0-0", bow_tie);
        let file = format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        );
        let actor = Actor::system("test import");
        let err = import_geojson(&registry, &file, &actor, "GIS layer 1403")
            .await
            .unwrap_err();
        let ImportError::Refused(problems) = &err else {
            panic!("{err}")
        };
        assert_eq!(problems.len(), 1, "{err}");
        assert_eq!(problems[0].index, Some(3));
        assert!(
            err.to_string().contains("feature 3") && err.to_string().contains("intersects itself"),
            "{err}"
        );
        let clerk = h.clerk();
        for i in 1..=5 {
            let status = h
                .client
                .get_parcel(with_token(
                    pb::GetParcelRequest {
                        renovation_code: format!("8-1-1-{i}-0-0"),
                    },
                    &clerk,
                ))
                .await
                .unwrap_err();
            assert_eq!(status.code(), Code::NotFound, "nothing may be imported");
        }

        // Overlaps with each other and with registered parcels, and bad fields, are each named.
        let first = City.parcels(1).next().unwrap().record;
        let bad = [
            feature("8-1-2-1-0-0", &square(51.61, 32.81, 0.0002)),
            feature("8-1-2-2-0-0", &square(51.6101, 32.8101, 0.0002)),
            feature("8-1-2-3-0-0", &first.geometry_geojson),
            feature("8-1-2-1-0-0", &square(51.62, 32.81, 0.0002)),
            r#"{"type":"Feature","geometry":null,"properties":{"renovation_code":"1-2"}}"#
                .to_owned(),
        ];
        let file = format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            bad.join(",")
        );
        let ImportError::Refused(problems) = import_geojson(&registry, &file, &actor, "x")
            .await
            .unwrap_err()
        else {
            panic!("refused expected")
        };
        let indexes: HashSet<usize> = problems.iter().filter_map(|p| p.index).collect();
        assert!(
            indexes.contains(&0)
                && indexes.contains(&1)
                && indexes.contains(&3)
                && indexes.contains(&4),
            "{problems:?}"
        );

        // A clean file goes in whole, and the running service picks the parcels up.
        let good: Vec<String> = (0..3)
            .map(|i| {
                feature(
                    &format!("8-2-1-{}-0-0", i + 1),
                    &square(51.63 + 0.0002 * f64::from(i), 32.81, 0.0002),
                )
            })
            .collect();
        let file = format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            good.join(",")
        );
        assert_eq!(
            import_geojson(&registry, &file, &actor, "x").await.unwrap(),
            3
        );
        let got = h
            .client
            .get_parcel(with_token(
                pb::GetParcelRequest {
                    renovation_code: "8/2/1/2/0/0".into(),
                },
                &clerk,
            ))
            .await
            .unwrap();
        let owners = got.into_inner().parcel.unwrap().ownership.unwrap().owners;
        assert_eq!(
            owners[1].share,
            Some(estelam_proto::common::v1::DangShare {
                numerator: 7,
                denominator: 2
            })
        );
        // Written by another process's registry: the service's index catches up before its
        // next write (and on its refresh timer, off in this test), never skipping a version
        // committed elsewhere even though its own write comes later in the sequence.
        let outside = pb::UpsertParcelRequest {
            parcel: Some(new_parcel("8-3-1-1-0-0", square(51.64, 32.81, 0.0002))),
            expected_version: 0,
            reason: "after the import".into(),
            client_request_id: String::new(),
        };
        h.client
            .upsert_parcel(with_token(outside, &clerk))
            .await
            .unwrap();
        let found = h
            .client
            .pick_at(with_token(pick(51.6301, 32.8101), &clerk))
            .await
            .unwrap();
        assert_eq!(
            found.into_inner().parcel.unwrap().renovation_code,
            "8-2-1-1-0-0",
            "{}",
            h.label
        );
        let found = h
            .client
            .pick_at(with_token(pick(51.6401, 32.8101), &clerk))
            .await
            .unwrap();
        assert_eq!(
            found.into_inner().parcel.unwrap().renovation_code,
            "8-3-1-1-0-0"
        );
        // An overlapping parcel from the service is refused against the imported ones too.
        let overlapping = pb::UpsertParcelRequest {
            parcel: Some(new_parcel("8-3-1-2-0-0", square(51.6301, 32.81, 0.0002))),
            expected_version: 0,
            reason: "x".into(),
            client_request_id: String::new(),
        };
        let refused = h
            .client
            .upsert_parcel(with_token(overlapping, &clerk))
            .await
            .unwrap_err();
        assert_eq!(reason(&refused), "PARCEL_OVERLAPS");
        h.stop().await;
    }
}
