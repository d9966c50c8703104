//! Money in Iranian rials.

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::digits::{clean, to_persian_digits};
use crate::error::{DomainError, Field};

/// An amount of money in whole rials (ریال), the unit official Iranian amounts are kept in.
///
/// Money is never a float: every calculation is integer, checked, and returns
/// [`DomainError::Overflow`] instead of wrapping or panicking. Negative amounts are allowed
/// (credits, refunds). Serialized as a plain JSON integer.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Rial(i64);

impl Rial {
    /// Zero rials.
    pub const ZERO: Rial = Rial(0);

    /// Wraps an amount in rials.
    pub const fn new(rials: i64) -> Self {
        Self(rials)
    }

    /// The amount in rials, for storage and for the wire.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// `self + other`, or [`DomainError::Overflow`].
    pub fn checked_add(self, other: Rial) -> Result<Rial, DomainError> {
        self.0
            .checked_add(other.0)
            .map(Rial)
            .ok_or(DomainError::Overflow)
    }

    /// `self - other`, or [`DomainError::Overflow`].
    pub fn checked_sub(self, other: Rial) -> Result<Rial, DomainError> {
        self.0
            .checked_sub(other.0)
            .map(Rial)
            .ok_or(DomainError::Overflow)
    }

    /// `self × factor` (e.g. a monthly fee times a number of months), or [`DomainError::Overflow`].
    pub fn checked_mul(self, factor: i64) -> Result<Rial, DomainError> {
        self.0
            .checked_mul(factor)
            .map(Rial)
            .ok_or(DomainError::Overflow)
    }

    /// Sums amounts, e.g. the items of a bill, or [`DomainError::Overflow`].
    pub fn checked_sum(amounts: impl IntoIterator<Item = Rial>) -> Result<Rial, DomainError> {
        amounts
            .into_iter()
            .try_fold(Rial::ZERO, |total, amount| total.checked_add(amount))
    }

    /// `self × numerator / denominator`, rounded to the nearest rial with halves rounded away
    /// from zero (so 0.5 rial becomes 1, and −0.5 becomes −1: a refund rounds like a charge).
    ///
    /// Computed in `i128`, so the intermediate product never overflows; only a result that does
    /// not fit in `i64` is [`DomainError::Overflow`]. Tariff rates with fractions are written
    /// as a ratio: 2.5 per thousand is numerator 25 over denominator 10,000.
    pub fn mul_ratio(self, numerator: i64, denominator: NonZeroU32) -> Result<Rial, DomainError> {
        let product = i128::from(self.0) * i128::from(numerator);
        let den = i128::from(denominator.get());
        let quotient = product / den;
        let remainder = product % den;
        // Round half away from zero: compare twice the remainder with the denominator.
        let rounded = if 2 * remainder.abs() >= den {
            quotient + product.signum()
        } else {
            quotient
        };
        i64::try_from(rounded)
            .map(Rial)
            .map_err(|_| DomainError::Overflow)
    }

    /// `rate_per_mille` per thousand of this amount, e.g. the renewal levy of 5 per thousand of
    /// the assessed value: `assessed.per_mille(5)`. Rounding as in [`Rial::mul_ratio`].
    pub fn per_mille(self, rate_per_mille: i64) -> Result<Rial, DomainError> {
        const THOUSAND: NonZeroU32 = NonZeroU32::new(1000).expect("1000 is not zero");
        self.mul_ratio(rate_per_mille, THOUSAND)
    }

    /// The amount with Latin digits and `,` thousands separators: `-1,234,567`.
    ///
    /// For English pages, logs and CSV exports.
    pub fn format_latin(self) -> String {
        group_thousands(self.0, ',')
    }

    /// The amount with Persian digits and the Persian thousands separator `٬` (U+066C):
    /// `۱٬۲۳۴٬۵۶۷`, with a leading `-` for negative amounts.
    ///
    /// For the Persian portal, bills and answer documents.
    pub fn format_persian(self) -> String {
        to_persian_digits(&group_thousands(self.0, '\u{066C}'))
    }

    /// Parses an amount typed by a person: digits in any of the three digit sets, optionally
    /// grouped with `,` `٬` or `،`, with an optional leading `-`.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let field = Field::Amount;
        let cleaned = clean(input);
        let (negative, body) = match cleaned.strip_prefix(['-', '\u{2212}']) {
            Some(rest) => (true, rest),
            None => (false, cleaned.as_str()),
        };
        let digits: String = body
            .chars()
            .filter(|c| !matches!(c, ',' | '\u{066C}' | '\u{060C}'))
            .collect();
        crate::digits::require_digits(field, &digits)?;
        let significant = digits.trim_start_matches('0');
        if significant.len() > 19 {
            return Err(DomainError::Overflow);
        }
        // At most 19 ASCII digits always parse as i128; only "" (the amount was all zeros) fails.
        let magnitude: i128 = significant.parse().unwrap_or(0);
        let value = if negative { -magnitude } else { magnitude };
        i64::try_from(value)
            .map(Rial)
            .map_err(|_| DomainError::Overflow)
    }
}

/// Writes `value` in decimal with `separator` between groups of three digits.
fn group_thousands(value: i64, separator: char) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() * 2 + 1);
    if value < 0 {
        out.push('-');
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(digit);
    }
    out
}

impl fmt::Display for Rial {
    /// Latin grouping, as [`Rial::format_latin`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format_latin())
    }
}

