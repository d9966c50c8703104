//! The renovation code (کد نوسازی), the municipality's parcel identifier.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::digits::{clean, is_separator};
use crate::error::{DomainError, Field};

/// The six parts of a renovation code, in order; used to name a part in error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RenovationPart {
    /// Municipal zone (منطقه).
    Zone,
    /// District within the zone (حوزه).
    District,
    /// Block within the district (بلوک).
    Block,
    /// Parcel within the block (ملک).
    Parcel,
    /// Building on the parcel (ساختمان); 0 when the parcel is not divided into buildings.
    Building,
    /// Unit in the building (آپارتمان); 0 for the whole building.
    Unit,
}

impl RenovationPart {
    /// All parts in the order they are written.
    pub const ALL: [RenovationPart; 6] = [
        RenovationPart::Zone,
        RenovationPart::District,
        RenovationPart::Block,
        RenovationPart::Parcel,
        RenovationPart::Building,
        RenovationPart::Unit,
    ];

    /// The Persian name of the part, as printed on municipal forms.
    pub fn name_fa(self) -> &'static str {
        match self {
            RenovationPart::Zone => "منطقه",
            RenovationPart::District => "حوزه",
            RenovationPart::Block => "بلوک",
            RenovationPart::Parcel => "ملک",
            RenovationPart::Building => "ساختمان",
            RenovationPart::Unit => "آپارتمان",
        }
    }
}

impl fmt::Display for RenovationPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RenovationPart::Zone => "zone",
            RenovationPart::District => "district",
            RenovationPart::Block => "block",
            RenovationPart::Parcel => "parcel",
            RenovationPart::Building => "building",
            RenovationPart::Unit => "unit",
        })
    }
}

/// A renovation code (کد نوسازی): zone-district-block-parcel-building-unit.
///
/// It is the key every parcel, levy and inquiry is filed under, so it has exactly one
/// canonical written form: the six numbers in decimal without leading zeros, joined by `-`,
/// e.g. `3-12-405-7-0-0`. That form is what [`Display`](fmt::Display), serde and storage use;
/// two inputs name the same parcel exactly when their canonical forms are equal.
///
/// Parsing accepts `-` or `/` (even mixed, and dash look-alikes), spaces around parts, leading
/// zeros and Persian / Arabic-Indic digits. Each part is 0..=[`RenovationCode::MAX_PART`].
/// Ordering is part by part, so sorted codes group by zone, district, block and so on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RenovationCode([u32; 6]);

impl RenovationCode {
    /// The largest value of any part; municipal registers use at most five digits per part.
    pub const MAX_PART: u32 = 99_999;

    /// Builds a code from its six parts, checking each against [`Self::MAX_PART`].
    pub fn new(
        zone: u32,
        district: u32,
        block: u32,
        parcel: u32,
        building: u32,
        unit: u32,
    ) -> Result<Self, DomainError> {
        Self::from_parts([zone, district, block, parcel, building, unit])
    }

    /// Builds a code from its six parts in written order.
    pub fn from_parts(parts: [u32; 6]) -> Result<Self, DomainError> {
        for (part, value) in RenovationPart::ALL.into_iter().zip(parts) {
            if value > Self::MAX_PART {
                return Err(DomainError::PartOutOfRange {
                    part,
                    max: Self::MAX_PART,
                });
            }
        }
        Ok(Self(parts))
    }

    /// Parses a renovation code typed by a person.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let field = Field::RenovationCode;
        let cleaned = clean(input);
        if cleaned.is_empty() {
            return Err(DomainError::Empty { field });
        }
        let texts: Vec<&str> = cleaned.split(is_separator).map(str::trim).collect();
        if texts.len() != 6 {
            return Err(DomainError::BadPartCount { found: texts.len() });
        }
        let mut parts = [0u32; 6];
        for ((slot, text), part) in parts.iter_mut().zip(texts).zip(RenovationPart::ALL) {
            if text.is_empty() {
                return Err(DomainError::EmptyPart { part });
            }
            if !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(DomainError::NonDigit { field });
            }
            let significant = text.trim_start_matches('0');
            let too_large = DomainError::PartOutOfRange {
                part,
                max: Self::MAX_PART,
            };
            if significant.len() > 5 {
                return Err(too_large);
            }
            *slot = if significant.is_empty() {
                0
            } else {
                significant.parse().map_err(|_| too_large)?
            };
        }
        Self::from_parts(parts)
    }

    /// The six parts in written order.
    pub fn parts(&self) -> [u32; 6] {
        self.0
    }

    /// Municipal zone (منطقه).
    pub fn zone(&self) -> u32 {
        self.0[0]
    }

    /// District within the zone (حوزه).
    pub fn district(&self) -> u32 {
        self.0[1]
    }

    /// Block within the district (بلوک).
    pub fn block(&self) -> u32 {
        self.0[2]
    }

    /// Parcel within the block (ملک).
    pub fn parcel(&self) -> u32 {
        self.0[3]
    }

    /// Building on the parcel (ساختمان).
    pub fn building(&self) -> u32 {
        self.0[4]
    }

    /// Unit in the building (آپارتمان).
    pub fn unit(&self) -> u32 {
        self.0[5]
    }
}

