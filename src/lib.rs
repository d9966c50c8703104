//! The Estelam launcher: assembles the services into one running system.
//!
//! [`start`] brings up every service, each on its own loopback gRPC port and talking real
//! gRPC, plus the gateway, and returns a [`RunningSystem`] with their addresses. It is what
//! `estelam run` (and so plain `cargo run`) does, and what the end-to-end tests in `tests/`
//! use. [`serve_one`] hosts a single service, as each Kubernetes Deployment does.

pub mod bench;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use estelam_runtime::admin::{AdminServer, Readiness};
use estelam_runtime::auth::{IdentityKeySource, ServiceTokenSource, TokenVerifier};
use estelam_runtime::config::{FeesSettings, SERVICES, Settings};
use estelam_runtime::db::Migrations;
use estelam_runtime::grpc::{GrpcListener, GrpcServer};
use estelam_runtime::host::{ServiceContext, connect_bus, open_store};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// The migrations of `service`, or an error naming the known services.
pub fn migrations_of(service: &str) -> anyhow::Result<Migrations> {
    Ok(match service {
        "identity" => estelam_identity::migrations(),
        "property" => estelam_property::migrations(),
        "documents" => estelam_documents::migrations(),
        "fees" => estelam_fees::migrations(),
        "inquiry" => estelam_inquiry::migrations(),
        other => anyhow::bail!("unknown service {other:?}; known: {}", SERVICES.join(", ")),
    })
}

async fn build_server(service: &str, ctx: &ServiceContext) -> anyhow::Result<GrpcServer> {
    match service {
        "identity" => estelam_identity::build(ctx).await,
        "property" => estelam_property::build(ctx).await,
        "documents" => estelam_documents::build(ctx).await,
        "fees" => estelam_fees::build(ctx).await,
        "inquiry" => estelam_inquiry::build(ctx).await,
        other => anyhow::bail!("unknown service {other:?}; known: {}", SERVICES.join(", ")),
    }
}

fn verifier(settings: &Settings) -> TokenVerifier {
    TokenVerifier::new(&settings.auth.issuer, &settings.auth.audience)
}

/// Keeps `verifier` in step with identity's published keys (`GetSigningKeys` at
/// `endpoints.identity`), so tokens identity issues are accepted here and rotations need no
/// restart.
fn refresh_keys_from_identity(
    verifier: &TokenVerifier,
    settings: &Settings,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let source = IdentityKeySource::from_settings(settings).context("endpoints.identity")?;
    let every = std::time::Duration::from_secs(settings.auth.key_refresh_secs);
    verifier.spawn_refresh(Arc::new(source), every, shutdown.clone());
    Ok(())
}

/// `estelam run`: every service gets its own client credentials (generated once, kept in
/// the data directory, mode 0600) and identity the whole map, unless configured already.
fn with_service_credentials(
    settings: &mut Settings,
) -> anyhow::Result<std::collections::BTreeMap<String, Settings>> {
    let names: Vec<&str> = SERVICES.iter().copied().chain([GATEWAY_CLIENT]).collect();
    let generated = estelam_identity::service_credentials(&settings.data_dir, &names)
        .context("the generated service credentials in the data directory")?;
    for (name, secret) in generated {
        settings
            .identity
            .service_clients
            .entry(name)
            .or_insert(secret);
    }
    let mut per_service = std::collections::BTreeMap::new();
    for service in names {
        let mut own = settings.clone();
        own.auth.client_id = Some(service.to_owned());
        own.auth.client_secret = settings.identity.service_clients.get(service).cloned();
        per_service.insert(service.to_owned(), own);
    }
    Ok(per_service)
}

/// The gateway's service account (client id) under `estelam run`.
const GATEWAY_CLIENT: &str = "gateway";

/// Applies every service's migrations (`estelam migrate`), or only `only`'s.
pub async fn migrate(settings: &Settings, only: Option<&str>) -> anyhow::Result<()> {
    for service in SERVICES.iter().filter(|s| only.is_none_or(|o| o == **s)) {
        let db = open_store(settings, service, &migrations_of(service)?)
            .await
            .with_context(|| format!("migrating the {service} store"))?;
        db.close().await;
        tracing::info!(service, "store is up to date");
    }
    if let Some(o) = only {
        migrations_of(o)?;
    }
    Ok(())
}

