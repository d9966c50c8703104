//! The system under load: either one already running (its gateway URL, with the gRPC
//! endpoints from the settings and an admin's login), or the whole system started here, in
//! this process, on free loopback ports with the backends the settings name (SQLite files
//! in a temporary directory by default; PostgreSQL when `ESTELAM_DATABASE_URL` is set, in
//! a fresh database created for the run and dropped after it; RabbitMQ when
//! `ESTELAM_AMQP_URL` is set, with queues of the run's own).

use anyhow::Context as _;
use estelam_proto::identity::v1 as ipb;
use estelam_runtime::config::{BootstrapAdmin, Settings};
use estelam_runtime::db::{Database, DatabaseTarget};
use secrecy::{ExposeSecret as _, SecretString};
use tokio_util::sync::CancellationToken;

/// How to reach an admin of a system that is already running.
#[derive(Debug, Clone)]
pub struct AdminLogin {
    /// The admin's national code.
    pub national_code: String,
    /// The admin's password.
    pub password: SecretString,
}

/// A system to load, and how to act as its admin.
pub struct Target {
    /// Where the applicants' HTTP requests go.
    pub gateway_url: String,
    /// Settings with every service's gRPC endpoint, for the setup and the direct-gRPC
    /// scenarios.
    pub settings: Settings,
    /// The admin's access token, which creates the staff the run acts as.
    pub admin_token: String,
    /// What it runs on, for the report.
    pub backends: String,
    running: Option<(
        estelam::RunningSystem,
        Option<FreshDatabase>,
        tempfile::TempDir,
    )>,
}

impl Target {
    /// A system already running at `gateway_url`; its gRPC endpoints come from `settings`.
    pub async fn remote(
        gateway_url: &str,
        settings: Settings,
        admin: &AdminLogin,
    ) -> anyhow::Result<Self> {
        let admin_token = estelam::log_in(
            &settings,
            ipb::login_request::Identifier::NationalCode(admin.national_code.clone()),
            admin.password.expose_secret(),
        )
        .await
        .with_context(|| {
            format!(
                "logging in as the admin at {} (endpoints.identity)",
                settings.endpoints.identity
            )
        })?;
        Ok(Self {
            gateway_url: gateway_url.to_owned(),
            settings,
            admin_token,
            backends: "a running system (as configured there)".into(),
            running: None,
        })
    }

    /// Starts the whole system in this process with `demo_parcels` parcels in its city.
    pub async fn in_process(mut settings: Settings, demo_parcels: u32) -> anyhow::Result<Self> {
        let data = tempfile::tempdir().context("a temporary data directory")?;
        settings.data_dir = data.path().to_path_buf();
        settings.property.demo_parcels = demo_parcels;
        let suffix = uuid::Uuid::now_v7().simple().to_string()[20..].to_owned();
        let fresh = match settings.database.url.clone() {
            Some(url) => {
                let (fresh, url) = FreshDatabase::create(url.expose_secret(), &suffix).await?;
                settings.database.url = Some(SecretString::from(url));
                Some(fresh)
            }
            None => None,
        };
        let backends = format!(
            "{}, {}",
            if fresh.is_some() {
                "PostgreSQL"
            } else {
                "SQLite"
            },
            if settings.bus.amqp_url.is_some() {
                "RabbitMQ"
            } else {
                "in-process bus"
            }
        );
        if settings.bus.amqp_url.is_some() {
            // Durable queues are shared by everything on the broker: the run's own.
            settings.inquiry.debt_cleared_queue = format!("inquiry.debt-cleared.bench-{suffix}");
        }
        // One client address sends every applicant's requests: the per-address and
        // per-account limits meant for people would measure the limiter, not the system.
        settings.gateway.per_ip_per_minute = 10_000_000;
        settings.gateway.per_ip_burst = 1_000_000;
        settings.gateway.per_user_per_minute = 10_000_000;
        settings.gateway.per_user_burst = 1_000_000;
        let password = format!("bench-admin-{}", uuid::Uuid::now_v7().simple());
        let admin_code = crate::setup::national_code(987_654_321);
        settings.identity.bootstrap_admin = Some(BootstrapAdmin {
            national_code: admin_code.clone(),
            first_name: "مدیر".into(),
            last_name: "سنجش".into(),
            mobile: "09120000000".into(),
            password: Some(SecretString::from(password.clone())),
        });
        let system = estelam::start(
            settings,
            estelam::SystemAddrs::ephemeral(),
            CancellationToken::new(),
        )
        .await
        .context("starting the system in this process")?;
        let settings = system.settings().clone();
        let admin_token = estelam::log_in(
            &settings,
            ipb::login_request::Identifier::NationalCode(admin_code),
            &password,
        )
        .await
        .context("the run's admin logs in")?;
        Ok(Self {
            gateway_url: system.gateway_url.clone(),
            settings,
            admin_token,
            backends,
            running: Some((system, fresh, data)),
        })
    }

    /// The PostgreSQL database made for an in-process run: the URL of the database it was
    /// made beside, and its name.
    pub fn run_database(&self) -> Option<(&str, &str)> {
        let fresh = self.running.as_ref()?.1.as_ref()?;
        Some((fresh.admin_url.as_str(), fresh.name.as_str()))
    }

    /// Stops what [`Target::in_process`] started and drops its database.
    pub async fn stop(self) -> anyhow::Result<()> {
        if let Some((system, fresh, _data)) = self.running {
            let stopped = system.stop().await;
            if let Some(fresh) = fresh {
                fresh.drop_database().await;
            }
            stopped?;
        }
        Ok(())
    }
}

/// A database created for one run on the configured PostgreSQL server.
struct FreshDatabase {
    admin_url: String,
    name: String,
}

impl FreshDatabase {
    async fn create(url: &str, suffix: &str) -> anyhow::Result<(Self, String)> {
        let (base, query) = match url.split_once('?') {
            Some((b, q)) => (b, format!("?{q}")),
            None => (url, String::new()),
        };
        let (prefix, db) = base
            .rsplit_once('/')
            .context("a PostgreSQL URL names a database")?;
        let db: String = db
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let name = format!(
            "{}_run_{suffix}",
            if db.is_empty() { "estelam_bench" } else { &db }
        );
        let admin = Database::connect(&DatabaseTarget {
            url: url.to_owned(),
            schema: None,
            max_connections: 1,
        })
        .await
        .context("connecting to PostgreSQL (database.url)")?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(admin.pool())
            .await
            .with_context(|| format!("creating the run's database {name}"))?;
        admin.close().await;
        Ok((
            Self {
                admin_url: url.to_owned(),
                name: name.clone(),
            },
            format!("{prefix}/{name}{query}"),
        ))
    }

    async fn drop_database(self) {
        let Ok(admin) = Database::connect(&DatabaseTarget {
            url: self.admin_url.clone(),
            schema: None,
            max_connections: 1,
        })
        .await
        else {
            eprintln!(
                "estelam-bench: could not reconnect to drop database {}",
                self.name
            );
            return;
        };
        if sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        )))
        .execute(admin.pool())
        .await
        .is_err()
        {
            eprintln!("estelam-bench: could not drop database {}", self.name);
        }
        admin.close().await;
    }
}
