//! The statutory clock and the public figures of how fast inquiries are answered, pure.
//!
//! **The rule.** The law gives the municipality ten days to answer an authority's inquiry.
//! This system counts **ten calendar days** (not Iranian working days: holidays are not
//! subtracted), from the moment the inquiry is **submitted** (the applicant's Submit, when
//! everything the municipality needs is in its hands) to the same moment ten days later:
//! `answer_due = submitted + 10 × 24 h`. Iran keeps UTC+03:30 all year, so ten calendar days
//! are exactly 240 hours. Every submitted inquiry carries that deadline, whoever filed it
//! (the rule is written for authorities; a citizen's own inquiry is held to it as well).
//! The clock stops when the answer is issued. Time spent waiting for the applicant to pay
//! counts against the municipality too: the figures are what a citizen experiences, and
//! the municipality cannot make them look better by leaving a bill unpaid.
//!
//! **The figures**, per Jalali month of the answer's issue (in Iran's time): how many were
//! answered, the median and the 95th percentile of the time to answer, and how many were
//! answered within the limit (their share is `within / answered`). Percentiles are
//! **nearest-rank**: of `n` times sorted ascending, the `p`th percentile is the one at rank
//! `⌈p·n/100⌉` (1-based), so it is always a time some inquiry actually took; the median is
//! the 50th percentile by the same rule (for an even count, the lower of the middle two).

use estelam_domain::JalaliDate;

/// The legal limit, in calendar days.
pub const LEGAL_DAYS: i64 = 10;
/// The legal limit, µs.
pub const LEGAL_LIMIT_US: i64 = LEGAL_DAYS * DAY_US;
/// How close to its deadline an unanswered inquiry is "near" it on the desk: two days.
pub const NEAR_US: i64 = 2 * DAY_US;
const DAY_US: i64 = 86_400 * 1_000_000;

/// When an inquiry submitted at `submitted_at_us` must be answered by.
pub fn answer_due(submitted_at_us: i64) -> i64 {
    submitted_at_us.saturating_add(LEGAL_LIMIT_US)
}

/// Where an inquiry stands against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Not answered, more than two days left.
    OnTime,
    /// Not answered, two days or less left.
    Near,
    /// Not answered, deadline passed.
    Overdue,
    /// Answered by the deadline.
    AnsweredInTime,
    /// Answered after it.
    AnsweredLate,
}

impl Standing {
    /// Where an inquiry due at `due_us` stands at `now_us`, answered at `issued_us` if it was.
    pub fn of(due_us: i64, issued_us: Option<i64>, now_us: i64) -> Self {
        match issued_us {
            Some(at) if at <= due_us => Self::AnsweredInTime,
            Some(_) => Self::AnsweredLate,
            None if now_us > due_us => Self::Overdue,
            None if due_us - now_us <= NEAR_US => Self::Near,
            None => Self::OnTime,
        }
    }

    /// The name the contracts and the desk use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnTime => "on_time",
            Self::Near => "near",
            Self::Overdue => "overdue",
            Self::AnsweredInTime => "answered_in_time",
            Self::AnsweredLate => "answered_late",
        }
    }
}

/// The `p`th percentile of `sorted` (ascending, non-empty) by nearest rank: the value at
/// rank `⌈p·n/100⌉`, 1-based; `None` when there is nothing to rank.
pub fn nearest_rank(sorted: &[i64], p: u32) -> Option<i64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = (usize::try_from(p).unwrap_or(100) * n)
        .div_ceil(100)
        .clamp(1, n);
    sorted.get(rank - 1).copied()
}

/// One Jalali month's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthFigures {
    /// The Jalali year.
    pub year: i32,
    /// The Jalali month, 1–12.
    pub month: u8,
    /// Inquiries answered in the month.
    pub answered: u64,
    /// Of them, answered within the legal limit.
    pub within_limit: u64,
    /// Median time to answer, µs (nearest rank).
    pub median_us: i64,
    /// 95th percentile of the time to answer, µs (nearest rank).
    pub p95_us: i64,
}

