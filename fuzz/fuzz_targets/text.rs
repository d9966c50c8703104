//! The free-text cleaner: any text is either refused for a character it really holds, or
//! cleaned into text that holds none of the refused characters nor Arabic letter variants, has
//! no outer or doubled spaces and joiners, is NFC, and cleans to itself again.
#![no_main]

use estelam_domain::text::{TextField, clean_text, is_refused};
use libfuzzer_sys::fuzz_target;

const FIELD: TextField = TextField::new("note", "یادداشت", "note");

fuzz_target!(|input: &str| {
    let cleaned = match clean_text(FIELD, input) {
        Ok(cleaned) => cleaned,
        Err(e) => {
            assert!(is_refused(e.character()), "refused only what is refused");
            assert!(input.contains(e.character()), "refused only what is there");
            assert!(!e.message_fa().is_empty() && !e.to_string().is_empty());
            return;
        }
    };
    assert!(!cleaned.chars().any(is_refused));
    assert!(!cleaned.chars().any(|c| matches!(c, 'ي' | 'ى' | 'ك' | 'ة')));
    assert!(!cleaned.contains("  "));
    let joiner = |c: char| matches!(c, '\u{200C}' | '\u{200D}');
    assert_eq!(
        cleaned.trim_matches(|c: char| c.is_whitespace() || joiner(c)),
        cleaned,
        "no outer spaces or joiners"
    );
    assert!(
        !cleaned
            .chars()
            .zip(cleaned.chars().skip(1))
            .any(|(a, b)| joiner(a) && joiner(b)),
        "no doubled joiners"
    );
    assert_eq!(clean_text(FIELD, &cleaned).as_ref(), Ok(&cleaned), "idempotent");
});
