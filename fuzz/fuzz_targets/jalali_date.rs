//! Jalali dates: typed text, a (year, month, day) triple and an instant either fail cleanly
//! or give a date that survives every conversion the system does with it.
#![no_main]

use estelam_domain::{JalaliDate, normalize_digits};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    text: &'a str,
    year: i32,
    month: u8,
    day: u8,
    unix_seconds: i64,
}

fn check(date: JalaliDate) {
    assert_eq!(JalaliDate::parse(&date.to_string()).ok(), Some(date));
    assert_eq!(
        JalaliDate::parse(&normalize_digits(&date.display_persian())).ok(),
        Some(date)
    );
    let (y, m, d) = date.to_gregorian();
    assert_eq!(JalaliDate::from_gregorian(y, m, d).ok(), Some(date));
    let start = date.start_in_iran_unix_seconds();
    assert_eq!(
        JalaliDate::from_unix_seconds_in_iran(start).ok(),
        Some(date)
    );
    assert_eq!(
        JalaliDate::from_unix_seconds_in_iran(start + 86_399).ok(),
        Some(date),
        "the last second of the day in Iran is still the same day"
    );
    let _ = date.display_persian_long();
    let _ = date.month_name_fa();
}

fuzz_target!(|input: Input<'_>| {
    if let Ok(date) = JalaliDate::parse(input.text) {
        check(date);
    }
    if let Ok(date) = JalaliDate::new(input.year, input.month, input.day) {
        assert_eq!(
            (date.year(), date.month(), date.day()),
            (input.year, input.month, input.day)
        );
        check(date);
    }
    if let Ok(date) = JalaliDate::from_unix_seconds_in_iran(input.unix_seconds) {
        check(date);
    }
    let _ = JalaliDate::from_gregorian(input.year, input.month, input.day);
});
