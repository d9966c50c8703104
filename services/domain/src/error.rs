//! The one error type of this crate.
//!
//! Every variant is something a person typed wrongly (or an amount too large to represent), so
//! each has an English [`Display`](std::fmt::Display) for logs and API `detail` fields and a
//! Persian [`DomainError::message_fa`] a citizen can act on. Neither contains internals: callers
//! may send both to clients as they are (HTTP 400 problem+json, gRPC `InvalidArgument`).

use std::fmt;

use crate::check_code::CodeKind;
use crate::digits::to_persian_digits;
use crate::jalali::{self, JalaliDate};
use crate::renovation_code::RenovationPart;

/// Which input an error is about, so that one error type can name the field in its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// A national code (کد ملی).
    NationalCode,
    /// A renovation code (کد نوسازی).
    RenovationCode,
    /// A Jalali or Gregorian date.
    Date,
    /// An amount of money in rials.
    Amount,
    /// One of the check-digit codes (membership code, tracking code, …).
    Code(CodeKind),
}

impl Field {
    /// The Persian name of the field, as shown in forms.
    pub fn name_fa(self) -> &'static str {
        match self {
            Field::NationalCode => "کد ملی",
            Field::RenovationCode => "کد نوسازی",
            Field::Date => "تاریخ",
            Field::Amount => "مبلغ",
            Field::Code(kind) => kind.name_fa(),
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::NationalCode => f.write_str("national code"),
            Field::RenovationCode => f.write_str("renovation code"),
            Field::Date => f.write_str("date"),
            Field::Amount => f.write_str("amount"),
            Field::Code(kind) => kind.fmt(f),
        }
    }
}

/// Why a value was rejected. See the module documentation for how callers use it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DomainError {
    /// Nothing (or only spaces) was entered.
    #[error("{field} is empty")]
    Empty {
        /// The field that was empty.
        field: Field,
    },
    /// A character other than a digit (or an accepted separator) was entered.
    #[error("{field} may contain only digits")]
    NonDigit {
        /// The field with the stray character.
        field: Field,
    },
    /// The number of digits is wrong.
    #[error("{field} must have {expected} digits, but {found} were entered")]
    WrongLength {
        /// The field with the wrong length.
        field: Field,
        /// How many digits the field has.
        expected: usize,
        /// How many digits were entered.
        found: usize,
    },
    /// The check digit does not match: almost always a mistyped digit.
    #[error("{field} is not valid; a digit was probably mistyped")]
    BadCheckDigit {
        /// The field whose check digit failed.
        field: Field,
    },
    /// A national code made of one repeated digit (these pass the checksum but are never issued).
    #[error("a national code cannot be one digit repeated")]
    RepeatedDigits,
    /// A renovation code without exactly six parts.
    #[error(
        "a renovation code has 6 parts (zone-district-block-parcel-building-unit), but {found} were entered"
    )]
    BadPartCount {
        /// How many parts were entered.
        found: usize,
    },
    /// A renovation code part that is empty, e.g. `1--3-4-5-6`.
    #[error("the {part} part of the renovation code is empty")]
    EmptyPart {
        /// The empty part.
        part: RenovationPart,
    },
    /// A renovation code part above the largest value the municipality issues.
    #[error("the {part} part of the renovation code must be at most {max}")]
    PartOutOfRange {
        /// The part that is too large.
        part: RenovationPart,
        /// The largest accepted value.
        max: u32,
    },
    /// A date not written as year/month/day.
    #[error("a date must be written as year/month/day, for example 1403/05/12")]
    BadDateFormat,
    /// A Jalali date that does not exist, e.g. month 13 or Esfand 30 in a common year.
    #[error("{year:04}/{month:02}/{day:02} is not a date in the Persian calendar")]
    ImpossibleDate {
        /// The year entered.
        year: i32,
        /// The month entered.
        month: u8,
        /// The day entered.
        day: u8,
    },
    /// A Gregorian date that does not exist, e.g. 2023-02-29.
    #[error("{year:04}-{month:02}-{day:02} is not a date in the Gregorian calendar")]
    ImpossibleGregorianDate {
        /// The year entered.
        year: i32,
        /// The month entered.
        month: u8,
        /// The day entered.
        day: u8,
    },
    /// A date outside the supported Jalali years ([`JalaliDate::MIN_YEAR`]..=[`JalaliDate::MAX_YEAR`]),
    /// typically a Gregorian date typed into a Jalali field.
    #[error(
        "dates must fall in the Jalali (Solar Hijri) years {} to {}",
        JalaliDate::MIN_YEAR,
        JalaliDate::MAX_YEAR
    )]
    DateOutOfRange,
    /// An amount too large to represent or a calculation that would overflow.
    #[error("the amount is too large")]
    Overflow,
    /// A sequential code whose sequence number no longer fits in the code's length.
    #[error("no more {kind} values can be issued at this length")]
    SequenceExhausted {
        /// The kind of code whose sequence ran out.
        kind: CodeKind,
    },
}

