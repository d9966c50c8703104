//! The system as Kubernetes runs it: one `estelam serve <service>` child process per
//! service and the gateway (the real binary), on loopback ports, sharing one PostgreSQL,
//! one RabbitMQ and one data directory. Any process can be killed (SIGKILL) and started
//! again on the same ports; every child is killed when the cluster is dropped.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use estelam_runtime::config::{SERVICES, Settings};
use secrecy::SecretString;

use estelam_runtime::testing::eventually;

use super::{free_port, workload};

/// Every process, in start order (identity first: the others fetch its keys).
pub const PROCESSES: [&str; 7] = [
    "identity",
    "property",
    "documents",
    "fees",
    "inquiry",
    "notifications",
    "gateway",
];

struct Ports {
    serve: u16,
    admin: u16,
}

/// Every service as its own `estelam serve` child process, as Kubernetes runs them, so a
/// fault can kill one process and leave the others running.
pub struct Cluster {
    dir: tempfile::TempDir,
    binary: PathBuf,
    config: PathBuf,
    ports: BTreeMap<&'static str, Ports>,
    secrets: BTreeMap<String, String>,
    children: BTreeMap<&'static str, Child>,
    /// The client's view: every endpoint, the database, the data directory.
    pub settings: Settings,
    /// The gateway's base URL, where payers' browsers are sent.
    pub gateway_url: String,
}

impl Cluster {
    /// Writes one settings file for all, fills the property store with a small city, and
    /// starts every process, each waited for until its `/readyz` says ready. Returns the
    /// cluster and the PSP account's secret.
    pub async fn start(binary: PathBuf, database_url: String, amqp_url: String) -> (Self, String) {
        let dir = tempfile::Builder::new()
            .prefix("estelam-fault-cluster-")
            .tempdir()
            .expect("temp dir");
        let mut settings = Settings {
            data_dir: dir.path().join("data"),
            ..Settings::default()
        };
        settings.database.url = Some(SecretString::from(database_url));
        settings.bus.amqp_url = Some(SecretString::from(amqp_url));
        let psp_secret = workload::add_accounts(&mut settings);
        let mut ports = BTreeMap::new();
        for p in PROCESSES {
            ports.insert(
                p,
                Ports {
                    serve: free_port(),
                    admin: free_port(),
                },
            );
        }
        for s in SERVICES {
            settings
                .endpoints
                .set(s, format!("http://127.0.0.1:{}", ports[s].serve));
        }
        let gateway_url = format!("http://127.0.0.1:{}", ports["gateway"].serve);
        settings.fees.psp_base_url = format!("{gateway_url}/psp");
        let mut secrets = BTreeMap::new();
        for p in PROCESSES {
            let secret = format!("{}{}", uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
            settings
                .identity
                .service_clients
                .insert(p.to_owned(), SecretString::from(secret.clone()));
            secrets.insert(p.to_owned(), secret);
        }
        std::fs::create_dir_all(&settings.data_dir).expect("data dir");
        let config = dir.path().join("estelam.toml");
        std::fs::write(
            &config,
            toml::to_string(&settings).expect("settings as TOML"),
        )
        .expect("write settings");
        let mut cluster = Self {
            dir,
            binary,
            config,
            ports,
            secrets,
            children: BTreeMap::new(),
            settings,
            gateway_url,
        };
        let seeded = cluster
            .command(&["seed", "--parcels", "200"], None)
            .status()
            .expect("estelam seed");
        assert!(seeded.success(), "estelam seed");
        for p in PROCESSES {
            cluster.start_process(p).await;
        }
        (cluster, psp_secret)
    }

    fn command(&self, args: &[&str], process: Option<&str>) -> Command {
        let log_name = format!("{}.log", process.unwrap_or("cli"));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join(log_name))
            .expect("log file");
        let mut cmd = Command::new(&self.binary);
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("ESTELAM_") {
                cmd.env_remove(k);
            }
        }
        cmd.arg("--config")
            .arg(&self.config)
            .args(args)
            .env("ESTELAM_TELEMETRY__LOG_FORMAT", "json")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        if let Some(p) = process {
            let ports = &self.ports[p];
            let listen = format!("127.0.0.1:{}", ports.serve);
            cmd.env(
                if p == "gateway" {
                    "ESTELAM_LISTEN__HTTP"
                } else {
                    "ESTELAM_LISTEN__GRPC"
                },
                &listen,
            )
            .env(
                "ESTELAM_LISTEN__ADMIN",
                format!("127.0.0.1:{}", ports.admin),
            )
            .env("ESTELAM_AUTH__CLIENT_ID", p)
            .env("ESTELAM_AUTH__CLIENT_SECRET", &self.secrets[p]);
        }
        cmd
    }

    /// Starts `process` and waits until it reports ready.
    pub async fn start_process(&mut self, process: &'static str) {
        let child = self
            .command(&["serve", process], Some(process))
            .spawn()
            .unwrap_or_else(|e| panic!("starting estelam serve {process}: {e}"));
        self.children.insert(process, child);
        let url = if process == "gateway" {
            format!("{}/readyz", self.gateway_url)
        } else {
            format!("http://127.0.0.1:{}/readyz", self.ports[process].admin)
        };
        let http = reqwest::Client::new();
        let log = self.dir.path().join(format!("{process}.log"));
        eventually(
            &format!(
                "estelam serve {process} to be ready (log: {})",
                log.display()
            ),
            Duration::from_secs(60),
            async || match http.get(&url).send().await {
                Ok(r) if r.status().is_success() => Ok(()),
                Ok(r) => Err(r.status().to_string()),
                Err(e) => Err(e.to_string()),
            },
        )
        .await;
    }

    /// SIGKILL to `process`: no drain, no goodbye, like an OOM kill or a lost node.
    pub fn kill(&mut self, process: &str) {
        if let Some(mut child) = self.children.remove(process) {
            child.kill().expect("SIGKILL");
            let _ = child.wait();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for (_, mut child) in std::mem::take(&mut self.children) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
