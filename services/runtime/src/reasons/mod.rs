//! The catalogue of reason codes: every `reason` an Estelam service or the gateway sends
//! (`google.rpc.ErrorInfo.reason` on gRPC, `reason` in problem+json) is declared here, once,
//! with what it means.
//!
//! Programs branch on reasons, so they are part of the contract: a reason is never renamed
//! without a migration note, and one naming rule holds for all of them — the subject first,
//! then what is wrong with it, in SCREAMING_SNAKE_CASE (`NATIONAL_CODE_INVALID`,
//! `REQUEST_NUMBER_USED`, `DOCUMENT_TOO_LARGE`), never the condition first
//! (`INVALID_NATIONAL_CODE`). The only subject-less reasons are the generic ones in
//! [`common::GENERIC`], which name a gRPC-level outcome.
//!
//! Each service has its own sub-catalogue (a file here), so that two services' changes do
//! not meet in one list; a reason two services send lives in [`common`]. The tests below
//! check the rule and that no name is declared twice.

use std::fmt;

/// One reason code from the catalogue. Only this module can make one, so a reason that a
/// service sends is always a declared one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reason(&'static str);

impl Reason {
    /// The code as sent on the wire.
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl From<Reason> for String {
    fn from(r: Reason) -> Self {
        r.0.to_owned()
    }
}

impl PartialEq<str> for Reason {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Reason {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<Reason> for String {
    fn eq(&self, other: &Reason) -> bool {
        self == other.0
    }
}

/// Declares reasons as constants named like their code, each with its doc comment, and the
/// list `ALL` of them for the catalogue's tests.
macro_rules! catalogue {
    ($( $(#[$doc:meta])+ $name:ident ),* $(,)?) => {
        $( $(#[$doc])+ pub const $name: $crate::reasons::Reason = $crate::reasons::Reason(stringify!($name)); )*
        /// Every reason of this part of the catalogue.
        pub const ALL: &[$crate::reasons::Reason] = &[$($name),*];
    };
}

pub mod common;
pub mod documents;
pub mod fees;
pub mod gateway;
pub mod identity;
pub mod inquiry;
pub mod notifications;
pub mod property;

/// Every reason in the catalogue, part by part.
pub fn all() -> impl Iterator<Item = Reason> {
    [
        common::ALL,
        gateway::ALL,
        identity::ALL,
        property::ALL,
        documents::ALL,
        fees::ALL,
        inquiry::ALL,
        notifications::ALL,
    ]
    .into_iter()
    .flatten()
    .copied()
}

/// Whether `code` is a declared reason; used where a reason arrives as text (from another
/// service's status) and by tests that check what services send.
pub fn is_declared(code: &str) -> bool {
    all().any(|r| r.0 == code)
}

/// Words that describe a condition; a reason starting with one names the problem before
/// its subject, which the naming rule forbids.
const CONDITION_WORDS: &[&str] = &[
    "BAD",
    "CANNOT",
    "DUPLICATE",
    "EMPTY",
    "INVALID",
    "MALFORMED",
    "MISSING",
    "NO",
    "NOT",
    "TOO",
    "UNKNOWN",
    "WRONG",
];

/// Why `code` breaks the naming rule, if it does.
pub fn naming_rule_violation(code: &str) -> Option<String> {
    let well_formed = !code.is_empty()
        && code.split('_').all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                && w.starts_with(|c: char| c.is_ascii_uppercase())
        });
    if !well_formed {
        return Some(format!("{code}: not SCREAMING_SNAKE_CASE"));
    }
    if common::GENERIC.iter().any(|g| g.0 == code) {
        return None;
    }
    let first = code.split('_').next().unwrap_or_default();
    if CONDITION_WORDS.contains(&first) {
        return Some(format!(
            "{code}: names the condition ({first}) before its subject; write SUBJECT_{first}…"
        ));
    }
    if !code.contains('_') {
        return Some(format!(
            "{code}: a single word names no subject and condition"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_reason_follows_the_naming_rule() {
        let broken: Vec<String> = all().filter_map(|r| naming_rule_violation(r.0)).collect();
        assert!(
            broken.is_empty(),
            "reasons breaking the rule:\n{}",
            broken.join("\n")
        );
    }

    #[test]
    fn no_reason_is_declared_twice() {
        let mut seen = BTreeSet::new();
        let twice: Vec<&str> = all().filter(|r| !seen.insert(*r)).map(|r| r.0).collect();
        assert!(
            twice.is_empty(),
            "declared twice (move to common): {twice:?}"
        );
    }

    #[test]
    fn the_rule_catches_condition_first_names() {
        assert!(naming_rule_violation("NATIONAL_CODE_INVALID").is_none());
        assert!(naming_rule_violation("INVALID_NATIONAL_CODE").is_some());
        assert!(naming_rule_violation("NO_BILL").is_some());
        assert!(naming_rule_violation("national_code").is_some());
        assert!(naming_rule_violation("NOT_FOUND").is_none());
        assert!(is_declared("PAGE_TOKEN_INVALID"));
        assert!(!is_declared("INVALID_PAGE_TOKEN"));
    }
}
