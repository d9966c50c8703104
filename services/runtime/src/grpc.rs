//! The gRPC server every service runs, and the clients they call each other with.
//!
//! A service hands over its tonic [`Routes`]; [`GrpcServer`] adds `grpc.health.v1` and
//! reflection (so a stock client such as grpcurl needs no `.proto` files) and wraps all of
//! it in one tower stack, built here and nowhere else. The listener is bound first
//! ([`GrpcListener::bind`], port 0 in tests), then served until the shutdown token fires;
//! in-flight calls then get a bounded time to finish.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tonic::transport::{Channel, Endpoint, Server};
use tonic_health::ServingStatus;
use tower::ServiceBuilder;
use tower_http::classify::{GrpcCode, GrpcFailureClass};
use tower_http::trace::TraceLayer;

use crate::auth::{AuthLayer, TokenVerifier};
use crate::config::GrpcSettings;
use crate::deadline::DeadlineLayer;
use crate::metrics::GrpcMetricsLayer;
use crate::shed::ShedExceptHealthLayer;

/// How long in-flight calls may run on after shutdown begins before they are cut.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(4);

/// A bound gRPC port, not yet serving.
pub struct GrpcListener {
    listener: TcpListener,
    local_addr: SocketAddr,
}

impl GrpcListener {
    /// Binds `addr` (port 0 picks a free port).
    pub async fn bind(addr: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        Ok(Self {
            listener,
            local_addr,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The address as a client endpoint, `http://ip:port`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.local_addr)
    }
}

/// One service's gRPC server: its routes plus health, reflection and the common stack.
pub struct GrpcServer {
    name: &'static str,
    routes: Routes,
    service_names: Vec<&'static str>,
    descriptor_sets: Vec<&'static [u8]>,
    settings: GrpcSettings,
    verifier: TokenVerifier,
}

impl GrpcServer {
    /// A server for the service `name` (used in logs) with its `routes`.
    pub fn new(
        name: &'static str,
        routes: Routes,
        settings: GrpcSettings,
        verifier: TokenVerifier,
    ) -> Self {
        Self {
            name,
            routes,
            service_names: Vec::new(),
            descriptor_sets: Vec::new(),
            settings,
            verifier,
        }
    }

    /// Declares a fully-qualified gRPC service this server hosts (e.g.
    /// `estelam.fees.v1.FeeService`), reported by health checks and listed by reflection.
    pub fn hosts(mut self, service_name: &'static str) -> Self {
        self.service_names.push(service_name);
        self
    }

    /// Registers an encoded `FileDescriptorSet` for reflection.
    pub fn describe(mut self, descriptor_set: &'static [u8]) -> Self {
        self.descriptor_sets.push(descriptor_set);
        self
    }

    /// A reflection builder over this server's contracts and the health contract, listing
    /// exactly the services this process answers.
    fn reflection(&self) -> anyhow::Result<tonic_reflection::server::Builder<'static>> {
        let mut reflection = tonic_reflection::server::Builder::configure()
            .register_file_descriptor_set(health_descriptor_set()?);
        for set in &self.descriptor_sets {
            reflection = reflection.register_encoded_file_descriptor_set(set);
        }
        reflection = reflection
            .with_service_name("grpc.health.v1.Health")
            .with_service_name("grpc.reflection.v1.ServerReflection")
            .with_service_name("grpc.reflection.v1alpha.ServerReflection");
        for name in &self.service_names {
            reflection = reflection.with_service_name(*name);
        }
        Ok(reflection)
    }

    /// Serves on `listener` until `shutdown`, then drains for at most [`DRAIN_TIMEOUT`].
    pub async fn run_until_stopped(
        self,
        listener: GrpcListener,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        let (health, health_service) = tonic_health::server::health_reporter();
        for name in &self.service_names {
            health
                .set_service_status(*name, ServingStatus::Serving)
                .await;
        }
        // Both reflection versions: grpcurl and grpcio's reflection client still speak
        // v1alpha, newer clients v1; one builder serves one version, so build it twice.
        let reflection_v1 = self.reflection()?.build_v1()?;
        let reflection_v1alpha = self.reflection()?.build_v1alpha()?;
        health.set_service_status("", ServingStatus::Serving).await;

        let routes = self
            .routes
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha);

