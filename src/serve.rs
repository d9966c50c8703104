//! `estelam serve <service>`: one service per process, as each Kubernetes Deployment runs
//! it. Its ports come from `listen.*`; the other services are reached at `endpoints.*`.

use std::sync::Arc;

use estelam_runtime::admin::{AdminServer, Readiness};
use estelam_runtime::auth::ServiceTokenSource;
use estelam_runtime::config::Settings;
use estelam_runtime::grpc::GrpcListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::host::{self, Host, LateChecks};
use crate::listen::{bind_failure, cannot_listen};

/// What moves a port of `estelam serve`, named when it cannot be bound.
fn moved_by(setting: &str) -> String {
    format!(
        "set listen.{setting} (ESTELAM_LISTEN__{}) to a free address",
        setting.to_ascii_uppercase()
    )
}

/// Hosts one service: its gRPC port and its admin port. Both are bound before the store,
/// the bus or identity is contacted, and the admin port answers at once (`/readyz` says
/// what is not open yet), so the probes see the process as soon as it is alive.
pub async fn serve_one(
    mut settings: Settings,
    service: &str,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    // The public links (verification URLs, payment returns) come from
    // `gateway.public_base_url`, which a deployment sets; the gateway's own port otherwise.
    let http = settings.listen.http;
    settings.derive_public_links(http);
    let listener = GrpcListener::bind(settings.listen.grpc)
        .await
        .map_err(|e| {
            cannot_listen(
                &e,
                settings.listen.grpc,
                &format!("the {service} service's gRPC port"),
                &moved_by("grpc"),
            )
        })?;
    let mut readiness = Readiness::new(shutdown.clone());
    let checks = LateChecks::declare(&mut readiness, [(service, "store".to_owned())]);
    let admin = bind_admin(&settings, readiness).await?;
    let mut tasks = JoinSet::new();
    let stop = shutdown.clone();
    tasks.spawn(async move { admin.run_until_stopped(stop).await });

    let settings = Arc::new(settings);
    let host = Host::connect(
        &settings,
        &format!("estelam-{service}"),
        shutdown.clone(),
        checks,
    )
    .await?;
    if service != estelam_identity::SERVICE {
        // Identity trusts its own keys directly; every other service asks identity for them.
        host.refresh_keys_from_identity(&settings)?;
    }
    let (_ctx, server) = host.build(service, settings, shutdown.clone()).await?;
    let result = server.run_until_stopped(listener, shutdown.clone()).await;
    stop_admin(tasks, &shutdown).await?;
    result
}

/// Hosts only the gateway (`estelam serve gateway`): its public HTTP port and its admin port.
pub async fn serve_gateway(settings: Settings, shutdown: CancellationToken) -> anyhow::Result<()> {
    let gateway = estelam_gateway::Gateway::bind(settings.listen.http, &settings)
        .await
        .map_err(|e| bind_failure(e, settings.listen.http, "the gateway", &moved_by("http")))?;
    // Metrics go out on the admin port, like every service's, not through the public port
    // the Ingress exposes. The gateway's readiness stays on its public /readyz.
    let admin = bind_admin(&settings, Readiness::new(shutdown.clone())).await?;
    let mut tasks = JoinSet::new();
    let stop = shutdown.clone();
    tasks.spawn(async move { admin.run_until_stopped(stop).await });

    // The gateway recognises accounts (per-account rate limits) by identity's current keys.
    let verifier = host::verifier(&settings);
    host::refresh_keys_from_identity(&verifier, &settings, &shutdown)?;
    let gateway = gateway.with_verifier(verifier);
    let gateway = match ServiceTokenSource::from_settings(&settings)? {
        Some(source) => gateway.with_service_token(source),
        None => gateway,
    };
    let result = gateway.run_until_stopped(shutdown.clone()).await;
    stop_admin(tasks, &shutdown).await?;
    result?;
    Ok(())
}

async fn bind_admin(settings: &Settings, readiness: Readiness) -> anyhow::Result<AdminServer> {
    AdminServer::bind(settings.listen.admin, readiness)
        .await
        .map_err(|e| {
            cannot_listen(
                &e,
                settings.listen.admin,
                "the admin port",
                &moved_by("admin"),
            )
        })
}

/// Stops the admin port once the main server has stopped, so the process exits.
async fn stop_admin(
    mut tasks: JoinSet<std::io::Result<()>>,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    shutdown.cancel();
    while let Some(joined) = tasks.join_next().await {
        joined??;
    }
    Ok(())
}
