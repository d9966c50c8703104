//! The GIS parcel import's checks: any file either is refused with problems that each name
//! a feature of the file (or the file), or every feature passes with a distinct code and an
//! outline that does not overlap another.
#![no_main]

use std::collections::HashSet;

use estelam_parcel_geo::import_check::check_collection;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    match check_collection(input) {
        Ok(features) => {
            assert!(!features.is_empty(), "an empty collection is refused");
            let codes: HashSet<String> = features
                .iter()
                .map(|(_, r, _)| r.code.to_string())
                .collect();
            assert_eq!(codes.len(), features.len(), "codes are unique");
            for (k, (i, _, shape)) in features.iter().enumerate() {
                assert_eq!(*i, k, "every feature passed, in file order");
                for (_, _, other) in features.iter().skip(k + 1) {
                    assert!(!shape.overlaps(other), "accepted outlines never overlap");
                }
            }
        }
        Err(problems) => {
            assert!(!problems.is_empty(), "a refusal says why");
            assert!(problems.windows(2).all(|w| w[0].index <= w[1].index));
            assert!(problems.iter().all(|p| !p.message.is_empty()));
        }
    }
});
