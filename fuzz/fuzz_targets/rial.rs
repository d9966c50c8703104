//! Rial amounts: typed text either fails cleanly or parses to an amount that every format
//! writes back exactly; arithmetic on any amounts reports overflow instead of panicking.
#![no_main]

use std::num::NonZeroU32;

use estelam_domain::{Rial, normalize_digits};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    text: &'a str,
    a: i64,
    b: i64,
    denominator: u32,
}

fuzz_target!(|input: Input<'_>| {
    if let Ok(amount) = Rial::parse(input.text) {
        assert_eq!(Rial::parse(&amount.format_latin()).ok(), Some(amount));
        assert_eq!(Rial::parse(&amount.format_persian()).ok(), Some(amount));
        assert_eq!(Rial::parse(&amount.to_string()).ok(), Some(amount));
        assert_eq!(
            normalize_digits(&amount.format_persian()).replace('\u{066C}', ","),
            amount.format_latin()
        );
    }
    let (a, b) = (Rial::new(input.a), Rial::new(input.b));
    assert_eq!(
        a.checked_add(b).ok().map(i64::from),
        input.a.checked_add(input.b)
    );
    assert_eq!(
        a.checked_sub(b).ok().map(i64::from),
        input.a.checked_sub(input.b)
    );
    assert_eq!(
        a.checked_mul(input.b).ok().map(i64::from),
        input.a.checked_mul(input.b)
    );
    let _ = Rial::checked_sum([a, b, a]);
    let _ = a.per_mille(input.b);
    if let Some(d) = NonZeroU32::new(input.denominator) {
        let _ = a.mul_ratio(input.b, d);
    }
    assert_eq!(Rial::parse(&a.format_latin()).ok(), Some(a));
});
