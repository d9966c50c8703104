//! The OpenAPI document describes every route, and nothing routes around it.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

/// Whether `code` calls `what`, not merely something whose name ends the same way
/// (`OpenApiRouter::new(` is fine, `Router::new(` is not).
fn uses(code: &str, what: &str) -> bool {
    code.match_indices(what).any(|(i, _)| {
        what.starts_with('.')
            || !code[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

/// Every route of the router is added with `utoipa_axum::routes!`, which puts it in the
/// document. A plain axum route (`.route(…)`, `.route_service(…)`, `.nest(…)`) would serve
/// without being described, so none may appear in the crate's source.
#[test]
fn no_route_bypasses_the_openapi_router() {
    let forbidden = [
        ".route(",
        ".route_service(",
        ".nest(",
        ".nest_service(",
        "Router::new(",
    ];
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src];
    let mut offenders = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source is text");
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                if forbidden.iter().any(|f| uses(code, f)) {
                    offenders.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "routes must be added with utoipa_axum::routes! so they are in /api/openapi.json:\n{}",
        offenders.join("\n")
    );
}

/// Every operation in the document is served by a route (not by the fallback).
#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = app();
    let doc = json(fetch(&app, "/api/openapi.json").await).await;
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.len() >= 6, "{paths:?}");
    for (path, item) in paths {
        let concrete: String = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "1" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_none() {
                continue;
            }
            let request = axum::http::Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&concrete)
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{}"))
                .expect("request");
            let response = send(&app, request).await;
            let fell_through = response.status() == 404 && {
                let body = bytes(response).await;
                String::from_utf8_lossy(&body).contains("ROUTE_NOT_FOUND")
                    || !path.starts_with("/api")
            };
            assert!(
                !fell_through,
                "{method} {path} is documented but not routed"
            );
        }
    }
}

#[tokio::test]
async fn the_document_is_openapi_3_1_with_problems_on_every_operation() {
    let doc = json(fetch(&app(), "/api/openapi.json").await).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    assert!(doc["components"]["schemas"]["FieldProblem"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let problem = &doc["components"]["responses"]["Problem"];
    assert!(
        problem["content"]["application/problem+json"].is_object(),
        "{problem}"
    );
    for required in [
        "/healthz",
        "/readyz",
        "/status",
        "/api/openapi.json",
        "/api/docs",
    ] {
        assert!(
            doc["paths"][required]["get"].is_object(),
            "{required} missing"
        );
    }
    // Metrics are for the admin port only, never the public API.
    assert!(doc["paths"]["/metrics"].is_null(), "/metrics is not public");
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            assert!(
                op["responses"]["default"].is_object(),
                "{method} {path} documents no error response"
            );
        }
    }
}

#[tokio::test]
async fn the_reference_page_uses_vendored_assets_and_no_inline_script() {
    let response = fetch(&app(), "/api/docs").await;
    assert_eq!(response.status(), 200);
    let html = String::from_utf8(bytes(response).await).expect("utf-8");
    assert!(html.contains("vendor/swagger-ui/swagger-ui-bundle.js"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no CDN"
    );
    assert!(!html.contains("<script>"), "no inline script");
    assert!(!html.contains("{{"), "placeholders filled");
}

/// The named schema a property or parameter of this name must reference: a client generated
/// from the document then validates each code the way the services do.
fn expected_schema(name: &str) -> Option<&'static str> {
    Some(match name {
        n if n == "national_code" || n.ends_with("_national_code") => "NationalCode",
        n if n == "membership_code" || n.ends_with("_membership_code") => "MembershipCode",
        "renovation_code" => "RenovationCode",
        "letter_date_jalali" => "JalaliDate",
        "request_number" => "RequestNumber",
        "verification_code" => "VerificationCode",
        "ownership_type" => "OwnershipType",
        "client_request_id" => "ClientRequestId",
        "request_type_code" => "RequestTypeCode",
        _ => return None,
    })
}

