//! Parcel outlines from GeoJSON text: any text either fails with a reason or yields a shape
//! whose GeoJSON form parses back to the same outline (same envelope, same area).
#![no_main]

use estelam_parcel_geo::geometry::Shape;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    let Ok(shape) = Shape::parse(input) else {
        return;
    };
    let written = shape.to_geojson();
    let again = Shape::parse_trusted(&written).expect("a parsed shape's GeoJSON parses back");
    assert_eq!(again.envelope(), shape.envelope());
    let (a, b) = (shape.area_m2(), again.area_m2());
    assert!(
        (a - b).abs() <= 1e-6 * a.abs().max(1.0),
        "area {a} became {b}"
    );
    let p = shape.label_point();
    let _ = shape.covers_point(p.x(), p.y());
});