impl DomainError {
    /// A Persian message that tells a citizen what was wrong and what to do.
    pub fn message_fa(&self) -> String {
        let fa = |n: &dyn fmt::Display| to_persian_digits(&n.to_string());
        match self {
            DomainError::Empty { field } => format!("{} را وارد کنید.", field.name_fa()),
            DomainError::NonDigit { field } => {
                format!("{} فقط باید شامل رقم باشد.", field.name_fa())
            }
            DomainError::WrongLength {
                field,
                expected,
                found,
            } => format!(
                "{} باید {} رقم باشد، اما {} رقم وارد شده است.",
                field.name_fa(),
                fa(expected),
                fa(found)
            ),
            DomainError::BadCheckDigit { field } => format!(
                "{} معتبر نیست؛ احتمالاً یکی از رقم‌ها اشتباه وارد شده است. لطفاً دوباره بررسی کنید.",
                field.name_fa()
            ),
            DomainError::RepeatedDigits => {
                "کد ملی نمی‌تواند از تکرار یک رقم تشکیل شده باشد؛ کد ملی درج‌شده روی کارت ملی را وارد کنید."
                    .to_owned()
            }
            DomainError::BadPartCount { found } => format!(
                "کد نوسازی شش بخش دارد (منطقه-حوزه-بلوک-ملک-ساختمان-آپارتمان)، اما {} بخش وارد شده است.",
                fa(found)
            ),
            DomainError::EmptyPart { part } => {
                format!("بخش «{}» کد نوسازی خالی است.", part.name_fa())
            }
            DomainError::PartOutOfRange { part, max } => format!(
                "بخش «{}» کد نوسازی نباید بیشتر از {} باشد.",
                part.name_fa(),
                fa(max)
            ),
            DomainError::BadDateFormat => {
                "تاریخ را به صورت سال/ماه/روز وارد کنید، مثلاً ۱۴۰۳/۰۵/۱۲.".to_owned()
            }
            DomainError::ImpossibleDate { year, month, day } => {
                impossible_date_fa(*year, *month, *day)
            }
            DomainError::ImpossibleGregorianDate { year, month, day } => format!(
                "تاریخ میلادی {}-{:02}-{:02} وجود ندارد.",
                fa(year),
                fa(month),
                fa(day)
            ),
            DomainError::DateOutOfRange => format!(
                "سال تاریخ باید بین {} تا {} هجری شمسی باشد؛ اگر تاریخ میلادی وارد کرده‌اید، معادل شمسی آن را وارد کنید.",
                fa(&JalaliDate::MIN_YEAR),
                fa(&JalaliDate::MAX_YEAR)
            ),
            DomainError::Overflow => "مبلغ بیش از حد بزرگ است.".to_owned(),
            DomainError::SequenceExhausted { kind } => format!(
                "امکان صدور {} جدید وجود ندارد؛ لطفاً با پشتیبانی تماس بگیرید.",
                kind.name_fa()
            ),
        }
    }
}