/// Where to listen when starting the whole system.
#[derive(Debug, Clone)]
pub struct SystemAddrs {
    /// gRPC listen address per service, in [`SERVICES`] order.
    pub grpc: [SocketAddr; 5],
    /// The gateway's HTTP address.
    pub http: SocketAddr,
    /// The admin port (`/healthz`, `/readyz`, `/metrics`).
    pub admin: SocketAddr,
}

impl SystemAddrs {
    /// Loopback, the conventional ports: gRPC 50051–50055, HTTP 8080, admin 9090.
    pub fn conventional() -> Self {
        let lo = |port| SocketAddr::from(([127, 0, 0, 1], port));
        Self {
            grpc: [lo(50051), lo(50052), lo(50053), lo(50054), lo(50055)],
            http: lo(8080),
            admin: lo(9090),
        }
    }

    /// Loopback from `base`: the gateway on `base`, the admin port on `base + 1`, the
    /// services' gRPC ports on `base + 2` to `base + 6` (in [`SERVICES`] order). Base 0 lets
    /// the OS choose every port, so several systems (or a test's) can run side by side;
    /// `estelam run --base-port` uses it.
    pub fn from_base_port(base: u16) -> anyhow::Result<Self> {
        if base == 0 {
            return Ok(Self::ephemeral());
        }
        let lo = |offset: u16| -> anyhow::Result<SocketAddr> {
            let port = base.checked_add(offset).with_context(|| {
                format!("base port {base} leaves no room for the 7 ports (use at most 65529)")
            })?;
            Ok(SocketAddr::from(([127, 0, 0, 1], port)))
        };
        Ok(Self {
            http: lo(0)?,
            admin: lo(1)?,
            grpc: [lo(2)?, lo(3)?, lo(4)?, lo(5)?, lo(6)?],
        })
    }

    /// Loopback, every port chosen by the OS: for tests running side by side.
    pub fn ephemeral() -> Self {
        let lo = SocketAddr::from(([127, 0, 0, 1], 0));
        Self {
            grpc: [lo; 5],
            http: lo,
            admin: lo,
        }
    }
}

/// The whole system, running in this process.
pub struct RunningSystem {
    /// Each service's name and gRPC endpoint (`http://127.0.0.1:port`).
    pub endpoints: Vec<(&'static str, String)>,
    /// The gateway (and portal) URL.
    pub gateway_url: String,
    /// The admin URL.
    pub admin_url: String,
    settings: Arc<Settings>,
    per_service: std::collections::BTreeMap<String, Settings>,
    verifier: TokenVerifier,
    bus: Arc<dyn estelam_runtime::bus::EventBus>,
    shutdown: CancellationToken,
    tasks: JoinSet<anyhow::Result<()>>,
}

impl RunningSystem {
    /// The settings the system runs with: every started service's endpoint filled in, and
    /// the service clients identity accepts.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Starts one more instance of `service` on `listener`, sharing this system's event bus
    /// and token verifier and using the service's own credentials, until `stop` (or the
    /// system's shutdown) is cancelled. Tests use it to stop and restart one service
    /// (started by [`start_except`]) while the rest keeps running.
    pub async fn spawn_service(
        &self,
        service: &str,
        listener: GrpcListener,
        stop: CancellationToken,
    ) -> anyhow::Result<tokio::task::JoinHandle<anyhow::Result<()>>> {
        let mut own = self
            .per_service
            .get(service)
            .cloned()
            .with_context(|| format!("unknown service {service:?}"))?;
        own.endpoints.set(service, listener.endpoint());
        let db = open_store(&own, service, &migrations_of(service)?)
            .await
            .with_context(|| format!("opening the {service} store"))?;
        let stop = {
            let both = stop.child_token();
            let system = self.shutdown.clone();
            let cancel = both.clone();
            tokio::spawn(async move {
                system.cancelled().await;
                cancel.cancel();
            });
            both
        };
        let ctx = ServiceContext {
            settings: Arc::new(own),
            db: db.clone(),
            verifier: self.verifier.clone(),
            bus: self.bus.clone(),
            shutdown: stop.clone(),
        };
        let server = build_server(service, &ctx).await?;
        Ok(tokio::spawn(async move {
            let result = server.run_until_stopped(listener, stop).await;
            db.close().await;
            result
        }))
    }

