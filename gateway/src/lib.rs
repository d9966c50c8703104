//! Estelam's HTTP gateway: where citizens, clerks and integrators meet the system over
//! HTTP. It translates HTTP/JSON to the services' gRPC APIs and serves the citizen portal.
//!
//! This crate currently serves the operator endpoints (`/healthz`, `/readyz`, `/metrics`)
//! and a status page at `/` that shows whether each service answers its health check; the
//! JSON API and the portal pages are added route by route as their services land.

mod status;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use estelam_runtime::config::{GrpcSettings, SERVICES, Settings};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

/// Connections the gateway holds to each service.
#[derive(Clone)]
pub struct Backends {
    channels: Arc<Vec<(&'static str, Channel)>>,
}

impl Backends {
    /// Lazy channels to every service's configured endpoint.
    pub fn connect(settings: &Settings) -> anyhow::Result<Self> {
        let grpc: &GrpcSettings = &settings.grpc;
        let mut channels = Vec::new();
        for service in SERVICES {
            let endpoint = settings.endpoints.of(service).unwrap_or_default();
            channels.push((service, estelam_runtime::grpc::channel(endpoint, grpc)?));
        }
        Ok(Self {
            channels: Arc::new(channels),
        })
    }

    /// The channel to `service`.
    pub fn channel(&self, service: &str) -> Option<Channel> {
        self.channels
            .iter()
            .find(|(name, _)| *name == service)
            .map(|(_, c)| c.clone())
    }

    /// Every service and its channel, in start order.
    pub fn all(&self) -> impl Iterator<Item = (&'static str, Channel)> + '_ {
        self.channels.iter().map(|(n, c)| (*n, c.clone()))
    }
}

/// A bound gateway, ready to serve.
pub struct Gateway {
    listener: TcpListener,
    backends: Backends,
}

impl Gateway {
    /// Binds the HTTP port first (port 0 in tests) and prepares channels to the services.
    pub async fn bind(addr: SocketAddr, settings: &Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Self {
            listener,
            backends: Backends::connect(settings)?,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The HTTP application, for in-process tests with `oneshot`.
    pub fn router(backends: Backends) -> Router {
        Router::new()
            .route("/", get(status::page))
            .route("/healthz", get(|| async { "ok" }))
            .route("/readyz", get(status::readyz))
            .route(
                "/metrics",
                get(|| async { estelam_runtime::metrics::render() }),
            )
            .with_state(backends)
    }

    /// Serves until `shutdown`, letting in-flight requests finish.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> std::io::Result<()> {
        let app = Self::router(self.backends);
        axum::serve(self.listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await
    }
}
