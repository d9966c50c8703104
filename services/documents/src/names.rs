//! Uploaded filenames as metadata: cleaned for display, never used as a path (objects are
//! named by their SHA-256, documents by a UUIDv7).

/// Longest cleaned filename kept, in bytes of UTF-8.
pub const MAX_FILENAME_BYTES: usize = 200;

/// The name a person sees: no directory part (either slash), no control or invisible
/// formatting characters (bidi overrides like U+202E can make `gpj.exe` read as `exe.jpg`),
/// spaces collapsed, leading dots and spaces removed, at most [`MAX_FILENAME_BYTES`] with the
/// extension kept. The zero-width non-joiner and joiner stay: Persian words need them.
/// `None` when nothing is left.
pub fn clean_filename(raw: &str) -> Option<String> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut out = String::with_capacity(base.len().min(MAX_FILENAME_BYTES));
    let mut last_space = true;
    for c in base.chars() {
        if is_invisible(c) {
            continue;
        }
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
            continue;
        }
        last_space = false;
        out.push(c);
    }
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
