//! Estelam domain value types, with no I/O.
//!
//! Everything a person types into Estelam that has a fixed shape is parsed here once, into a
//! type that can only hold a valid value: [`NationalCode`], [`RenovationCode`], [`Rial`],
//! [`JalaliDate`] and the check-digit codes ([`CheckCode`] of a [`CodeKind`]). Every parser
//! trims surrounding whitespace and accepts Persian (۰–۹), Arabic-Indic (٠–٩) and ASCII digits
//! ([`normalize_digits`]). Names are compared through [`names_match`].
//!
//! Every failure is a [`DomainError`], whose English `Display` and Persian
//! [`DomainError::message_fa`] are safe to show to the person who typed the value.
//!
//! The crate reads no clock and no random source of its own: "today" and random codes take the
//! instant and the generator as arguments, so every function is deterministic under test.

pub mod check_code;
pub mod digits;
pub mod error;
pub mod jalali;
pub mod names;
pub mod national_code;
pub mod renovation_code;
pub mod rial;

pub use check_code::{CheckCode, CodeKind};
pub use digits::{normalize_digits, to_persian_digits};
pub use error::{DomainError, Field};
pub use jalali::{IRAN_UTC_OFFSET_SECONDS, JalaliDate};
pub use names::{fold_name, name_key, names_match};
pub use national_code::NationalCode;
pub use renovation_code::{RenovationCode, RenovationPart};
pub use rial::Rial;