        // The stack, outermost first. Each layer sits where it does for a reason:
        let stack = ServiceBuilder::new()
            // 1. Trace first, so every request (even one shed below) has a span, whose parent
            //    is the caller's W3C trace context from the metadata.
            .layer(
                TraceLayer::new_for_grpc()
                    .make_span_with(|request: &http::Request<_>| {
                        let span = tracing::info_span!("grpc", method = %request.uri().path());
                        crate::telemetry::extract_http(request.headers(), &span);
                        span
                    })
                    .on_failure(log_failure),
            )
            // 2. Metrics next, so shed and timed-out requests are counted too.
            .layer(GrpcMetricsLayer)
            // 3. The request deadline, answered here as DEADLINE_EXCEEDED with reasons in
            //    both languages just before tonic's own timeout (the backstop, set below)
            //    would end the call with a bare `Cancelled`. Outside the limit, so a call
            //    that hangs gives its permit back when its deadline passes.
            .layer(DeadlineLayer::new(self.settings.request_timeout()))
            // 4. Load shed over a global limit across all connections (tonic's own is per
            //    connection): when the limit is full, refuse at once (clients may retry
            //    elsewhere) instead of queueing work that would only time out. Health checks
            //    bypass both, so a busy pod is not restarted or unrouted by its probes.
            .layer(ShedExceptHealthLayer::new(self.settings.concurrency_limit))
            // 5. Authentication last, right before the handler, so rejected tokens cost
            //    nothing below and every handler sees a verified caller or none.
            .layer(AuthLayer::new(self.verifier.clone()))
            .into_inner();

        // TCP_NODELAY on every accepted connection: tonic sets it only for listeners it binds
        // itself, and without it Nagle's algorithm meets delayed ACKs and adds ~40 ms to a
        // small unary call.
        let incoming =
            tonic::transport::server::TcpIncoming::from(listener.listener).with_nodelay(Some(true));
        let name = self.name;
        tracing::info!(service = name, addr = %listener.local_addr, "gRPC server listening");
        let signal = {
            let shutdown = shutdown.clone();
            let health = health.clone();
            let names = self.service_names.clone();
            async move {
                shutdown.cancelled().await;
                // Tell health checkers first, so no new work is routed here while draining.
                for n in names {
                    health
                        .set_service_status(n, ServingStatus::NotServing)
                        .await;
                }
                health
                    .set_service_status("", ServingStatus::NotServing)
                    .await;
            }
        };
        let server = Server::builder()
            // The backstop behind `DeadlineLayer`: the smaller of this and the client's
            // `grpc-timeout` (a bare `Cancelled` if the layer ever failed to answer first).
            .timeout(self.settings.request_timeout())
            .http2_keepalive_interval(Some(Duration::from_secs(30)))
            .layer(stack)
            .add_routes(routes)
            .serve_with_incoming_shutdown(incoming, signal);
        tokio::select! {
            result = server => result?,
            () = async { shutdown.cancelled().await; tokio::time::sleep(DRAIN_TIMEOUT).await } => {
                tracing::warn!(service = name, "drain timed out; cutting remaining calls");
            }
        }
        tracing::info!(service = name, "gRPC server stopped");
        Ok(())
    }
}

/// A channel to another service that connects on first use and reconnects by itself, with
/// the configured connect and request timeouts. `endpoint` is one address or several, comma
/// separated, each an IP address or a DNS name: anything but one IP address gets a channel
/// that balances each call over every replica (see [`crate::balance`]).
pub fn channel(endpoint: &str, settings: &GrpcSettings) -> anyhow::Result<Channel> {
    if !crate::balance::is_single_ip(endpoint) {
        return crate::balance::balanced_channel(endpoint, settings);
    }
    let endpoint = Endpoint::from_shared(endpoint.trim().to_owned())?;
    Ok(configure(endpoint, settings)
        .timeout(settings.request_timeout())
        .connect_lazy())
}

/// The connection settings every client endpoint shares: the connect timeout, no Nagle
/// delay, and HTTP/2 keep-alive pings so a dead peer is noticed on an idle connection.
pub(crate) fn configure(endpoint: Endpoint, settings: &GrpcSettings) -> Endpoint {
    endpoint
        .connect_timeout(settings.connect_timeout())
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_while_idle(true)
}

