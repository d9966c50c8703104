//! The instants an answer states, written for people and for the signed payload: RFC 3339
//! UTC with whole seconds, and the Jalali date (and time) in Iran.
//!
//! The answer is signed, so these formats are part of its canonical encoding (see
//! [`crate::answer`]) and must never drift; wire timestamps, which are not signed, go through
//! `estelam_runtime::time` instead.

use estelam_domain::{IRAN_UTC_OFFSET_SECONDS, JalaliDate};

/// (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// RFC 3339 in UTC with whole seconds, e.g. `2024-03-20T08:30:00Z`.
pub fn rfc3339_seconds(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let secs = unix_seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

/// Parses what [`rfc3339_seconds`] writes.
pub fn parse_rfc3339_seconds(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[10] != b'T' || b[19] != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (hh, mm, ss) = (n(11..13)?, n(14..16)?, n(17..19)?);
    // days_from_civil
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// The Jalali date in Iran at an instant, `YYYY/MM/DD`; empty when out of range.
pub fn jalali_date(unix_seconds: i64) -> String {
    JalaliDate::from_unix_seconds_in_iran(unix_seconds)
        .map(|d| d.to_string())
        .unwrap_or_default()
}

/// The Jalali date and time in Iran at an instant, `YYYY/MM/DD HH:MM`.
pub fn jalali_date_time(unix_seconds: i64) -> String {
    let local = unix_seconds + IRAN_UTC_OFFSET_SECONDS;
    let secs = local.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02}",
        jalali_date(unix_seconds),
        secs / 3600,
        (secs / 60) % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_and_matches_known_instants() {
        assert_eq!(rfc3339_seconds(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_seconds(1_710_892_800), "2024-03-20T00:00:00Z");
        for s in [0, 1, 86_399, 951_782_400, 1_710_892_800, 4_102_444_800] {
            assert_eq!(parse_rfc3339_seconds(&rfc3339_seconds(s)), Some(s));
        }
    }

    #[test]
    fn jalali_in_iran_time() {
        // 2024-03-20 00:00 UTC is 03:30 on 1 Farvardin 1403 in Iran.
        assert_eq!(jalali_date_time(1_710_892_800), "1403/01/01 03:30");
        // 20:30 UTC the day before is already the next day in Iran.
        assert_eq!(jalali_date(1_710_892_800 - 3 * 3600 - 1800), "1403/01/01");
    }
}