    /// Where everything listens, as JSON: `{"gateway", "admin", "grpc": {service: endpoint}}`.
    /// `estelam run --urls-file` writes it so that a script started the system on OS-chosen
    /// ports can find them.
    pub fn urls_json(&self) -> serde_json::Value {
        let grpc: serde_json::Map<String, serde_json::Value> = self
            .endpoints
            .iter()
            .map(|(service, endpoint)| ((*service).to_owned(), endpoint.clone().into()))
            .collect();
        serde_json::json!({
            "gateway": self.gateway_url,
            "admin": self.admin_url,
            "grpc": grpc,
            "data_dir": self.settings.data_dir,
        })
    }

    /// The shutdown token; cancelling it stops everything.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Waits until every part has stopped (after shutdown, or when one fails, which then
    /// stops the rest); returns the first failure.
    pub async fn wait(mut self) -> anyhow::Result<()> {
        let mut first_error = None;
        while let Some(joined) = self.tasks.join_next().await {
            let result = joined.map_err(anyhow::Error::from).and_then(|r| r);
            if let Err(err) = result {
                tracing::error!(error = ?err, "a part of the system failed; stopping the rest");
                self.shutdown.cancel();
                first_error.get_or_insert(err);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Requests shutdown and waits for every part to stop.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.wait().await
    }
}

/// Starts every service and the gateway on `addrs`, stopping when `shutdown` is cancelled.
/// Every listener is bound before anything serves, so the returned addresses accept
/// connections at once.
pub async fn start(
    settings: Settings,
    addrs: SystemAddrs,
    shutdown: CancellationToken,
) -> anyhow::Result<RunningSystem> {
    start_except(settings, addrs, shutdown, &[]).await
}

/// [`start`], leaving out the services named in `left_out` (a test starts them itself with
/// [`RunningSystem::spawn_service`]). Nothing is created for them: no listener, no store.
pub async fn start_except(
    settings: Settings,
    addrs: SystemAddrs,
    shutdown: CancellationToken,
    left_out: &[&str],
) -> anyhow::Result<RunningSystem> {
    let mut settings = settings;
    let mut listeners = Vec::new();
    for (service, addr) in SERVICES
        .iter()
        .zip(addrs.grpc)
        .filter(|(s, _)| !left_out.contains(s))
    {
        let listener = GrpcListener::bind(addr).await.with_context(|| {
            format!("cannot listen on {addr} for the {service} service (is the port in use?)")
        })?;
        settings.endpoints.set(service, listener.endpoint());
        listeners.push((*service, listener));
    }
    // The gateway is bound early so that its address is known to the fee service: the
    // sandbox PSP's pages it serves are where payers are sent.
    let gateway = estelam_gateway::Gateway::bind(addrs.http, &settings)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} for the gateway (is the port in use?)",
                addrs.http
            )
        })?;
    if settings.fees.psp_base_url == FeesSettings::default().psp_base_url {
        let port = gateway.local_addr()?.port();
        settings.fees.psp_base_url = format!("http://127.0.0.1:{port}/psp");
    }
    let mut per_service = with_service_credentials(&mut settings)?;
    for own in per_service.values_mut() {
        own.endpoints = settings.endpoints.clone();
    }
    let all_services = per_service.clone();
    let settings = Arc::new(settings);
    let verifier = verifier(&settings);
    let bus = connect_bus(&settings, "estelam")
        .await
        .context("connecting to the event bus (bus.amqp_url)")?;
    let mut readiness = Readiness::new(shutdown.clone());
    let probe = bus.clone();
    readiness.add("event bus", move || {
        let bus = probe.clone();
        async move { bus.is_connected() }
    });
    let mut servers = Vec::new();
    let mut bootstrap_admin = None;
    for (service, listener) in listeners {
        let own = Arc::new(
            per_service
                .remove(service)
                .unwrap_or_else(|| settings.as_ref().clone()),
        );
        let db = open_store(&settings, service, &migrations_of(service)?)
            .await
            .with_context(|| format!("opening the {service} store"))?;
        if service == estelam_property::SERVICE {
            load_demo_city(&settings, &db).await?;
        }
        let probe = db.clone();
        readiness.add(format!("{service} store"), move || {
            let db = probe.clone();
            async move { db.is_reachable().await }
        });
        let ctx = ServiceContext {
            settings: own,
            db,
            verifier: verifier.clone(),
            bus: bus.clone(),
            shutdown: shutdown.clone(),
        };
        let server = if service == estelam_identity::SERVICE {
            let (server, admin) = estelam_identity::build_bootstrapping(&ctx).await?;
            bootstrap_admin = admin;
            server
        } else {
            build_server(service, &ctx).await?
        };
        servers.push((service, listener, server));
    }
    // Identity (built first) already loaded its keys into the shared verifier; this keeps
    // them fresh through its gRPC API, as in a deployment of separate processes.
    refresh_keys_from_identity(&verifier, &settings, &shutdown)?;
    let gateway = gateway.with_verifier(verifier.clone());
    let gateway = match per_service
        .remove(GATEWAY_CLIENT)
        .map(|own| ServiceTokenSource::from_settings(&own))
        .transpose()?
        .flatten()
    {
        Some(source) => gateway.with_service_token(source),
        None => gateway,
    };
    let admin = AdminServer::bind(addrs.admin, readiness)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} for the admin port (is the port in use?)",
                addrs.admin
            )
        })?;

    let gateway_url = format!("http://{}", gateway.local_addr()?);
    let admin_url = format!("http://{}", admin.local_addr()?);
    let mut endpoints = Vec::new();
    let mut tasks = JoinSet::new();
    for (service, listener, server) in servers {
        endpoints.push((service, listener.endpoint()));
        let stop = shutdown.clone();
        tasks.spawn(async move { server.run_until_stopped(listener, stop).await });
    }
    let stop = shutdown.clone();
    tasks.spawn(async move { Ok(gateway.run_until_stopped(stop).await?) });
    let stop = shutdown.clone();
    tasks.spawn(async move { Ok(admin.run_until_stopped(stop).await?) });
    if let Some(admin) = bootstrap_admin {
        // Only a first embedded start generates the admin, so this runs once per data dir.
        match bootstrap_demo(&settings, &admin).await {
            Ok(people) => print_demo_people(&people, &settings.data_dir),
            Err(err) => tracing::warn!(error = ?err, "the demo people could not be created"),
        }
    }
    Ok(RunningSystem {
        endpoints,
        gateway_url,
        admin_url,
        settings,
        per_service: all_services,
        verifier,
        bus,
        shutdown,
        tasks,
    })
}

