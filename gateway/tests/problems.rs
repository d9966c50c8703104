//! Every error is RFC 9457 problem+json in Persian and English, whatever produced it: a
//! handler, a service's gRPC status, an extractor, the router, or a limit.

mod common;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::{get, post};
use common::*;
use estelam_gateway::extract::{Json, Path, Query};
use estelam_gateway::problem::ApiError;
use estelam_runtime::error::ServiceError;
use serde::Deserialize;

#[derive(Deserialize)]
#[allow(dead_code)]
struct Registration {
    national_code: String,
    age: u32,
    address: Address,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Address {
    postal_code: u64,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Window {
    limit: u32,
}

async fn register(Json(_): Json<Registration>) -> &'static str {
    "ok"
}

async fn by_number(Path(_n): Path<u32>) -> &'static str {
    "ok"
}

async fn listing(Query(_w): Query<Window>) -> &'static str {
    "ok"
}

async fn database_failure() -> Result<(), ApiError> {
    Err(tonic::Status::internal("relation \"parcels\" does not exist; password=hunter2").into())
}

async fn validation_from_a_service() -> Result<(), ApiError> {
    let status: tonic::Status = ServiceError::invalid_field(
        "national_code",
        "NATIONAL_CODE_CHECK_DIGIT",
        "کد ملی نادرست است.",
        "The national code is not valid.",
    )
    .into();
    Err(status.into())
}

async fn throttled_by_a_service() -> Result<(), ApiError> {
    let status: tonic::Status = ServiceError::new(
        estelam_runtime::error::ErrorCode::ResourceExhausted,
        "LOGIN_THROTTLED",
        "تلاش‌های ورود زیاد بود؛ کمی صبر کنید.",
        "Too many login attempts; please wait.",
    )
    .with_retry_after(Duration::from_secs(42))
    .into();
    Err(status.into())
}

async fn down() -> Result<(), ApiError> {
    Err(tonic::Status::unavailable("tcp connect error: Connection refused (os error 111)").into())
}

fn test_app() -> Router {
    let routes = Router::new()
        .route("/api/v1/register", post(register))
        .route("/api/v1/things/{n}", get(by_number))
        .route("/api/v1/things", get(listing))
        .route("/api/v1/broken", get(database_failure))
        .route("/api/v1/invalid", get(validation_from_a_service))
        .route("/api/v1/throttled", get(throttled_by_a_service))
        .route("/api/v1/down", get(down));
    stacked(routes, &settings())
}

fn post_json(path: &str, body: &str) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .expect("request")
}

#[tokio::test]
async fn an_unknown_api_route_is_a_404_problem() {
    let body = problem(fetch(&app(), "/api/v1/nothing-here").await, 404).await;
    assert_eq!(body["reason"], "ROUTE_NOT_FOUND");
    assert_eq!(body["type"], "urn:estelam:problem:route-not-found");
    assert_eq!(body["title_fa"], "پیدا نشد");
}

#[tokio::test]
async fn a_wrong_method_on_an_api_route_is_a_405_problem_with_allow() {
    let response = send(
        &app(),
        Request::delete("/api/openapi.json")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let allow = header(&response, "allow").map(str::to_owned);
    let body = problem(response, 405).await;
    assert_eq!(body["reason"], "METHOD_NOT_ALLOWED");
    assert!(allow.is_some_and(|a| a.contains("GET")));
}

#[tokio::test]
async fn a_database_message_in_an_internal_status_never_reaches_the_caller() {
    let response = fetch(&test_app(), "/api/v1/broken").await;
    let raw = {
        let body = problem(response, 500).await;
        body.to_string()
    };
    assert!(
        !raw.contains("parcels") && !raw.contains("hunter2"),
        "{raw}"
    );
    assert!(raw.contains("Something went wrong on our side"));
}

#[tokio::test]
async fn a_foreign_transport_error_is_a_generic_503() {
    let body = problem(fetch(&test_app(), "/api/v1/down").await, 503).await;
    assert!(!body.to_string().contains("111"));
}

#[tokio::test]
async fn a_service_validation_error_keeps_its_fields_in_both_languages() {
    let body = problem(fetch(&test_app(), "/api/v1/invalid").await, 400).await;
    assert_eq!(
        body["type"],
        "urn:estelam:problem:national-code-check-digit"
    );
    assert_eq!(body["errors"][0]["field"], "national_code");
    assert_eq!(body["errors"][0]["message_fa"], "کد ملی نادرست است.");
    assert_eq!(
        body["errors"][0]["message_en"],
        "The national code is not valid."
    );
}

#[tokio::test]
async fn a_service_retry_delay_becomes_retry_after() {
    let response = fetch(&test_app(), "/api/v1/throttled").await;
    assert_eq!(header(&response, "retry-after"), Some("42"));
    let body = problem(response, 429).await;
    assert_eq!(body["retry_after"], 42);
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let body = problem(
        send(
            &test_app(),
            post_json("/api/v1/register", "{\"national_code\": "),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(body["reason"], "BODY_NOT_JSON");
    assert_eq!(body["errors"][0]["field"], "body");
}

#[tokio::test]
async fn a_missing_or_mistyped_json_field_is_named() {
    let app = test_app();
    let body = problem(
        send(&app, post_json("/api/v1/register", "{\"age\": 3}")).await,
        400,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "national_code", "{body}");
    let body = problem(
        send(
            &app,
            post_json(
                "/api/v1/register",
                r#"{"national_code":"1","age":3,"address":{"postal_code":"x"}}"#,
            ),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "address.postal_code", "{body}");
    assert!(
        !body["errors"][0]["message_fa"]
            .as_str()
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415_problem() {
    let request = Request::post("/api/v1/register")
        .header("content-type", "text/plain")
        .body(Body::from("hello"))
        .unwrap();
    let body = problem(send(&test_app(), request).await, 415).await;
    assert_eq!(body["reason"], "BODY_NOT_JSON_CONTENT_TYPE");
}

#[tokio::test]
async fn a_bad_path_or_query_parameter_is_named() {
    let app = test_app();
    let body = problem(fetch(&app, "/api/v1/things/abc").await, 400).await;
    assert_eq!(body["reason"], "PATH_PARAMETER_INVALID");
    let body = problem(fetch(&app, "/api/v1/things?limit=lots").await, 400).await;
    assert_eq!(body["errors"][0]["field"], "limit", "{body}");
    let body = problem(fetch(&app, "/api/v1/things").await, 400).await;
    assert_eq!(body["errors"][0]["field"], "limit", "{body}");
    assert_eq!(fetch(&app, "/api/v1/things?limit=5").await.status(), 200);
}
