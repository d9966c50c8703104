//! The outlines' compact bytes in the store, on every backend: rows written before the
//! column existed get, from the migration, exactly the bytes the service writes; the map
//! index loads from the bytes, and still loads a row whose bytes are missing (written by an
//! older build during an upgrade) or unreadable (from its GeoJSON text).

use estelam_parcel_geo::geometry::Shape;
use estelam_parcel_geo::outline_bytes;
use estelam_property::city::City;
use estelam_property::{Registry, migrations, system_clock};
use estelam_runtime::db::{Database, Migrations};
use estelam_runtime::testing;
use sqlx::Row;
use sqlx::migrate::Migrator;

/// The first migration that knows the bytes column.
const OUTLINE_BIN_MIGRATION: i64 = 60;

/// The service's migrations before the bytes column: a store as an older build left it.
fn migrations_before_outline_bytes() -> Migrations {
    let all = migrations();
    let before = |m: &Migrator| {
        Migrator::with_migrations(
            m.iter()
                .filter(|m| m.version < OUTLINE_BIN_MIGRATION)
                .cloned()
                .collect(),
        )
    };
    Migrations {
        sqlite: before(&all.sqlite),
        postgres: before(&all.postgres),
    }
}

/// Outlines the city does not have: a MultiPolygon with a hole, the western and southern
/// hemispheres, integers, and more digits than a picodegree.
const ODD_OUTLINES: [(&str, &str); 4] = [
    (
        "9-1-1-1-0-0",
        r#"{"type":"MultiPolygon","coordinates":[[[[10,10],[10.004,10],[10.004,10.004],[10,10.004],[10,10]],[[10.001,10.001],[10.001,10.002],[10.002,10.002],[10.002,10.001],[10.001,10.001]]],[[[10.01,10.01],[10.011,10.01],[10.011,10.011],[10.01,10.011],[10.01,10.01]]]]}"#,
    ),
    (
        "9-1-1-2-0-0",
        r#"{"type":"Polygon","coordinates":[[[-70.5,-33.45],[-70.4999,-33.45],[-70.4999,-33.4499],[-70.5,-33.4499],[-70.5,-33.45]]]}"#,
    ),
    (
        "9-1-1-3-0-0",
        r#"{"type":"Polygon","coordinates":[[[20,20],[21,20],[21,21],[20,21],[20,20]]]}"#,
    ),
    (
        "9-1-1-4-0-0",
        r#"{"type":"Polygon","coordinates":[[[-0.000000000000499,-179.0e-3],[0.1234567890123456789,-0.179],[0.1234567890123456789,-0.1789999999999999],[-0.000000000000499,-0.1789999999999999],[-0.000000000000499,-179.0e-3]]]}"#,
    ),
];

/// Writes a version the way a build without the bytes column did (the columns of 0001).
async fn insert_old_row(db: &Database, seq: i64, code: &str, geojson: &str) {
    let shape = Shape::parse_trusted(geojson).expect("a test outline");
    let r = shape.bounding_rect();
    let l = shape.label_point();
    let parsed = estelam_domain::RenovationCode::parse(code).expect("a test code");
    sqlx::query(
        "INSERT INTO parcel_versions (renovation_code, version, seq, zone, district, plate_main, plate_sub, \
         plate_section, address, postal_code, land_use, land_area_dm2, built_area_dm2, floors, \
         land_value_rials_per_m2, building_value_rials_per_m2, geometry_geojson, min_lon, min_lat, max_lon, \
         max_lat, label_lon, label_lat, ownership_type, deed_number, change_kind, reason, actor_account_id, \
         actor_display_name, valid_from) VALUES ($1, 1, $2, $3, $4, $5, '', '', '', '', 1, 100, 0, 0, 0, 0, \
         $6, $7, $8, $9, $10, $11, $12, 0, '', 1, 'before the bytes', '', 'test', 1)",
    )
    .bind(code)
    .bind(seq)
    .bind(parsed.zone() as i32)
    .bind(parsed.district() as i32)
    .bind(format!("plate-{seq}"))
    .bind(geojson)
    .bind(r.min().x)
    .bind(r.min().y)
    .bind(r.max().x)
    .bind(r.max().y)
    .bind(l.x())
    .bind(l.y())
    .execute(db.pool())
    .await
    .expect("an old row");
}

