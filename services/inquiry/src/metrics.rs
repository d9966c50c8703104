//! The inquiry service's own metrics, on the runtime's registry.

use std::sync::LazyLock;

use prometheus::{Histogram, HistogramOpts, HistogramVec};

use crate::model::Inquiry;

/// Seconds from Submit to the answer being issued: milliseconds with no debt, the payment's
/// time otherwise.
static ISSUE_SECONDS: LazyLock<Histogram> = LazyLock::new(|| {
    let h = Histogram::with_opts(
        HistogramOpts::new(
            "estelam_inquiry_issue_seconds",
            "Time from an inquiry's submission to its answer being issued",
        )
        .buckets(vec![
            0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 120.0, 600.0, 3600.0, 21_600.0, 86_400.0,
            604_800.0,
        ]),
    )
    .unwrap_or_else(|_| unreachable!("static metric definition is valid"));
    // A second registration (two servers in one process) is harmless.
    let _ = estelam_runtime::metrics::registry().register(Box::new(h.clone()));
    h
});

/// Seconds an inquiry waited in the clerks' review queue (a mismatch at the applicant step,
/// or a representative's power of attorney) before a clerk decided, by kind of review.
static REVIEW_WAIT_SECONDS: LazyLock<HistogramVec> = LazyLock::new(|| {
    let h = HistogramVec::new(
        HistogramOpts::new(
            "estelam_inquiry_review_wait_seconds",
            "Time an inquiry waited in the clerks' review queue before a clerk decided",
        )
        .buckets(vec![
            60.0,
            300.0,
            900.0,
            3600.0,
            4.0 * 3600.0,
            86_400.0,
            2.0 * 86_400.0,
            604_800.0,
            2_592_000.0,
        ]),
        &["kind"],
    )
    .unwrap_or_else(|_| unreachable!("static metric definition is valid"));
    // A second registration (two servers in one process) is harmless.
    let _ = estelam_runtime::metrics::registry().register(Box::new(h.clone()));
    h
});

/// Records how long a review waited (`waited_us`) before a clerk's decision; `kind` is the
/// review's kind as the contract names it (`REVIEW_KIND_…`).
pub fn observe_review_wait(kind: &str, waited_us: i64) {
    REVIEW_WAIT_SECONDS
        .with_label_values(&[kind])
        .observe(waited_us.max(0) as f64 / 1e6);
}

/// Records an issued inquiry's submit → issue time.
pub fn observe_issue(inq: &Inquiry) {
    if let (Some(submitted), Some(issued)) = (inq.submitted_at_us, inq.issued_at_us) {
        ISSUE_SECONDS.observe((issued - submitted).max(0) as f64 / 1e6);
    }
}

/// Makes sure the metrics are registered (so `/metrics` lists them before the first use).
pub fn register() {
    LazyLock::force(&ISSUE_SECONDS);
    LazyLock::force(&REVIEW_WAIT_SECONDS);
}
