//! Short digit-only codes with a check digit: membership codes, request numbers, tracking
//! codes, verification codes and inquiry numbers.
//!
//! People read these codes off paper and type them on phones, so they are digits only, and the
//! last digit is a [Damm](https://en.wikipedia.org/wiki/Damm_algorithm) check digit: every
//! single mistyped digit and every swap of two adjacent digits is caught before any lookup,
//! with a message that says so (instead of "not found", or worse, someone else's record).
//!
//! Each [`CodeKind`] has one fixed length, so the service that issues a code and every service
//! that parses it agree without configuration.

use std::fmt;

use rand::{CryptoRng, Rng};
use serde::Serialize;

use crate::digits::{clean, require_digits};
use crate::error::{DomainError, Field};

/// The kinds of check-digit code the system issues; each has a fixed length and a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CodeKind {
    /// Membership code (کد عضویت) given at registration. Random: it names an account.
    Membership,
    /// Request number (شماره درخواست) the municipality issued for a property. Sequential.
    Request,
    /// Payment tracking code (کد رهگیری). Random: it shows a payment receipt.
    Tracking,
    /// Verification code (کد تصدیق) printed on an answer. Random: anyone holding it can view
    /// the answer without logging in.
    Verification,
    /// Inquiry number (شماره استعلام). Sequential.
    Inquiry,
}

impl CodeKind {
    /// Every kind, e.g. for tests and documentation.
    pub const ALL: [CodeKind; 5] = [
        CodeKind::Membership,
        CodeKind::Request,
        CodeKind::Tracking,
        CodeKind::Verification,
        CodeKind::Inquiry,
    ];

    /// Total number of digits, check digit included.
    ///
    /// Codes that grant access have 11 random digits after a non-zero first digit
    /// (9·10¹⁰ ≈ 2³⁶ values), which, with rate limiting at the API, makes guessing hopeless;
    /// sequential codes have room for a billion values.
    pub const fn code_len(self) -> usize {
        match self {
            CodeKind::Membership | CodeKind::Request | CodeKind::Inquiry => 10,
            CodeKind::Tracking | CodeKind::Verification => 12,
        }
    }

    /// Whether holding the code grants access to something, so it must be issued with
    /// [`CheckCode::generate_random`] and never from a sequence.
    pub const fn grants_access(self) -> bool {
        matches!(
            self,
            CodeKind::Membership | CodeKind::Tracking | CodeKind::Verification
        )
    }

    /// The Persian name of the code, as printed on forms and receipts.
    pub fn name_fa(self) -> &'static str {
        match self {
            CodeKind::Membership => "کد عضویت",
            CodeKind::Request => "شماره درخواست",
            CodeKind::Tracking => "کد رهگیری",
            CodeKind::Verification => "کد تصدیق",
            CodeKind::Inquiry => "شماره استعلام",
        }
    }
}

impl fmt::Display for CodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CodeKind::Membership => "membership code",
            CodeKind::Request => "request number",
            CodeKind::Tracking => "tracking code",
            CodeKind::Verification => "verification code",
            CodeKind::Inquiry => "inquiry number",
        })
    }
}

/// A code of a given [`CodeKind`] whose Damm check digit is correct.
///
/// Display and serialization give the bare ASCII digits. There is deliberately no
/// `Deserialize`: the kind is not in the string, so callers parse with
/// [`CheckCode::parse`] and the kind they expect.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CheckCode {
    kind: CodeKind,
    digits: String,
}

impl Serialize for CheckCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.digits)
    }
}

impl CheckCode {
    /// A new random code for a kind that grants access: a non-zero first digit, random digits,
    /// then the check digit.
    ///
    /// Requires a cryptographically secure generator (`rand::rng()` in production, a seeded
    /// `StdRng` in tests), so codes cannot be predicted from earlier ones.
    pub fn generate_random<R: Rng + CryptoRng + ?Sized>(kind: CodeKind, rng: &mut R) -> Self {
        let payload_len = kind.code_len() - 1;
        let mut payload = String::with_capacity(kind.code_len());
        payload.push(char::from(b'0' + rng.random_range(1..=9u8)));
        for _ in 1..payload_len {
            payload.push(char::from(b'0' + rng.random_range(0..=9u8)));
        }
        Self::with_check_digit(kind, payload)
    }

