//! The accounts an end-to-end run configures before the system starts and logs in after:
//! the first admin (who creates the demo people, as `estelam run` does on a first start) and
//! machine clients (a payment provider's callback, a security test's service caller), each
//! with a secret of the run's own.

use estelam::demo::DemoPeople;
use estelam_proto::identity::v1 as ipb;
use estelam_runtime::config::{BootstrapAdmin, Settings};
use secrecy::SecretString;

/// The configured first admin's national code (a valid one no demo person has).
pub const ADMIN_NATIONAL_CODE: &str = "1234567891";
/// The configured first admin's password.
pub const ADMIN_PASSWORD: &str = "e2e-Admin-Pass-7731";

/// Configures the first admin, whom identity creates at its first start.
pub fn bootstrap_admin(settings: &mut Settings) {
    settings.identity.bootstrap_admin = Some(BootstrapAdmin {
        national_code: ADMIN_NATIONAL_CODE.into(),
        first_name: "مدیر".into(),
        last_name: "آزمون".into(),
        mobile: "09120000000".into(),
        password: Some(SecretString::from(ADMIN_PASSWORD.to_owned())),
    });
}

/// Registers a machine client (OAuth client credentials) with a fresh secret; returns the
/// secret.
pub fn add_service_client(settings: &mut Settings, client_id: &str) -> String {
    let secret = format!("{}{}", uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    settings
        .identity
        .service_clients
        .insert(client_id.into(), SecretString::from(secret.clone()));
    secret
}

/// An access token for the person with `national_code`.
pub async fn log_in(settings: &Settings, national_code: &str, password: &str) -> String {
    estelam::log_in(
        settings,
        ipb::login_request::Identifier::NationalCode(national_code.to_owned()),
        password,
    )
    .await
    .unwrap_or_else(|e| panic!("{national_code} logs in: {e:#}"))
}

/// The first admin's access token and the demo people the admin created.
pub async fn demo_people(settings: &Settings) -> (String, DemoPeople) {
    let admin = log_in(settings, ADMIN_NATIONAL_CODE, ADMIN_PASSWORD).await;
    let people = estelam::create_demo_people(settings, admin.clone())
        .await
        .unwrap_or_else(|e| panic!("the admin creates the demo people: {e:#}"));
    (admin, people)
}

/// A service token for a machine client registered with [`add_service_client`].
pub async fn service_token(settings: &Settings, client_id: &str, secret: &str) -> String {
    let channel = estelam_runtime::grpc::channel(&settings.endpoints.identity, &settings.grpc)
        .expect("identity's endpoint is a URI");
    ipb::identity_service_client::IdentityServiceClient::new(channel)
        .client_credentials_token(ipb::ClientCredentialsTokenRequest {
            client_id: client_id.into(),
            client_secret: secret.into(),
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{client_id} gets a service token: {e}"))
        .into_inner()
        .access_token
}
