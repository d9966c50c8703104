//! Digit normalisation.
//!
//! Iranian users type numbers with Persian digits (۰–۹, U+06F0..U+06F9), Arabic-Indic digits
//! (٠–٩, U+0660..U+0669, common on Arabic keyboards and some phones) or ASCII digits, often
//! mixed in one string. Every parser in this crate goes through [`normalize_digits`] first, so
//! all three are accepted everywhere.

use crate::error::{DomainError, Field};

/// Maps Persian and Arabic-Indic digits to ASCII `0`–`9`; every other character is kept as is.
///
/// Used before parsing any number a person typed.
pub fn normalize_digits(input: &str) -> String {
    input.chars().map(ascii_digit_of).collect()
}

/// Maps ASCII and Arabic-Indic digits to Persian digits (۰–۹); every other character is kept.
///
/// Used when showing numbers to people in the Persian user interface and documents.
pub fn to_persian_digits(input: &str) -> String {
    input
        .chars()
        .map(|c| match ascii_digit_of(c) {
            d @ '0'..='9' => PERSIAN_DIGITS[usize::from(d as u8 - b'0')],
            other => other,
        })
        .collect()
}

/// Persian digits ۰–۹, indexed by value.
const PERSIAN_DIGITS: [char; 10] = ['۰', '۱', '۲', '۳', '۴', '۵', '۶', '۷', '۸', '۹'];

/// The ASCII digit for a Persian or Arabic-Indic digit; any other character unchanged.
fn ascii_digit_of(c: char) -> char {
    let offset = match c {
        '\u{06F0}'..='\u{06F9}' => c as u32 - 0x06F0,
        '\u{0660}'..='\u{0669}' => c as u32 - 0x0660,
        _ => return c,
    };
    char::from(b'0' + offset as u8)
}

/// Invisible formatting characters that copy-paste from documents and RTL text fields put
/// around numbers: bidi marks and isolates, the Arabic letter mark and the byte-order mark.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Trims whitespace and invisible bidi marks from both ends and normalises digits.
///
/// The first step of every parser in this crate.
pub(crate) fn clean(input: &str) -> String {
    normalize_digits(input.trim_matches(|c: char| c.is_whitespace() || is_invisible_format(c)))
}

/// Parses a cleaned string that must be ASCII digits only, for the given field.
pub(crate) fn require_digits(field: Field, cleaned: &str) -> Result<(), DomainError> {
    if cleaned.is_empty() {
        return Err(DomainError::Empty { field });
    }
    if !cleaned.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DomainError::NonDigit { field });
    }
    Ok(())
}

/// True for the separators accepted between the parts of a renovation code or a date:
/// `-`, `/`, and the dash look-alikes that phone keyboards and word processors substitute.
pub(crate) fn is_separator(c: char) -> bool {
    matches!(c, '-' | '/' | '\u{2010}'..='\u{2015}' | '\u{2212}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persian_and_arabic_indic_digits_become_ascii() {
        assert_eq!(normalize_digits("۰۱۲۳۴۵۶۷۸۹"), "0123456789");
        assert_eq!(normalize_digits("٠١٢٣٤٥٦٧٨٩"), "0123456789");
        assert_eq!(normalize_digits("پلاک ۱۲/٣ b7"), "پلاک 12/3 b7");
    }

    #[test]
    fn ascii_and_arabic_indic_digits_become_persian() {
        assert_eq!(to_persian_digits("0123456789"), "۰۱۲۳۴۵۶۷۸۹");
        assert_eq!(to_persian_digits("٤٥ and 6"), "۴۵ and ۶");
    }

    #[test]
    fn clean_trims_spaces_and_bidi_marks() {
        assert_eq!(clean(" \u{200F}۱۲۳\u{200E}\t"), "123");
    }

    #[test]
    fn require_digits_distinguishes_empty_from_non_digit() {
        assert_eq!(
            require_digits(Field::Amount, ""),
            Err(DomainError::Empty {
                field: Field::Amount
            })
        );
        assert_eq!(
            require_digits(Field::Amount, "12a"),
            Err(DomainError::NonDigit {
                field: Field::Amount
            })
        );
        assert_eq!(require_digits(Field::Amount, "0123"), Ok(()));
    }
}