/// Says precisely what is wrong with an impossible Jalali date: the month, or the day for that
/// month (naming how many days the month has that year).
fn impossible_date_fa(year: i32, month: u8, day: u8) -> String {
    let fa = |n: &dyn fmt::Display| to_persian_digits(&n.to_string());
    if !(JalaliDate::MIN_YEAR..=JalaliDate::MAX_YEAR).contains(&year) {
        return DomainError::DateOutOfRange.message_fa();
    }
    match jalali::days_in_month(year, month) {
        None => format!(
            "ماه باید بین ۱ تا ۱۲ باشد، اما {} وارد شده است.",
            fa(&month)
        ),
        Some(days) => format!(
            "{} {} {} روز دارد؛ روز {} در این ماه وجود ندارد.",
            jalali::month_name_fa(month).unwrap_or("این ماه"),
            fa(&year),
            fa(&days),
            fa(&day)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of every variant, as produced by the parsers.
    fn samples() -> Vec<DomainError> {
        use crate::{CheckCode, NationalCode, Rial};
        let request = CodeKind::Request;
        vec![
            NationalCode::parse("").unwrap_err(),
            NationalCode::parse("12a4567890").unwrap_err(),
            NationalCode::parse("1234567").unwrap_err(),
            NationalCode::parse("0076229646").unwrap_err(),
            NationalCode::parse("1111111111").unwrap_err(),
            crate::RenovationCode::parse("1-2-3").unwrap_err(),
            crate::RenovationCode::parse("1--3-4-5-6").unwrap_err(),
            crate::RenovationCode::parse("1-2-3-4-5-123456").unwrap_err(),
            JalaliDate::parse("12 مرداد").unwrap_err(),
            JalaliDate::parse("1404/12/30").unwrap_err(),
            JalaliDate::from_gregorian(2023, 2, 29).unwrap_err(),
            JalaliDate::parse("2024/03/20").unwrap_err(),
            Rial::new(i64::MAX).checked_add(Rial::new(1)).unwrap_err(),
            CheckCode::from_sequence(request, u64::MAX).unwrap_err(),
        ]
    }

    #[test]
    fn every_error_has_a_persian_message_without_latin_internals() {
        for error in samples() {
            let fa = error.message_fa();
            assert!(
                fa.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
                "{error:?}: {fa}"
            );
            assert!(
                !fa.chars().any(|c| c.is_ascii_alphabetic()),
                "{error:?}: {fa}"
            );
            assert!(!fa.chars().any(|c| c.is_ascii_digit()), "{error:?}: {fa}");
            assert!(!error.to_string().is_empty());
        }
    }

    #[test]
    fn messages_name_the_field_and_what_to_fix() {
        let wrong_length = DomainError::WrongLength {
            field: Field::NationalCode,
            expected: 10,
            found: 7,
        };
        assert_eq!(
            wrong_length.message_fa(),
            "کد ملی باید ۱۰ رقم باشد، اما ۷ رقم وارد شده است."
        );
        assert_eq!(
            wrong_length.to_string(),
            "national code must have 10 digits, but 7 were entered"
        );
        let typo = DomainError::BadCheckDigit {
            field: Field::Code(CodeKind::Tracking),
        };
        assert!(typo.message_fa().starts_with("کد رهگیری معتبر نیست"));
        assert_eq!(
            typo.to_string(),
            "tracking code is not valid; a digit was probably mistyped"
        );
    }

    #[test]
    fn a_gregorian_year_in_a_jalali_field_is_explained() {
        let error = JalaliDate::parse("2024/03/20").unwrap_err();
        assert_eq!(
            error.message_fa(),
            "سال تاریخ باید بین ۱۰۰۰ تا ۱۹۹۹ هجری شمسی باشد؛ اگر تاریخ میلادی وارد کرده‌اید، معادل شمسی آن را وارد کنید."
        );
        assert_eq!(
            error.to_string(),
            "dates must fall in the Jalali (Solar Hijri) years 1000 to 1999"
        );
    }

    #[test]
    fn impossible_dates_say_how_long_the_month_is() {
        let esfand = JalaliDate::parse("1404/12/30").unwrap_err();
        assert_eq!(
            esfand.message_fa(),
            "اسفند ۱۴۰۴ ۲۹ روز دارد؛ روز ۳۰ در این ماه وجود ندارد."
        );
        let month = JalaliDate::parse("1403/13/01").unwrap_err();
        assert_eq!(
            month.message_fa(),
            "ماه باید بین ۱ تا ۱۲ باشد، اما ۱۳ وارد شده است."
        );
    }
}
