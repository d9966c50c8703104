//! Logging in to a running system as any client does, over identity's gRPC API: the demo
//! set-up, the load generator and the end-to-end tests act as real users, not around them.

use anyhow::Context as _;
use estelam_proto::identity::v1 as ipb;
use estelam_runtime::config::Settings;

/// Logs in at `endpoints.identity` and returns the access token.
pub async fn log_in(
    settings: &Settings,
    identifier: ipb::login_request::Identifier,
    password: &str,
) -> anyhow::Result<String> {
    let channel = estelam_runtime::grpc::channel(&settings.endpoints.identity, &settings.grpc)?;
    let login = ipb::identity_service_client::IdentityServiceClient::new(channel)
        .login(ipb::LoginRequest {
            identifier: Some(identifier),
            password: password.to_owned(),
        })
        .await
        .context("logging in")?
        .into_inner();
    login
        .tokens
        .map(|t| t.access_token)
        .context("the login returned no tokens")
}