impl FromStr for Rial {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<Rial> for i64 {
    fn from(amount: Rial) -> Self {
        amount.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ratio(n: i64, d: u32) -> impl Fn(i64) -> Result<Rial, DomainError> {
        move |v| Rial::new(v).mul_ratio(n, NonZeroU32::new(d).unwrap())
    }

    #[test]
    fn renewal_levy_is_five_per_thousand_rounded_half_up() {
        assert_eq!(
            Rial::new(2_000_000_000).per_mille(5),
            Ok(Rial::new(10_000_000))
        );
        // 1,100 × 5 / 1000 = 5.5 → 6; 1,099 × 5 / 1000 = 5.495 → 5; 1,300 → 6.5 → 7
        assert_eq!(Rial::new(1_100).per_mille(5), Ok(Rial::new(6)));
        assert_eq!(Rial::new(1_099).per_mille(5), Ok(Rial::new(5)));
        assert_eq!(Rial::new(1_300).per_mille(5), Ok(Rial::new(7)));
        assert_eq!(Rial::new(-1_100).per_mille(5), Ok(Rial::new(-6)));
        assert_eq!(Rial::new(-1_099).per_mille(5), Ok(Rial::new(-5)));
    }

    #[test]
    fn fractional_rates_are_ratios() {
        // 2.5 per thousand of 1,000,001 = 2,500.0025 → 2,500
        assert_eq!(ratio(25, 10_000)(1_000_001), Ok(Rial::new(2_500)));
        assert_eq!(ratio(1, 3)(2), Ok(Rial::new(1)));
        assert_eq!(ratio(1, 3)(1), Ok(Rial::new(0)));
    }

    #[test]
    fn large_intermediate_products_do_not_overflow() {
        // i64::MAX × 5 overflows i64, but the result / 1000 fits.
        assert_eq!(
            Rial::new(i64::MAX).per_mille(5),
            Ok(Rial::new(46_116_860_184_273_879))
        );
        assert_eq!(
            Rial::new(i64::MAX).per_mille(2000),
            Err(DomainError::Overflow)
        );
    }

    #[test]
    fn arithmetic_reports_overflow_instead_of_wrapping() {
        let max = Rial::new(i64::MAX);
        assert_eq!(max.checked_add(Rial::new(1)), Err(DomainError::Overflow));
        assert_eq!(
            Rial::new(i64::MIN).checked_sub(Rial::new(1)),
            Err(DomainError::Overflow)
        );
        assert_eq!(max.checked_mul(2), Err(DomainError::Overflow));
        assert_eq!(Rial::new(7).checked_mul(-3), Ok(Rial::new(-21)));
        assert_eq!(Rial::new(10).checked_sub(Rial::new(25)), Ok(Rial::new(-15)));
        assert_eq!(
            Rial::checked_sum([Rial::new(1), Rial::new(2), Rial::new(3)]),
            Ok(Rial::new(6))
        );
        assert_eq!(
            Rial::checked_sum([max, Rial::new(1)]),
            Err(DomainError::Overflow)
        );
    }

    #[test]
    fn formats_with_latin_and_persian_separators() {
        assert_eq!(Rial::new(1_234_567).format_latin(), "1,234,567");
        assert_eq!(Rial::new(1_234_567).format_persian(), "۱٬۲۳۴٬۵۶۷");
        assert_eq!(Rial::new(-1_234_567).format_latin(), "-1,234,567");
        assert_eq!(Rial::new(-1_234_567).format_persian(), "-۱٬۲۳۴٬۵۶۷");
        assert_eq!(Rial::new(0).format_persian(), "۰");
        assert_eq!(Rial::new(999).format_latin(), "999");
        assert_eq!(Rial::new(100_000).format_latin(), "100,000");
        assert_eq!(
            Rial::new(i64::MIN).format_latin(),
            "-9,223,372,036,854,775,808"
        );
    }

    #[test]
    fn parses_typed_amounts() {
        assert_eq!(Rial::parse("۱٬۲۳۴٬۵۶۷"), Ok(Rial::new(1_234_567)));
        assert_eq!(Rial::parse(" -1,234,567 "), Ok(Rial::new(-1_234_567)));
        assert_eq!(Rial::parse("٥٠٠٠"), Ok(Rial::new(5_000)));
        assert_eq!(Rial::parse("000"), Ok(Rial::ZERO));
        assert_eq!(
            Rial::parse("9223372036854775808"),
            Err(DomainError::Overflow)
        );
        assert_eq!(Rial::parse("-9223372036854775808"), Ok(Rial::new(i64::MIN)));
        assert_eq!(
            Rial::parse("99999999999999999999999999999999999999999"),
            Err(DomainError::Overflow)
        );
        assert!(matches!(
            Rial::parse("12.5"),
            Err(DomainError::NonDigit { .. })
        ));
        assert!(matches!(Rial::parse("-"), Err(DomainError::Empty { .. })));
    }

    #[test]
    fn serde_is_a_plain_integer() {
        assert_eq!(serde_json::to_string(&Rial::new(-42)).unwrap(), "-42");
        assert_eq!(
            serde_json::from_str::<Rial>("1500").unwrap(),
            Rial::new(1500)
        );
    }

    proptest! {
        #[test]
        fn both_formats_parse_back(v in any::<i64>()) {
            let amount = Rial::new(v);
            prop_assert_eq!(Rial::parse(&amount.format_latin()), Ok(amount));
            prop_assert_eq!(Rial::parse(&amount.format_persian()), Ok(amount));
        }

        #[test]
        fn mul_ratio_is_within_half_a_rial_of_the_exact_value(
            v in -1_000_000_000_000i64..1_000_000_000_000, n in 0i64..10_000, d in 1u32..100_000
        ) {
            let got = i128::from(ratio(n, d)(v).unwrap().get());
            let exact_times_d = i128::from(v) * i128::from(n);
            let d = i128::from(d);
            // |got − exact| ≤ 1/2  ⇔  |2·got·d − 2·exact·d| ≤ d
            prop_assert!((2 * got * d - 2 * exact_times_d).abs() <= d);
        }
    }
}
