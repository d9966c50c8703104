//! The Iranian national code (کد ملی).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::digits::{clean, require_digits};
use crate::error::{DomainError, Field};

/// A valid 10-digit Iranian national code (کد ملی), stored as its ten ASCII digits.
///
/// It exists so that an owner or applicant is identified by a code that has passed the check
/// digit, instead of a free string in which one mistyped digit names another person.
///
/// Parsing accepts Persian, Arabic-Indic and ASCII digits, surrounding whitespace, hyphens as
/// printed on the national card (`۰۰۷-۶۲۲۹۶۴-۵`), and 8 or 9 digits (older codes whose leading
/// zeros were dropped are left-padded). Serialized as its 10-digit string.
///
/// The national check digit catches every single mistyped digit except one case the algorithm
/// itself cannot: remainders 1 and 10 both give check digit 1, so for codes ending in 1 some
/// typos in the first nine digits still pass (e.g. 8124158681 and 6124158681 are both valid).
/// The ten codes of one repeated digit pass the checksum and are rejected explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NationalCode([u8; 10]);

impl NationalCode {
    /// Number of digits of a national code.
    pub const LEN: usize = 10;

    /// Parses and validates a national code typed by a person.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let field = Field::NationalCode;
        let digits: String = clean(input).chars().filter(|&c| c != '-').collect();
        require_digits(field, &digits)?;
        if !(8..=Self::LEN).contains(&digits.len()) {
            return Err(DomainError::WrongLength {
                field,
                expected: Self::LEN,
                found: digits.len(),
            });
        }
        let mut code = [b'0'; 10];
        code[Self::LEN - digits.len()..].copy_from_slice(digits.as_bytes());
        if code.iter().all(|&d| d == code[0]) {
            return Err(DomainError::RepeatedDigits);
        }
        let values: [u8; 10] = code.map(|d| d - b'0');
        if check_digit(&values[..9]) != values[9] {
            return Err(DomainError::BadCheckDigit { field });
        }
        Ok(Self(code))
    }

    /// The ten ASCII digits, e.g. for storage or for a lookup key.
    pub fn as_str(&self) -> &str {
        // The array only ever holds ASCII digits (checked in `parse`), which are valid UTF-8.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// The check digit for the first nine digits (values 0–9) of a national code.
///
/// s = Σ d[i]·(10−i) for i = 0..8, r = s mod 11; the check digit is r when r < 2, else 11 − r.
pub(crate) fn check_digit(first_nine: &[u8]) -> u8 {
    let s: u32 = first_nine
        .iter()
        .zip((2..=10).rev())
        .map(|(&d, weight)| u32::from(d) * weight)
        .sum();
    let r = (s % 11) as u8;
    if r < 2 { r } else { 11 - r }
}

impl FromStr for NationalCode {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for NationalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for NationalCode {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<NationalCode> for String {
    fn from(code: NationalCode) -> Self {
        code.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const VALID: [&str; 2] = ["0076229645", "1583250689"];

    #[test]
    fn known_codes_are_valid() {
        for code in VALID {
            assert_eq!(NationalCode::parse(code).unwrap().as_str(), code);
        }
    }

    #[test]
    fn short_codes_are_left_padded() {
        assert_eq!(
            NationalCode::parse("11537027").unwrap().as_str(),
            "0011537027"
        );
        assert_eq!(
            NationalCode::parse("076229645").unwrap().as_str(),
            "0076229645"
        );
    }

    #[test]
    fn persian_arabic_digits_spaces_and_card_hyphens_are_accepted() {
        let expected = NationalCode::parse("0076229645").unwrap();
        for input in [
            "۰۰۷۶۲۲۹۶۴۵",
            "٠٠٧٦٢٢٩٦٤٥",
            "  ۰۰۷۶۲۲۹۶۴۵\n",
            "۰۰۷-۶۲۲۹۶۴-۵",
            "00٧٦۲۲9645",
        ] {
            assert_eq!(NationalCode::parse(input), Ok(expected), "{input}");
        }
    }

    #[test]
    fn repeated_digit_codes_are_rejected_though_they_pass_the_checksum() {
        for d in 0..10u8 {
            let code = d.to_string().repeat(10);
            let values = [d; 10];
            assert_eq!(check_digit(&values[..9]), d, "{code} passes the checksum");
            assert_eq!(NationalCode::parse(&code), Err(DomainError::RepeatedDigits));
        }
    }

    #[test]
    fn every_single_digit_typo_of_a_valid_code_is_rejected() {
        for code in VALID {
            for pos in 0..10 {
                for replacement in b'0'..=b'9' {
                    let mut typo = code.as_bytes().to_vec();
                    if typo[pos] == replacement {
                        continue;
                    }
                    typo[pos] = replacement;
                    let typo = String::from_utf8(typo).unwrap();
                    assert!(NationalCode::parse(&typo).is_err(), "{typo} accepted");
                }
            }
        }
    }

    #[test]
    fn wrong_lengths_and_letters_get_specific_errors() {
        assert!(matches!(
            NationalCode::parse("1234567"),
            Err(DomainError::WrongLength {
                expected: 10,
                found: 7,
                ..
            })
        ));
        assert!(matches!(
            NationalCode::parse("00762296451"),
            Err(DomainError::WrongLength { found: 11, .. })
        ));
        assert!(matches!(
            NationalCode::parse("00762a9645"),
            Err(DomainError::NonDigit { .. })
        ));
        assert!(matches!(
            NationalCode::parse("  "),
            Err(DomainError::Empty { .. })
        ));
        assert!(matches!(
            NationalCode::parse("0076229646"),
            Err(DomainError::BadCheckDigit { .. })
        ));
    }

    #[test]
    fn serde_uses_the_ten_digit_string_and_validates() {
        let code = NationalCode::parse("11537027").unwrap();
        assert_eq!(serde_json::to_string(&code).unwrap(), "\"0011537027\"");
        assert_eq!(
            serde_json::from_str::<NationalCode>("\"۰۰۷۶۲۲۹۶۴۵\"")
                .unwrap()
                .to_string(),
            "0076229645"
        );
        assert!(serde_json::from_str::<NationalCode>("\"0076229646\"").is_err());
    }

    #[test]
    fn the_official_checksum_misses_some_typos_when_the_check_digit_is_1() {
        // r = 1 and r = 10 both give check digit 1, so a typo that moves the remainder from one
        // to the other passes. This is the national algorithm; it cannot be changed here.
        assert!(NationalCode::parse("8124158681").is_ok());
        assert!(NationalCode::parse("6124158681").is_ok());
    }

    /// Nine random digits plus the computed check digit, excluding repeated-digit codes.
    fn valid_code() -> impl Strategy<Value = String> {
        proptest::collection::vec(0u8..10, 9)
            .prop_map(|mut digits| {
                digits.push(check_digit(&digits));
                digits
                    .iter()
                    .map(|d| char::from(b'0' + d))
                    .collect::<String>()
            })
            .prop_filter("repeated digits", |s| {
                s.bytes().any(|b| b != s.as_bytes()[0])
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Every single-digit substitution is rejected, except the unavoidable r = 1 ↔ r = 10
        /// collision, which can only happen when the check digit is 1.
        #[test]
        fn generated_codes_parse_and_substitutions_fail(code in valid_code()) {
            let parsed = NationalCode::parse(&code).unwrap();
            prop_assert_eq!(parsed.as_str(), code.as_str());
            for pos in 0..10 {
                for replacement in b'0'..=b'9' {
                    let mut typo = code.clone().into_bytes();
                    if typo[pos] == replacement {
                        continue;
                    }
                    typo[pos] = replacement;
                    let typo = String::from_utf8(typo).unwrap();
                    if NationalCode::parse(&typo).is_ok() {
                        prop_assert!(
                            code.ends_with('1') && pos < 9,
                            "{} accepted as a typo of {}", typo, code
                        );
                    }
                }
            }
        }
    }
}
