//! The whole system in this test process (`estelam::start`, every service on its own
//! loopback gRPC port talking real gRPC), on the given database and broker, with a
//! logged-in [`Driver`].

use std::sync::Arc;

use estelam::RunningSystem;
use estelam_runtime::config::Settings;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

use super::workload::{self, Driver};

/// A running system and its client.
pub struct InProcess {
    system: RunningSystem,
    /// The applicant, clerk and PSP, logged in.
    pub driver: Arc<Driver>,
    _data: tempfile::TempDir,
}

impl InProcess {
    /// Starts every service on `database_url` (one schema each) and `amqp_url` (or the
    /// in-process bus), after `tweak` has adjusted the settings.
    pub async fn start(
        database_url: String,
        amqp_url: Option<String>,
        tweak: impl FnOnce(&mut Settings),
    ) -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings {
            data_dir: data.path().to_path_buf(),
            ..Settings::default()
        };
        settings.database.url = Some(SecretString::from(database_url));
        settings.bus.amqp_url = amqp_url.map(SecretString::from);
        let psp_secret = workload::add_accounts(&mut settings);
        tweak(&mut settings);
        show_logs(&settings);
        let system = estelam::start(
            settings,
            estelam::SystemAddrs::ephemeral(),
            CancellationToken::new(),
        )
        .await
        .unwrap_or_else(|e| panic!("the system starts: {e:#}"));
        let driver = Arc::new(Driver::connect(system.settings().clone(), &psp_secret).await);
        Self {
            system,
            driver,
            _data: data,
        }
    }

    /// The gateway's base URL.
    pub fn gateway_url(&self) -> &str {
        &self.system.gateway_url
    }

    /// Stops every service; they must stop cleanly.
    pub async fn stop(self) {
        self.system.stop().await.expect("the system stops cleanly");
    }
}

/// The services' warnings and errors on stderr (`RUST_LOG` for more), once per test
/// process: what a reader of a failed run needs first.
fn show_logs(settings: &Settings) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let mut telemetry = settings.telemetry.clone();
        telemetry.log_format = estelam_runtime::config::LogFormat::Pretty;
        telemetry.log_filter = "warn".into();
        if let Ok(guard) = estelam_runtime::telemetry::init(&telemetry, "estelam-faults") {
            // Lives as long as the test process.
            std::mem::forget(guard);
        }
    });
}
