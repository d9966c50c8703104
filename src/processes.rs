//! The system as separate `estelam serve <service>` processes on one machine, as Kubernetes
//! runs it: one process per replica, some services with several replicas behind one address
//! (a comma-separated list of the replicas' endpoints, as a headless Service's name resolves
//! to every pod), all on one PostgreSQL database and, when given, one RabbitMQ broker.
//!
//! Used by the replicas test (`tests/replicas.rs`) and the load generator's multi-process
//! mode (`estelam-bench --processes`), so both measure the same deployment. A deployment
//! starts after a first start of the system (in-process, `estelam::start`) has migrated the
//! database and written the service credentials into the data directory; every process
//! then reads the same settings from its environment, as the manifests' ConfigMap gives
//! them, plus its own ports and credentials.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use estelam_runtime::config::SERVICES;
use estelam_runtime::testing::poll_within;
use secrecy::ExposeSecret as _;
use tokio::process::{Child, Command};

/// How long a process may take to answer its readiness probe: a hang guard.
pub const START_WITHIN: Duration = Duration::from_secs(120);

/// What to start.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The `estelam` binary.
    pub binary: PathBuf,
    /// The data directory of the first start (service credentials, keys, documents).
    pub data_dir: PathBuf,
    /// The PostgreSQL database every process shares.
    pub database_url: String,
    /// The RabbitMQ broker, if any. Without it each process has its own in-process bus, so
    /// events do not cross processes: only calls that need no event work then.
    pub amqp_url: Option<String>,
    /// The services that run `copies` replicas; the others run one.
    pub replicated: Vec<String>,
    /// Replicas of each replicated service.
    pub copies: usize,
    /// Start the notifications service too (nothing in the nine steps calls it directly).
    pub notifications: bool,
    /// Start the gateway (`estelam serve gateway`) too.
    pub gateway: bool,
    /// Settings every process gets, as `ESTELAM_…` variables (log filter, limits, queues).
    pub env: Vec<(String, String)>,
    /// Where each process's log goes (`<label>.log`).
    pub logs: PathBuf,
}

/// One `estelam serve` process.
#[derive(Debug)]
pub struct Process {
    /// `<service>-<n>`, n from 1.
    pub label: String,
    /// The service it hosts.
    pub service: String,
    /// Its gRPC address (the gateway's: its HTTP address).
    pub addr: SocketAddr,
    /// Its admin address (`/metrics`, `/readyz`).
    pub admin: SocketAddr,
    child: Child,
    log: PathBuf,
}

impl Process {
    /// `http://` and its address.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Its process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// The end of its log, for an error message.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// The Estelam API calls it has served: its `estelam_grpc_requests_total` for the
    /// `estelam.*` services (health and reflection left out).
    pub async fn calls_served(&self, http: &reqwest::Client) -> anyhow::Result<u64> {
        let text = http
            .get(format!("http://{}/metrics", self.admin))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .with_context(|| format!("{}: /metrics", self.label))?
            .text()
            .await
            .with_context(|| format!("{}: /metrics", self.label))?;
        Ok(count_calls(&text))
    }

    /// Waits until its readiness probe answers 200 (the gateway's public `/readyz`, a
    /// service's admin one); a process that exits first is an error with its log.
    pub async fn ready(&mut self, http: &reqwest::Client) -> anyhow::Result<()> {
        let url = if self.service == "gateway" {
            format!("http://{}/readyz", self.addr)
        } else {
            format!("http://{}/readyz", self.admin)
        };
        let outcome = poll_within(START_WITHIN, async || {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Ok(Err(format!("exited ({status})")));
            }
            match http.get(&url).send().await {
                Ok(r) if r.status().is_success() => Ok(Ok(())),
                Ok(r) => Err(r.status().to_string()),
                Err(e) => Err(e.to_string()),
            }
        })
        .await;
        match outcome {
            Ok(Ok(())) => Ok(()),
            Ok(Err(why)) | Err(why) => anyhow::bail!(
                "{} did not become ready ({why}); its log ends:\n{}",
                self.label,
                self.log_tail()
            ),
        }
    }

    /// SIGKILL, no drain: a node lost, an OOM kill. Returns once it has exited.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        self.child
            .start_kill()
            .with_context(|| format!("killing {}", self.label))?;
        let _ = self.child.wait().await;
        Ok(())
    }
}

