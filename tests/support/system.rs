//! The whole system for the HTTP route tests (`tests/gateway_routes.rs`,
//! `tests/portal_routes.rs`): started in this process (`estelam::start` on OS-chosen ports, a
//! temporary data directory, a 300-parcel demo city and its demo people, as `estelam run`
//! starts it the first time), with an HTTP client that does not follow redirects, so a test
//! sees each 303 the portal answers.

use estelam::SystemAddrs;
use estelam::demo::DemoPeople;
use estelam_runtime::config::Settings;
use reqwest::Client;
use tokio_util::sync::CancellationToken;

/// The running system and a client for its gateway; stops the system when dropped.
pub struct System {
    /// The gateway's base URL, `http://127.0.0.1:port`.
    pub url: String,
    /// HTTP client that does not follow redirects.
    pub http: Client,
    /// The demo people the first start wrote to `demo.json`.
    pub demo: DemoPeople,
    shutdown: CancellationToken,
    _data: tempfile::TempDir,
}

impl Drop for System {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl System {
    /// The gateway URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }
}

/// Starts every service and the gateway on the embedded defaults, with a demo city of 300
/// parcels, in a fresh data directory.
pub async fn system() -> System {
    let data = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings {
        data_dir: data.path().to_path_buf(),
        ..Settings::default()
    };
    settings.property.demo_parcels = 300;
    let shutdown = CancellationToken::new();
    let running = estelam::start(settings, SystemAddrs::ephemeral(), shutdown.clone())
        .await
        .expect("system starts");
    let url = running.gateway_url.clone();
    tokio::spawn(running.wait());
    let demo = serde_json::from_str(
        &std::fs::read_to_string(data.path().join("demo.json")).expect("demo.json written"),
    )
    .expect("demo.json parses");
    System {
        url,
        http: Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        demo,
        shutdown,
        _data: data,
    }
}