/// The figures of every Jalali month in which something in `answers` — `(submitted_at_us,
/// issued_at_us)` pairs — was answered, oldest month first. An answer whose issue instant
/// has no Jalali date (out of range) is left out.
pub fn monthly(answers: &[(i64, i64)]) -> Vec<MonthFigures> {
    let mut by_month: std::collections::BTreeMap<(i32, u8), Vec<i64>> = Default::default();
    for &(submitted, issued) in answers {
        let Ok(day) = JalaliDate::from_unix_seconds_in_iran(issued.div_euclid(1_000_000)) else {
            continue;
        };
        by_month
            .entry((day.year(), day.month()))
            .or_default()
            .push(issued.saturating_sub(submitted).max(0));
    }
    by_month
        .into_iter()
        .map(|((year, month), mut times)| {
            times.sort_unstable();
            MonthFigures {
                year,
                month,
                answered: times.len() as u64,
                within_limit: times.iter().filter(|t| **t <= LEGAL_LIMIT_US).count() as u64,
                median_us: nearest_rank(&times, 50).unwrap_or(0),
                p95_us: nearest_rank(&times, 95).unwrap_or(0),
            }
        })
        .collect()
}

/// The UTC instants (µs) a Jalali year begins and ends at in Iran: `[start, end)`.
pub fn jalali_year_bounds(year: i32) -> Option<(i64, i64)> {
    let start = JalaliDate::new(year, 1, 1)
        .ok()?
        .start_in_iran_unix_seconds();
    let end = JalaliDate::new(year + 1, 1, 1)
        .ok()?
        .start_in_iran_unix_seconds();
    Some((start * 1_000_000, end * 1_000_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600 * 1_000_000;

    #[test]
    fn the_deadline_is_ten_calendar_days_after_submission() {
        assert_eq!(answer_due(0), 240 * HOUR);
        let due = answer_due(1_000);
        assert_eq!(Standing::of(due, None, due - 3 * DAY_US), Standing::OnTime);
        assert_eq!(Standing::of(due, None, due - 2 * DAY_US), Standing::Near);
        assert_eq!(Standing::of(due, None, due), Standing::Near);
        assert_eq!(Standing::of(due, None, due + 1), Standing::Overdue);
        assert_eq!(
            Standing::of(due, Some(due), due + DAY_US),
            Standing::AnsweredInTime
        );
        assert_eq!(
            Standing::of(due, Some(due + 1), due + 1),
            Standing::AnsweredLate
        );
    }

    #[test]
    fn nearest_rank_is_a_time_some_inquiry_took() {
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&ten, 50), Some(5)); // rank ⌈5⌉ = 5
        assert_eq!(nearest_rank(&ten, 95), Some(10)); // rank ⌈9.5⌉ = 10
        assert_eq!(nearest_rank(&[7], 50), Some(7));
        assert_eq!(nearest_rank(&[7], 95), Some(7));
        assert_eq!(nearest_rank(&[1, 2, 3], 50), Some(2)); // rank ⌈1.5⌉ = 2
        assert_eq!(nearest_rank(&[], 50), None);
        let twenty: Vec<i64> = (1..=20).collect();
        assert_eq!(nearest_rank(&twenty, 95), Some(19)); // rank ⌈19⌉ = 19
    }

    #[test]
    fn months_follow_the_jalali_calendar_in_irans_time() {
        // 2024-03-20 is 1403/01/01. 20:29 UTC on 2024-03-19 is 23:59 in Iran: still Esfand
        // 1402; 20:31 UTC is 00:01 on 1403/01/01.
        let esfand = 1_710_880_140 * 1_000_000; // 2024-03-19T20:29:00Z
        let farvardin = 1_710_880_260 * 1_000_000; // 2024-03-19T20:31:00Z
        let got = monthly(&[
            (esfand - HOUR, esfand),
            (farvardin - 11 * DAY_US, farvardin),
            (farvardin - 2 * HOUR, farvardin),
        ]);
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].year, got[0].month, got[0].answered), (1402, 12, 1));
        assert_eq!((got[1].year, got[1].month, got[1].answered), (1403, 1, 2));
        assert_eq!(got[1].within_limit, 1);
        assert_eq!(got[1].median_us, 2 * HOUR);
        assert_eq!(got[1].p95_us, 11 * DAY_US);
        let (start, end) = jalali_year_bounds(1403).expect("bounds");
        assert!(start <= farvardin && farvardin < end && esfand < start);
    }
}