/// Writes `urls` to `path` whole or not at all (through a temporary file and a rename), so a
/// script polling for the file never reads half of it.
pub fn write_urls_file(path: &std::path::Path, urls: &serde_json::Value) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(urls)?)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Loads the synthetic demo city (`property.demo_parcels` parcels) into an empty property
/// store: what the first `estelam run` does. A store with parcels is left alone.
async fn load_demo_city(
    settings: &Settings,
    db: &estelam_runtime::db::Database,
) -> anyhow::Result<()> {
    let n = u64::from(settings.property.demo_parcels);
    if let Some(report) = estelam_property::seed::load_demo_city_if_empty(db, n)
        .await
        .context("loading the demo city")?
    {
        tracing::info!(parcels = report.parcels, elapsed = ?report.elapsed, "loaded the demo city into the empty property store");
    }
    Ok(())
}

/// Fills an empty property store with `parcels` parcels of the synthetic city
/// (`estelam seed`), reporting progress after each batch.
pub async fn seed(
    settings: &Settings,
    parcels: u64,
    progress: &mut (dyn FnMut(u64) + Send),
) -> anyhow::Result<estelam_property::seed::SeedReport> {
    let db = open_store(
        settings,
        estelam_property::SERVICE,
        &estelam_property::migrations(),
    )
    .await?;
    let report = estelam_property::seed::seed_city(&db, parcels, progress).await;
    db.close().await;
    Ok(report?)
}

