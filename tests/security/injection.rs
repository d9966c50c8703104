//! SQL injection strings in every text field of every route: never a server error, never
//! database text in an answer, and nobody else's records changed.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::calls::example;
use crate::rules::Who::{Citizen, OtherCitizen};
use crate::world::{World, identity_signing_key};

/// Classic SQL injection strings.
const INJECTIONS: [&str; 6] = [
    "' OR '1'='1",
    "'; DROP TABLE accounts; --",
    "\" OR 1=1 --",
    "1' UNION SELECT kid, secret_key FROM signing_keys --",
    "%' OR national_code LIKE '%",
    "\\'); DELETE FROM inquiries; --",
];

/// Text that must never reach a caller: database errors and stored secrets.
const LEAKS: [&str; 8] = [
    "syntax error",
    "sqlite",
    "postgres",
    "sqlx",
    "secret_key",
    "signing_keys",
    "near \"",
    "unrecognized token",
];

/// The string properties of a request body schema, following `$ref`s one level.
fn string_fields(doc: &Value, schema: &Value) -> Vec<String> {
    let schema = match schema["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.rsplit('/').next().unwrap_or_default()],
        None => schema,
    };
    schema["properties"]
        .as_object()
        .map(|props| {
            props
                .iter()
                .filter(|(_, p)| {
                    p["type"] == "string"
                        || p["type"]
                            .as_array()
                            .is_some_and(|t| t.contains(&json!("string")))
                })
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default()
}

pub async fn sql_injection_changes_and_leaks_nothing(world: &World) {
    let doc = &world.doc;
    let owner = world.token(Citizen).expect("citizen");
    let other = world.token(OtherCitizen).expect("citizen");
    let (_, other_me) = world
        .send("GET /api/v1/me", &BTreeMap::new(), Some(other))
        .await;
    let (_, other_list) = world
        .send("GET /api/v1/inquiries", &BTreeMap::new(), Some(other))
        .await;
    let (_, types) = world
        .send("GET /api/v1/request-types", &BTreeMap::new(), Some(owner))
        .await;
    let response = world
        .http
        .post(format!("{}/api/v1/inquiries", world.system.gateway_url))
        .bearer_auth(owner)
        .json(&json!({"request_type_code": types["request_types"][0]["code"], "client_request_id": uuid::Uuid::now_v7().to_string()}))
        .send()
        .await
        .expect("sent");
    let created: Value = response.json().await.expect("json");
    let inquiry = created["inquiry_id"].as_str().expect("id").to_owned();

    let mut tried = 0;
    let mut wrong = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put"] {
            let Some(op) = item.get(method) else { continue };
            if path.starts_with("/psp") {
                continue; // the sandbox provider's pages: HTML forms, tested with the fees flow
            }
            let body_schema = &op["requestBody"]["content"]["application/json"]["schema"];
            let body_fields = string_fields(doc, body_schema);
            let params: Vec<(String, String)> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["schema"]["type"] == "string" || p["in"] == "path")
                        .map(|p| {
                            (
                                p["in"].as_str().unwrap_or_default().to_owned(),
                                p["name"].as_str().unwrap_or_default().to_owned(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let targets: Vec<(String, String)> = body_fields
                .into_iter()
                .map(|f| ("body".to_owned(), f))
                .chain(
                    params
                        .iter()
                        .filter(|(at, name)| !(at == "path" && name == "id"))
                        .cloned(),
                )
                .collect();
            for (at, field) in targets {
                for injection in INJECTIONS {
                    let mut url = path.replace("{id}", &inquiry);
                    let mut query: Vec<(String, String)> = op["parameters"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|p| {
                            p["in"] == "query"
                                && p["required"] == true
                                && p["name"] != field.as_str()
                        })
                        .map(|p| {
                            let name = p["name"].as_str().unwrap_or_default().to_owned();
                            let value = if name == "bbox" {
                                "51.5,32.8,51.6,32.9".to_owned()
                            } else {
                                example(doc, &p["schema"])
                                    .to_string()
                                    .trim_matches('"')
                                    .to_owned()
                            };
                            (name, value)
                        })
                        .collect();
                    let mut body = example(doc, body_schema);
                    match at.as_str() {
                        "path" => {
                            let encoded: String =
                                form_urlencoded::byte_serialize(injection.as_bytes()).collect();
                            url =
                                url.replace(&format!("{{{field}}}"), &encoded.replace('+', "%20"));
                        }
                        "query" => query.push((field.clone(), injection.to_owned())),
                        _ => body[&field] = json!(injection),
                    }
                    let query: String = form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(query)
                        .finish();
                    let full = format!("{}{url}?{query}", world.system.gateway_url);
                    let request = match method {
                        "get" => world.http.get(&full),
                        "post" => world.http.post(&full).json(&body),
                        _ => world.http.put(&full).json(&body),
                    };
                    let response = request.bearer_auth(owner).send().await.expect("sent");
                    let status = response.status();
                    let text = response.text().await.unwrap_or_default();
                    tried += 1;
                    let lower = text.to_lowercase();
                    if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
                        wrong.push(format!(
                            "{method} {path} {at} {field} = {injection:?}: {status} {text}"
                        ));
                    } else if let Some(leak) = LEAKS.iter().find(|l| lower.contains(*l)) {
                        wrong.push(format!(
                            "{method} {path} {at} {field} = {injection:?}: leaks {leak:?}: {text}"
                        ));
                    }
                }
            }
        }
    }
    assert!(
        tried > 100,
        "{}: injected into every text field ({tried})",
        world.label
    );
    assert!(
        wrong.is_empty(),
        "{}: injection strings broke something:\n{}",
        world.label,
        wrong.join("\n")
    );
    let (_, me_after) = world
        .send("GET /api/v1/me", &BTreeMap::new(), Some(other))
        .await;
    let (_, list_after) = world
        .send("GET /api/v1/inquiries", &BTreeMap::new(), Some(other))
        .await;
    assert_eq!(
        me_after, other_me,
        "{}: another citizen's account is unchanged",
        world.label
    );
    assert_eq!(
        list_after, other_list,
        "{}: another citizen's inquiries are unchanged",
        world.label
    );
    // The signing key is still the one it was: nothing was deleted or replaced.
    assert_eq!(
        identity_signing_key(&world.settings).await.0,
        world.signing.0
    );
}
