//! Parcel outlines as stored bytes (`parcel_versions.outline_bin`): any byte string is either
//! refused with a reason or is exactly the encoding of what it decodes to (the format is
//! canonical), and the decoded outline is within WGS84 and measurable without panicking.
#![no_main]

use estelam_parcel_geo::outline_bytes::{decode, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Ok(shape) = decode(input) else {
        return;
    };
    let again = encode(&shape).expect("a decoded outline encodes");
    assert_eq!(again.as_slice(), input, "decoding is canonical");
    let rect = shape.bounding_rect();
    assert!((-180.0..=180.0).contains(&rect.min().x) && (-90.0..=90.0).contains(&rect.max().y));
    let _ = shape.envelope();
    let _ = shape.covers_point(rect.center().x, rect.center().y);
});
