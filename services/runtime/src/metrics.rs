//! Prometheus metrics: the golden signals of every gRPC server, recorded by a tower layer,
//! plus whatever a service registers on the same default registry. `/metrics` on the admin
//! port renders them.

use std::future::Future;
use std::pin::Pin;
use std::sync::LazyLock;
use std::task::{Context, Poll};
use std::time::Instant;

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

/// The registry every Estelam metric lives in.
pub fn registry() -> &'static Registry {
    prometheus::default_registry()
}

fn register<C: prometheus::core::Collector + Clone + 'static>(c: C) -> C {
    // A second registration (two servers in one process) is harmless: both share `c`.
    let _ = registry().register(Box::new(c.clone()));
    c
}

static GRPC_REQUESTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register(
        IntCounterVec::new(
            Opts::new(
                "estelam_grpc_requests_total",
                "gRPC requests handled, by method and status code",
            ),
            &["service", "method", "code"],
        )
        .unwrap_or_else(|_| unreachable!("static metric definition is valid")),
    )
});

static GRPC_DURATION: LazyLock<HistogramVec> = LazyLock::new(|| {
    register(
        HistogramVec::new(
            HistogramOpts::new(
                "estelam_grpc_request_duration_seconds",
                "gRPC request latency",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
            ]),
            &["service", "method"],
        )
        .unwrap_or_else(|_| unreachable!("static metric definition is valid")),
    )
});

/// Renders every registered metric in the Prometheus text format.
pub fn render() -> String {
    let encoder = prometheus::TextEncoder::new();
    encoder
        .encode_to_string(&registry().gather())
        .unwrap_or_default()
}

/// Tower layer that counts and times gRPC requests.
#[derive(Clone, Debug, Default)]
pub struct GrpcMetricsLayer;

impl<S> tower::Layer<S> for GrpcMetricsLayer {
    type Service = GrpcMetrics<S>;
    fn layer(&self, inner: S) -> Self::Service {
        GrpcMetrics { inner }
    }
}

/// The service [`GrpcMetricsLayer`] produces.
#[derive(Clone, Debug)]
pub struct GrpcMetrics<S> {
    inner: S,
}

impl<S, B, R> tower::Service<http::Request<B>> for GrpcMetrics<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let path = request.uri().path().trim_start_matches('/');
        let (service, method) = path.split_once('/').unwrap_or((path, ""));
        let (service, method) = (service.to_owned(), method.to_owned());
        let started = Instant::now();
        let future = self.inner.call(request);
        Box::pin(async move {
            let result = future.await;
            let code = match &result {
                // Errors travel in the headers of a trailers-only response; a body that fails
                // later reports in trailers, which this layer does not see.
                Ok(response) => response
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("0")
                    .to_owned(),
                Err(_) => "transport".to_owned(),
            };
            GRPC_REQUESTS
                .with_label_values(&[&service, &method, &code])
                .inc();
            GRPC_DURATION
                .with_label_values(&[&service, &method])
                .observe(started.elapsed().as_secs_f64());
            result
        })
    }
}
