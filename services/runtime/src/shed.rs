//! Load shedding that spares health checks.
//!
//! A server at its concurrency limit refuses new calls at once (load shedding) rather than
//! queueing them. Health checks must not be among them: a probe that is shed makes
//! Kubernetes restart (liveness) or unroute (readiness) a pod that is merely busy, which
//! turns a load spike into an outage. [`ShedExceptHealthLayer`] sends `grpc.health.v1`
//! calls straight to the inner service and everything else through
//! `LoadShed(GlobalConcurrencyLimit(..))`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tower::limit::{ConcurrencyLimit, GlobalConcurrencyLimitLayer};
use tower::load_shed::LoadShed;
use tower::{BoxError, Layer, Service, ServiceExt};

/// The path prefix of the gRPC health service's methods.
pub const HEALTH_PREFIX: &str = "/grpc.health.v1.Health/";

/// Sheds calls beyond a global concurrency limit, except health checks.
#[derive(Clone)]
pub struct ShedExceptHealthLayer {
    limit: GlobalConcurrencyLimitLayer,
}

impl ShedExceptHealthLayer {
    /// At most `max` calls in flight across all connections (health checks not counted).
    pub fn new(max: usize) -> Self {
        Self {
            limit: GlobalConcurrencyLimitLayer::new(max),
        }
    }
}

impl<S: Clone> Layer<S> for ShedExceptHealthLayer {
    type Service = ShedExceptHealth<S>;
    fn layer(&self, inner: S) -> Self::Service {
        ShedExceptHealth {
            limited: LoadShed::new(self.limit.layer(inner.clone())),
            direct: inner,
        }
    }
}

/// The service [`ShedExceptHealthLayer`] produces.
#[derive(Clone)]
pub struct ShedExceptHealth<S> {
    limited: LoadShed<ConcurrencyLimit<S>>,
    direct: S,
}

impl<S, B> Service<http::Request<B>> for ShedExceptHealth<S>
where
    S: Service<http::Request<B>> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Readiness is decided per call below: which path a call takes depends on the call,
        // and a permit taken here for a call that turns out to be a health check would be
        // held for nothing.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        if request.uri().path().starts_with(HEALTH_PREFIX) {
            let direct = self.direct.clone();
            Box::pin(async move { direct.oneshot(request).await.map_err(Into::into) })
        } else {
            // A fresh clone holds no permit; `ready` takes one, or marks the call shed when
            // the limit is full (LoadShed then fails it at once with `Overloaded`).
            let limited = self.limited.clone();
            Box::pin(async move { limited.oneshot(request).await })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tokio::sync::Notify;

    type Answer = Pin<Box<dyn Future<Output = Result<&'static str, BoxError>> + Send>>;

    /// A service whose `Assess` calls wait until released, so the limit fills up; every
    /// other call answers at once.
    fn blocking(
        release: Arc<Notify>,
    ) -> impl Service<http::Request<()>, Response = &'static str, Error = BoxError, Future = Answer>
    + Clone {
        tower::service_fn(move |r: http::Request<()>| {
            let release = release.clone();
            Box::pin(async move {
                if r.uri().path().ends_with("/Assess") {
                    release.notified().await;
                }
                Ok::<_, BoxError>("ok")
            }) as Answer
        })
    }

    fn call_to(path: &str) -> http::Request<()> {
        http::Request::builder().uri(path).body(()).unwrap()
    }

    #[tokio::test]
    async fn a_saturated_server_sheds_work_but_answers_health_checks() {
        let release = Arc::new(Notify::new());
        let svc = ShedExceptHealthLayer::new(1).layer(blocking(release.clone()));
        // One call takes the only permit and waits.
        let busy = tokio::spawn(
            svc.clone()
                .oneshot(call_to("/estelam.fees.v1.FeeService/Assess")),
        );
        // Poll until the busy call holds the permit: the next ordinary call is then shed.
        let shed = loop {
            match svc
                .clone()
                .oneshot(call_to("/estelam.fees.v1.FeeService/GetBill"))
                .await
            {
                Err(e) => break e,
                Ok(_) => tokio::task::yield_now().await,
            }
        };
        assert!(
            shed.is::<tower::load_shed::error::Overloaded>(),
            "ordinary work is shed: {shed}"
        );
        // Health checks still get through.
        assert_eq!(
            svc.clone()
                .oneshot(call_to("/grpc.health.v1.Health/Check"))
                .await
                .unwrap(),
            "ok"
        );
        release.notify_one();
        assert_eq!(busy.await.unwrap().unwrap(), "ok");
    }
}
