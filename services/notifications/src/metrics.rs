//! The notifications service's own Prometheus metrics, on the process's `/metrics`.

use std::sync::LazyLock;

use crate::rules::Channel;

/// Provider calls by channel and outcome (`sent`, `retry`, `failed`, and `undelivered`
/// for a sent message the provider later reported failed or expired): a growing `retry`
/// means a provider is down; `failed` and `undelivered` mean messages people will not get.
static SENDS: LazyLock<prometheus::IntCounterVec> = LazyLock::new(|| {
    let counter = prometheus::IntCounterVec::new(
        prometheus::Opts::new(
            "estelam_notifications_sends_total",
            "Notification provider calls by channel and outcome",
        ),
        &["channel", "outcome"],
    )
    .expect("a constant, valid metric name and labels");
    // A second registration (a second instance in one test process) is refused; the first
    // one already exports it.
    let _ = estelam_runtime::metrics::registry().register(Box::new(counter.clone()));
    counter
});

/// Counts one provider call.
pub fn sent(channel: Channel, outcome: &str) {
    SENDS.with_label_values(&[channel.as_str(), outcome]).inc();
}
