//! The service's Prometheus metrics, on the shared registry that `/metrics` renders.

use std::sync::LazyLock;

use prometheus::{IntCounterVec, IntGauge, Opts};

fn register<C: prometheus::core::Collector + Clone + 'static>(c: C) -> C {
    // A second registration (two servers in one process) is harmless: both share `c`.
    let _ = estelam_runtime::metrics::registry().register(Box::new(c.clone()));
    c
}

/// Stored content found damaged or missing, by where it was noticed (`download`, `scrub`):
/// alert on any increase.
pub static INTEGRITY_FAILURES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register(
        IntCounterVec::new(
            Opts::new(
                "estelam_documents_integrity_failures_total",
                "Stored documents whose content failed its SHA-256 check or was missing",
            ),
            &["noticed_by"],
        )
        .unwrap_or_else(|_| unreachable!("static metric definition is valid")),
    )
});

/// Upload bytes held in memory right now, over all uploads in the process.
pub static UPLOAD_BUFFERED_BYTES: LazyLock<IntGauge> = LazyLock::new(|| {
    register(
        IntGauge::new(
            "estelam_documents_upload_buffered_bytes",
            "Upload bytes received and not yet written to the object store",
        )
        .unwrap_or_else(|_| unreachable!("static metric definition is valid")),
    )
});

/// Uploads by outcome (`stored`, `refused`).
pub static UPLOADS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register(
        IntCounterVec::new(
            Opts::new(
                "estelam_documents_uploads_total",
                "Document uploads by outcome",
            ),
            &["outcome"],
        )
        .unwrap_or_else(|_| unreachable!("static metric definition is valid")),
    )
});