    /// A new code that starts with `prefix` (digits, e.g. the year) and goes on with random
    /// digits, then the check digit: a public number that says when it was given but not how
    /// many were given before it. `None` when the prefix is not digits or leaves no room.
    pub fn generate_with_prefix<R: Rng + ?Sized>(
        kind: CodeKind,
        prefix: &str,
        rng: &mut R,
    ) -> Option<Self> {
        let payload_len = kind.code_len() - 1;
        if !prefix.bytes().all(|b| b.is_ascii_digit()) || prefix.len() + 4 > payload_len {
            return None;
        }
        let mut payload = String::with_capacity(kind.code_len());
        payload.push_str(prefix);
        while payload.len() < payload_len {
            payload.push(char::from(b'0' + rng.random_range(0..=9u8)));
        }
        Some(Self::with_check_digit(kind, payload))
    }

    /// The code for sequence number `n` (e.g. from a database sequence): `n` zero-padded to
    /// the kind's length minus one, then the check digit.
    ///
    /// For kinds that do not grant access (request and inquiry numbers), where a readable,
    /// increasing number helps clerks. Fails with [`DomainError::SequenceExhausted`] when `n`
    /// no longer fits.
    pub fn from_sequence(kind: CodeKind, n: u64) -> Result<Self, DomainError> {
        let payload = format!("{n:0width$}", width = kind.code_len() - 1);
        if payload.len() != kind.code_len() - 1 {
            return Err(DomainError::SequenceExhausted { kind });
        }
        Ok(Self::with_check_digit(kind, payload))
    }

    /// Parses a code a person typed: trims spaces, accepts Persian and Arabic-Indic digits,
    /// and checks the length and the check digit.
    ///
    /// An inquiry number is printed on answers without the zeros that pad it (`175` for
    /// `0000000175`), so a shorter one is padded back before it is checked: leading zeros
    /// leave the Damm check digit unchanged, so the check still catches a mistyped digit.
    pub fn parse(kind: CodeKind, input: &str) -> Result<Self, DomainError> {
        let field = Field::Code(kind);
        let mut digits = clean(input);
        require_digits(field, &digits)?;
        if kind == CodeKind::Inquiry && digits.len() < kind.code_len() {
            digits = format!("{digits:0>width$}", width = kind.code_len());
        }
        if digits.len() != kind.code_len() {
            return Err(DomainError::WrongLength {
                field,
                expected: kind.code_len(),
                found: digits.len(),
            });
        }
        if damm(digits.bytes()) != 0 {
            return Err(DomainError::BadCheckDigit { field });
        }
        Ok(Self { kind, digits })
    }

    /// The kind of this code.
    pub fn kind(&self) -> CodeKind {
        self.kind
    }

    /// The ASCII digits, check digit included, for storage and lookups.
    pub fn as_str(&self) -> &str {
        &self.digits
    }

    /// Appends the Damm check digit to an ASCII-digit payload.
    fn with_check_digit(kind: CodeKind, mut payload: String) -> Self {
        let check = damm(payload.bytes());
        payload.push(char::from(b'0' + check));
        Self {
            kind,
            digits: payload,
        }
    }
}

impl fmt::Display for CheckCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.digits)
    }
}