/// Imports a GeoJSON parcel layer into the property store (`estelam import parcels`); all
/// or nothing, every bad feature named in the error.
pub async fn import_parcels(
    settings: &Settings,
    file: &std::path::Path,
    reason: &str,
) -> anyhow::Result<usize> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let db = open_store(
        settings,
        estelam_property::SERVICE,
        &estelam_property::migrations(),
    )
    .await?;
    let registry =
        estelam_property::Registry::open(db.clone(), estelam_property::system_clock()).await?;
    let actor = estelam_property::store::Actor::system("estelam import");
    let result = estelam_property::import::import_geojson(&registry, &text, &actor, reason).await;
    db.close().await;
    Ok(result?)
}

/// Hosts one service (`estelam serve <service>`): its gRPC port and its admin port.
pub async fn serve_one(
    settings: Settings,
    service: &str,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let listener = GrpcListener::bind(settings.listen.grpc)
        .await
        .with_context(|| format!("cannot listen on {} (listen.grpc)", settings.listen.grpc))?;
    let settings = Arc::new(settings);
    let db = open_store(&settings, service, &migrations_of(service)?)
        .await
        .with_context(|| format!("opening the {service} store"))?;
    let bus = connect_bus(&settings, &format!("estelam-{service}"))
        .await
        .context("connecting to the event bus (bus.amqp_url)")?;
    let mut readiness = Readiness::new(shutdown.clone());
    let probe = bus.clone();
    readiness.add("event bus", move || {
        let bus = probe.clone();
        async move { bus.is_connected() }
    });
    let probe = db.clone();
    readiness.add("store", move || {
        let db = probe.clone();
        async move { db.is_reachable().await }
    });
    let admin = AdminServer::bind(settings.listen.admin, readiness)
        .await
        .with_context(|| format!("cannot listen on {} (listen.admin)", settings.listen.admin))?;
    let verifier = verifier(&settings);
    if service != estelam_identity::SERVICE {
        // Identity trusts its own keys directly; every other service asks identity for them.
        refresh_keys_from_identity(&verifier, &settings, &shutdown)?;
    }
    let ctx = ServiceContext {
        settings: settings.clone(),
        db,
        verifier,
        bus,
        shutdown: shutdown.clone(),
    };
    let server = build_server(service, &ctx).await?;
    let stop = shutdown.clone();
    let admin_task = tokio::spawn(async move { admin.run_until_stopped(stop).await });
    let result = server.run_until_stopped(listener, shutdown.clone()).await;
    shutdown.cancel();
    admin_task.await??;
    result
}

/// Hosts only the gateway (`estelam serve gateway`).
pub async fn serve_gateway(settings: Settings, shutdown: CancellationToken) -> anyhow::Result<()> {
    let gateway = estelam_gateway::Gateway::bind(settings.listen.http, &settings)
        .await
        .with_context(|| format!("cannot listen on {} (listen.http)", settings.listen.http))?;
    // The gateway recognises accounts (per-account rate limits) by identity's current keys.
    let verifier = verifier(&settings);
    refresh_keys_from_identity(&verifier, &settings, &shutdown)?;
    let gateway = gateway.with_verifier(verifier);
    let gateway = match ServiceTokenSource::from_settings(&settings)? {
        Some(source) => gateway.with_service_token(source),
        None => gateway,
    };
    // Metrics go out on the admin port, like every service's, not through the public port
    // the Ingress exposes. The gateway's readiness stays on its public /readyz.
    let admin = AdminServer::bind(settings.listen.admin, Readiness::new(shutdown.clone()))
        .await
        .with_context(|| format!("cannot listen on {} (listen.admin)", settings.listen.admin))?;
    let stop = shutdown.clone();
    let admin_task = tokio::spawn(async move { admin.run_until_stopped(stop).await });
    let result = gateway.run_until_stopped(shutdown.clone()).await;
    shutdown.cancel();
    admin_task.await??;
    result?;
    Ok(())
}

