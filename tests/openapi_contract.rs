//! The OpenAPI document keeps its promise to integrators, over the whole running system: the
//! examples it gives for each code are values the domain crate's parsers accept, and
//! requests built only from the document's examples are accepted by the services — so a
//! client generated from `/api/openapi.json` that sends what the document shows is never
//! answered "bad input".

use estelam_domain::{CheckCode, CodeKind, JalaliDate, NationalCode, RenovationCode};
use reqwest::StatusCode;
use serde_json::{Map, Value, json};

mod support;

use support::system::{System, system};

/// The document, as an integrator downloads it.
async fn document(sys: &System) -> Value {
    let response = sys
        .http
        .get(sys.url("/api/openapi.json"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("JSON")
}

/// The first example of the component schema `name`.
fn example(doc: &Value, name: &str) -> Value {
    let value = doc["components"]["schemas"][name]["examples"][0].clone();
    assert!(!value.is_null(), "{name} has no example");
    value
}

/// A body for the component schema `name` built from the document alone: each required
/// property takes the example of the schema it references (or its own).
fn body_from_examples(doc: &Value, name: &str) -> Value {
    let schema = &doc["components"]["schemas"][name];
    let mut body = Map::new();
    for field in schema["required"].as_array().expect("required") {
        let field = field.as_str().expect("name");
        let prop = &schema["properties"][field];
        let value = match prop["$ref"].as_str() {
            Some(r) => example(doc, r.trim_start_matches("#/components/schemas/")),
            None => prop["examples"][0].clone(),
        };
        assert!(!value.is_null(), "{name}.{field} has no example");
        body.insert(field.to_owned(), value);
    }
    Value::Object(body)
}

async fn post(sys: &System, path: &str, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
    let mut request = sys.http.post(sys.url(path)).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("sent");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(sys: &System, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = sys.http.get(sys.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("sent");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The examples of the named code schemas are what the domain crate's parsers accept (the
/// parsers are the one definition of each shape; the document repeats it for clients).
#[tokio::test]
async fn the_documents_examples_are_codes_the_domain_accepts() {
    let sys = system().await;
    let doc = document(&sys).await;
    let text = |name: &str| example(&doc, name).as_str().expect("string").to_owned();
    NationalCode::parse(&text("NationalCode")).expect("national code example");
    RenovationCode::parse(&text("RenovationCode")).expect("renovation code example");
    JalaliDate::parse(&text("JalaliDate")).expect("Jalali date example");
    for (name, kind) in [
        ("MembershipCode", CodeKind::Membership),
        ("RequestNumber", CodeKind::Request),
        ("VerificationCode", CodeKind::Verification),
        ("InquiryNumber", CodeKind::Inquiry),
    ] {
        CheckCode::parse(kind, &text(name)).unwrap_or_else(|e| panic!("{name} example: {e}"));
    }
}

/// A newcomer's software registers, logs in and starts an inquiry with bodies built from the
/// document's examples alone, and asks about a parcel and an answer by the codes the
/// document shows: every request is accepted (a code that names nothing is unknown, never
/// bad input).
#[tokio::test]
async fn requests_built_from_the_documents_examples_are_accepted() {
    let sys = system().await;
    let doc = document(&sys).await;

    let register = body_from_examples(&doc, "RegisterBody");
    let (status, body) = post(&sys, "/api/v1/auth/register", None, &register).await;
    assert_eq!(status, StatusCode::CREATED, "{register} → {body}");

    let login = json!({
        "national_code": register["national_code"],
        "password": register["password"],
    });
    let (status, body) = post(&sys, "/api/v1/auth/login", None, &login).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["tokens"]["access_token"]
        .as_str()
        .expect("token")
        .to_owned();

    let create = body_from_examples(&doc, "CreateInquiryBody");
    let (status, body) = post(&sys, "/api/v1/inquiries", Some(&token), &create).await;
    assert_eq!(status, StatusCode::CREATED, "{create} → {body}");
    assert_eq!(body["state"], "draft", "{body}");

    let parcel = example(&doc, "RenovationCode");
    let (status, body) = get(
        &sys,
        &format!("/api/v1/parcels/{}", parcel.as_str().expect("code")),
        Some(&token),
    )
    .await;
    assert!(
        status == StatusCode::OK || status == StatusCode::NOT_FOUND,
        "{status} {body}"
    );
    let code = example(&doc, "VerificationCode");
    let (status, body) = get(
        &sys,
        &format!("/api/v1/answers/{}", code.as_str().expect("code")),
        None,
    )
    .await;
    let unknown = (status == StatusCode::OK && body["result"] == "unknown")
        || status == StatusCode::NOT_FOUND;
    assert!(unknown, "{status} {body}");
}
