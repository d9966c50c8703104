//! Spoofable text: a right-to-left override (U+202E) makes text display as something else
//! («1234» reads «4321»), so no free text the system stores, compares or signs may hold one.
//! A clerk's request-number note carrying one is refused over HTTP (400 problem+json naming
//! the field) and over gRPC (`INVALID_ARGUMENT` with the reason and the field in its
//! details), and nothing is issued; a note typed with Arabic ي/ك is kept in Persian letters.
//! A clerk's revocation reason with an override is refused the same way.

use estelam_proto::property::v1 as ppb;
use estelam_runtime::error::ServiceError;
use estelam_runtime::grpc::outgoing;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::rules::Who;
use crate::world::{World, channel};

const REFUSED: &str = "TEXT_CHARACTERS_REFUSED";

pub async fn bidi_text_is_refused(w: &World) {
    let label = w.label;
    let clerk = w.token(Who::Clerk).expect("the clerk's token");
    let code = &w.parcel;
    let url = format!(
        "{}/api/v1/parcels/{code}/request-numbers",
        w.system.gateway_url
    );
    let issue = async |note: &str| {
        let reply = w
            .http
            .post(&url)
            .bearer_auth(clerk)
            .json(&json!({"note": note, "client_request_id": uuid::Uuid::now_v7().to_string()}))
            .send()
            .await
            .expect("sent");
        let status = reply.status();
        let problem = reply
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/problem+json"));
        let body: Value = reply.json().await.expect("a JSON body");
        (status, problem, body)
    };

    let (status, problem, body) = issue("برای نقل\u{202E}و انتقال").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{label}: {body}");
    assert!(problem, "{label}: problem+json: {body}");
    assert_eq!(body["reason"], REFUSED, "{label}: {body}");
    assert_eq!(body["errors"][0]["field"], "note", "{label}: {body}");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("U+202E")),
        "{label}: the message names the character: {body}"
    );
    assert!(
        body["detail_fa"]
            .as_str()
            .is_some_and(|d| d.contains("یادداشت")),
        "{label}: the Persian message names the field: {body}"
    );

    let mut property = ppb::property_service_client::PropertyServiceClient::new(channel(
        &w.settings.endpoints.property,
        &w.settings,
    ));
    let status = property
        .issue_request_number(outgoing(
            ppb::IssueRequestNumberRequest {
                renovation_code: code.clone(),
                validity_days: 0,
                note: "\u{2067}e2e\u{2069}".into(),
                client_request_id: uuid::Uuid::now_v7().to_string(),
            },
            Some(clerk),
        ))
        .await
        .expect_err("an isolate in a note is refused");
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{label}");
    let e = ServiceError::from_status(&status);
    assert_eq!(e.reason, REFUSED, "{label}");
    assert_eq!(e.fields.first().map(|f| f.field.as_str()), Some("note"));
    assert!(!e.message_fa.is_empty() && !e.message_en.is_empty());

    // A revocation reason is shown to every later verifier: one with an override is refused
    // before anything is looked up.
    let reply = w
        .http
        .post(format!(
            "{}/api/v1/inquiries/{}/answer/revoke",
            w.system.gateway_url,
            uuid::Uuid::now_v7()
        ))
        .bearer_auth(clerk)
        .json(
            &json!({"expected_version": 1, "client_request_id": uuid::Uuid::now_v7().to_string(),
                      "reason": "سند \u{202E}جعلی"}),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(reply.status(), StatusCode::BAD_REQUEST, "{label}");
    let body: Value = reply.json().await.expect("a JSON body");
    assert_eq!(body["reason"], REFUSED, "{label}: {body}");
    assert_eq!(body["errors"][0]["field"], "reason", "{label}: {body}");

    // The same note without the override is issued, in Persian letters and without the
    // trailing joiner.
    let (status, _, body) = issue("براي نقل و انتقال ملك\u{200C}").await;
    assert_eq!(status.as_u16() / 100, 2, "{label}: {body}");
    assert_eq!(body["note"], "برای نقل و انتقال ملک", "{label}: {body}");
}
