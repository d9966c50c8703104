//! Check-digit codes (membership, request, tracking, verification, inquiry numbers): text
//! either fails cleanly or parses to a code of the kind's length that parses back; every
//! sequence number either fits and round-trips or is refused as exhausted.
#![no_main]

use estelam_domain::{CheckCode, CodeKind, to_persian_digits};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    kind: u8,
    text: &'a str,
    sequence: u64,
}

fuzz_target!(|input: Input<'_>| {
    let kind = CodeKind::ALL[usize::from(input.kind) % CodeKind::ALL.len()];
    if let Ok(code) = CheckCode::parse(kind, input.text) {
        assert_eq!(code.kind(), kind);
        assert_eq!(code.as_str().len(), kind.code_len());
        assert_eq!(
            CheckCode::parse(kind, code.as_str()).ok(),
            Some(code.clone())
        );
        assert_eq!(
            CheckCode::parse(kind, &to_persian_digits(code.as_str())).ok(),
            Some(code.clone())
        );
        assert_eq!(code.to_string(), code.as_str());
    }
    if let Ok(code) = CheckCode::from_sequence(kind, input.sequence) {
        assert_eq!(CheckCode::parse(kind, code.as_str()).ok(), Some(code));
    }
});
