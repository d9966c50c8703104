//! Dates in the Persian (Solar Hijri, Jalali) calendar.
//!
//! People in Iran read and write dates in the Jalali calendar; the system keeps UTC instants
//! and converts at the edges. The calendar arithmetic (month lengths, leap years, conversion to
//! and from Gregorian) is ICU4X's [`Persian`] calendar; this module adds parsing, display and
//! the Iran time zone, and does no I/O: "today" is always computed from an instant the caller
//! passes in.
//!
//! # Time zone
//!
//! Iran Standard Time is UTC+03:30. Iran abolished daylight saving time in 2022 (from 1401),
//! so this crate uses the fixed offset [`IRAN_UTC_OFFSET_SECONDS`]. For instants before
//! 2022-09-22 that fell inside a former summer-time period, the date of the hour between
//! 23:00 and 24:00 local summer time comes out one day late; the system only converts current
//! instants (issue times, payment times), so this is documented rather than modelled.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use icu_calendar::cal::Persian;
use icu_calendar::types::RataDie;
use icu_calendar::{Date, Gregorian};
use serde::{Deserialize, Serialize};

use crate::digits::{clean, is_separator, to_persian_digits};
use crate::error::DomainError;

/// Iran Standard Time, UTC+03:30, in seconds. Fixed: Iran has had no daylight saving since 2022.
pub const IRAN_UTC_OFFSET_SECONDS: i64 = 3 * 3600 + 30 * 60;

const SECONDS_PER_DAY: i64 = 86_400;

/// The rata die (days since 0001-01-01 proleptic Gregorian, which is day 1) of 1970-01-01.
const UNIX_EPOCH_RATA_DIE: i64 = 719_163;

/// Persian month names, Farvardin to Esfand.
const MONTH_NAMES_FA: [&str; 12] = [
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
];

/// A valid day in the Persian (Jalali, Solar Hijri) calendar, e.g. 1403/05/12.
///
/// It exists so that a date a person typed (a letter date, a deed date) is checked once against
/// the real calendar — month 1–12, 31 days in months 1–6, 30 in 7–11, Esfand 29 or 30
/// depending on the calendar's leap years — and then carried as a value that is always valid.
///
/// Years are limited to [`JalaliDate::MIN_YEAR`]..=[`JalaliDate::MAX_YEAR`]: that covers every
/// date a municipal record carries, and it turns a Gregorian date typed by mistake into the
/// Jalali field (`2024/03/20`) into a clear error instead of a date six centuries ahead.
///
/// Written `1403/05/12` ([`Display`](fmt::Display), serde); ordered chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JalaliDate {
    // Field order matters: the derived ordering is chronological.
    year: i32,
    month: u8,
    day: u8,
}

impl JalaliDate {
    /// The earliest supported year (1000 AP = 1621 CE).
    pub const MIN_YEAR: i32 = 1000;
    /// The latest supported year (1999 AP = 2620 CE).
    pub const MAX_YEAR: i32 = 1999;

    /// A date from its year, month (1 = Farvardin … 12 = Esfand) and day, if it exists.
    pub fn new(year: i32, month: u8, day: u8) -> Result<Self, DomainError> {
        if !(Self::MIN_YEAR..=Self::MAX_YEAR).contains(&year) {
            return Err(DomainError::DateOutOfRange);
        }
        Date::try_new_persian(year, month, day).map_err(|_| DomainError::ImpossibleDate {
            year,
            month,
            day,
        })?;
        Ok(Self { year, month, day })
    }