/// Puts the caller's token and the current trace context on an outgoing request.
pub fn outgoing<T>(message: T, bearer: Option<&str>) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let mut headers = http::HeaderMap::new();
    crate::telemetry::inject_http(&mut headers);
    if let Some(token) = bearer
        && let Ok(value) = format!("Bearer {token}").parse()
    {
        request.metadata_mut().insert("authorization", value);
    }
    for (name, value) in &headers {
        if let (Ok(key), Ok(value)) = (
            tonic::metadata::MetadataKey::from_bytes(name.as_str().as_bytes()),
            value.to_str().map(str::parse),
        ) && let Ok(value) = value
        {
            request.metadata_mut().insert(key, value);
        }
    }
    request
}

/// Runs an idempotent call (a read, or a write carrying an idempotency key), retrying a few
/// times with backoff when it got no answer from the other side ([`unanswered`]): the
/// replica was unreachable, or went away in the middle of the call. With several replicas
/// behind the address the retry goes through the balancer again, which has by then taken a
/// replica that went away out of it. Never use it for calls that change state without an
/// idempotency key: a retried write could apply twice.
pub async fn retry_idempotent<T, F, Fut>(mut call: F) -> Result<T, tonic::Status>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, tonic::Status>>,
{
    let mut delay = Duration::from_millis(50);
    for _ in 0..3 {
        match call().await {
            Err(status) if unanswered(&status) => {
                let jitter =
                    Duration::from_millis(rand::random_range(0..=delay.as_millis() as u64 / 2));
                tokio::time::sleep(delay + jitter).await;
                delay *= 2;
            }
            other => return other,
        }
    }
    call().await
}

/// Whether a call failed without an answer from the service: `Unavailable` (nothing was
/// listening, the connection could not be made, or the server shed the call), or a status
/// the client made up itself because the connection broke mid-call (it carries the
/// transport error as its source; a status the server sent has none). A call's own deadline
/// (`Cancelled`, `DeadlineExceeded`) is not one: retrying would outlive it.
pub fn unanswered(status: &tonic::Status) -> bool {
    use std::error::Error as _;
    match status.code() {
        tonic::Code::Unavailable => true,
        tonic::Code::Unknown | tonic::Code::Internal => status.source().is_some(),
        _ => false,
    }
}

/// The standard file name of the health contract. tonic-health compiles it as
/// `health.proto`, which collides in a client's descriptor pool with the real
/// `grpc/health/v1/health.proto` that grpcio and others already hold.
pub const HEALTH_PROTO_FILE: &str = "grpc/health/v1/health.proto";

/// tonic-health's descriptor set with the health file under its standard name.
fn health_descriptor_set() -> anyhow::Result<prost_types::FileDescriptorSet> {
    use prost::Message as _;
    let mut set = prost_types::FileDescriptorSet::decode(tonic_health::pb::FILE_DESCRIPTOR_SET)?;
    for file in &mut set.file {
        if file.package.as_deref() == Some("grpc.health.v1") {
            file.name = Some(HEALTH_PROTO_FILE.to_owned());
        }
    }
    Ok(set)
}

/// Logs a call that did not end OK at a level that says whose the problem is. A person's
/// mistake (a wrong code, a step out of order, a missing login) is routine: INFO. A
/// dependency that did not answer: WARN. Only what the system got wrong itself is an ERROR,
/// so that an ERROR line is always worth someone's attention. (tower-http's default logs
/// every non-OK status as an ERROR.)
fn log_failure(class: GrpcFailureClass, latency: Duration, span: &tracing::Span) {
    let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
    let GrpcFailureClass::Status(status) = class else {
        tracing::error!(parent: span, latency_ms = ms, failure = %class, "call failed");
        return;
    };
    let code = status.code_raw();
    match status.code() {
        Some(
            GrpcCode::InvalidArgument
            | GrpcCode::NotFound
            | GrpcCode::AlreadyExists
            | GrpcCode::PermissionDenied
            | GrpcCode::FailedPrecondition
            | GrpcCode::Aborted
            | GrpcCode::OutOfRange
            | GrpcCode::Unauthenticated
            | GrpcCode::Cancelled,
        ) => tracing::info!(parent: span, latency_ms = ms, code, "call refused"),
        Some(GrpcCode::Unavailable | GrpcCode::DeadlineExceeded | GrpcCode::ResourceExhausted) => {
            tracing::warn!(parent: span, latency_ms = ms, code, "call not served")
        }
        _ => tracing::error!(parent: span, latency_ms = ms, code, "call failed"),
    }
}
