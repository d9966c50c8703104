//! Renovation codes: text either fails cleanly or parses to a code whose canonical form and
//! parts both lead back to the same code.
#![no_main]

use estelam_domain::RenovationCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    let Ok(code) = RenovationCode::parse(input) else {
        return;
    };
    let canonical = code.to_string();
    assert_eq!(RenovationCode::parse(&canonical).ok(), Some(code));
    assert_eq!(
        RenovationCode::parse(&canonical.replace('-', "/")).ok(),
        Some(code)
    );
    assert_eq!(RenovationCode::from_parts(code.parts()).ok(), Some(code));
    assert!(code.parts().iter().all(|p| *p <= RenovationCode::MAX_PART));
});
