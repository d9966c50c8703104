//! Codes that are sent are asked for: the code registration sends to the mobile has a route
//! that verifies it and one that sends it again, the latter limited (429 with `Retry-After`
//! over HTTP, `RESOURCE_EXHAUSTED` with a retry delay over gRPC), and a wrong code is a
//! field error, never a 5xx; the account stays unverified.

use estelam_proto::identity::v1 as ipb;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tonic::Code;

use crate::world::{World, channel};

/// A valid national code no demo person has, different per backend run.
fn new_national_code(seed: u32) -> String {
    let body = format!("{:09}", 420_000_000 + seed * 7_919);
    let sum: u32 = body
        .chars()
        .enumerate()
        .map(|(i, c)| c.to_digit(10).expect("digit") * (10 - i as u32))
        .sum();
    let r = sum % 11;
    format!("{body}{}", if r < 2 { r } else { 11 - r })
}

async fn post(
    world: &World,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> (StatusCode, Option<u64>, Value) {
    let mut request = world
        .http
        .post(format!("{}{path}", world.system.gateway_url))
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("sent");
    let status = response.status();
    let retry = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (status, retry, response.json().await.unwrap_or(Value::Null))
}

pub async fn the_mobile_code_is_asked_for_and_resends_are_limited(world: &World) {
    let national_code = new_national_code(u32::from(world.label == "postgres"));
    let password = "کوچه‌باغ‌های نیاوران ۱۴";
    let (status, _, body) = post(
        world,
        "/api/v1/auth/register",
        None,
        json!({"national_code": national_code, "first_name": "مریم", "last_name": "احمدی",
               "mobile": "09361112233", "password": password}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "{}: registered: {body}",
        world.label
    );
    assert!(
        body["mobile_code_expires_at"].is_string(),
        "{}: registration says a code was sent: {body}",
        world.label
    );
    let (status, _, body) = post(
        world,
        "/api/v1/auth/login",
        None,
        json!({"national_code": national_code, "password": password}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}: logged in: {body}", world.label);
    let token = body["tokens"]["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(body["account"]["mobile_verified"], false, "{body}");

    // Sending it again at once: the code registration sent is still fresh.
    let (status, retry, body) =
        post(world, "/api/v1/me/mobile/code", Some(&token), json!({})).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}: {body}",
        world.label
    );
    assert!(
        retry.is_some_and(|s| s >= 1),
        "{}: Retry-After: {retry:?}",
        world.label
    );
    assert_eq!(body["reason"], "MOBILE_CODE_RESEND_TOO_SOON", "{body}");
    assert!(
        !body["detail_fa"].as_str().unwrap_or("").is_empty(),
        "{body}"
    );
    // The same over gRPC.
    let mut request = tonic::Request::new(ipb::SendMobileCodeRequest {});
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ascii"),
    );
    let status = ipb::identity_service_client::IdentityServiceClient::new(channel(
        &world.settings.endpoints.identity,
        &world.settings,
    ))
    .send_mobile_code(request)
    .await
    .expect_err("a resend this soon is refused");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let error = estelam_runtime::error::ServiceError::from_status(&status);
    assert_eq!(error.reason, "MOBILE_CODE_RESEND_TOO_SOON");

    // A code that is not the one sent: a field error, and the mobile stays unverified.
    let (status, _, body) = post(
        world,
        "/api/v1/me/mobile/verify",
        Some(&token),
        json!({"code": "۱۲۳۴۵x"}),
    )
    .await;
    assert!(
        status.is_client_error(),
        "{}: a malformed code: {status} {body}",
        world.label
    );
    let (status, _, body) = post(
        world,
        "/api/v1/me/mobile/verify",
        None,
        json!({"code": "123456"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "{}: needs the caller: {body}",
        world.label
    );
    let me: Value = world
        .http
        .get(format!("{}/api/v1/me", world.system.gateway_url))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(me["account"]["mobile_verified"], false, "{me}");
}
