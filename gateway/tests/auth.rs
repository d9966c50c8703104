//! `POST /api/v1/auth/logout`, the worked example of a route over gRPC: its input checks
//! and its answer when the identity service cannot be reached.

mod common;

use axum::body::Body;
use axum::http::Request;
use common::*;

fn logout(body: &str) -> Request<Body> {
    Request::post("/api/v1/auth/logout")
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .expect("request")
}

/// An app whose identity endpoint refuses connections.
fn app_without_identity() -> axum::Router {
    app_from(&settings(), "127.0.0.1:2")
}

#[tokio::test]
async fn a_mistyped_field_is_named_before_any_service_is_called() {
    let body = problem(
        send(&app_without_identity(), logout(r#"{"all_sessions":"yes"}"#)).await,
        400,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "all_sessions", "{body}");
    let body = problem(
        send(&app_without_identity(), logout(r#"{"surprise":1}"#)).await,
        400,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "surprise", "{body}");
}

#[tokio::test]
async fn an_unreachable_service_is_a_503_problem_without_transport_text() {
    let body = problem(
        send(&app_without_identity(), logout(r#"{"refresh_token":"x"}"#)).await,
        503,
    )
    .await;
    assert_eq!(body["reason"], "TEMPORARILY_UNAVAILABLE");
    let text = body.to_string();
    assert!(
        !text.contains("tcp") && !text.contains("refused") && !text.contains("127.0.0.1"),
        "{text}"
    );
}

#[tokio::test]
async fn the_route_is_documented_with_its_body() {
    let doc = json(fetch(&app(), "/api/openapi.json").await).await;
    let op = &doc["paths"]["/api/v1/auth/logout"]["post"];
    assert!(op["requestBody"].is_object(), "{op}");
    assert!(op["responses"]["204"].is_object());
    assert!(doc["components"]["schemas"]["LogoutBody"].is_object());
}
