//! The tower stack: request ids, security headers on every response, rate limits, body
//! limits, timeouts, overload, CORS and compression.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::{get, post};
use common::*;
use estelam_gateway::extract::Json;
use estelam_runtime::auth::Role;
use estelam_runtime::testing::TokenMint;
use tokio::sync::Notify;

#[tokio::test]
async fn a_request_id_is_echoed_or_made() {
    let app = app();
    let response = send(
        &app,
        Request::get("/healthz")
            .header("x-request-id", "abc-123")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(header(&response, "x-request-id"), Some("abc-123"));
    let response = fetch(&app, "/healthz").await;
    let made = header(&response, "x-request-id").expect("made");
    assert!(uuid::Uuid::parse_str(made).is_ok(), "{made}");
    let response = send(
        &app,
        Request::get("/healthz")
            .header("x-request-id", "bad id\twith junk")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_ne!(header(&response, "x-request-id"), Some("bad id\twith junk"));
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let app = app();
    let leaflet = estelam_gateway::assets::url("vendor/leaflet/leaflet.js");
    for path in [
        "/",
        "/verify/12345",
        "/no-such-page",
        "/healthz",
        "/api/openapi.json",
        "/api/docs",
        "/api/v1/nope",
        &leaflet,
        "/assets/missing.js",
    ] {
        let response = fetch(&app, path).await;
        let csp = header(&response, "content-security-policy")
            .unwrap_or_else(|| panic!("no CSP on {path}"));
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(
            csp.contains("object-src 'none'")
                && csp.contains("frame-ancestors 'none'")
                && csp.contains("base-uri 'none'"),
            "{csp}"
        );
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert_eq!(
            header(&response, "x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert!(header(&response, "referrer-policy").is_some(), "{path}");
        assert!(header(&response, "permissions-policy").is_some(), "{path}");
        assert!(
            header(&response, "strict-transport-security").is_none(),
            "no HSTS over plain HTTP: {path}"
        );
    }
}

#[tokio::test]
async fn hsts_and_the_tile_host_follow_the_settings() {
    let mut settings = settings();
    settings.gateway.https = true;
    settings.gateway.tile_url = Some("https://tiles.example.org/{z}/{x}/{y}.png".into());
    let response = fetch(&app_from(&settings, "127.0.0.1:1"), "/").await;
    assert!(header(&response, "strict-transport-security").is_some_and(|v| v.contains("max-age=")));
    assert!(
        header(&response, "content-security-policy")
            .is_some_and(|v| v.contains("img-src 'self' data: blob: https://tiles.example.org"))
    );
}

#[tokio::test]
async fn per_address_rate_limit_answers_429_with_retry_after() {
    let mut settings = settings();
    settings.gateway.per_ip_burst = 2;
    settings.gateway.per_ip_per_minute = 1;
    let app = app_from(&settings, "203.0.113.7:5555");
    assert_eq!(fetch(&app, "/api/openapi.json").await.status(), 200);
    assert_eq!(fetch(&app, "/api/openapi.json").await.status(), 200);
    let response = fetch(&app, "/api/openapi.json").await;
    let retry: u64 = header(&response, "retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    let body = problem(response, 429).await;
    assert_eq!(body["reason"], "RATE_LIMITED");
    // Another address is not affected, nor are pages and assets.
    assert_eq!(
        fetch(&app_from(&settings, "198.51.100.1:1"), "/api/openapi.json")
            .await
            .status(),
        200
    );
    assert_eq!(fetch(&app, "/").await.status(), 200);
}

#[tokio::test]
async fn per_account_rate_limit_follows_the_token_not_the_address() {
    let mint = TokenMint::new();
    let mut settings = settings();
    settings.gateway.per_user_burst = 1;
    settings.gateway.per_user_per_minute = 1;
    settings.auth.issuer = mint.claims("x", &[]).iss;
    settings.auth.audience = mint.claims("x", &[]).aud;
    let mut state = estelam_gateway::state(&settings).expect("state");
    state.verifier = mint.verifier();
    let limits = Arc::new(estelam_gateway::rate_limit::RateLimits::new(
        &settings.gateway,
        mint.verifier(),
    ));
    let app =
        estelam_gateway::app(state, limits).layer(axum::extract::connect_info::MockConnectInfo(
            "192.0.2.1:1".parse::<std::net::SocketAddr>().unwrap(),
        ));
    let as_user = |token: &str| {
        Request::get("/api/openapi.json")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let alice = mint.token("alice", &[Role::Citizen]);
    let bob = mint.token("bob", &[Role::Citizen]);
    assert_eq!(send(&app, as_user(&alice)).await.status(), 200);
    problem(send(&app, as_user(&alice)).await, 429).await;
    assert_eq!(
        send(&app, as_user(&bob)).await.status(),
        200,
        "another account from the same address"
    );
    assert_eq!(
        send(&app, as_user("not-a-token")).await.status(),
        200,
        "a bad token counts per address only"
    );
}

async fn echo(Json(v): Json<serde_json::Value>) -> axum::Json<serde_json::Value> {
    axum::Json(v)
}

fn limited_app() -> Router {
    let mut settings = settings();
    settings.gateway.json_body_limit_bytes = 64;
    settings.gateway.upload_body_limit_bytes = 1024;
    let routes = Router::new().route("/api/v1/echo", post(echo)).route(
        "/api/v1/documents",
        post(|body: axum::body::Bytes| async move { body.len().to_string() }),
    );
    stacked(routes, &settings)
}

#[tokio::test]
async fn a_declared_body_over_the_limit_is_a_413_problem() {
    let big = format!("{{\"x\":\"{}\"}}", "a".repeat(100));
    let request = Request::post("/api/v1/echo")
        .header("content-type", "application/json")
        .header("content-length", big.len())
        .body(Body::from(big))
        .unwrap();
    let body = problem(send(&limited_app(), request).await, 413).await;
    assert_eq!(body["reason"], "BODY_TOO_LARGE");
}

#[tokio::test]
async fn an_undeclared_body_is_cut_at_the_limit() {
    let big = format!("{{\"x\":\"{}\"}}", "a".repeat(100));
    let stream = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(big))]);
    let request = Request::post("/api/v1/echo")
        .header("content-type", "application/json")
        .body(Body::from_stream(stream))
        .unwrap();
    problem(send(&limited_app(), request).await, 413).await;
}

#[tokio::test]
async fn the_upload_route_takes_more_than_json_routes() {
    let app = limited_app();
    let body = vec![b'x'; 500];
    let response = send(
        &app,
        Request::post("/api/v1/documents")
            .header("content-length", 500)
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body = vec![b'x'; 2000];
    let response = send(
        &app,
        Request::post("/api/v1/documents")
            .header("content-length", 2000)
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    problem(response, 413).await;
}

#[tokio::test]
async fn a_slow_request_is_a_504_problem() {
    let mut settings = settings();
    settings.gateway.request_timeout_ms = 50;
    let routes = Router::new().route(
        "/api/v1/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "late"
        }),
    );
    let body = problem(
        fetch(&stacked(routes, &settings), "/api/v1/slow").await,
        504,
    )
    .await;
    assert_eq!(body["reason"], "GATEWAY_TIMEOUT");
}

#[tokio::test]
async fn past_the_concurrency_limit_requests_are_shed_with_503() {
    let mut settings = settings();
    settings.gateway.concurrency_limit = 1;
    let (entered, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let routes = {
        let (entered, release) = (entered.clone(), release.clone());
        Router::new().route(
            "/api/v1/hold",
            get(move || {
                let (entered, release) = (entered.clone(), release.clone());
                async move {
                    entered.notify_one();
                    release.notified().await;
                    "done"
                }
            }),
        )
    };
    let app = stacked(routes, &settings);
    let first = tokio::spawn({
        let app = app.clone();
        async move { fetch(&app, "/api/v1/hold").await.status() }
    });
    entered.notified().await;
    let response = fetch(&app, "/api/v1/hold").await;
    assert_eq!(header(&response, "retry-after"), Some("1"));
    let body = problem(response, 503).await;
    assert_eq!(body["reason"], "GATEWAY_OVERLOADED");
    release.notify_one();
    assert_eq!(first.await.unwrap(), 200);
}

#[tokio::test]
async fn cors_is_off_unless_configured() {
    let preflight = || {
        Request::options("/api/openapi.json")
            .header("origin", "https://notary.example")
            .header("access-control-request-method", "GET")
            .body(Body::empty())
            .unwrap()
    };
    let response = send(&app(), preflight()).await;
    assert!(header(&response, "access-control-allow-origin").is_none());
    let mut settings = settings();
    settings.gateway.cors_origins = vec!["https://notary.example".into()];
    let response = send(&app_from(&settings, "127.0.0.1:1"), preflight()).await;
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some("https://notary.example")
    );
}

#[tokio::test]
async fn text_is_compressed_and_fonts_are_not() {
    let app = app();
    let js = estelam_gateway::assets::url("vendor/leaflet/leaflet.js");
    let font = estelam_gateway::assets::url("vendor/vazirmatn/Vazirmatn-Regular.woff2");
    let gz = |path: &str| {
        Request::get(path)
            .header("accept-encoding", "gzip")
            .body(Body::empty())
            .unwrap()
    };
    let response = send(&app, gz(&js)).await;
    assert_eq!(header(&response, "content-encoding"), Some("gzip"));
    let response = send(&app, gz(&font)).await;
    assert_eq!(header(&response, "content-encoding"), None);
    assert_eq!(header(&response, "content-type"), Some("font/woff2"));
}