/// Damm's totally anti-symmetric quasigroup of order 10 (zero diagonal).
const DAMM_TABLE: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/// Runs the Damm algorithm over ASCII digits: the result is the check digit for a payload, and
/// 0 for a payload followed by its correct check digit.
fn damm(ascii_digits: impl IntoIterator<Item = u8>) -> u8 {
    ascii_digits.into_iter().fold(0, |interim, digit| {
        DAMM_TABLE[usize::from(interim)][usize::from(digit - b'0')]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn a_prefixed_number_keeps_its_prefix_and_parses_back() {
        let mut rng = StdRng::seed_from_u64(11);
        let a = CheckCode::generate_with_prefix(CodeKind::Inquiry, "105", &mut rng).unwrap();
        let b = CheckCode::generate_with_prefix(CodeKind::Inquiry, "105", &mut rng).unwrap();
        assert!(a.as_str().starts_with("105") && b.as_str().starts_with("105"));
        assert_ne!(a, b, "the rest is random, not the next in a row");
        assert_eq!(CheckCode::parse(CodeKind::Inquiry, a.as_str()), Ok(a));
        assert!(CheckCode::generate_with_prefix(CodeKind::Inquiry, "12345678", &mut rng).is_none());
        assert!(CheckCode::generate_with_prefix(CodeKind::Inquiry, "1a", &mut rng).is_none());
    }

    #[test]
    fn damm_matches_the_published_example() {
        // Wikipedia: the check digit of 572 is 4, and 5724 validates.
        assert_eq!(damm(*b"572"), 4);
        assert_eq!(damm(*b"5724"), 0);
    }

    #[test]
    fn table_is_a_totally_anti_symmetric_quasigroup() {
        // These two properties are what make Damm catch every substitution (each row and
        // column is a permutation) and every adjacent swap (anti-symmetry), for any code.
        for i in 0..10 {
            let row: std::collections::HashSet<_> = DAMM_TABLE[i].iter().collect();
            let column: std::collections::HashSet<_> = DAMM_TABLE.iter().map(|r| r[i]).collect();
            assert_eq!((row.len(), column.len()), (10, 10));
            assert_eq!(DAMM_TABLE[i][i], 0);
        }
        for c in 0..10 {
            for x in 0..10 {
                for y in 0..10 {
                    if x != y {
                        let xy = DAMM_TABLE[usize::from(DAMM_TABLE[c][x])][y];
                        let yx = DAMM_TABLE[usize::from(DAMM_TABLE[c][y])][x];
                        assert_ne!(xy, yx, "interim {c}, digits {x}{y}");
                    }
                }
            }
        }
    }

    #[test]
    fn generated_codes_have_the_kind_length_a_non_zero_first_digit_and_parse() {
        let mut rng = StdRng::seed_from_u64(7);
        for kind in CodeKind::ALL {
            for _ in 0..200 {
                let code = CheckCode::generate_random(kind, &mut rng);
                assert_eq!(code.as_str().len(), kind.code_len());
                assert_ne!(code.as_str().as_bytes()[0], b'0');
                assert_eq!(CheckCode::parse(kind, code.as_str()), Ok(code));
            }
        }
    }

    #[test]
    fn random_codes_do_not_repeat() {
        let mut rng = StdRng::seed_from_u64(1);
        let codes: std::collections::HashSet<_> = (0..10_000)
            .map(|_| CheckCode::generate_random(CodeKind::Verification, &mut rng))
            .collect();
        assert_eq!(codes.len(), 10_000);
    }

    #[test]
    fn sequential_codes_are_zero_padded_and_run_out_cleanly() {
        let first = CheckCode::from_sequence(CodeKind::Inquiry, 1).unwrap();
        assert_eq!(first.as_str().len(), 10);
        assert!(first.as_str().starts_with("000000001"));
        assert_eq!(
            CheckCode::parse(CodeKind::Inquiry, first.as_str()),
            Ok(first)
        );
        assert!(CheckCode::from_sequence(CodeKind::Request, 999_999_999).is_ok());
        assert_eq!(
            CheckCode::from_sequence(CodeKind::Request, 1_000_000_000),
            Err(DomainError::SequenceExhausted {
                kind: CodeKind::Request
            })
        );
    }

    #[test]
    fn parse_accepts_persian_digits_and_reports_what_is_wrong() {
        let code = CheckCode::from_sequence(CodeKind::Request, 12_345).unwrap();
        let persian = crate::digits::to_persian_digits(&format!("  {code} "));
        assert_eq!(
            CheckCode::parse(CodeKind::Request, &persian),
            Ok(code.clone())
        );
        let field = Field::Code(CodeKind::Request);
        assert_eq!(
            CheckCode::parse(CodeKind::Request, &code.as_str()[1..]),
            Err(DomainError::WrongLength {
                field,
                expected: 10,
                found: 9
            })
        );
        assert_eq!(
            CheckCode::parse(CodeKind::Request, "00001234x5"),
            Err(DomainError::NonDigit { field })
        );
        assert_eq!(
            CheckCode::parse(CodeKind::Request, " "),
            Err(DomainError::Empty { field })
        );
        // A valid code of one kind is not accepted as another kind of a different length.
        let tracking =
            CheckCode::generate_random(CodeKind::Tracking, &mut StdRng::seed_from_u64(3));
        assert!(CheckCode::parse(CodeKind::Request, tracking.as_str()).is_err());
    }

    #[test]
    fn an_inquiry_number_parses_without_its_padding() {
        let code = CheckCode::from_sequence(CodeKind::Inquiry, 175).unwrap();
        let printed = code.as_str().trim_start_matches('0').to_owned();
        assert!(printed.len() < 10, "{printed}");
        assert_eq!(
            CheckCode::parse(CodeKind::Inquiry, &printed),
            Ok(code.clone())
        );
        let persian = crate::digits::to_persian_digits(&printed);
        assert_eq!(CheckCode::parse(CodeKind::Inquiry, &persian), Ok(code));
        // A mistyped digit is still caught, and other kinds keep their fixed length.
        let mut typo = printed.into_bytes();
        typo[0] = if typo[0] == b'9' { b'8' } else { typo[0] + 1 };
        let typo = String::from_utf8(typo).unwrap();
        assert_eq!(
            CheckCode::parse(CodeKind::Inquiry, &typo),
            Err(DomainError::BadCheckDigit {
                field: Field::Code(CodeKind::Inquiry)
            })
        );
        assert!(matches!(
            CheckCode::parse(CodeKind::Request, "1755"),
            Err(DomainError::WrongLength { .. })
        ));
    }

    #[test]
    fn serializes_as_the_bare_digits() {
        let code = CheckCode::from_sequence(CodeKind::Inquiry, 42).unwrap();
        assert_eq!(serde_json::to_string(&code).unwrap(), format!("\"{code}\""));
    }

    /// Every code that differs from `code` by one substituted digit or one swap of two
    /// different adjacent digits.
    fn typos(code: &str) -> Vec<String> {
        let bytes = code.as_bytes();
        let mut out = Vec::new();
        for pos in 0..bytes.len() {
            for digit in b'0'..=b'9' {
                if digit != bytes[pos] {
                    let mut typo = bytes.to_vec();
                    typo[pos] = digit;
                    out.push(String::from_utf8(typo).unwrap());
                }
            }
            if pos + 1 < bytes.len() && bytes[pos] != bytes[pos + 1] {
                let mut typo = bytes.to_vec();
                typo.swap(pos, pos + 1);
                out.push(String::from_utf8(typo).unwrap());
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn every_substitution_and_adjacent_swap_is_rejected(
            seed in any::<u64>(),
            kind in proptest::sample::select(CodeKind::ALL.to_vec()),
        ) {
            let code = CheckCode::generate_random(kind, &mut StdRng::seed_from_u64(seed));
            for typo in typos(code.as_str()) {
                prop_assert_eq!(
                    CheckCode::parse(kind, &typo),
                    Err(DomainError::BadCheckDigit { field: Field::Code(kind) }),
                    "{} accepted as a typo of {}", typo, code
                );
            }
        }

        #[test]
        fn sequential_codes_reject_typos_too(n in 0u64..1_000_000_000) {
            let code = CheckCode::from_sequence(CodeKind::Inquiry, n).unwrap();
            prop_assert_eq!(CheckCode::parse(CodeKind::Inquiry, code.as_str()), Ok(code.clone()));
            for typo in typos(code.as_str()) {
                prop_assert!(CheckCode::parse(CodeKind::Inquiry, &typo).is_err());
            }
        }
    }
}
