//! Estelam's HTTP gateway: where citizens, clerks and integrators meet the system over
//! HTTP. It translates HTTP/JSON to the services' gRPC APIs, describes that API as OpenAPI
//! 3.1, and serves the citizen portal (Persian first, right to left) from assets embedded in
//! the binary.
//!
//! The parts, one concern per module:
//! * [`routes`] — every route, each with its OpenAPI description ([`openapi`]);
//! * [`problem`] and [`extract`] — errors as RFC 9457 problem+json in Persian and English;
//!   [`errors`] — the gateway's own refusals, each with its catalogued reason;
//! * [`dto`] — the JSON shapes, built from the services' messages;
//! * [`stack`] — the tower stack (request id, trace, security headers, CORS, compression,
//!   timeouts, overload, rate limits, body limits), built in one place;
//! * [`portal`], [`assets`], [`fallback`] — the portal shell, embedded files, deep links.

pub mod assets;
pub mod auth_first;
pub mod backends;
pub mod bearer;
pub mod client_ip;
pub mod dto;
pub mod errors;
pub mod extract;
pub mod fallback;
pub mod limits;
pub mod normalize;
pub mod openapi;
pub mod password_change;
pub mod portal;
pub mod problem;
pub mod rate_limit;
pub mod request_id;
pub mod routes;
pub mod security;
pub mod stack;
pub mod state;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use estelam_runtime::auth::TokenVerifier;
use estelam_runtime::config::Settings;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use backends::Backends;
pub use problem::{ApiError, Problem};
pub use state::AppState;

use rate_limit::RateLimits;

/// How often idle rate-limit entries are forgotten.
const FORGET_IDLE_EVERY: Duration = Duration::from_secs(60);

/// A bound gateway, ready to serve.
pub struct Gateway {
    listener: TcpListener,
    state: AppState,
}

impl Gateway {
    /// Binds the HTTP port first (port 0 in tests) and prepares channels to the services.
    pub async fn bind(addr: SocketAddr, settings: &Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Self {
            listener,
            state: state(settings)?,
        })
    }

    /// Uses `verifier` (one that the launcher keeps refreshed from identity's keys) to
    /// recognise accounts for the per-account rate limit. Without one, tokens are not
    /// verified here and only per-address limits apply; the services still verify them.
    pub fn with_verifier(mut self, verifier: TokenVerifier) -> Self {
        self.state.verifier = verifier;
        self
    }

    /// Uses `source` (the gateway's own client credentials) for the calls only service
    /// accounts may make: the sandbox payment pages under `/psp/`.
    pub fn with_service_token(mut self, source: estelam_runtime::auth::ServiceTokenSource) -> Self {
        self.state.service_token = Some(source);
        self
    }

    /// The bound address: with port 0 (tests, `estelam run --base-port 0`) the one the OS
    /// chose, which the caller passes on to clients.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown`, letting in-flight requests finish.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> std::io::Result<()> {
        let limits = Arc::new(RateLimits::new(
            &self.state.settings,
            self.state.verifier.clone(),
        ));
        let forget = {
            let (limits, shutdown) = (limits.clone(), shutdown.clone());
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = tokio::time::sleep(FORGET_IDLE_EVERY) => limits.forget_idle(),
                    }
                }
            })
        };
        let app = app(self.state, limits);
        tracing::info!(addr = ?self.listener.local_addr().ok(), "gateway listening");
        let served = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await;
        forget.abort();
        served
    }
}

/// The router's state for `settings`, with a verifier that has no keys yet.
pub fn state(settings: &Settings) -> anyhow::Result<AppState> {
    Ok(AppState {
        backends: Backends::connect(settings)?,
        settings: Arc::new(settings.gateway.clone()),
        verifier: TokenVerifier::new(&settings.auth.issuer, &settings.auth.audience),
        shell: portal::Shell::new(&settings.gateway),
        service_token: None,
    })
}

/// The whole HTTP application — routes, fallback and the tower stack — for serving and for
/// in-process tests with `oneshot` (which may add `MockConnectInfo` for client addresses).
pub fn app(state: AppState, limits: Arc<RateLimits>) -> Router {
    let settings = state.settings.clone();
    let verifier = state.verifier.clone();
    let (router, _openapi) = routes::all().split_for_parts();
    auth_first::prepare();
    let router = router
        .route_layer(axum::middleware::from_fn(auth_first::require_token))
        .fallback(fallback::handle)
        .with_state(state);
    stack::apply(router, &settings, limits, verifier)
}
