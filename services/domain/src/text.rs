//! Free text, cleaned once before it is stored, compared or signed.
//!
//! Names, letter numbers, notes and reasons reach Estelam from Arabic and Persian keyboards,
//! from copy-paste out of word processors and from API clients, and some of them end up in a
//! signed answer that a bank or a court reads. Characters that change how text *looks* without
//! changing what it *says* would let two different strings display the same, or one string
//! display as another: a right-to-left override (U+202E) turns «1234» into «4321» on screen. So
//! every service passes every free-text field through [`clean_text`] at the boundary where it
//! comes in, and keeps, compares and signs only what comes out.
//!
//! Decisions (each one is a rule a test below pins down):
//! * **Refused** (the caller is told which field and which character): the C0 controls other
//!   than tab, line feed and carriage return (so NUL and the escape character), DEL, the C1
//!   controls U+0080–U+009F (NEL included), and the bidi embeddings, overrides and isolates
//!   U+202A–U+202E and U+2066–U+2069. None of these is ever typed on purpose into a name or a
//!   note, and silently dropping them would sign something other than what the sender sent.
//! * **Removed**: the direction marks U+200E (LRM) and U+200F (RLM), the Arabic letter mark
//!   U+061C, the byte-order mark U+FEFF, the zero-width space U+200B and the word joiner
//!   U+2060. RTL editors insert the marks on their own around digits and Latin letters, so
//!   refusing them would refuse honest copy-paste; they only move neutral characters, and once
//!   removed cannot move anything in the signed text.
//! * **Whitespace**: tab, line feed, carriage return, no-break space (U+00A0), the Unicode
//!   spaces U+2000–U+200A, U+202F, U+205F, U+3000 and the line/paragraph separators become one
//!   ASCII space; runs collapse to one; both ends are trimmed. Every field this is used for is
//!   a single line.
//! * **Joiners**: the zero-width non-joiner (ZWNJ, U+200C, نیم‌فاصله) and joiner (ZWJ,
//!   U+200D) are kept between letters (and digits and their marks), where Persian needs them
//!   («حسین‌زاده»), but removed at either end and next to a space or punctuation, and a run of
//!   them becomes the first one alone.
//! * **Letters**: Arabic yeh ي (U+064A) and alef maksura ى (U+0649) become Persian yeh ی
//!   (U+06CC); Arabic kaf ك (U+0643) becomes Persian keheh ک (U+06A9); teh marbuta ة (U+0629)
//!   becomes heh ه (U+0647). Persian spells the feminine ending with ه («فاطمه», «حوزه»), the
//!   registry of deeds records names so, and [`crate::name_key`] already folds ة to ه for
//!   comparison: storing ه keeps one written form per name. Other letters, diacritics and
//!   tatweel are kept as typed (they are spelling, not spoofing).
//! * **Digits**: Arabic-Indic digits ٠–٩ become Persian digits ۰–۹, as [`crate::to_persian_digits`]
//!   does for display; Persian and ASCII digits are kept as typed (a letter number «۱۲۳/ب» or
//!   «123/B» is written the way its issuer wrote it; comparisons go through the parsers and
//!   [`crate::name_key`], which read every digit form).
//! * **NFC**: the result is in Unicode Normalisation Form C, so a letter with a combining mark
//!   is stored one way whichever way it was typed.
//!
//! The function is idempotent (cleaning clean text changes nothing) and total (it never
//! panics); both are property-tested below and fuzzed (`fuzz/fuzz_targets/text.rs`).

use std::fmt;

use unicode_normalization::UnicodeNormalization;

/// The free-text field a value was typed into, so that a refusal can name it: the API field
/// path for the field violation, and the field's name in Persian and English for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TextField {
    /// The request field, as the API names it (e.g. `applicant.full_name`).
    pub path: &'static str,
    /// The field's name as a Persian form shows it (e.g. «نام و نام خانوادگی متقاضی»).
    pub name_fa: &'static str,
    /// The field's name in English (e.g. `applicant's full name`).
    pub name_en: &'static str,
}

impl TextField {
    /// A field, with its API path and its Persian and English names.
    pub const fn new(path: &'static str, name_fa: &'static str, name_en: &'static str) -> Self {
        Self {
            path,
            name_fa,
            name_en,
        }
    }
}