impl fmt::Display for RenovationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [z, d, b, p, bu, u] = self.0;
        write!(f, "{z}-{d}-{b}-{p}-{bu}-{u}")
    }
}

impl FromStr for RenovationCode {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for RenovationCode {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<RenovationCode> for String {
    fn from(code: RenovationCode) -> Self {
        code.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn separators_spaces_zeros_and_digit_sets_all_give_the_canonical_form() {
        for input in [
            "3-12-405-7-0-0",
            "3/12/405/7/0/0",
            "03-012/405 / 7-00-0",
            " ۳/۱۲/۴۰۵/۷/۰/۰ ",
            "٣-١٢-٤٠٥-٧-٠-٠",
            "3–12–405–7–0–0",
        ] {
            let code = RenovationCode::parse(input).unwrap();
            assert_eq!(code.to_string(), "3-12-405-7-0-0", "{input}");
        }
    }

    #[test]
    fn accessors_return_each_part() {
        let code = RenovationCode::parse("1-2-3-4-5-6").unwrap();
        assert_eq!(
            [
                code.zone(),
                code.district(),
                code.block(),
                code.parcel(),
                code.building(),
                code.unit()
            ],
            [1, 2, 3, 4, 5, 6]
        );
        assert_eq!(RenovationCode::new(1, 2, 3, 4, 5, 6), Ok(code));
    }

    #[test]
    fn malformed_codes_get_errors_naming_the_problem() {
        assert_eq!(
            RenovationCode::parse("1-2-3-4-5"),
            Err(DomainError::BadPartCount { found: 5 })
        );
        assert_eq!(
            RenovationCode::parse("1-2-3-4-5-6-7"),
            Err(DomainError::BadPartCount { found: 7 })
        );
        assert_eq!(
            RenovationCode::parse("1--3-4-5-6"),
            Err(DomainError::EmptyPart {
                part: RenovationPart::District
            })
        );
        assert_eq!(
            RenovationCode::parse("1-2-3-4-5-100000"),
            Err(DomainError::PartOutOfRange {
                part: RenovationPart::Unit,
                max: 99_999
            })
        );
        assert_eq!(
            RenovationCode::parse("1-2-3-4-5-99999999999999999999"),
            Err(DomainError::PartOutOfRange {
                part: RenovationPart::Unit,
                max: 99_999
            })
        );
        assert!(matches!(
            RenovationCode::parse("1-2-3a-4-5-6"),
            Err(DomainError::NonDigit { .. })
        ));
        assert!(matches!(
            RenovationCode::parse(""),
            Err(DomainError::Empty { .. })
        ));
        assert!(RenovationCode::new(100_000, 0, 0, 0, 0, 0).is_err());
    }

    #[test]
    fn serde_uses_the_canonical_string() {
        let code = RenovationCode::parse("03/12/405/7/0/0").unwrap();
        assert_eq!(serde_json::to_string(&code).unwrap(), "\"3-12-405-7-0-0\"");
        let back: RenovationCode = serde_json::from_str("\"۳/۱۲/۴۰۵/۷/۰/۰\"").unwrap();
        assert_eq!(back, code);
        assert!(serde_json::from_str::<RenovationCode>("\"3-12\"").is_err());
    }

    fn parts() -> impl Strategy<Value = [u32; 6]> {
        proptest::array::uniform6(0..=RenovationCode::MAX_PART)
    }

    proptest! {
        #[test]
        fn canonical_form_round_trips(parts in parts()) {
            let code = RenovationCode::from_parts(parts).unwrap();
            prop_assert_eq!(code.parts(), parts);
            prop_assert_eq!(RenovationCode::parse(&code.to_string()), Ok(code));
        }

        #[test]
        fn any_accepted_spelling_parses_to_the_same_code(
            parts in parts(),
            seps in proptest::collection::vec(prop_oneof![Just("-"), Just("/"), Just(" / ")], 5),
            zeros in proptest::collection::vec(0usize..3, 6),
            persian in any::<bool>(),
        ) {
            let mut text = String::new();
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    text.push_str(seps[i - 1]);
                }
                text.push_str(&"0".repeat(zeros[i]));
                text.push_str(&part.to_string());
            }
            if persian {
                text = crate::digits::to_persian_digits(&text);
            }
            let code = RenovationCode::parse(&text).unwrap();
            prop_assert_eq!(code.parts(), parts);
        }
    }
}
