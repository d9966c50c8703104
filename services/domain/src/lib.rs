//! Estelam domain value types, with no I/O.
//!
//! Everything a person types into Estelam that has a fixed shape is parsed here once, into a
//! type that can only hold a valid value: [`NationalCode`], [`RenovationCode`], [`Rial`],
//! [`JalaliDate`] and the check-digit codes ([`CheckCode`] of a [`CodeKind`]). Every parser
//! trims surrounding whitespace and accepts Persian (۰–۹), Arabic-Indic (٠–٩) and ASCII digits
//! ([`normalize_digits`]). Names are compared through [`names_match`]; every free-text field (names, letter numbers,
//! notes, reasons) is cleaned once through [`clean_text`] before it is stored, compared or signed.
//!
//! Every failure is a [`DomainError`], whose English `Display` and Persian
//! [`DomainError::message_fa`] are safe to show to the person who typed the value.
//!
//! The crate reads no clock and no random source of its own: "today" and random codes take the
//! instant and the generator as arguments, so every function is deterministic under test.
//!
//! ```
//! use estelam_domain::{JalaliDate, NationalCode, RenovationCode, Rial};
//!
//! let owner: NationalCode = "۰۰۷-۶۲۲۹۶۴-۵".parse()?;
//! assert_eq!(owner.as_str(), "0076229645");
//!
//! let parcel = RenovationCode::parse("03/12/405/7/0/0")?;
//! assert_eq!(parcel.to_string(), "3-12-405-7-0-0");
//!
//! let levy = Rial::new(2_450_000_000).per_mille(5)?;
//! assert_eq!(levy.format_persian(), "۱۲٬۲۵۰٬۰۰۰");
//!
//! let letter_date = JalaliDate::parse("۱۴۰۳/۰۱/۰۱")?;
//! assert_eq!(letter_date.to_gregorian(), (2024, 3, 20));
//!
//! let typo = NationalCode::parse("0076229646").unwrap_err();
//! assert!(typo.message_fa().starts_with("کد ملی معتبر نیست"));
//! # Ok::<(), estelam_domain::DomainError>(())
//! ```

pub mod check_code;
pub mod digits;
pub mod error;
pub mod jalali;
pub mod names;
pub mod national_code;
pub mod renovation_code;
pub mod rial;
pub mod text;

pub use check_code::{CheckCode, CodeKind};
pub use digits::{normalize_digits, to_persian_digits};
pub use error::{DomainError, Field};
pub use jalali::{IRAN_UTC_OFFSET_SECONDS, JalaliDate};
pub use names::{fold_name, name_key, names_match};
pub use national_code::NationalCode;
pub use renovation_code::{RenovationCode, RenovationPart};
pub use rial::Rial;
pub use text::{TextError, TextField, clean_text};
