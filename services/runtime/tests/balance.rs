//! A channel to several replicas spreads its calls over all of them, stops sending calls to
//! one that goes away without a failed call, and takes it back when it returns — against
//! real gRPC servers on loopback ports (`grpc.health.v1`, which every Estelam service
//! answers), each counting the calls it served.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use estelam_runtime::config::GrpcSettings;
use estelam_runtime::testing::eventually;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

/// Counts the `Health/Check` calls a server answers (not the clients' health watches).
#[derive(Clone)]
struct Count<S> {
    inner: S,
    checks: Arc<AtomicUsize>,
}

impl<S, B> tower::Service<http::Request<B>> for Count<S>
where
    S: tower::Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        if request.uri().path().ends_with("/Check") {
            self.checks.fetch_add(1, Ordering::SeqCst);
        }
        self.inner.call(request)
    }
}

/// A replica: a health server on `listener`, until `stop` (which first says NOT_SERVING,
/// as a draining Estelam service does).
struct Replica {
    checks: Arc<AtomicUsize>,
    stop: CancellationToken,
    served: tokio::task::JoinHandle<()>,
}

impl Replica {
    fn start(listener: TcpListener) -> Self {
        let checks = Arc::new(AtomicUsize::new(0));
        let stop = CancellationToken::new();
        let (reporter, health) = tonic_health::server::health_reporter();
        let counted = checks.clone();
        let signal = {
            let stop = stop.clone();
            async move {
                stop.cancelled().await;
                reporter
                    .set_service_status("", ServingStatus::NotServing)
                    .await;
            }
        };
        let served = tokio::spawn(async move {
            let _ = tonic::transport::Server::builder()
                .layer(tower::layer::layer_fn(move |inner| Count {
                    inner,
                    checks: counted.clone(),
                }))
                .add_service(health)
                .serve_with_incoming_shutdown(TcpIncoming::from(listener), signal)
                .await;
        });
        Self {
            checks,
            stop,
            served,
        }
    }

    fn checks(&self) -> usize {
        self.checks.load(Ordering::SeqCst)
    }

    async fn stop(self) {
        self.stop.cancel();
        let _ = self.served.await;
    }
}

async fn bind() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let addr = listener.local_addr().expect("bound");
    (listener, addr)
}

async fn check(client: &HealthClient<tonic::transport::Channel>) -> Result<(), tonic::Status> {
    client
        .clone()
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .map(drop)
}

#[tokio::test]
async fn calls_are_spread_over_every_replica_and_follow_one_that_leaves_and_returns() {
    let (first, a) = bind().await;
    let (second, b) = bind().await;
    let one = Replica::start(first);
    let two = Replica::start(second);
    let channel = estelam_runtime::grpc::channel(
        &format!("http://{a}, http://{b}"),
        &GrpcSettings::default(),
    )
    .expect("a channel to both");
    let client = HealthClient::new(channel);

    for _ in 0..200 {
        check(&client).await.expect("a call with both replicas up");
    }
    assert_eq!(one.checks() + two.checks(), 200);
    assert!(
        one.checks() > 0 && two.checks() > 0,
        "both replicas serve calls: {} and {}",
        one.checks(),
        two.checks()
    );

    // The second replica drains and stops: every later call goes to the first, none fails.
    two.stop().await;
    let before = one.checks();
    for _ in 0..100 {
        check(&client)
            .await
            .expect("no call fails once a replica has left");
    }
    assert_eq!(
        one.checks(),
        before + 100,
        "the first replica took every call"
    );

    // It comes back on the same address, and is given calls again.
    let back = Replica::start(TcpListener::bind(b).await.expect("the same port again"));
    eventually(
        "the returned replica to be given calls",
        Duration::from_secs(30),
        async || {
            check(&client).await.expect("a call");
            back.checks() > 0
        },
    )
    .await;
    one.stop().await;
    back.stop().await;
}

#[tokio::test]
async fn a_replica_that_dies_mid_run_costs_no_call_that_may_be_retried() {
    let (first, a) = bind().await;
    let (second, b) = bind().await;
    let one = Replica::start(first);
    let two = Replica::start(second);
    let client = HealthClient::new(
        estelam_runtime::grpc::channel(&format!("http://{a},http://{b}"), &GrpcSettings::default())
            .expect("a channel to both"),
    );
    for _ in 0..50 {
        check(&client).await.expect("both up");
    }
    // Gone without a word: the task is dropped, its connections reset.
    two.served.abort();
    let _ = two.served.await;
    for i in 0..100 {
        estelam_runtime::grpc::retry_idempotent(|| check(&client))
            .await
            .unwrap_or_else(|e| panic!("call {i} after a replica died: {e}"));
    }
    one.stop().await;
}

#[tokio::test]
async fn with_every_replica_gone_a_call_fails_at_once_as_unavailable() {
    let (listener, a) = bind().await;
    drop(listener);
    let client = HealthClient::new(
        estelam_runtime::grpc::channel(
            &format!("http://{a},http://localhost:{}", a.port()),
            &GrpcSettings::default(),
        )
        .expect("a channel"),
    );
    // A hang guard: the call must not wait for its deadline (15 s) for a replica to appear.
    let status = tokio::time::timeout(Duration::from_secs(10), check(&client))
        .await
        .expect("the call ends without waiting for its deadline")
        .expect_err("nothing listens");
    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
    assert!(estelam_runtime::grpc::unanswered(&status));
}