    /// Parses `1403/05/12`, `1403-5-12`, `۱۴۰۳/۰۵/۱۲` or `١٤٠٣/٠٥/١٢`: a four-digit year, then a
    /// month and a day of one or two digits, separated by `/` or `-`.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let cleaned = clean(input);
        let parts: Vec<&str> = cleaned.split(is_separator).map(str::trim).collect();
        let [year, month, day] = parts.as_slice() else {
            return Err(DomainError::BadDateFormat);
        };
        let number = |text: &str, max_len: usize| -> Result<u16, DomainError> {
            if (1..=max_len).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) {
                text.parse().map_err(|_| DomainError::BadDateFormat)
            } else {
                Err(DomainError::BadDateFormat)
            }
        };
        if year.len() != 4 {
            return Err(DomainError::BadDateFormat);
        }
        let year = i32::from(number(year, 4)?);
        let month = u8::try_from(number(month, 2)?).map_err(|_| DomainError::BadDateFormat)?;
        let day = u8::try_from(number(day, 2)?).map_err(|_| DomainError::BadDateFormat)?;
        Self::new(year, month, day)
    }

    /// The year, e.g. 1403.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// The month, 1 (Farvardin) to 12 (Esfand).
    pub fn month(&self) -> u8 {
        self.month
    }

    /// The day of the month, 1 to 31.
    pub fn day(&self) -> u8 {
        self.day
    }

    /// Whether this date's year is a leap year (Esfand has 30 days), per the ICU calendar.
    pub fn is_in_leap_year(&self) -> bool {
        self.to_icu().is_in_leap_year()
    }

    /// The Persian name of this date's month, e.g. «مرداد».
    pub fn month_name_fa(&self) -> &'static str {
        MONTH_NAMES_FA[usize::from(self.month - 1)]
    }

    /// The date with Persian digits, `۱۴۰۳/۰۵/۱۲`, for Persian pages and documents.
    pub fn display_persian(&self) -> String {
        to_persian_digits(&self.to_string())
    }

    /// The date in words as Persian letters and documents write it: `۱۲ مرداد ۱۴۰۳`.
    pub fn display_persian_long(&self) -> String {
        to_persian_digits(&format!(
            "{} {} {}",
            self.day,
            self.month_name_fa(),
            self.year
        ))
    }

    /// The Jalali date of a Gregorian (year, month, day).
    pub fn from_gregorian(year: i32, month: u8, day: u8) -> Result<Self, DomainError> {
        let gregorian = Date::try_new_gregorian(year, month, day)
            .map_err(|_| DomainError::ImpossibleGregorianDate { year, month, day })?;
        Self::from_icu(gregorian.to_calendar(Persian))
    }

    /// This date in the Gregorian calendar, as (year, month, day).
    pub fn to_gregorian(&self) -> (i32, u8, u8) {
        let g = self.to_icu().to_calendar(Gregorian);
        (
            g.year().extended_year(),
            g.month().ordinal,
            g.day_of_month().0,
        )
    }

    /// The date in Iran at a UTC instant given as Unix seconds.
    pub fn from_unix_seconds_in_iran(unix_seconds: i64) -> Result<Self, DomainError> {
        let local = unix_seconds
            .checked_add(IRAN_UTC_OFFSET_SECONDS)
            .ok_or(DomainError::DateOutOfRange)?;
        let days = local.div_euclid(SECONDS_PER_DAY);
        // About 2,700 years either side of 1970: far beyond the supported years, well inside
        // ICU's range (so it never clamps), and no overflow below.
        if days.abs() > 1_000_000 {
            return Err(DomainError::DateOutOfRange);
        }
        Self::from_icu(Date::from_rata_die(
            RataDie::new(UNIX_EPOCH_RATA_DIE + days),
            Persian,
        ))
    }

    /// Today's date in Iran at the instant `now`. The caller reads the clock (or passes a
    /// fixed instant in tests); this crate never does.
    pub fn today_in_iran(now: SystemTime) -> Result<Self, DomainError> {
        let seconds = match now.duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_secs()).map_err(|_| DomainError::DateOutOfRange)?,
            Err(before) => {
                // Round towards the past, so 0.5 s before the epoch is still 1969-12-31.
                let before = before.duration();
                let whole =
                    i64::try_from(before.as_secs()).map_err(|_| DomainError::DateOutOfRange)?;
                -whole - i64::from(before.subsec_nanos() > 0)
            }
        };
        Self::from_unix_seconds_in_iran(seconds)
    }

    /// The UTC instant (Unix seconds) at which this date begins in Iran (00:00 UTC+03:30), so
    /// that "letters dated on or after 1403/05/12" can be queried against UTC timestamps.
    pub fn start_in_iran_unix_seconds(&self) -> i64 {
        let days = self.to_icu().to_rata_die().to_i64_date() - UNIX_EPOCH_RATA_DIE;
        days * SECONDS_PER_DAY - IRAN_UTC_OFFSET_SECONDS
    }

    /// The ICU date for this (already validated) date.
    fn to_icu(self) -> Date<Persian> {
        Date::try_new_persian(self.year, self.month, self.day)
            .expect("JalaliDate fields are validated against the same calendar in JalaliDate::new")
    }

    /// Wraps an ICU Persian date, checking the supported year range.
    fn from_icu(date: Date<Persian>) -> Result<Self, DomainError> {
        let year = date.year().extended_year();
        if !(Self::MIN_YEAR..=Self::MAX_YEAR).contains(&year) {
            return Err(DomainError::DateOutOfRange);
        }
        Ok(Self {
            year,
            month: date.month().ordinal,
            day: date.day_of_month().0,
        })
    }
}