async fn stored(db: &Database) -> Vec<(String, String, Option<Vec<u8>>)> {
    sqlx::query(
        "SELECT renovation_code, geometry_geojson, outline_bin FROM parcel_versions ORDER BY seq",
    )
    .fetch_all(db.pool())
    .await
    .expect("reading the rows")
    .iter()
    .map(|r| {
        (
            r.get("renovation_code"),
            r.get("geometry_geojson"),
            r.get("outline_bin"),
        )
    })
    .collect()
}

#[tokio::test]
async fn the_migration_gives_old_rows_the_bytes_the_service_writes_and_the_index_loads_them() {
    let city: Vec<_> = City.parcels(300).collect();
    for t in testing::databases(
        "outline_bytes_migration",
        &migrations_before_outline_bytes(),
    )
    .await
    .expect("stores before the bytes column")
    {
        let mut seq = 0;
        for p in &city {
            seq += 1;
            let code = p.record.code.to_string();
            insert_old_row(&t.db, seq, &code, &p.record.geometry_geojson).await;
        }
        for (code, geojson) in ODD_OUTLINES {
            seq += 1;
            insert_old_row(&t.db, seq, code, geojson).await;
        }
        sqlx::query("UPDATE counters SET value = $1 WHERE name = 'parcel_change'")
            .bind(seq)
            .execute(t.db.pool())
            .await
            .expect("the change counter");

        t.db.migrate(&migrations())
            .await
            .expect("migrating to the bytes");

        let rows = stored(&t.db).await;
        assert_eq!(rows.len(), city.len() + ODD_OUTLINES.len(), "{}", t.label);
        for (code, geojson, bytes) in &rows {
            let shape = Shape::parse_trusted(geojson).expect("stored text parses");
            let expected = outline_bytes::encode(&shape).expect("a WGS84 outline encodes");
            assert_eq!(
                bytes.as_deref(),
                Some(expected.as_slice()),
                "{}: the migration's bytes of {code} ({geojson}) differ from the encoder's",
                t.label
            );
        }

        // The index loads from the bytes: every parcel is picked at its label point.
        let registry = Registry::open(t.db.clone(), system_clock())
            .await
            .expect("loading the index");
        assert_eq!(registry.index().len(), rows.len(), "{}", t.label);
        for p in &city {
            let [lon, lat] = p.record.label;
            assert_eq!(
                registry.index().pick(lon, lat),
                Some(p.record.code),
                "{}",
                t.label
            );
        }
        // Inside the first part of the MultiPolygon, inside its hole, and in its second part.
        let odd = estelam_domain::RenovationCode::parse(ODD_OUTLINES[0].0).ok();
        assert_eq!(registry.index().pick(10.0005, 10.0005), odd, "{}", t.label);
        assert_eq!(registry.index().pick(10.0015, 10.0015), None, "{}", t.label);
        assert_eq!(registry.index().pick(10.0105, 10.0105), odd, "{}", t.label);
        let chile = estelam_domain::RenovationCode::parse(ODD_OUTLINES[1].0).ok();
        assert_eq!(
            registry.index().pick(-70.49995, -33.44995),
            chile,
            "{}",
            t.label
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn rows_without_readable_bytes_load_from_their_text() {
    let city: Vec<_> = City.parcels(50).collect();
    for t in testing::databases("outline_bytes_fallback", &migrations())
        .await
        .expect("test stores")
    {
        estelam_property::seed::seed_city(&t.db, 50, &mut |_| {})
            .await
            .expect("seeding");
        let (missing, damaged, future) = (&city[3], &city[4], &city[5]);
        // An older build's write (no bytes), a damaged row, and a format from a newer build.
        for (p, bytes) in [
            (missing, None),
            (damaged, Some(vec![1u8, 1, 9])),
            (future, Some(vec![2u8, 1, 1, 0, 0, 0])),
        ] {
            sqlx::query("UPDATE parcel_versions SET outline_bin = $1 WHERE renovation_code = $2")
                .bind(bytes)
                .bind(p.record.code.to_string())
                .execute(t.db.pool())
                .await
                .expect("changing the bytes");
        }
        let registry = Registry::open(t.db.clone(), system_clock())
            .await
            .expect("loading the index");
        assert_eq!(registry.index().len(), city.len(), "{}", t.label);
        for p in &city {
            let [lon, lat] = p.record.label;
            assert_eq!(
                registry.index().pick(lon, lat),
                Some(p.record.code),
                "{}: {}",
                t.label,
                p.record.code
            );
        }
        t.cleanup().await;
    }
}
