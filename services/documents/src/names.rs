//! Uploaded filenames as metadata: cleaned for display, never used as a path (objects are
//! named by their SHA-256, documents by a UUIDv7).

use estelam_domain::text::{TextField, clean_text};

/// Longest cleaned filename kept, in bytes of UTF-8.
pub const MAX_FILENAME_BYTES: usize = 200;

/// The name a person sees: no directory part (either slash), no control or invisible
/// formatting characters (bidi overrides like U+202E can make `gpj.exe` read as `exe.jpg`),
/// then the domain crate's one cleaner for free text (Arabic ي/ك/ة as Persian letters, spaces
/// collapsed, ZWNJ and ZWJ kept between letters only, NFC), leading dots and spaces removed,
/// at most [`MAX_FILENAME_BYTES`] with the extension kept. `None` when nothing is left.
///
/// Unlike typed text, the characters the cleaner refuses are dropped here rather than
/// refused: a person picks a file, not its name, and the upload should not fail for a name
/// they never saw; what is kept, shown and sent back in `Content-Disposition` holds none.
pub fn clean_filename(raw: &str) -> Option<String> {
    const FILENAME: TextField = TextField::new("original_filename", "نام پرونده", "file name");
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let visible: String = base.chars().filter(|&c| !is_invisible(c)).collect();
    let out = clean_text(FILENAME, &visible).ok()?;
    let trimmed = out
        .trim_start_matches(['.', ' '])
        .trim_end_matches([' ', '.']);
    if trimmed.is_empty() {
        return None;
    }
    Some(truncate_keeping_extension(trimmed, MAX_FILENAME_BYTES))
}

/// Control characters and the format characters that change how text is shown (bidi
/// embeddings, overrides and isolates, marks, BOM, soft hyphen…), except ZWNJ and ZWJ.
fn is_invisible(c: char) -> bool {
    if c.is_control() {
        return true;
    }
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}' | '\u{200E}' | '\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}'
        | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

fn truncate_keeping_extension(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let ext = extension(name)
        .map(|e| format!(".{e}"))
        .filter(|e| e.len() <= 16)
        .unwrap_or_default();
    let budget = max - ext.len();
    let mut stem_end = 0;
    for (i, c) in name.char_indices() {
        if i + c.len_utf8() > budget {
            break;
        }
        stem_end = i + c.len_utf8();
    }
    format!("{}{ext}", name[..stem_end].trim_end_matches([' ', '.']))
}

/// The extension of a cleaned name (after the last dot), if any.
pub fn extension(name: &str) -> Option<&str> {
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then_some(ext)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn paths_and_tricks_are_removed() {
        assert_eq!(
            clean_filename("../../etc/passwd").as_deref(),
            Some("passwd")
        );
        assert_eq!(
            clean_filename("C:\\Users\\a\\کارت ملی.jpg").as_deref(),
            Some("کارت ملی.jpg")
        );
        assert_eq!(
            clean_filename("photo\u{202E}gpj.exe").as_deref(),
            Some("photogpj.exe")
        );
        assert_eq!(
            clean_filename("a\u{0}b\nc\t.pdf").as_deref(),
            Some("abc.pdf")
        );
        assert_eq!(
            clean_filename("  my   deed .pdf").as_deref(),
            Some("my deed .pdf")
        );
        assert_eq!(
            clean_filename("..hidden.png").as_deref(),
            Some("hidden.png")
        );
        assert_eq!(
            clean_filename("سند\u{200C}ها.pdf").as_deref(),
            Some("سند\u{200C}ها.pdf")
        );
        assert_eq!(clean_filename("/"), None);
        assert_eq!(clean_filename(" . "), None);
        assert_eq!(
            clean_filename("\u{200C}كارت ملي\u{00A0}\u{00A0}علي\u{200C}.pdf").as_deref(),
            Some("کارت ملی علی.pdf")
        );
    }

    #[test]
    fn long_names_keep_their_extension() {
        let long = format!("{}.pdf", "ب".repeat(500));
        let cleaned = clean_filename(&long).expect("non-empty");
        assert!(cleaned.len() <= MAX_FILENAME_BYTES);
        assert!(cleaned.ends_with(".pdf"));
    }

    #[test]
    fn extensions() {
        assert_eq!(extension("a.b.JPG"), Some("JPG"));
        assert_eq!(extension("noext"), None);
        assert_eq!(extension(".pdf"), None);
    }

    proptest! {
        #[test]
        fn a_cleaned_name_is_never_a_path_nor_too_long(raw in "\\PC{0,400}") {
            if let Some(name) = clean_filename(&raw) {
                prop_assert!(!name.contains('/') && !name.contains('\\'));
                prop_assert!(!name.chars().any(|c| c.is_control()));
                prop_assert!(name.len() <= MAX_FILENAME_BYTES);
                prop_assert!(!name.starts_with('.'));
            }
        }
    }
}