/// Why [`clean_text`] refused a value: a character that may not appear in any free text.
///
/// The English `Display` and [`TextError::message_fa`] name the field and the character (as
/// `U+202E` and by what it is), and are safe to show to the caller as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextError {
    field: TextField,
    character: char,
}

impl TextError {
    /// The field the refused character was in.
    pub fn field(&self) -> TextField {
        self.field
    }

    /// The first refused character found.
    pub fn character(&self) -> char {
        self.character
    }

    /// A Persian message saying which field holds which invisible character and what to do.
    pub fn message_fa(&self) -> String {
        format!(
            "«{}» نویسه‌ای نامرئی دارد که پذیرفته نمی‌شود ({}، {})؛ متن را دوباره تایپ کنید، نه این‌که از جای دیگری رونوشت کنید.",
            self.field.name_fa,
            kind_fa(self.character),
            code_point(self.character)
        )
    }
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the {} contains an invisible character that is not accepted ({}, {}); type the text again rather than pasting it",
            self.field.name_en,
            kind_en(self.character),
            code_point(self.character)
        )
    }
}

impl std::error::Error for TextError {}

/// Cleans one free-text value typed into `field`, or refuses it (see the module documentation
/// for every rule). What comes out is what may be stored, compared and signed.
///
/// ```
/// use estelam_domain::text::{TextField, clean_text};
///
/// const NAME: TextField = TextField::new("applicant.full_name", "نام متقاضی", "applicant's name");
/// assert_eq!(clean_text(NAME, " علي  كريمي\u{200C} ")?, "علی کریمی");
/// let spoof = clean_text(NAME, "علی\u{202E}کریمی").unwrap_err();
/// assert_eq!(spoof.field().path, "applicant.full_name");
/// # Ok::<(), estelam_domain::text::TextError>(())
/// ```
pub fn clean_text(field: TextField, input: &str) -> Result<String, TextError> {
    if let Some(character) = input.chars().find(|&c| is_refused(c)) {
        return Err(TextError { field, character });
    }
    // NFC first, so that a letter followed by a combining hamza composes (ي + ٔ → ئ) before the
    // letters are folded; the folded letters have no compositions, so the fold keeps NFC.
    let mut out = String::with_capacity(input.len());
    let mut pending_space = false;
    let mut pending_joiner: Option<char> = None;
    for c in input.nfc() {
        let c = match c {
            'ي' | 'ى' => 'ی',
            'ك' => 'ک',
            'ة' => 'ه',
            '\u{0660}'..='\u{0669}' => char::from_u32(c as u32 - 0x0660 + 0x06F0).unwrap_or(c),
            _ if is_removed(c) => continue,
            _ => c,
        };
        if is_space(c) {
            pending_space = true;
            pending_joiner = None;
            continue;
        }
        if is_joiner(c) {
            if !pending_space && !out.is_empty() && pending_joiner.is_none() {
                pending_joiner = Some(c);
            }
            continue;
        }
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        if let Some(joiner) = pending_joiner.take()
            && joinable(c)
            && out.chars().next_back().is_some_and(joinable)
        {
            out.push(joiner);
        }
        pending_space = false;
        out.push(c);
    }
    // Removing characters can bring a base letter next to a combining mark it was apart from.
    Ok(out.nfc().collect())
}

/// Whether `c` is one of the characters [`clean_text`] refuses; also what its output never
/// contains.
pub fn is_refused(c: char) -> bool {
    matches!(c,
        '\u{0000}'..='\u{0008}' | '\u{000B}' | '\u{000C}' | '\u{000E}'..='\u{001F}'
        | '\u{007F}'..='\u{009F}'
        | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Invisible characters dropped without a word (see the module documentation).
fn is_removed(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{FEFF}' | '\u{2060}'
    )
}

/// Whitespace that becomes one ASCII space. Every `char::is_whitespace` that is not refused
/// (U+0085 NEL is a C1 control and refused before this is asked).
fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// What a joiner may stand between: letters, digits and the combining marks written on them
/// (a joiner next to punctuation or a space joins nothing).
fn joinable(c: char) -> bool {
    c.is_alphanumeric()
        || matches!(c, '\u{0300}'..='\u{036F}' | '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}'
            | '\u{0670}' | '\u{06D6}'..='\u{06ED}')
}

/// ZWNJ and ZWJ: kept between letters only.
fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}')
}