/// Logs in over gRPC at `endpoints.identity` (as any client would) and returns the
/// access token.
pub async fn log_in(
    settings: &Settings,
    identifier: estelam_proto::identity::v1::login_request::Identifier,
    password: &str,
) -> anyhow::Result<String> {
    use estelam_proto::identity::v1 as ipb;
    let channel = estelam_runtime::grpc::channel(&settings.endpoints.identity, &settings.grpc)?;
    let login = ipb::identity_service_client::IdentityServiceClient::new(channel)
        .login(ipb::LoginRequest {
            identifier: Some(identifier),
            password: password.to_owned(),
        })
        .await
        .context("logging in")?
        .into_inner();
    login
        .tokens
        .map(|t| t.access_token)
        .context("the login returned no tokens")
}

/// Creates (once: `demo.json` in the data directory says it is done) the demo people of
/// `estelam_inquiry::demo`, acting as the admin whose token is given: a clerk, a notary
/// office's user, and two citizens owning demo parcels with request numbers, one of them
/// owing levies. `estelam run` does this on its first embedded start.
pub async fn create_demo_people(
    settings: &Settings,
    admin_token: String,
) -> anyhow::Result<estelam_inquiry::demo::DemoPeople> {
    let ports = estelam_inquiry::demo::GrpcDemoPorts::new(settings, admin_token)?;
    estelam_inquiry::demo::ensure_demo_people(&settings.data_dir, &ports).await
}

async fn bootstrap_demo(
    settings: &Settings,
    admin: &estelam_identity::BootstrapAdmin,
) -> anyhow::Result<estelam_inquiry::demo::DemoPeople> {
    use secrecy::ExposeSecret as _;
    let token = log_in(
        settings,
        estelam_proto::identity::v1::login_request::Identifier::MembershipCode(
            admin.membership_code.clone(),
        ),
        admin.password.expose_secret(),
    )
    .await
    .context("the first admin's login")?;
    create_demo_people(settings, token).await
}

fn print_demo_people(people: &estelam_inquiry::demo::DemoPeople, data_dir: &std::path::Path) {
    println!();
    println!(
        "  Demo people (also in {}):",
        data_dir.join("demo.json").display()
    );
    println!(
        "    clerk      {} ({}), password {}",
        people.clerk.name, people.clerk.national_code, people.clerk.password
    );
    println!(
        "    authority  {} ({}, {}), password {}",
        people.authority.name,
        people.authority.national_code,
        people.authority.organization,
        people.authority.password
    );
    for c in &people.citizens {
        println!(
            "    citizen    {} ({}), password {}; parcel {}, request number {}, {}",
            c.name,
            c.national_code,
            c.password,
            c.renovation_code,
            c.request_number,
            if c.has_debt { "owes levies" } else { "no debt" }
        );
    }
    if let Some(n) = &people.newcomer {
        println!(
            "    newcomer   {} ({}) owns parcel {} (at {:.6}, {:.6} on the map) with request \
             number {}{}, but has no account yet: register as them (mobile {}) and file an inquiry",
            n.name,
            n.national_code,
            n.renovation_code,
            n.lat,
            n.lon,
            n.request_number,
            if n.has_debt { " and owes levies" } else { "" },
            n.mobile,
        );
    }
    println!();
}

#[cfg(test)]
mod tests {
    use super::SystemAddrs;

    #[test]
    fn a_base_port_lays_out_every_port_from_it_and_zero_lets_the_os_choose() {
        let addrs = SystemAddrs::from_base_port(18080).expect("room for 7 ports");
        assert_eq!(addrs.http.port(), 18080);
        assert_eq!(addrs.admin.port(), 18081);
        let grpc: Vec<u16> = addrs.grpc.iter().map(|a| a.port()).collect();
        assert_eq!(grpc, [18082, 18083, 18084, 18085, 18086]);
        assert!(addrs.http.ip().is_loopback());

        let any = SystemAddrs::from_base_port(0).expect("OS-chosen");
        assert_eq!(any.http.port(), 0);
        assert!(any.grpc.iter().all(|a| a.port() == 0));

        let err = SystemAddrs::from_base_port(65533).expect_err("no room above it");
        assert!(err.to_string().contains("65529"), "{err}");
    }
}
