//! `estelam run` (and so plain `cargo run`): the whole system in one process, each service
//! still on its own loopback gRPC port and talking real gRPC to the others, plus the
//! gateway and one admin port. The end-to-end tests in `tests/` start it the same way.
//!
//! The order of [`start_except`] is the point of this module:
//! 1. bind every listener (the six gRPC ports, the gateway, the admin port), before any
//!    outbound connection, so none of them can be taken by one (see [`crate::listen`]) and
//!    a taken port stops the start before anything is created;
//! 2. give each service its own credentials, connect the event bus, open and migrate each
//!    store (loading the demo city into an empty property store) and build each server,
//!    identity first, since it loads the keys every other service verifies tokens with;
//! 3. serve everything, then, on a first embedded start, create the demo people through
//!    the running services' APIs.

mod credentials;
mod running;

use std::sync::Arc;

use estelam_runtime::admin::{AdminServer, Readiness};
use estelam_runtime::auth::ServiceTokenSource;
use estelam_runtime::config::{SERVICES, Settings};
use estelam_runtime::grpc::GrpcListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use running::{RunningSystem, write_urls_file};

use crate::host::{Host, LateChecks};
use crate::listen::{MOVE_RUN_PORTS, SystemAddrs, bind_failure, cannot_listen};
use credentials::{GATEWAY_CLIENT, with_service_credentials};

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
        let listener = GrpcListener::bind(addr).await.map_err(|e| {
            cannot_listen(
                &e,
                addr,
                &format!("the {service} service's gRPC port"),
                MOVE_RUN_PORTS,
            )
        })?;
        settings.endpoints.set(service, listener.endpoint());
        listeners.push((*service, listener));
    }
    // The gateway's state holds (lazy) channels to every service, so it is bound once
    // their endpoints are known.
    let gateway = estelam_gateway::Gateway::bind(addrs.http, &settings)
        .await
        .map_err(|e| bind_failure(e, addrs.http, "the gateway", MOVE_RUN_PORTS))?;
    let mut readiness = Readiness::new(shutdown.clone());
    let checks = LateChecks::declare(
        &mut readiness,
        listeners
            .iter()
            .map(|(service, _)| (*service, format!("{service} store"))),
    );
    let admin = AdminServer::bind(addrs.admin, readiness)
        .await
        .map_err(|e| cannot_listen(&e, addrs.admin, "the admin port", MOVE_RUN_PORTS))?;
    let gateway_url = format!("http://{}", gateway.local_addr()?);
    let admin_url = format!("http://{}", admin.local_addr()?);
    // The admin port answers from now on: `/readyz` names what is not open yet. If the
    // start fails below, dropping the set stops it.
    let mut tasks: JoinSet<anyhow::Result<()>> = JoinSet::new();
    let stop = shutdown.clone();
    tasks.spawn(async move { Ok(admin.run_until_stopped(stop).await?) });

    // Every link the services print or sign (verification URLs and QR codes, payment
    // returns, the sandbox bank's pages, which the gateway serves) names the port the
    // gateway really bound, unless `gateway.public_base_url` says otherwise.
    settings.derive_public_links(gateway.local_addr()?);
    let mut per_service = with_service_credentials(&mut settings)?;
    for own in per_service.values_mut() {
        own.endpoints = settings.endpoints.clone();
    }
    let all_services = per_service.clone();
    let settings = Arc::new(settings);
    let host = Host::connect(&settings, "estelam", shutdown.clone(), checks).await?;
    let mut servers = Vec::new();
    let mut bootstrap_admin = None;
    let mut sms = None;
    let mut notices = None;
    for (service, listener) in listeners {
        let own = Arc::new(
            per_service
                .remove(service)
                .unwrap_or_else(|| settings.as_ref().clone()),
        );
        let ctx = host.context(service, own, shutdown.clone()).await?;
        if service == estelam_property::SERVICE {
            crate::data::load_demo_city(&settings, &ctx.db).await?;
        }
        let server = if service == estelam_identity::SERVICE {
            let (server, admin, log) = estelam_identity::build_bootstrapping(&ctx).await?;
            bootstrap_admin = admin;
            sms = Some(log);
            server
        } else if service == estelam_notifications::SERVICE {
            let (server, log) = estelam_notifications::build_with_log(&ctx).await?;
            notices = Some(log);
            server
        } else {
            crate::services::build_server(service, &ctx).await?
        };
        servers.push((service, listener, server));
    }
    // Identity (built first) already loaded its keys into the shared verifier; this keeps
    // them fresh through its gRPC API, as in a deployment of separate processes.
    host.refresh_keys_from_identity(&settings)?;
    let gateway = gateway.with_verifier(host.verifier.clone());
    let gateway = match per_service
        .remove(GATEWAY_CLIENT)
        .map(|own| ServiceTokenSource::from_settings(&own))
        .transpose()?
        .flatten()
    {
        Some(source) => gateway.with_service_token(source),
        None => gateway,
    };

    let mut endpoints = Vec::new();
    for (service, listener, server) in servers {
        endpoints.push((service, listener.endpoint()));
        let stop = shutdown.clone();
        tasks.spawn(async move { server.run_until_stopped(listener, stop).await });
    }
    let stop = shutdown.clone();
    tasks.spawn(async move { Ok(gateway.run_until_stopped(stop).await?) });
    // Only a first embedded start generates the admin, so this runs once per data dir.
    let demo_people = match bootstrap_admin {
        Some(admin) => match crate::demo::create_as_first_admin(&settings, &admin).await {
            Ok(people) => Some(people),
            Err(err) => {
                tracing::warn!(error = ?err, "the demo people could not be created");
                None
            }
        },
        None => None,
    };
    Ok(RunningSystem {
        endpoints,
        gateway_url,
        admin_url,
        demo_people,
        settings,
        per_service: all_services,
        host,
        tasks,
        sms,
        notices,
    })
}