fn code_point(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

fn kind_en(c: char) -> &'static str {
    match c {
        '\u{0000}' => "a NUL byte",
        '\u{202A}'..='\u{202E}' => "a text-direction override or embedding",
        '\u{2066}'..='\u{2069}' => "a text-direction isolate",
        _ => "a control character",
    }
}

fn kind_fa(c: char) -> &'static str {
    match c {
        '\u{0000}' => "نویسهٔ تهی",
        '\u{202A}'..='\u{202E}' => "نویسهٔ تغییر جهت متن",
        '\u{2066}'..='\u{2069}' => "نویسهٔ جداسازی جهت متن",
        _ => "نویسهٔ کنترلی",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NAME: TextField = TextField::new(
        "applicant.full_name",
        "نام و نام خانوادگی متقاضی",
        "applicant's full name",
    );

    fn clean(s: &str) -> String {
        clean_text(NAME, s).unwrap()
    }

    #[test]
    fn arabic_letter_forms_are_stored_as_persian_letters() {
        assert_eq!(clean("علي رضايي"), "علی رضایی");
        assert_eq!(clean("كاظم كريمي"), "کاظم کریمی");
        assert_eq!(clean("مصطفى"), "مصطفی");
        assert_eq!(clean("فاطمة"), "فاطمه");
        assert_eq!(clean("كوچه ۱۲، پلاك ٣"), "کوچه ۱۲، پلاک ۳");
    }

    #[test]
    fn digits_keep_their_script_except_arabic_indic_which_become_persian() {
        assert_eq!(clean("نامه ۱۲۳/ب"), "نامه ۱۲۳/ب");
        assert_eq!(clean("1403/123-B"), "1403/123-B");
        assert_eq!(clean("٤٥٦"), "۴۵۶");
    }

    #[test]
    fn joiners_stay_between_letters_but_not_at_the_edges_or_doubled() {
        assert_eq!(clean("حسین\u{200C}زاده"), "حسین\u{200C}زاده");
        assert_eq!(clean("\u{200C}زهرا حسینی\u{200C}"), "زهرا حسینی");
        assert_eq!(clean("می\u{200C}\u{200C}\u{200C}خواهم"), "می\u{200C}خواهم");
        assert_eq!(clean("حسین\u{200C} زاده"), "حسین زاده");
        assert_eq!(clean("حسین \u{200D}زاده"), "حسین زاده");
        assert_eq!(clean("\u{200D}\u{200C}"), "");
        assert_eq!(clean("علی\u{200C}.pdf"), "علی.pdf");
        assert_eq!(clean("«\u{200C}کتاب\u{200C}»"), "«کتاب»");
    }

    #[test]
    fn every_kind_of_space_collapses_to_one() {
        assert_eq!(
            clean("  محمد\u{00A0}\u{00A0}رضا\t احمدی\n"),
            "محمد رضا احمدی"
        );
        assert_eq!(clean("علی\u{2009}\u{202F}\u{3000}رضایی"), "علی رضایی");
        assert_eq!(clean("\r\n"), "");
    }

    #[test]
    fn direction_marks_and_other_invisible_characters_are_removed() {
        assert_eq!(clean("\u{200F}سارا\u{200E}"), "سارا");
        assert_eq!(clean("\u{FEFF}۱۴۰۳/\u{200B}۱۲"), "۱۴۰۳/۱۲");
        assert_eq!(clean("مریم\u{061C} \u{2060}کاظمی"), "مریم کاظمی");
    }

    #[test]
    fn text_is_stored_in_nfc() {
        // Arabic yeh with a combining hamza above is the one letter ئ, typed either way.
        assert_eq!(clean("فا\u{064A}\u{0654}زه"), "فائزه");
        // Alef + madda above composes to آ.
        assert_eq!(clean("\u{0627}\u{0653}زاده"), "آزاده");
        assert_eq!(clean("Jose\u{0301}"), "José");
    }

    #[test]
    fn bidi_overrides_embeddings_and_isolates_are_refused_naming_the_field() {
        for c in ['\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}'] {
            let e = clean_text(NAME, &format!("علی{c}رضایی")).unwrap_err();
            assert_eq!(e.character(), c);
            assert_eq!(e.field().path, "applicant.full_name");
        }
        for c in ['\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}'] {
            assert!(clean_text(NAME, &format!("{c}1234")).is_err());
        }
        let e = clean_text(NAME, "علی\u{202E}رضایی").unwrap_err();
        assert_eq!(
            e.to_string(),
            "the applicant's full name contains an invisible character that is not accepted (a text-direction override or embedding, U+202E); type the text again rather than pasting it"
        );
        assert!(e.message_fa().starts_with(
            "«نام و نام خانوادگی متقاضی» نویسه‌ای نامرئی دارد که پذیرفته نمی‌شود (نویسهٔ تغییر جهت متن، U+202E)"
        ));
    }

    #[test]
    fn controls_nul_and_del_are_refused_but_tab_and_newline_are_spaces() {
        for c in [
            '\0', '\u{1}', '\u{1B}', '\u{0B}', '\u{0C}', '\u{7F}', '\u{80}', '\u{85}', '\u{9F}',
        ] {
            assert!(clean_text(NAME, &format!("۱۲۳{c}۴")).is_err(), "{c:?}");
        }
        let nul = clean_text(NAME, "۱۲۳\0").unwrap_err();
        assert!(nul.to_string().contains("a NUL byte, U+0000"));
        assert!(nul.message_fa().contains("نویسهٔ تهی"));
        assert_eq!(clean("الف\tب\r\nج"), "الف ب ج");
    }

    #[test]
    fn cleaned_names_still_match_the_forms_they_came_from() {
        for raw in [
            "علي كريمي\u{200C}",
            "فاطمة  زهرايي",
            "محمد\u{200C}\u{200C}رضا",
        ] {
            assert!(crate::names_match(raw, &clean(raw)), "{raw}");
        }
    }

    /// Strings drawn mostly from the characters the rules are about, so that the properties
    /// meet them often.
    fn tricky_text() -> impl Strategy<Value = String> {
        let interesting = prop::sample::select(vec![
            'ي', 'ى', 'ك', 'ة', 'ی', 'ک', 'ه', 'ا', 'ئ', 'ۀ', '\u{0654}', '\u{0653}', '\u{064E}',
            '\u{200C}', '\u{200D}', '\u{200B}', '\u{200E}', '\u{200F}', '\u{061C}', '\u{FEFF}',
            '\u{2060}', ' ', '\t', '\n', '\r', '\u{00A0}', '\u{2009}', '\u{3000}', '\u{2028}', '٣',
            '۳', '3', 'a', 'e', '\u{0301}', '/', '-',
        ]);
        prop::collection::vec(prop_oneof![4 => interesting, 1 => any::<char>()], 0..40)
            .prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        #[test]
        fn cleaning_is_idempotent(s in tricky_text()) {
            if let Ok(once) = clean_text(NAME, &s) {
                prop_assert_eq!(clean_text(NAME, &once), Ok(once.clone()));
            }
        }

        #[test]
        fn output_never_holds_refused_or_arabic_variant_characters(s in tricky_text()) {
            match clean_text(NAME, &s) {
                Ok(out) => {
                    prop_assert!(!out.chars().any(is_refused));
                    prop_assert!(!out.chars().any(|c| matches!(c, 'ي' | 'ى' | 'ك' | 'ة')));
                    prop_assert!(!out.chars().any(is_removed));
                    prop_assert!(!out.contains("  "));
                    let doubled = out.chars().zip(out.chars().skip(1)).any(|(a, b)| is_joiner(a) && is_joiner(b));
                    prop_assert!(!doubled);
                    prop_assert_eq!(out.trim_matches(|c: char| c.is_whitespace() || is_joiner(c)), out.as_str());
                    prop_assert!(unicode_normalization::is_nfc(&out));
                }
                Err(e) => prop_assert!(s.contains(e.character()) && is_refused(e.character())),
            }
        }

        #[test]
        fn any_refused_character_refuses_the_value(
            a in tricky_text(),
            b in tricky_text(),
            c in prop_oneof![
                (0u32..=0x1F).prop_filter_map("tab, LF and CR are spaces", |u| {
                    char::from_u32(u).filter(|c| !matches!(c, '\t' | '\n' | '\r'))
                }),
                (0x7Fu32..=0x9F).prop_filter_map("a char", char::from_u32),
                (0x202Au32..=0x202E).prop_filter_map("a char", char::from_u32),
                (0x2066u32..=0x2069).prop_filter_map("a char", char::from_u32),
            ],
        ) {
            let value = format!("{a}{c}{b}");
            prop_assert!(clean_text(NAME, &value).is_err());
        }
    }
}
