//! The system under load: either one already running (its gateway URL, with the gRPC
//! endpoints from the settings and an admin's login), or the whole system started here, in
//! this process, on free loopback ports with the backends the settings name (SQLite files
//! in a temporary directory by default; PostgreSQL when `ESTELAM_DATABASE_URL` is set, in
//! a fresh database created for the run and dropped after it; RabbitMQ when
//! `ESTELAM_AMQP_URL` is set, with queues of the run's own), or the whole system as separate
//! `estelam serve` processes on this machine with replicas ([`Target::processes`]).

use std::path::Path;

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
    running: Option<Running>,
}

/// What a run started, stopped by [`Target::stop`].
enum Running {
    /// The whole system in this process.
    InProcess {
        system: Box<estelam::RunningSystem>,
        fresh: Option<FreshDatabase>,
        _data: tempfile::TempDir,
    },
    /// Separate `estelam serve` processes.
    Processes {
        deployment: estelam::processes::Deployment,
        fresh: FreshDatabase,
        _data: tempfile::TempDir,
        logs: tempfile::TempDir,
    },
}

/// The services that run two replicas in a multi-process run, as in the replicas test.
pub const REPLICATED: [&str; 3] = ["property", "documents", "inquiry"];

/// A run's system settings before it starts: its data directory and database, the run's
/// own queue, limits fit for one client address, and a first admin whose password the run
/// knows.
struct Prepared {
    settings: Settings,
    data: tempfile::TempDir,
    fresh: Option<FreshDatabase>,
    backends: String,
    admin_code: String,
    password: String,
    /// The settings that differ from the environment's, as `ESTELAM_…` variables, for
    /// processes that read theirs from the environment.
    env: Vec<(String, String)>,
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
    pub async fn in_process(settings: Settings, demo_parcels: u32) -> anyhow::Result<Self> {
        let p = Self::prepare(settings, demo_parcels).await?;
        let system = estelam::start(
            p.settings,
            estelam::SystemAddrs::ephemeral(),
            CancellationToken::new(),
        )
        .await
        .context("starting the system in this process")?;
        let settings = system.settings().clone();
        let admin_token = admin_logs_in(&settings, &p.admin_code, &p.password).await?;
        Ok(Self {
            gateway_url: system.gateway_url.clone(),
            settings,
            admin_token,
            backends: p.backends,
            running: Some(Running::InProcess {
                system: Box::new(system),
                fresh: p.fresh,
                _data: p.data,
            }),
        })
    }

    /// Starts the whole system as separate `estelam serve` processes of `binary`, two
    /// replicas each of [`REPLICATED`], on PostgreSQL and RabbitMQ (both required: replicas
    /// share one database, and events cross processes only through a broker). A first start
    /// in this process migrates the run's database, seeds the city and writes the service
    /// credentials, as `estelam run` does the first time; then every service moves into
    /// processes of its own (see [`estelam::processes`]).
    pub async fn processes(
        settings: Settings,
        demo_parcels: u32,
        binary: &Path,
    ) -> anyhow::Result<Self> {
        anyhow::ensure!(
            settings.database.url.is_some() && settings.bus.amqp_url.is_some(),
            "--processes needs PostgreSQL and RabbitMQ (ESTELAM_DATABASE_URL and ESTELAM_AMQP_URL): replicas share one database, and events cross processes only through the broker"
        );
        anyhow::ensure!(
            binary.is_file(),
            "the estelam binary {} does not exist (build it with `cargo build --release --bin estelam`, or name it with --estelam-bin)",
            binary.display()
        );
        let p = Self::prepare(settings, demo_parcels).await?;
        let first = estelam::start(
            p.settings.clone(),
            estelam::SystemAddrs::ephemeral(),
            CancellationToken::new(),
        )
        .await
        .context("the first start, in this process")?;
        first.stop().await.context("stopping the first start")?;
        let fresh = p
            .fresh
            .context("a multi-process run has a database of its own")?;
        let database_url = p
            .settings
            .database
            .url
            .as_ref()
            .map(|u| u.expose_secret().to_owned())
            .unwrap_or_default();
        let logs = tempfile::tempdir().context("a directory for the processes' logs")?;
        let plan = estelam::processes::Plan {
            binary: binary.to_path_buf(),
            data_dir: p.data.path().to_path_buf(),
            database_url,
            amqp_url: p
                .settings
                .bus
                .amqp_url
                .as_ref()
                .map(|u| u.expose_secret().to_owned()),
            replicated: REPLICATED.iter().map(|s| (*s).to_owned()).collect(),
            copies: 2,
            notifications: true,
            gateway: true,
            env: p.env,
            logs: logs.path().to_path_buf(),
        };
        let http = reqwest::Client::new();
        let deployment = estelam::processes::Deployment::start(&plan, &http)
            .await
            .context("starting the processes")?;
        let mut settings = p.settings;
        for (service, addrs) in &deployment.endpoints {
            settings
                .endpoints
                .set(service, estelam::processes::endpoint_list(addrs));
        }
        let gateway_url = deployment.gateway_url().context("the gateway process")?;
        let admin_token = admin_logs_in(&settings, &p.admin_code, &p.password).await?;
        let replicas = REPLICATED
            .iter()
            .map(|s| format!("{s} ×2"))
            .collect::<Vec<_>>()
            .join(", ");
        Ok(Self {
            gateway_url,
            settings,
            admin_token,
            backends: format!(
                "{}; separate `estelam serve` processes: {replicas}, one each of identity, fees, notifications and the gateway",
                p.backends
            ),
            running: Some(Running::Processes {
                deployment,
                fresh,
                _data: p.data,
                logs,
            }),
        })
    }

