//! What a benchmark phase measured: one HDR histogram of latencies per labelled call, and
//! the failures counted by call and reason, shared by every simulated applicant of the phase.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hdrhistogram::Histogram;

/// Why one call failed, as the report counts it: the call's label and a short reason such as
/// `HTTP 429 RATE_LIMITED` or `transport: timed out`.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The call that failed.
    pub step: &'static str,
    /// Status and reason, never a body or internal text.
    pub reason: String,
}

impl Failure {
    /// A failure of `step` for `reason`.
    pub fn new(step: &'static str, reason: impl Into<String>) -> Self {
        Self {
            step,
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.step, self.reason)
    }
}

/// Latency percentiles of one series, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Percentiles {
    /// Calls recorded.
    pub count: u64,
    /// Median (half the calls were faster).
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// The slowest call recorded: one outlier, not a percentile.
    pub max: u64,
}

struct Series {
    order: usize,
    histogram: Histogram<u64>,
}

#[derive(Default)]
struct Inner {
    series: BTreeMap<&'static str, Series>,
    failures: BTreeMap<(&'static str, String), u64>,
}

/// The measurements of one phase; cheap to share behind an `Arc`.
#[derive(Default)]
pub struct Stats {
    inner: Mutex<Inner>,
    ok: AtomicU64,
    failed: AtomicU64,
}

/// Longest latency a histogram holds (an hour); longer values are clamped to it.
const MAX_MICROS: u64 = 3_600_000_000;

impl Stats {
    /// Records one successful call of `label` that took `took`.
    pub fn record(&self, label: &'static str, took: Duration) {
        let micros = u64::try_from(took.as_micros())
            .unwrap_or(MAX_MICROS)
            .clamp(1, MAX_MICROS);
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let next = inner.series.len();
        let series = inner.series.entry(label).or_insert_with(|| Series {
            order: next,
            histogram: Histogram::new_with_bounds(1, MAX_MICROS, 3)
                .expect("constant histogram bounds are valid"),
        });
        series.histogram.saturating_record(micros);
    }

    /// Counts one completed unit of work (a flow, or one focused call).
    pub fn completed(&self) {
        self.ok.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one failed unit of work and its reason.
    pub fn failed(&self, failure: &Failure) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *inner
            .failures
            .entry((failure.step, failure.reason.clone()))
            .or_default() += 1;
    }

    /// Units completed so far.
    pub fn ok_count(&self) -> u64 {
        self.ok.load(Ordering::Relaxed)
    }

    /// Units failed so far.
    pub fn failed_count(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }

    /// Every series in the order first recorded, with its percentiles.
    pub fn series(&self) -> Vec<(&'static str, Percentiles)> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut rows: Vec<_> = inner
            .series
            .iter()
            .map(|(label, s)| {
                let h = &s.histogram;
                (
                    s.order,
                    *label,
                    Percentiles {
                        count: h.len(),
                        p50: h.value_at_quantile(0.50),
                        p90: h.value_at_quantile(0.90),
                        p99: h.value_at_quantile(0.99),
                        max: h.max(),
                    },
                )
            })
            .collect();
        rows.sort_by_key(|(order, _, _)| *order);
        rows.into_iter().map(|(_, l, p)| (l, p)).collect()
    }

    /// The percentiles of one series, if anything was recorded under `label`.
    pub fn percentiles(&self, label: &str) -> Option<Percentiles> {
        self.series()
            .into_iter()
            .find(|(l, _)| *l == label)
            .map(|(_, p)| p)
    }

    /// Failures by call and reason, most frequent first.
    pub fn failures(&self) -> Vec<(String, u64)> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut rows: Vec<_> = inner
            .failures
            .iter()
            .map(|((step, reason), n)| (format!("{step}: {reason}"), *n))
            .collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_what_was_recorded() {
        let stats = Stats::default();
        for ms in 1..=100 {
            stats.record("call", Duration::from_millis(ms));
        }
        let p = stats.percentiles("call").expect("recorded");
        assert_eq!(p.count, 100);
        assert!((49_000..=51_000).contains(&p.p50), "{p:?}");
        assert!((98_000..=100_100).contains(&p.p99), "{p:?}");
        assert!(stats.percentiles("other").is_none());
    }

    #[test]
    fn failures_are_counted_by_step_and_reason() {
        let stats = Stats::default();
        stats.failed(&Failure::new("submit", "HTTP 503 UNAVAILABLE"));
        stats.failed(&Failure::new("submit", "HTTP 503 UNAVAILABLE"));
        stats.failed(&Failure::new("login", "HTTP 429 RATE_LIMITED"));
        assert_eq!(stats.failed_count(), 3);
        assert_eq!(
            stats.failures(),
            vec![
                ("submit: HTTP 503 UNAVAILABLE".to_owned(), 2),
                ("login: HTTP 429 RATE_LIMITED".to_owned(), 1)
            ]
        );
    }
}
