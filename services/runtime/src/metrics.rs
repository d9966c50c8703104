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

/// One call being measured: recorded exactly once, when its response body is done (or
/// dropped, for a call the client abandoned), with the status the server sent.
struct Outcome {
    service: String,
    method: String,
    started: Instant,
    /// `grpc-status` as sent; until one is seen, the call counts as cancelled.
    code: String,
}

impl Drop for Outcome {
    fn drop(&mut self) {
        GRPC_REQUESTS
            .with_label_values(&[&self.service, &self.method, &self.code])
            .inc();
        GRPC_DURATION
            .with_label_values(&[&self.service, &self.method])
            .observe(self.started.elapsed().as_secs_f64());
    }
}

fn status_in(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

pin_project_lite::pin_project! {
    /// A response body that reads the `grpc-status` of the trailers as they pass, so a
    /// status sent after the messages (the usual case for streams, and for any failure
    /// after the headers went out) is counted too, not only trailers-only responses.
    pub struct MetricsBody<B> {
        #[pin]
        inner: B,
        outcome: Option<Outcome>,
    }
}

impl<B: http_body::Body> http_body::Body for MetricsBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let polled = this.inner.poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let (Some(trailers), Some(outcome)) =
                    (frame.trailers_ref(), this.outcome.as_mut())
                    && let Some(code) = status_in(trailers)
                {
                    outcome.code = code;
                }
            }
            Poll::Ready(Some(Err(_))) => {
                if let Some(outcome) = this.outcome.as_mut() {
                    outcome.code = "transport".to_owned();
                }
            }
            Poll::Ready(None) => {
                // Done: record now rather than whenever the body is dropped.
                this.outcome.take();
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl<S, B, R> tower::Service<http::Request<B>> for GrpcMetrics<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<MetricsBody<R>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let path = request.uri().path().trim_start_matches('/');
        let (service, method) = path.split_once('/').unwrap_or((path, ""));
        let mut outcome = Outcome {
            service: service.to_owned(),
            method: method.to_owned(),
            started: Instant::now(),
            code: "1".to_owned(),
        };
        let future = self.inner.call(request);
        Box::pin(async move {
            match future.await {
                Ok(response) => {
                    // A trailers-only response (most errors) carries its status here; any
                    // other gets it from the trailers, read as the body passes.
                    if let Some(code) = status_in(response.headers()) {
                        outcome.code = code;
                    }
                    Ok(response.map(|inner| MetricsBody {
                        inner,
                        outcome: Some(outcome),
                    }))
                }
                Err(e) => {
                    outcome.code = "transport".to_owned();
                    drop(outcome);
                    Err(e)
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http_body_util::BodyExt as _;
    use std::convert::Infallible;
    use tower::Layer as _;
    use tower::ServiceExt as _;

    fn count(service: &str, code: &str) -> u64 {
        GRPC_REQUESTS
            .with_label_values(&[service, "Call", code])
            .get()
    }

    type Frames =
        futures::stream::Iter<std::vec::IntoIter<Result<http_body::Frame<Bytes>, Infallible>>>;
    type Reply = http::Response<http_body_util::StreamBody<Frames>>;

    /// A server answering 200 with one message and the status in the trailers, as gRPC
    /// does for any response that is not trailers-only.
    fn with_trailers(
        code: &'static str,
    ) -> impl tower::Service<
        http::Request<()>,
        Response = Reply,
        Error = Infallible,
        Future = std::future::Ready<Result<Reply, Infallible>>,
    > {
        tower::service_fn(move |_r: http::Request<()>| {
            let mut trailers = http::HeaderMap::new();
            trailers.insert("grpc-status", http::HeaderValue::from_static(code));
            let frames = vec![
                Ok(http_body::Frame::data(Bytes::from_static(b"\0\0\0\0\0"))),
                Ok(http_body::Frame::trailers(trailers)),
            ];
            std::future::ready(Ok(http::Response::new(http_body_util::StreamBody::new(
                futures::stream::iter(frames),
            ))))
        })
    }

    #[tokio::test]
    async fn a_status_sent_in_the_trailers_is_counted() {
        let service = "test.metrics.v1.Trailers";
        let before = count(service, "5");
        let svc = GrpcMetricsLayer.layer(with_trailers("5"));
        let request = http::Request::builder()
            .uri(format!("/{service}/Call"))
            .body(())
            .unwrap();
        let response = svc.oneshot(request).await.unwrap();
        // Not counted before the body (and its trailers) went out.
        assert_eq!(count(service, "5"), before);
        let body = response.into_body().collect().await.unwrap();
        assert!(body.trailers().is_some());
        assert_eq!(
            count(service, "5"),
            before + 1,
            "NOT_FOUND from the trailers"
        );
        assert_eq!(count(service, "0"), 0, "not counted as OK");
    }

    #[tokio::test]
    async fn a_call_abandoned_before_its_status_counts_as_cancelled() {
        let service = "test.metrics.v1.Abandoned";
        let svc = GrpcMetricsLayer.layer(with_trailers("0"));
        let request = http::Request::builder()
            .uri(format!("/{service}/Call"))
            .body(())
            .unwrap();
        drop(svc.oneshot(request).await.unwrap());
        assert_eq!(count(service, "1"), 1);
        assert_eq!(count(service, "0"), 0);
    }
}
