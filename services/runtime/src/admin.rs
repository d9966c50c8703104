//! The admin HTTP port every process opens: `/healthz` (the process is alive), `/readyz`
//! (it can serve: its store and bus answer and it is not draining) and `/metrics`
//! (Prometheus). Kubernetes probes and scrapes it; it carries no user traffic.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

type CheckFn = dyn Fn() -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync;

/// Named readiness checks; the process is ready when all pass and shutdown has not begun.
#[derive(Clone, Default)]
pub struct Readiness {
    checks: Vec<(String, Arc<CheckFn>)>,
    draining: CancellationToken,
}

impl Readiness {
    /// Readiness that turns false as soon as `shutdown` is cancelled, so load balancers stop
    /// sending work before the servers close.
    pub fn new(shutdown: CancellationToken) -> Self {
        Self {
            checks: Vec::new(),
            draining: shutdown,
        }
    }

    /// Adds a check, e.g. "the database answers".
    pub fn add<F, Fut>(&mut self, name: impl Into<String>, check: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        self.checks
            .push((name.into(), Arc::new(move || Box::pin(check()))));
    }

    /// Runs every check; returns the names of those failing.
    pub async fn failing(&self) -> Vec<String> {
        let mut failing = Vec::new();
        if self.draining.is_cancelled() {
            failing.push("draining".to_owned());
        }
        for (name, check) in &self.checks {
            if !check().await {
                failing.push(name.clone());
            }
        }
        failing
    }
}

/// A bound admin listener, ready to serve.
pub struct AdminServer {
    listener: TcpListener,
    readiness: Readiness,
}

impl AdminServer {
    /// Binds the admin port first, so a caller knows the address before anything runs.
    pub async fn bind(addr: SocketAddr, readiness: Readiness) -> std::io::Result<Self> {
        Ok(Self {
            listener: TcpListener::bind(addr).await?,
            readiness,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown`.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> std::io::Result<()> {
        let app = Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route("/readyz", get(readyz))
            .route("/metrics", get(|| async { crate::metrics::render() }))
            .with_state(self.readiness);
        axum::serve(self.listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await
    }
}

async fn readyz(State(readiness): State<Readiness>) -> (StatusCode, String) {
    let failing = readiness.failing().await;
    if failing.is_empty() {
        (StatusCode::OK, "ready".to_owned())
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}", failing.join(", ")),
        )
    }
}