/// The sum of `estelam_grpc_requests_total` over the `estelam.*` services in a Prometheus
/// text exposition.
pub fn count_calls(metrics: &str) -> u64 {
    metrics
        .lines()
        .filter(|l| {
            l.starts_with("estelam_grpc_requests_total{") && l.contains("service=\"estelam.")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

/// A loopback address no one listens on now.
pub fn free_addr() -> anyhow::Result<SocketAddr> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .context("a free loopback port")
}

/// `http://a,http://b`: how callers name a replicated service.
pub fn endpoint_list(addrs: &[SocketAddr]) -> String {
    addrs
        .iter()
        .map(|a| format!("http://{a}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Every process of a deployment; killed when dropped.
#[derive(Debug)]
pub struct Deployment {
    /// The processes, identity first.
    pub processes: Vec<Process>,
    /// Each service's replicas' gRPC addresses, in [`SERVICES`] order.
    pub endpoints: Vec<(String, Vec<SocketAddr>)>,
}

impl Deployment {
    /// Starts identity, waits for it (every other service loads its keys from it), then
    /// every other service's replicas (and the gateway), and waits until all are ready.
    pub async fn start(plan: &Plan, http: &reqwest::Client) -> anyhow::Result<Self> {
        let mut names: Vec<&str> = SERVICES.to_vec();
        names.push("gateway");
        let credentials = estelam_identity::service_credentials(&plan.data_dir, &names)
            .context("the service credentials of the first start")?;
        let secret = |name: &str| -> anyhow::Result<String> {
            Ok(credentials
                .get(name)
                .with_context(|| format!("a credential for {name}"))?
                .expose_secret()
                .to_owned())
        };
        let mut endpoints = Vec::new();
        for service in SERVICES {
            let copies = if plan.replicated.iter().any(|r| r == service) {
                plan.copies.max(1)
            } else {
                1
            };
            let addrs = (0..copies)
                .map(|_| free_addr())
                .collect::<anyhow::Result<Vec<_>>>()?;
            endpoints.push((service.to_owned(), addrs));
        }
        let mut env = vec![
            (
                "ESTELAM_DATA_DIR".to_owned(),
                plan.data_dir.display().to_string(),
            ),
            ("ESTELAM_DATABASE_URL".to_owned(), plan.database_url.clone()),
        ];
        if let Some(url) = &plan.amqp_url {
            env.push(("ESTELAM_AMQP_URL".to_owned(), url.clone()));
        }
        for (service, addrs) in &endpoints {
            env.push((
                format!("ESTELAM_ENDPOINTS__{}", service.to_uppercase()),
                endpoint_list(addrs),
            ));
        }
        // The gateway's address is chosen first: the links the services print and sign
        // (verification URLs, payment returns) name it, as `gateway.public_base_url` does in
        // a deployment.
        let gateway = if plan.gateway {
            let addr = free_addr()?;
            env.push((
                "ESTELAM_GATEWAY__PUBLIC_BASE_URL".to_owned(),
                format!("http://{addr}"),
            ));
            Some(addr)
        } else {
            None
        };
        env.extend(plan.env.iter().cloned());
        let mut deployment = Self {
            processes: Vec::new(),
            endpoints: endpoints.clone(),
        };
        let mut identity_env: Vec<(String, String)> = names
            .iter()
            .map(|n| {
                Ok((
                    format!("ESTELAM_IDENTITY__SERVICE_CLIENTS__{}", n.to_uppercase()),
                    secret(n)?,
                ))
            })
            .collect::<anyhow::Result<_>>()?;
        identity_env.push(("ESTELAM_AUTH__CLIENT_ID".into(), "identity".into()));
        identity_env.push(("ESTELAM_AUTH__CLIENT_SECRET".into(), secret("identity")?));
        let (_, identity) = &endpoints[0];
        deployment.spawn(plan, &env, "identity", 1, identity[0], &identity_env)?;
        deployment.processes[0].ready(http).await?;
        for (service, addrs) in &endpoints[1..] {
            if service == "notifications" && !plan.notifications {
                continue;
            }
            let own = Self::credentials(service, &secret)?;
            for (n, addr) in addrs.iter().enumerate() {
                deployment.spawn(plan, &env, service, n + 1, *addr, &own)?;
            }
        }
        if let Some(addr) = gateway {
            let own = Self::credentials("gateway", &secret)?;
            deployment.spawn(plan, &env, "gateway", 1, addr, &own)?;
        }
        for p in &mut deployment.processes {
            p.ready(http).await?;
        }
        Ok(deployment)
    }

    fn credentials(
        service: &str,
        secret: &impl Fn(&str) -> anyhow::Result<String>,
    ) -> anyhow::Result<[(String, String); 2]> {
        Ok([
            ("ESTELAM_AUTH__CLIENT_ID".to_owned(), service.to_owned()),
            ("ESTELAM_AUTH__CLIENT_SECRET".to_owned(), secret(service)?),
        ])
    }

    fn spawn(
        &mut self,
        plan: &Plan,
        env: &[(String, String)],
        service: &str,
        n: usize,
        addr: SocketAddr,
        own: &[(String, String)],
    ) -> anyhow::Result<()> {
        let label = format!("{service}-{n}");
        let log = plan.logs.join(format!("{label}.log"));
        let file =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let admin = free_addr()?;
        let (grpc, http) = if service == "gateway" {
            (free_addr()?, addr)
        } else {
            (addr, free_addr()?)
        };
        let child = Command::new(&plan.binary)
            .args(["serve", service])
            .env_remove("ESTELAM_CONFIG")
            .env_remove("RUST_LOG")
            .envs(env.iter().cloned())
            .envs(own.iter().cloned())
            .env("ESTELAM_LISTEN__GRPC", grpc.to_string())
            .env("ESTELAM_LISTEN__ADMIN", admin.to_string())
            .env("ESTELAM_LISTEN__HTTP", http.to_string())
            .stdin(std::process::Stdio::null())
            .stdout(file.try_clone().context("the log file")?)
            .stderr(file)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {label} ({})", plan.binary.display()))?;
        self.processes.push(Process {
            label,
            service: service.to_owned(),
            addr,
            admin,
            child,
            log,
        });
        Ok(())
    }

    /// The replicas of `service`, in order.
    pub fn replicas(&self, service: &str) -> Vec<&Process> {
        self.processes
            .iter()
            .filter(|p| p.service == service)
            .collect()
    }

    /// The process labelled `label` (`inquiry-2`).
    pub fn process_mut(&mut self, label: &str) -> Option<&mut Process> {
        self.processes.iter_mut().find(|p| p.label == label)
    }

    /// How callers name `service`: every replica's endpoint, comma-separated.
    pub fn endpoint_of(&self, service: &str) -> Option<String> {
        self.endpoints
            .iter()
            .find(|(s, _)| s == service)
            .map(|(_, addrs)| endpoint_list(addrs))
    }

    /// The gateway's base URL, when it was started.
    pub fn gateway_url(&self) -> Option<String> {
        self.processes
            .iter()
            .find(|p| p.service == "gateway")
            .map(Process::endpoint)
    }

    /// The calls each replica of `service` has served so far, in replica order.
    pub async fn calls_served(
        &self,
        service: &str,
        http: &reqwest::Client,
    ) -> anyhow::Result<Vec<u64>> {
        let mut served = Vec::new();
        for p in self.replicas(service) {
            served.push(p.calls_served(http).await?);
        }
        Ok(served)
    }

    /// Process ids of every process still running, for CPU accounting.
    pub fn pids(&self) -> Vec<u32> {
        self.processes.iter().filter_map(Process::pid).collect()
    }

    /// Where the logs are.
    pub fn log_of(&self, label: &str) -> Option<&Path> {
        self.processes
            .iter()
            .find(|p| p.label == label)
            .map(|p| p.log.as_path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_counted_for_estelam_services_only() {
        let text = "# HELP estelam_grpc_requests_total x\n\
            estelam_grpc_requests_total{code=\"OK\",method=\"GetParcel\",service=\"estelam.property.v1.PropertyService\"} 12\n\
            estelam_grpc_requests_total{code=\"NotFound\",method=\"PickAt\",service=\"estelam.property.v1.PropertyService\"} 3\n\
            estelam_grpc_requests_total{code=\"OK\",method=\"Check\",service=\"grpc.health.v1.Health\"} 40\n\
            estelam_grpc_request_duration_seconds_count{service=\"estelam.property.v1.PropertyService\"} 15\n";
        assert_eq!(count_calls(text), 15);
    }

    #[test]
    fn a_replicated_service_is_named_by_every_replica() {
        let a: SocketAddr = "127.0.0.1:5001".parse().expect("an address");
        let b: SocketAddr = "127.0.0.1:5002".parse().expect("an address");
        assert_eq!(
            endpoint_list(&[a, b]),
            "http://127.0.0.1:5001,http://127.0.0.1:5002"
        );
    }
}