/// `schema` with `$ref`s to `components.schemas` followed, and `allOf`s merged one level.
fn properties<'a>(doc: &'a Value, schema: &'a Value) -> Vec<(&'a String, &'a Value)> {
    let resolved = resolve(doc, schema);
    let mut out: Vec<(&String, &Value)> = resolved["properties"]
        .as_object()
        .map(|p| p.iter().collect())
        .unwrap_or_default();
    for part in resolved["allOf"].as_array().into_iter().flatten() {
        out.extend(properties(doc, part));
    }
    out
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// The name of the component a property references (directly, or as the non-null side of a
/// nullable `oneOf`, or as an array's items).
fn referenced(schema: &Value) -> Option<&str> {
    if let Some(r) = schema["$ref"].as_str() {
        return Some(r.trim_start_matches("#/components/schemas/"));
    }
    if schema["items"].is_object() {
        return referenced(&schema["items"]);
    }
    schema["oneOf"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(referenced)
}

/// Every national code, renovation code, Jalali date, check-digit code and enum a request
/// carries — in a body, a path or a query — references the one named schema that states its
/// pattern (and custom format, for what a pattern cannot check), so an integrator's generated
/// client refuses a mistyped code before sending it, everywhere alike.
#[tokio::test]
async fn every_code_a_request_carries_references_its_named_schema() {
    let doc = json(fetch(&app(), "/api/openapi.json").await).await;
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let mut fields: Vec<(String, &Value)> = Vec::new();
            for param in op["parameters"].as_array().into_iter().flatten() {
                let name = param["name"].as_str().unwrap_or_default().to_owned();
                fields.push((name, &param["schema"]));
            }
            if let Some(content) = op["requestBody"]["content"].as_object() {
                for media in content.values() {
                    let mut stack = vec![&media["schema"]];
                    while let Some(schema) = stack.pop() {
                        for (name, prop) in properties(&doc, schema) {
                            fields.push((name.clone(), prop));
                            // Nested bodies (a batch's items, a representation claim).
                            if let Some(inner) = referenced(prop)
                                && expected_schema(name).is_none()
                            {
                                stack.push(&doc["components"]["schemas"][inner]);
                            }
                        }
                    }
                }
            }
            for (name, schema) in fields {
                let Some(want) = expected_schema(&name) else {
                    continue;
                };
                checked += 1;
                if referenced(schema) != Some(want) {
                    wrong.push(format!("{method} {path}: {name} is {schema}, not {want}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(checked >= 30, "only {checked} fields checked");
    let schemas = &doc["components"]["schemas"];
    for (name, format) in [
        ("NationalCode", Some("national-code")),
        ("MembershipCode", Some("membership-code")),
        ("RequestNumber", Some("request-number")),
        ("VerificationCode", Some("verification-code")),
        ("InquiryNumber", Some("inquiry-number")),
        ("JalaliDate", Some("jalali-date")),
        ("RenovationCode", None),
        ("DocumentKind", Some("document-kind")),
    ] {
        let schema = &schemas[name];
        assert!(schema["pattern"].is_string(), "{name}: {schema}");
        assert_eq!(schema["format"].as_str(), format, "{name}: {schema}");
        assert!(schema["examples"][0].is_string(), "{name}: {schema}");
    }
    assert_eq!(
        schemas["OwnershipType"]["enum"],
        serde_json::json!(["full", "shared", "endowment", "state", "leasehold"]),
        "OwnershipType"
    );
}

/// Every body that refuses fields it does not know says so (`additionalProperties: false`),
/// so a generated client does not send a misspelt field that the gateway would refuse.
#[tokio::test]
async fn bodies_that_refuse_unknown_fields_say_so() {
    let doc = json(fetch(&app(), "/api/openapi.json").await).await;
    for name in [
        "RegisterBody",
        "CreateInquiryBody",
        "LetterBody",
        "ApplicantBody",
        "NewBatchBody",
        "NewEndpointBody",
    ] {
        let schema = &doc["components"]["schemas"][name];
        assert_eq!(schema["additionalProperties"], false, "{name}: {schema}");
    }
}

/// Authentication comes first on every protected route: without `Authorization` the answer
/// is 401 whatever the path, query and body hold — never a 400 about the input of a caller
/// who has not logged in (what Schemathesis' `ignored_auth` and `missing_required_header`
/// check, here over every operation at once).
#[tokio::test]
async fn every_protected_operation_answers_401_before_reading_its_input() {
    let app = app();
    let doc = json(fetch(&app, "/api/openapi.json").await).await;
    let mut protected = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let concrete: String = path
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') {
                    "not-an-id"
                } else {
                    seg
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for (method, op) in item.as_object().expect("item") {
            let requirements = op["security"].as_array().cloned().unwrap_or_default();
            let anonymous = requirements
                .iter()
                .any(|r| r.as_object().is_some_and(|o| o.is_empty()));
            if requirements.is_empty() || anonymous {
                continue;
            }
            protected += 1;
            let request = axum::http::Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(format!("{concrete}?page_size=not-a-number"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{\"not\": \"what the route takes\""))
                .expect("request");
            let response = send(&app, request).await;
            assert_eq!(
                response.status(),
                401,
                "{method} {path} answers an anonymous request with bad input {} instead of 401",
                response.status()
            );
        }
    }
    assert!(protected >= 40, "only {protected} protected operations");
}
