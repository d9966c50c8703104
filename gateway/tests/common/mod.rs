//! Helpers shared by the gateway's route tests: an app over default settings (services are
//! reached lazily, so no service needs to run), and response readers.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, Response};
use estelam_gateway::rate_limit::RateLimits;
use estelam_runtime::config::Settings;
use http_body_util::BodyExt;
use tower::ServiceExt;

/// A loopback address where nothing listens (a port just freed), so calls fail at once.
pub fn nowhere() -> String {
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = free.local_addr().expect("addr").port();
    format!("http://127.0.0.1:{port}")
}

/// Default settings, as `cargo run` has them, except that every service endpoint leads
/// nowhere: the tests never reach a service some other process runs on this machine.
pub fn settings() -> Settings {
    let mut settings = Settings::default();
    for service in estelam_runtime::config::SERVICES {
        settings.endpoints.set(service, nowhere());
    }
    settings
}

/// The full gateway app for `settings`, seen from client address `peer`.
pub fn app_from(settings: &Settings, peer: &str) -> Router {
    let state = estelam_gateway::state(settings).expect("state");
    let limits = Arc::new(RateLimits::new(&settings.gateway, state.verifier.clone()));
    estelam_gateway::app(state, limits)
        .layer(MockConnectInfo(peer.parse::<SocketAddr>().expect("addr")))
}

/// The full gateway app on default settings.
pub fn app() -> Router {
    app_from(&settings(), "127.0.0.1:40000")
}

/// A test router with its own `routes` wrapped in the gateway's stack.
pub fn stacked(routes: Router, settings: &Settings) -> Router {
    let state = estelam_gateway::state(settings).expect("state");
    let limits = Arc::new(RateLimits::new(&settings.gateway, state.verifier.clone()));
    estelam_gateway::stack::apply(routes, &settings.gateway, limits, state.verifier.clone()).layer(
        MockConnectInfo("127.0.0.1:40000".parse::<SocketAddr>().expect("addr")),
    )
}

/// Sends `request` through `app`.
pub async fn send(app: &Router, request: Request<Body>) -> Response<Body> {
    app.clone().oneshot(request).await.expect("infallible")
}

/// `GET path`.
pub async fn fetch(app: &Router, path: &str) -> Response<Body> {
    send(
        app,
        Request::get(path).body(Body::empty()).expect("request"),
    )
    .await
}

/// The body as bytes.
pub async fn bytes(response: Response<Body>) -> Vec<u8> {
    response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec()
}

/// The body as JSON.
pub async fn json(response: Response<Body>) -> serde_json::Value {
    let body = bytes(response).await;
    serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&body)))
}

/// A header as text.
pub fn header<'a>(response: &'a Response<Body>, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Asserts `response` is a problem with `status`, both languages and a request id; returns it.
pub async fn problem(response: Response<Body>, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "status");
    assert_eq!(
        header(&response, "content-type"),
        Some("application/problem+json")
    );
    let request_id = header(&response, "x-request-id")
        .expect("x-request-id")
        .to_owned();
    let body = json(response).await;
    assert_eq!(body["status"], status, "{body}");
    for key in [
        "type",
        "title",
        "title_fa",
        "detail",
        "detail_fa",
        "code",
        "reason",
    ] {
        assert!(
            body[key].as_str().is_some_and(|s| !s.is_empty()),
            "{key} missing in {body}"
        );
    }
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("urn:estelam:problem:"))
    );
    assert_eq!(
        body["instance"],
        format!("urn:estelam:request:{request_id}")
    );
    let fa = body["detail_fa"].as_str().unwrap_or_default();
    assert!(
        fa.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
        "detail_fa is Persian: {fa}"
    );
    body
}
