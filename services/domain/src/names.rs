//! Folding Persian names for comparison.
//!
//! The same name reaches the system spelt differently: Arabic keyboards type ي and ك where
//! Persian uses ی and ک, people add or drop diacritics, tatweel, hamza forms and the
//! zero-width non-joiner (ZWNJ) in compound names, and copy-paste brings stray spaces and
//! direction marks. When the applicant's name is checked against the parcel's owners (step 6),
//! a clerk would call all of these "the same name", so they compare through [`name_key`].
//!
//! Decisions:
//! * Arabic yeh ي and alef maksura ى → Persian yeh ی; Arabic kaf ك → Persian keheh ک;
//!   teh marbuta ة and heh with yeh above ۀ → ه.
//! * Hamza and madda forms of alef (أ إ آ ٱ) → ا, ؤ → و, ئ → ی: «آزاده»/«ازاده»,
//!   «مؤمن»/«مومن» and «فائزه»/«فایزه» are common variant spellings of one name, and no two
//!   distinct Persian names differ only there. Standalone hamza ء is kept.
//! * Diacritics (U+064B..=U+0652, superscript alef U+0670) and tatweel ـ are removed.
//! * ZWNJ counts as a space; other invisible format characters (ZWJ, direction marks, BOM) are
//!   removed; runs of whitespace become one space; ends are trimmed ([`fold_name`]).
//! * For comparison, spaces are then dropped altogether ([`name_key`]): «محمدرضا»,
//!   «محمد رضا» and «محمد‌رضا» (with ZWNJ) are the same name, as clerks expect.
//! * Persian and Arabic-Indic digits become ASCII and Latin letters are lower-cased, so
//!   transliterated names compare case-insensitively.

use crate::digits::normalize_digits;

/// A name normalised for storage and display-side comparison: letter variants folded,
/// diacritics and tatweel removed, ZWNJ and whitespace runs turned into single spaces, trimmed.
pub fn fold_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending_space = false;
    for c in normalize_digits(name).chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'ي' | 'ى' | 'ئ' => 'ی',
            'ك' => 'ک',
            'ة' | 'ۀ' => 'ه',
            'أ' | 'إ' | 'آ' | 'ٱ' => 'ا',
            'ؤ' => 'و',
            '\u{200C}' => ' ',
            '\u{064B}'..='\u{0652}' | '\u{0670}' | 'ـ' => continue,
            '\u{200B}'
            | '\u{200D}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{061C}'
            | '\u{FEFF}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}' => continue,
            other => other,
        };
        if folded.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        out.push(folded);
    }
    out
}

/// The key two names are compared by: [`fold_name`] with the spaces removed, so that spacing
/// and ZWNJ differences do not matter. Suitable as an indexed lookup column.
pub fn name_key(name: &str) -> String {
    fold_name(name).replace(' ', "")
}

/// Whether two names are the same name as a clerk would judge it (equal [`name_key`]s).
pub fn names_match(a: &str, b: &str) -> bool {
    name_key(a) == name_key(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_letter_forms_match_persian_ones() {
        assert!(names_match("علي رضايي", "علی رضایی"));
        assert!(names_match("كاظم كريمي", "کاظم کریمی"));
        assert!(names_match("مصطفى", "مصطفی"));
        assert!(names_match("فاطمة", "فاطمه"));
    }

    #[test]
    fn spacing_and_zwnj_in_compound_names_do_not_matter() {
        assert!(names_match("محمدرضا", "محمد رضا"));
        assert!(names_match("محمد\u{200C}رضا", "محمد رضا"));
        assert!(names_match("  عبدالله   احمدی\t", "عبد الله احمدی"));
        assert!(names_match("زهرا حسین‌زاده", "زهرا حسین زاده"));
    }

    #[test]
    fn diacritics_tatweel_and_hamza_forms_are_ignored() {
        assert!(names_match("مُحَمَّد", "محمد"));
        assert!(names_match("محـــمد", "محمد"));
        assert!(names_match("آزاده", "ازاده"));
        assert!(names_match("مؤمنی", "مومنی"));
        assert!(names_match("فائزه", "فایزه"));
        assert!(names_match("\u{200F}سارا\u{200E}", "سارا"));
    }

    #[test]
    fn different_names_still_differ() {
        assert!(!names_match("علی رضایی", "علی رضائیان"));
        assert!(!names_match("محمد", "محمود"));
        assert!(!names_match("زهرا", "زهره"));
        assert!(!names_match("مریم", ""));
    }

    #[test]
    fn fold_name_keeps_single_spaces() {
        assert_eq!(fold_name("  علي \u{200C}  رضايي  "), "علی رضایی");
        assert_eq!(fold_name("محمد\u{200C}رضا"), "محمد رضا");
        assert_eq!(fold_name("Ali REZAEI"), "ali rezaei");
        assert_eq!(fold_name("پلاک ۱۲"), "پلاک 12");
        assert_eq!(name_key("محمد رضا"), "محمدرضا");
    }
}
