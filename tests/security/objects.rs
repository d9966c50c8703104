//! Object-level authorization (IDOR): someone else's inquiry or document must look exactly
//! like one that does not exist, over HTTP and over gRPC, so its existence is not disclosed.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::calls::{id_methods, string_field};
use crate::rules::Who::{Authority, Citizen, OtherCitizen};
use crate::world::{World, jpeg};

/// Another citizen gets, on a citizen's inquiry and document, exactly what a non-existent id
/// gets: the same status and the same problem.
pub async fn other_citizens_objects_do_not_exist(world: &World) {
    let owner = world.token(Citizen).expect("citizen");
    let (status, types) = world
        .send("GET /api/v1/request-types", &BTreeMap::new(), Some(owner))
        .await;
    assert_eq!(status, StatusCode::OK, "{types}");
    let code = types["request_types"][0]["code"]
        .as_str()
        .expect("a request type")
        .to_owned();
    let response = world
        .http
        .post(format!("{}/api/v1/inquiries", world.system.gateway_url))
        .bearer_auth(owner)
        .json(&json!({"request_type_code": code, "client_request_id": uuid::Uuid::now_v7().to_string()}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.expect("json");
    let inquiry = created["inquiry_id"].as_str().expect("id").to_owned();

    let form = reqwest::multipart::Form::new()
        .text("kind", "national_id_card")
        .part(
            "file",
            reqwest::multipart::Part::bytes(jpeg(32, 24))
                .file_name("card.jpg")
                .mime_str("image/jpeg")
                .expect("mime"),
        );
    let response = world
        .http
        .post(format!("{}/api/v1/documents", world.system.gateway_url))
        .bearer_auth(owner)
        .multipart(form)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::CREATED);
    let document: Value = response.json().await.expect("json");
    let document = document["document_id"].as_str().expect("id").to_owned();

    let normalise = |mut body: Value| {
        if let Some(o) = body.as_object_mut() {
            o.remove("instance");
            o.remove("request_id");
            o.remove("trace_id");
        }
        body
    };
    let mut checked = 0;
    let mut wrong = Vec::new();
    for route in world.http_routes().await {
        let object = if route.contains("/api/v1/inquiries/{id}") {
            &inquiry
        } else if route.contains("/api/v1/documents/{id}") {
            &document
        } else {
            continue;
        };
        let theirs = BTreeMap::from([("id", object.clone())]);
        let missing = BTreeMap::from([("id", uuid::Uuid::now_v7().to_string())]);
        for who in [OtherCitizen, Authority] {
            let token = world.token(who);
            let (s1, b1) = world.send(&route, &theirs, token).await;
            let (s2, b2) = world.send(&route, &missing, token).await;
            let (b1, b2) = (normalise(b1), normalise(b2));
            if s1 != s2 || b1 != b2 {
                wrong.push(format!(
                    "{route} as {who:?}: someone else's gives {s1} {b1}, a missing one {s2} {b2}"
                ));
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "{}: every id route checked", world.label);

    // The same over gRPC: every method whose request names an inquiry or a document by id.
    let mut grpc_checked = 0;
    for (method, field, number) in id_methods() {
        let object = match field.as_str() {
            "inquiry_id" => &inquiry,
            "document_id" => &document,
            _ => continue,
        };
        for who in [OtherCitizen, Authority] {
            let theirs = world
                .call_with(&method, string_field(number, object), world.token(who))
                .await;
            let missing = world
                .call_with(
                    &method,
                    string_field(number, &uuid::Uuid::now_v7().to_string()),
                    world.token(who),
                )
                .await;
            if (theirs.code(), theirs.message()) != (missing.code(), missing.message()) {
                wrong.push(format!(
                    "gRPC {method} as {who:?}: someone else's gives {:?} {}, a missing one {:?} {}",
                    theirs.code(),
                    theirs.message(),
                    missing.code(),
                    missing.message()
                ));
            }
            grpc_checked += 1;
        }
    }
    assert!(
        grpc_checked >= 20,
        "{}: every id method checked ({grpc_checked})",
        world.label
    );
    // And the owner does see them, so the comparison above was about someone else's objects.
    let (status, got) = world
        .send(
            "GET /api/v1/inquiries/{id}",
            &BTreeMap::from([("id", inquiry.clone())]),
            Some(owner),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert!(
        wrong.is_empty(),
        "{}: another caller can tell someone else's object exists:\n{}",
        world.label,
        wrong.join("\n")
    );
}
