//! Shares of a property in dang (دانگ): exact fractions, so that owners' shares add up to
//! exactly 6 dang with no floating point (⅓ + ⅓ + ⅓ of a dang is exactly one dang).

use std::cmp::Ordering;
use std::fmt;

use estelam_domain::normalize_digits;

/// An exact, non-negative share in dang, always kept in lowest terms with a positive
/// denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dang {
    numerator: i64,
    denominator: i64,
}

/// The greatest common divisor (non-negative), for keeping fractions in lowest terms.
pub(crate) fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Dang {
    /// The whole property: 6 dang.
    pub const WHOLE: Dang = Dang {
        numerator: 6,
        denominator: 1,
    };

    /// `numerator / denominator` dang in lowest terms; `None` when the denominator is not
    /// positive or the numerator is negative.
    pub fn new(numerator: i64, denominator: i64) -> Option<Self> {
        if denominator <= 0 || numerator < 0 {
            return None;
        }
        let g = gcd(i128::from(numerator), i128::from(denominator)).max(1);
        Some(Self {
            numerator: i64::try_from(i128::from(numerator) / g).ok()?,
            denominator: i64::try_from(i128::from(denominator) / g).ok()?,
        })
    }

    /// Whole dang.
    pub fn whole(n: i64) -> Self {
        Self {
            numerator: n,
            denominator: 1,
        }
    }

    /// Numerator in lowest terms.
    pub fn numerator(self) -> i64 {
        self.numerator
    }

    /// Denominator in lowest terms (at least 1).
    pub fn denominator(self) -> i64 {
        self.denominator
    }

    /// Parses `3`, `3/2`, `۱/۳` or `2.5` (decimal dang with at most 4 places).
    pub fn parse(s: &str) -> Option<Self> {
        let s = normalize_digits(s.trim());
        if let Some((n, d)) = s.split_once('/') {
            return Self::new(n.trim().parse().ok()?, d.trim().parse().ok()?);
        }
        if let Some((whole, frac)) = s.split_once('.') {
            if frac.is_empty() || frac.len() > 4 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let den = 10i64.pow(u32::try_from(frac.len()).ok()?);
            let whole: i64 = if whole.is_empty() {
                0
            } else {
                whole.parse().ok()?
            };
            let frac: i64 = frac.parse().ok()?;
            return Self::new(whole.checked_mul(den)?.checked_add(frac)?, den);
        }
        Some(Self::whole(s.parse().ok().filter(|n: &i64| *n >= 0)?))
    }

    /// The exact sum of shares; `None` on overflow (absurd denominators).
    pub fn sum(shares: impl IntoIterator<Item = Dang>) -> Option<Dang> {
        let (mut n, mut d) = (0i128, 1i128);
        for s in shares {
            n = n
                .checked_mul(i128::from(s.denominator))?
                .checked_add(i128::from(s.numerator).checked_mul(d)?)?;
            d = d.checked_mul(i128::from(s.denominator))?;
            let g = gcd(n, d).max(1);
            n /= g;
            d /= g;
        }
        Some(Dang {
            numerator: i64::try_from(n).ok()?,
            denominator: i64::try_from(d).ok()?,
        })
    }
}

impl PartialOrd for Dang {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Dang {
    fn cmp(&self, other: &Self) -> Ordering {
        (i128::from(self.numerator) * i128::from(other.denominator))
            .cmp(&(i128::from(other.numerator) * i128::from(self.denominator)))
    }
}

impl fmt::Display for Dang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.denominator == 1 {
            write!(f, "{}", self.numerator)
        } else {
            write!(f, "{}/{}", self.numerator, self.denominator)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dang_parses_every_written_form() {
        assert_eq!(Dang::parse("۳"), Some(Dang::whole(3)));
        assert_eq!(Dang::parse("5/2"), Dang::new(5, 2));
        assert_eq!(Dang::parse("2.5"), Dang::new(5, 2));
        assert_eq!(Dang::parse("1/0"), None);
        assert_eq!(Dang::parse("-1"), None);
    }
}
