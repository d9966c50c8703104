//! Login throttling per account and per source, over HTTP (429 with `Retry-After`) and over
//! gRPC (`RESOURCE_EXHAUSTED` with a retry delay), on a system whose limits are tightened so
//! the test reaches them in a dozen attempts.

use estelam_proto::identity::v1 as ipb;
use estelam_runtime::config::Settings;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tonic::Code;

use crate::world::{World, channel};

fn tight_throttle(settings: &mut Settings) {
    let t = &mut settings.identity.throttle;
    t.account_free_failures = 3;
    t.account_lockout_failures = 50;
    t.source_free_failures = 8;
    t.source_lockout_failures = 200;
    // Long enough that the delay is still running when the test looks.
    t.base_delay_secs = 300;
    t.max_delay_secs = 600;
}

/// A login over HTTP; the status and the `Retry-After` header.
async fn http_login(
    world: &World,
    national_code: &str,
    password: &str,
) -> (StatusCode, Option<u64>, Value) {
    let response = world
        .http
        .post(format!("{}/api/v1/auth/login", world.system.gateway_url))
        .json(&json!({"national_code": national_code, "password": password}))
        .send()
        .await
        .expect("sent");
    let status = response.status();
    let retry = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (status, retry, response.json().await.unwrap_or(Value::Null))
}

/// A login straight to identity over gRPC, as if from `source` behind the gateway.
async fn grpc_login(
    world: &World,
    national_code: &str,
    password: &str,
    source: &str,
) -> tonic::Status {
    let mut request = tonic::Request::new(ipb::LoginRequest {
        identifier: Some(ipb::login_request::Identifier::NationalCode(
            national_code.into(),
        )),
        password: password.into(),
    });
    request
        .metadata_mut()
        .insert("x-forwarded-for", source.parse().expect("ascii"));
    match ipb::identity_service_client::IdentityServiceClient::new(channel(
        &world.settings.endpoints.identity,
        &world.settings,
    ))
    .login(request)
    .await
    {
        Ok(_) => tonic::Status::ok(""),
        Err(status) => status,
    }
}

/// A valid national code that no account has.
fn unknown_national_code(seed: u32) -> String {
    let body = format!("{:09}", 310_000_000 + seed * 7919);
    let sum: u32 = body
        .chars()
        .enumerate()
        .map(|(i, c)| c.to_digit(10).expect("digit") * (10 - i as u32))
        .sum();
    let r = sum % 11;
    format!("{body}{}", if r < 2 { r } else { 11 - r })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_are_throttled_per_account_and_per_source() {
    let world = Box::pin(World::start("throttle", None, Some(tight_throttle))).await;
    let people: Value = serde_json::from_str(
        &std::fs::read_to_string(world.settings.data_dir.join("demo.json")).expect("demo.json"),
    )
    .expect("json");
    let victim = people["citizens"][1]["national_code"]
        .as_str()
        .expect("code")
        .to_owned();
    let password = people["citizens"][1]["password"]
        .as_str()
        .expect("password")
        .to_owned();

    // Per account, over HTTP: the free failures are plain 401s, then 429 with Retry-After,
    // and then even the right password waits.
    for attempt in 0..3 {
        let (status, _, body) = http_login(&world, &victim, "wrong password 123").await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}: {body}"
        );
    }
    let mut throttled = None;
    for _ in 0..2 {
        let (status, retry, body) = http_login(&world, &victim, "wrong password 123").await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            throttled = Some((retry, body));
            break;
        }
    }
    let (retry, body) = throttled.expect("the account is throttled after its free failures");
    assert!(
        retry.is_some_and(|s| s >= 1),
        "Retry-After in seconds: {retry:?}"
    );
    assert!(
        !body["detail_fa"].as_str().unwrap_or("").is_empty(),
        "{body}"
    );
    let (status, retry, _) = http_login(&world, &victim, &password).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the right password waits too"
    );
    assert!(retry.is_some());
    // The same account over gRPC, from another source: throttled as an account.
    let status = grpc_login(&world, &victim, &password, "203.0.113.7").await;
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let error = estelam_runtime::error::ServiceError::from_status(&status);
    assert_eq!(error.reason, "ATTEMPTS_THROTTLED");

    // Per source, over gRPC: one address trying many accounts once each is throttled.
    let source = "198.51.100.23";
    let mut refused_at = None;
    for i in 0..12u32 {
        let status = grpc_login(&world, &unknown_national_code(i), "guess 1234567", source).await;
        if status.code() == Code::ResourceExhausted {
            refused_at = Some(i);
            break;
        }
        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    }
    let at = refused_at.expect("one source trying many accounts is throttled");
    assert!(
        at >= 8,
        "the free failures of a source are free: throttled at {at}"
    );
    // Another source is not affected.
    let status = grpc_login(
        &world,
        &unknown_national_code(99),
        "guess 1234567",
        "192.0.2.99",
    )
    .await;
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");

    // Per source, over HTTP: the gateway's address for this client is throttled likewise.
    let mut refused = None;
    for i in 100..112u32 {
        let (status, retry, body) =
            http_login(&world, &unknown_national_code(i), "guess 1234567").await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some((retry, body));
            break;
        }
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    let (retry, _) = refused.expect("one HTTP client trying many accounts is throttled");
    assert!(retry.is_some_and(|s| s >= 1));
    world.stop().await;
}

/// A registration over HTTP; the status and the `Retry-After` header.
async fn http_register(world: &World, national_code: &str) -> (StatusCode, Option<u64>, Value) {
    let response = world
        .http
        .post(format!("{}/api/v1/auth/register", world.system.gateway_url))
        .json(&json!({
            "national_code": national_code, "first_name": "رضا", "last_name": "کاظمی",
            "mobile": "09351234567", "password": "باغ‌های انار اصفهان ۷",
        }))
        .send()
        .await
        .expect("sent");
    let status = response.status();
    let retry = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (status, retry, response.json().await.unwrap_or(Value::Null))
}

/// A registration refused because the national code is already registered counts once
/// against the caller's address, not twice: the address's free failures (8 here) are all
/// answered "already registered", and only the attempt after the first one over the limit
/// is throttled (429 with Retry-After). Before, each refusal counted twice, once of them
/// under the far tighter per-account policy, and the fourth attempt was throttled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_already_registered_answer_counts_once_against_the_address() {
    let world = Box::pin(World::start(
        "register-throttle",
        None,
        Some(tight_throttle),
    ))
    .await;
    let (taken, _) = world.citizen_login.clone();
    let free = world.settings.identity.throttle.source_free_failures;
    // The attempt that goes over the limit is still answered; the one after it waits.
    for attempt in 0..=free {
        let (status, _, body) = http_register(&world, &taken).await;
        assert_eq!(
            status,
            StatusCode::CONFLICT,
            "attempt {attempt} of {free} free ones is answered 'already registered': {body}"
        );
        assert_eq!(body["reason"], "NATIONAL_CODE_REGISTERED", "{body}");
    }
    let (status, retry, body) = http_register(&world, &taken).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(retry.is_some_and(|s| s >= 1), "Retry-After: {retry:?}");
    world.stop().await;
}
