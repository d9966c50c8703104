//! The business routes' own checks, before any service is called (the services' side is
//! tested over the whole system in the root crate's `tests/gateway_routes.rs`).

mod common;

use axum::body::Body;
use axum::http::Request;
use common::*;

fn put_json(path: &str, body: &str) -> Request<Body> {
    Request::put(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .expect("request")
}

#[tokio::test]
async fn the_property_step_needs_exactly_one_location() {
    let body = problem(
        send(
            &app(),
            put_json(
                "/api/v1/inquiries/x/property",
                r#"{"expected_version":1,"client_request_id":"r"}"#,
            ),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(body["reason"], "PROPERTY_LOCATION_REQUIRED", "{body}");
    assert_eq!(body["errors"][0]["field"], "renovation_code");
}

#[tokio::test]
async fn a_bounding_box_must_be_four_ordered_numbers() {
    for bbox in ["1,2,3", "a,b,c,d", "5,5,1,1", "0,-100,1,1"] {
        let body = problem(
            fetch(
                &app(),
                &format!("/api/v1/collections/parcels/items?bbox={bbox}"),
            )
            .await,
            400,
        )
        .await;
        assert_eq!(body["errors"][0]["field"], "bbox", "{bbox}: {body}");
    }
}

#[tokio::test]
async fn the_sandbox_psp_without_a_service_account_says_so() {
    let body = problem(fetch(&app(), "/psp/pay?token=t").await, 503).await;
    assert_eq!(body["reason"], "SANDBOX_PSP_NOT_CONFIGURED", "{body}");
    let request = Request::post("/psp/pay")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("token=t&choice=maybe"))
        .expect("request");
    let body = problem(send(&app(), request).await, 400).await;
    assert_eq!(body["errors"][0]["field"], "choice");
}

#[tokio::test]
async fn an_upload_that_is_not_multipart_is_refused_as_a_problem() {
    let request = Request::post("/api/v1/documents")
        .header("content-type", "application/json")
        .body(Body::from("{}"))
        .expect("request");
    let response = send(&app(), request).await;
    let status = response.status().as_u16();
    assert!(status == 400 || status == 415, "{status}");
    assert_eq!(
        header(&response, "content-type"),
        Some("application/problem+json")
    );
}

#[tokio::test]
async fn the_business_routes_and_their_schemas_are_documented() {
    let doc = json(fetch(&app(), "/api/openapi.json").await).await;
    for (path, method) in [
        ("/api/v1/auth/register", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/refresh", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/me/mobile/code", "post"),
        ("/api/v1/me/mobile/verify", "post"),
        ("/api/v1/me/password", "post"),
        ("/api/v1/request-types", "get"),
        ("/api/v1/inquiries", "post"),
        ("/api/v1/inquiries", "get"),
        ("/api/v1/inquiries/{id}", "get"),
        ("/api/v1/inquiries/{id}/undertakings", "put"),
        ("/api/v1/inquiries/{id}/property", "put"),
        ("/api/v1/inquiries/{id}/letter", "put"),
        ("/api/v1/inquiries/{id}/documents", "put"),
        ("/api/v1/inquiries/{id}/applicant", "put"),
        ("/api/v1/inquiries/{id}/submit", "post"),
        ("/api/v1/inquiries/{id}/cancel", "post"),
        ("/api/v1/inquiries/{id}/bill", "get"),
        ("/api/v1/inquiries/{id}/payments", "post"),
        ("/api/v1/inquiries/{id}/answer", "get"),
        ("/api/v1/inquiries/{id}/answer.html", "get"),
        ("/api/v1/inquiries/{id}/answer.pdf", "get"),
        ("/api/v1/answers/{verification_code}", "get"),
        ("/api/v1/documents", "post"),
        ("/api/v1/documents/{id}", "get"),
        ("/api/v1/parcels/{renovation_code}", "get"),
        ("/api/v1/parcels/at", "get"),
        ("/api/v1/collections/parcels/items", "get"),
        ("/psp/pay", "get"),
        ("/psp/pay", "post"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is not documented"
        );
    }
    for schema in [
        "Inquiry", "Bill", "Payment", "Answer", "Document", "Parcel", "Account",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "{schema} schema missing"
        );
    }
}
