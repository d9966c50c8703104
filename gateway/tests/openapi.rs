//! The OpenAPI document describes every route, and nothing routes around it.

mod common;

use std::path::Path;

use common::*;

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