/// The number of days of a month in a year (31 for months 1–6, 30 for 7–11, 29 or 30 for
/// Esfand), or `None` for a month outside 1–12 or a year outside the supported range.
///
/// For date pickers and for telling a person how long the month they typed is.
pub fn days_in_month(year: i32, month: u8) -> Option<u8> {
    if !(JalaliDate::MIN_YEAR..=JalaliDate::MAX_YEAR).contains(&year) {
        return None;
    }
    Date::try_new_persian(year, month, 1)
        .ok()
        .map(|d| d.days_in_month())
}

/// Whether a year is a leap year (Esfand has 30 days), per the ICU Persian calendar; `None`
/// for a year outside the supported range.
pub fn is_leap_year(year: i32) -> Option<bool> {
    JalaliDate::new(year, 1, 1)
        .ok()
        .map(|d| d.is_in_leap_year())
}

/// The Persian name of a month (1 = فروردین … 12 = اسفند), or `None` outside 1–12.
pub fn month_name_fa(month: u8) -> Option<&'static str> {
    MONTH_NAMES_FA
        .get(usize::from(month).checked_sub(1)?)
        .copied()
}

impl fmt::Display for JalaliDate {
    /// `1403/05/12`: four-digit year, two-digit month and day, `/` separated.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}/{:02}/{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for JalaliDate {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for JalaliDate {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<JalaliDate> for String {
    fn from(date: JalaliDate) -> Self {
        date.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn date(y: i32, m: u8, d: u8) -> JalaliDate {
        JalaliDate::new(y, m, d).unwrap()
    }

    #[test]
    fn first_of_farvardin_1403_is_2024_03_20() {
        assert_eq!(date(1403, 1, 1).to_gregorian(), (2024, 3, 20));
        assert_eq!(
            JalaliDate::from_gregorian(2024, 3, 20),
            Ok(date(1403, 1, 1))
        );
        assert_eq!(
            JalaliDate::from_gregorian(2024, 3, 19),
            Ok(date(1402, 12, 29))
        );
    }

    #[test]
    fn parses_both_separators_and_all_digit_sets() {
        let expected = date(1403, 5, 12);
        for input in [
            "1403/05/12",
            "1403-05-12",
            "1403/5/12",
            " ۱۴۰۳/۰۵/۱۲ ",
            "١٤٠٣/٠٥/١٢",
            "۱۴۰۳-۵-۱۲",
            "1403 / 05 / 12",
        ] {
            assert_eq!(JalaliDate::parse(input), Ok(expected), "{input}");
        }
    }

    #[test]
    fn rejects_malformed_and_impossible_dates() {
        for input in [
            "",
            "1403/05",
            "1403/05/12/1",
            "03/05/12",
            "1403/005/12",
            "1403/05/1x",
        ] {
            assert_eq!(
                JalaliDate::parse(input),
                Err(DomainError::BadDateFormat),
                "{input}"
            );
        }
        for (y, m, d) in [
            (1403, 13, 1),
            (1403, 0, 1),
            (1403, 1, 0),
            (1403, 1, 32),
            (1403, 7, 31),
        ] {
            assert_eq!(
                JalaliDate::new(y, m, d),
                Err(DomainError::ImpossibleDate {
                    year: y,
                    month: m,
                    day: d
                })
            );
        }
        assert_eq!(
            JalaliDate::parse("2024/03/20"),
            Err(DomainError::DateOutOfRange)
        );
        assert!(matches!(
            JalaliDate::from_gregorian(2023, 2, 29),
            Err(DomainError::ImpossibleGregorianDate { .. })
        ));
    }

    #[test]
    fn month_lengths_follow_the_calendar() {
        for month in 1..=6 {
            assert_eq!(days_in_month(1402, month), Some(31));
        }
        for month in 7..=11 {
            assert_eq!(days_in_month(1402, month), Some(30));
        }
        assert_eq!(days_in_month(1402, 13), None);
        assert!(JalaliDate::new(1402, 6, 31).is_ok());
        assert!(JalaliDate::new(1402, 7, 31).is_err());
    }

    #[test]
    fn esfand_30_exists_only_in_leap_years() {
        // ICU's leap years agree with the official calendar: 1399 and 1403 are leap,
        // 1402 and 1404 are not.
        assert_eq!(is_leap_year(1399), Some(true));
        assert_eq!(is_leap_year(1403), Some(true));
        assert_eq!(is_leap_year(1402), Some(false));
        assert_eq!(is_leap_year(1404), Some(false));
        assert!(JalaliDate::parse("1403/12/30").is_ok());
        assert_eq!(
            JalaliDate::parse("1404/12/30"),
            Err(DomainError::ImpossibleDate {
                year: 1404,
                month: 12,
                day: 30
            })
        );
        assert!(JalaliDate::parse("1404/12/29").is_ok());
        // The day after 1403/12/30 is Nowruz 1404 = 2025-03-21.
        assert_eq!(date(1403, 12, 30).to_gregorian(), (2025, 3, 20));
        assert_eq!(date(1404, 1, 1).to_gregorian(), (2025, 3, 21));
    }

    #[test]
    fn every_day_of_1300_to_1500_round_trips_through_gregorian() {
        let mut days = 0;
        let mut previous: Option<(i32, u8, u8)> = None;
        for year in 1300..=1500 {
            for month in 1..=12 {
                let len = days_in_month(year, month).unwrap();
                assert!(len >= 29);
                for day in 1..=len {
                    let jalali = date(year, month, day);
                    let (gy, gm, gd) = jalali.to_gregorian();
                    assert_eq!(JalaliDate::from_gregorian(gy, gm, gd), Ok(jalali));
                    // Consecutive Jalali days are consecutive Gregorian days: no gaps or repeats.
                    if let Some(prev) = previous {
                        assert_eq!(next_gregorian_day(prev), (gy, gm, gd), "after {jalali}");
                    }
                    previous = Some((gy, gm, gd));
                    days += 1;
                }
            }
        }
        // 201 years of 365 or 366 days.
        assert!((201 * 365..=201 * 366).contains(&days), "{days}");
    }

    #[test]
    fn every_gregorian_day_of_the_same_span_round_trips_through_jalali() {
        let start = date(1300, 1, 1).to_gregorian();
        let end = date(1500, 12, days_in_month(1500, 12).unwrap()).to_gregorian();
        let mut day = start;
        let mut count = 0;
        while day <= end {
            let jalali = JalaliDate::from_gregorian(day.0, day.1, day.2).unwrap();
            assert_eq!(jalali.to_gregorian(), day);
            day = next_gregorian_day(day);
            count += 1;
        }
        assert!(count > 201 * 365);
    }

    /// The next Gregorian day, computed independently of ICU.
    fn next_gregorian_day((y, m, d): (i32, u8, u8)) -> (i32, u8, u8) {
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let len = match m {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        match (d < len, m < 12) {
            (true, _) => (y, m, d + 1),
            (false, true) => (y, m + 1, 1),
            (false, false) => (y + 1, 1, 1),
        }
    }

    #[test]
    fn unix_instants_are_dated_in_iran_time() {
        // 2024-03-19T20:29:59Z is 23:59:59 in Tehran, still 1402/12/29;
        // one second later it is 1403/01/01 in Tehran while still 2024-03-19 in UTC.
        let nowruz_1403_start = 1_710_880_200; // 2024-03-19T20:30:00Z
        assert_eq!(
            JalaliDate::from_unix_seconds_in_iran(nowruz_1403_start - 1),
            Ok(date(1402, 12, 29))
        );
        assert_eq!(
            JalaliDate::from_unix_seconds_in_iran(nowruz_1403_start),
            Ok(date(1403, 1, 1))
        );
        assert_eq!(
            date(1403, 1, 1).start_in_iran_unix_seconds(),
            nowruz_1403_start
        );
        // The Unix epoch was 03:30 on 1348/10/11 in Tehran.
        assert_eq!(
            JalaliDate::from_unix_seconds_in_iran(0),
            Ok(date(1348, 10, 11))
        );
        assert_eq!(
            JalaliDate::from_unix_seconds_in_iran(i64::MAX),
            Err(DomainError::DateOutOfRange)
        );
        assert_eq!(
            JalaliDate::from_unix_seconds_in_iran(i64::MIN),
            Err(DomainError::DateOutOfRange)
        );
    }

    #[test]
    fn today_uses_the_instant_it_is_given() {
        let at = |secs: u64| UNIX_EPOCH + Duration::from_secs(secs);
        assert_eq!(
            JalaliDate::today_in_iran(at(1_710_880_200)),
            Ok(date(1403, 1, 1))
        );
        // Half a second before the epoch is 1969-12-31T23:59:59.5Z = 03:29:59.5 on 1348/10/11.
        let before = UNIX_EPOCH - Duration::from_millis(500);
        assert_eq!(JalaliDate::today_in_iran(before), Ok(date(1348, 10, 11)));
        // 12,601 s before the epoch is 23:59:59 on 1348/10/10 in Tehran.
        let day_before = UNIX_EPOCH - Duration::from_secs(12_601);
        assert_eq!(
            JalaliDate::today_in_iran(day_before),
            Ok(date(1348, 10, 10))
        );
    }

    #[test]
    fn displays_in_latin_and_persian() {
        let d = date(1403, 5, 2);
        assert_eq!(d.to_string(), "1403/05/02");
        assert_eq!(d.display_persian(), "۱۴۰۳/۰۵/۰۲");
        assert_eq!(d.display_persian_long(), "۲ مرداد ۱۴۰۳");
        assert_eq!(date(1403, 1, 1).month_name_fa(), "فروردین");
        assert_eq!(date(1403, 12, 1).month_name_fa(), "اسفند");
        assert_eq!(month_name_fa(0), None);
        assert_eq!(month_name_fa(13), None);
    }

    #[test]
    fn serde_and_ordering() {
        let d = date(1403, 5, 12);
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"1403/05/12\"");
        assert_eq!(
            serde_json::from_str::<JalaliDate>("\"۱۴۰۳-۵-۱۲\"").unwrap(),
            d
        );
        assert!(serde_json::from_str::<JalaliDate>("\"1404/12/30\"").is_err());
        assert!(date(1402, 12, 29) < date(1403, 1, 1));
        assert!(date(1403, 1, 31) < date(1403, 2, 1));
    }
}
