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

/// The whole system for the end-to-end suites that run on both backends (who files, acting
/// for an owner, organisation clients, the offline certificate): on SQLite, or on a
/// PostgreSQL database of the run's own, with the configured first admin and the demo people.
pub struct Started {
    pub system: estelam::RunningSystem,
    /// The settings the system runs with (bound addresses filled in).
    pub settings: Settings,
    /// The configured first admin's access token.
    pub admin: String,
    pub people: DemoPeople,
    /// The run's own database, dropped by [`Started::stop`].
    pub postgres: Option<estelam_runtime::testing::FreshDatabase>,
    pub data: tempfile::TempDir,
}

/// Starts the system with a demo city of `demo_parcels` parcels; `prefix` names the run's
/// PostgreSQL database when `postgres_url` is given.
pub async fn start_with_demo(
    label: &str,
    prefix: &str,
    postgres_url: Option<&str>,
    demo_parcels: u32,
) -> Started {
    let data = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings {
        data_dir: data.path().to_path_buf(),
        ..Settings::default()
    };
    settings.property.demo_parcels = demo_parcels;
    let postgres = match postgres_url {
        Some(url) => {
            let fresh = estelam_runtime::testing::FreshDatabase::create(url, prefix)
                .await
                .expect("a PostgreSQL database of the run's own");
            settings.database.url = Some(secrecy::SecretString::from(fresh.url().to_owned()));
            Some(fresh)
        }
        None => None,
    };
    super::accounts::bootstrap_admin(&mut settings);
    let system = estelam::start(settings, SystemAddrs::ephemeral(), CancellationToken::new())
        .await
        .unwrap_or_else(|e| panic!("{label}: the system starts: {e:#}"));
    let settings = system.settings().clone();
    let (admin, people) = super::accounts::demo_people(&settings).await;
    Started {
        system,
        settings,
        admin,
        people,
        postgres,
        data,
    }
}

/// Stops `system` and drops the run's database, if it had one.
pub async fn stop(
    system: estelam::RunningSystem,
    postgres: Option<estelam_runtime::testing::FreshDatabase>,
) {
    system.stop().await.expect("the system stops cleanly");
    if let Some(pg) = postgres {
        pg.drop_database()
            .await
            .expect("the run's database is dropped");
    }
}
