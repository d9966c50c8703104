//! The identity service's own Prometheus metrics, registered in the runtime's registry so
//! they appear on the process's `/metrics` beside the gRPC ones.

use std::sync::LazyLock;

/// Age of the key that signs new tokens, set at every key reload (each minute). An old key
/// means rotation stopped (alerted on past 90 days): every token would be forgeable with
/// one leaked key for that long.
pub static SIGNING_KEY_AGE: LazyLock<prometheus::Gauge> = LazyLock::new(|| {
    let gauge = prometheus::Gauge::new(
        "estelam_identity_signing_key_age_seconds",
        "Age of identity's current token signing key",
    )
    .expect("a constant, valid metric name and help");
    // A second registration (a second service instance in one test process) is refused
    // by the registry; the first one already exports the gauge.
    let _ = estelam_runtime::metrics::registry().register(Box::new(gauge.clone()));
    gauge
});
