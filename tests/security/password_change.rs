//! A password the person did not choose is changed first: an account created by an admin
//! gets a one-time password, and until it is changed the account's tokens are refused
//! `PASSWORD_CHANGE_REQUIRED` (403 / `PERMISSION_DENIED`) by the gateway and every service,
//! except for changing the password, "who am I" and logging out. Changing it hands back
//! tokens that work everywhere. A citizen who chose their password at registration is
//! never held to this.

use estelam_proto::identity::v1 as ipb;
use estelam_proto::property::v1 as ppb;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tonic::Code;

use crate::rules::Who;
use crate::world::{World, channel};

/// A valid national code no demo person has, different per backend run.
fn new_national_code(seed: u32) -> String {
    let body = format!("{:09}", 530_000_000 + seed * 6_133);
    let sum: u32 = body
        .chars()
        .enumerate()
        .map(|(i, c)| c.to_digit(10).expect("digit") * (10 - i as u32))
        .sum();
    let r = sum % 11;
    format!("{body}{}", if r < 2 { r } else { 11 - r })
}

fn authorized<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ascii"),
    );
    request
}

async fn send(
    world: &World,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = world
        .http
        .request(method, format!("{}{path}", world.system.gateway_url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("sent");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get_parcel(world: &World, token: &str) -> Result<(), tonic::Status> {
    ppb::property_service_client::PropertyServiceClient::new(channel(
        &world.settings.endpoints.property,
        &world.settings,
    ))
    .get_parcel(authorized(
        ppb::GetParcelRequest {
            renovation_code: world.parcel.clone(),
        },
        token,
    ))
    .await
    .map(|_| ())
}

fn assert_held(world: &World, what: &str, status: &tonic::Status) {
    assert_eq!(
        status.code(),
        Code::PermissionDenied,
        "{}: {what}: {status:?}",
        world.label
    );
    let error = estelam_runtime::error::ServiceError::from_status(status);
    assert_eq!(error.reason, "PASSWORD_CHANGE_REQUIRED", "{what}");
    assert!(!error.message_fa.is_empty() && error.message_en.contains("password"));
}

pub async fn a_one_time_password_must_be_changed_first(world: &World) {
    let label = &world.label;
    let national_code = new_national_code(u32::from(world.label == "postgres"));
    let admin = world.token(Who::Admin).expect("the admin's token");
    let mut identity = ipb::identity_service_client::IdentityServiceClient::new(channel(
        &world.settings.endpoints.identity,
        &world.settings,
    ));
    let created = identity
        .create_staff_account(authorized(
            ipb::CreateStaffAccountRequest {
                national_code: national_code.clone(),
                first_name: "نرگس".into(),
                last_name: "کارمند".into(),
                mobile: "09361114455".into(),
                roles: vec![ipb::Role::Clerk as i32],
            },
            admin,
        ))
        .await
        .expect("the admin creates a clerk")
        .into_inner();
    let initial = created.initial_password;

    let (status, body) = send(
        world,
        reqwest::Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"national_code": national_code, "password": initial})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{label}: logs in: {body}");
    assert_eq!(body["account"]["password_change_required"], true, "{body}");
    let token = body["tokens"]["access_token"]
        .as_str()
        .expect("token")
        .to_owned();

    // Held at the gateway, at another service and at identity itself.
    let (status, body) = send(
        world,
        reqwest::Method::GET,
        "/api/v1/organizations",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{label}: {body}");
    assert_eq!(body["reason"], "PASSWORD_CHANGE_REQUIRED", "{body}");
    assert!(
        !body["detail_fa"].as_str().unwrap_or("").is_empty(),
        "{body}"
    );
    let refused = get_parcel(world, &token)
        .await
        .expect_err("property refuses the token");
    assert_held(world, "property GetParcel", &refused);
    let refused = identity
        .list_organizations(authorized(ipb::ListOrganizationsRequest::default(), &token))
        .await
        .expect_err("identity refuses the token");
    assert_held(world, "identity ListOrganizations", &refused);

    // Who am I still answers, and says why.
    let (status, body) = send(
        world,
        reqwest::Method::GET,
        "/api/v1/me",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{label}: {body}");
    assert_eq!(body["account"]["password_change_required"], true, "{body}");

    // Changing it: the new tokens work everywhere.
    let (status, body) = send(
        world,
        reqwest::Method::POST,
        "/api/v1/me/password",
        Some(&token),
        Some(json!({"current_password": initial, "new_password": "باغ‌های پاییزی شاهین‌شهر ۷"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{label}: changed: {body}");
    let fresh = body["tokens"]["access_token"]
        .as_str()
        .expect("new token")
        .to_owned();
    let (status, body) = send(
        world,
        reqwest::Method::GET,
        "/api/v1/organizations",
        Some(&fresh),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{label}: {body}");
    get_parcel(world, &fresh)
        .await
        .unwrap_or_else(|s| panic!("{label}: property answers the new token: {s:?}"));
    let (status, body) = send(
        world,
        reqwest::Method::GET,
        "/api/v1/me",
        Some(&fresh),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{label}: {body}");
    assert_eq!(body["account"]["password_change_required"], false, "{body}");

    // A citizen chose their password at registration: never held.
    let citizen = &world.people.citizens[0];
    let (status, body) = send(
        world,
        reqwest::Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"national_code": citizen.national_code, "password": citizen.password})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{label}: {body}");
    assert_eq!(body["account"]["password_change_required"], false, "{body}");
}