    async fn prepare(mut settings: Settings, demo_parcels: u32) -> anyhow::Result<Prepared> {
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
        let mut env = vec![
            (
                "ESTELAM_PROPERTY__DEMO_PARCELS".to_owned(),
                demo_parcels.to_string(),
            ),
            (
                "ESTELAM_TELEMETRY__LOG_FILTER".to_owned(),
                settings.telemetry.log_filter.clone(),
            ),
        ];
        if settings.bus.amqp_url.is_some() {
            // Durable queues are shared by everything on the broker: the run's own.
            settings.inquiry.debt_cleared_queue = format!("inquiry.debt-cleared.bench-{suffix}");
            env.push((
                "ESTELAM_INQUIRY__DEBT_CLEARED_QUEUE".to_owned(),
                settings.inquiry.debt_cleared_queue.clone(),
            ));
        }
        // One client address sends every applicant's requests: the per-address and
        // per-account limits meant for people would measure the limiter, not the system.
        settings.gateway.per_ip_per_minute = 10_000_000;
        settings.gateway.per_ip_burst = 1_000_000;
        settings.gateway.per_user_per_minute = 10_000_000;
        settings.gateway.per_user_burst = 1_000_000;
        for (key, value) in [
            ("PER_IP_PER_MINUTE", 10_000_000),
            ("PER_IP_BURST", 1_000_000),
            ("PER_USER_PER_MINUTE", 10_000_000),
            ("PER_USER_BURST", 1_000_000),
        ] {
            env.push((format!("ESTELAM_GATEWAY__{key}"), value.to_string()));
        }
        let password = format!("bench-admin-{}", uuid::Uuid::now_v7().simple());
        let admin_code = crate::setup::national_code(987_654_321);
        settings.identity.bootstrap_admin = Some(BootstrapAdmin {
            national_code: admin_code.clone(),
            first_name: "مدیر".into(),
            last_name: "سنجش".into(),
            mobile: "09120000000".into(),
            password: Some(SecretString::from(password.clone())),
        });
        Ok(Prepared {
            settings,
            data,
            fresh,
            backends,
            admin_code,
            password,
            env,
        })
    }

    /// The processes of a multi-process run.
    pub fn deployment(&self) -> Option<&estelam::processes::Deployment> {
        match &self.running {
            Some(Running::Processes { deployment, .. }) => Some(deployment),
            _ => None,
        }
    }

    /// The PostgreSQL database made for an in-process run: the URL of the database it was
    /// made beside, and its name.
    pub fn run_database(&self) -> Option<(&str, &str)> {
        let fresh = match self.running.as_ref()? {
            Running::InProcess { fresh, .. } => fresh.as_ref()?,
            Running::Processes { fresh, .. } => fresh,
        };
        Some((fresh.admin_url.as_str(), fresh.name.as_str()))
    }

    /// Stops what [`Target::in_process`] started and drops its database.
    pub async fn stop(self) -> anyhow::Result<()> {
        match self.running {
            Some(Running::InProcess { system, fresh, .. }) => {
                let stopped = system.stop().await;
                if let Some(fresh) = fresh {
                    fresh.drop_database().await;
                }
                stopped?;
            }
            Some(Running::Processes {
                deployment,
                fresh,
                logs,
                ..
            }) => {
                // SIGKILL (kill on drop): the run is over and its database is dropped next.
                drop(deployment);
                fresh.drop_database().await;
                drop(logs);
            }
            None => {}
        }
        Ok(())
    }
}

/// The run's admin logs in (through identity at `settings.endpoints.identity`).
async fn admin_logs_in(
    settings: &Settings,
    admin_code: &str,
    password: &str,
) -> anyhow::Result<String> {
    estelam::log_in(
        settings,
        ipb::login_request::Identifier::NationalCode(admin_code.to_owned()),
        password,
    )
    .await
    .context("the run's admin logs in")
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
