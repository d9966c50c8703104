//! National codes: any text either fails cleanly or yields a code that formats to ten ASCII
//! digits and parses back to itself, also when written in Persian digits.
#![no_main]

use estelam_domain::{NationalCode, to_persian_digits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    let Ok(code) = NationalCode::parse(input) else {
        return;
    };
    let text = code.as_str();
    assert_eq!(text.len(), 10);
    assert!(text.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(code.to_string(), text);
    assert_eq!(NationalCode::parse(text).ok(), Some(code));
    assert_eq!(
        NationalCode::parse(&to_persian_digits(text)).ok(),
        Some(code)
    );
});
