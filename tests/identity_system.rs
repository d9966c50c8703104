//! In the whole system (`estelam::start`, as `estelam run` does): a citizen registers and
//! logs in at identity, and another service's authentication layer accepts the access token
//! (and refuses a forged one); each service's generated client credentials get it a service
//! token from identity.

use estelam::SystemAddrs;
use estelam_proto::identity::v1 as pb;
use estelam_proto::identity::v1::identity_service_client::IdentityServiceClient;
use estelam_runtime::auth::ServiceTokenSource;
use estelam_runtime::config::Settings;
use estelam_runtime::grpc::outgoing;
use tokio_util::sync::CancellationToken;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

fn channel(endpoint: &str) -> tonic::transport::Channel {
    tonic::transport::Endpoint::from_shared(endpoint.to_owned())
        .expect("uri")
        .connect_lazy()
}

// The national code is not a demo person's: the first start creates those (demo.json).

/// A call to `endpoint` with `token`: Ok when its authentication layer let it through.
async fn health_with(endpoint: &str, token: &str) -> Result<(), tonic::Status> {
    let mut health = HealthClient::new(channel(endpoint));
    health
        .check(outgoing(
            HealthCheckRequest {
                service: String::new(),
            },
            Some(token),
        ))
        .await
        .map(drop)
}

#[tokio::test]
async fn tokens_identity_issues_are_accepted_by_the_other_services() {
    let data = tempfile::tempdir().expect("temp dir");
    let settings = Settings {
        data_dir: data.path().to_path_buf(),
        ..Settings::default()
    };
    let shutdown = CancellationToken::new();
    let system = estelam::start(settings, SystemAddrs::ephemeral(), shutdown.clone())
        .await
        .expect("system starts");
    let endpoint = |name: &str| {
        system
            .endpoints
            .iter()
            .find(|(s, _)| *s == name)
            .map(|(_, e)| e.clone())
            .expect("service")
    };

    let mut identity = IdentityServiceClient::new(channel(&endpoint("identity")));
    identity
        .register_citizen(pb::RegisterCitizenRequest {
            national_code: "۰۰۱۲۳۴۵۶۷۹".into(),
            first_name: "علی".into(),
            last_name: "رضایی".into(),
            mobile: "09121234567".into(),
            password: "شب‌های روشن شاهین‌شهر".into(),
        })
        .await
        .expect("registered");
    let tokens = identity
        .login(pb::LoginRequest {
            identifier: Some(pb::login_request::Identifier::NationalCode(
                "0012345679".into(),
            )),
            password: "شب‌های روشن شاهین‌شهر".into(),
        })
        .await
        .expect("logged in")
        .into_inner()
        .tokens
        .expect("tokens");

    for service in ["property", "documents", "fees", "inquiry"] {
        health_with(&endpoint(service), &tokens.access_token)
            .await
            .unwrap_or_else(|e| panic!("{service} refused identity's token: {e}"));
        let forged = estelam_runtime::testing::TokenMint::new()
            .token("someone", &[estelam_runtime::auth::Role::Admin]);
        let err = health_with(&endpoint(service), &forged)
            .await
            .expect_err("a forged token is refused");
        assert_eq!(err.code(), tonic::Code::Unauthenticated, "{service}");
    }

    // `estelam run` generated each service's client secret once, privately, and identity
    // accepts them.
    let secrets =
        estelam_identity::service_credentials(data.path(), &["fees"]).expect("secrets file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let file = data.path().join(estelam_identity::SERVICE_CREDENTIALS_FILE);
        assert_eq!(
            std::fs::metadata(file).expect("file").permissions().mode() & 0o777,
            0o600
        );
    }
    let fees = ServiceTokenSource::new(
        channel(&endpoint("identity")),
        "fees",
        secrets["fees"].clone(),
    );
    let service_token = fees.bearer().await.expect("fees gets a service token");
    health_with(&endpoint("inquiry"), &service_token)
        .await
        .expect("inquiry accepts the fees service token");

    shutdown.cancel();
    tokio::time::timeout(std::time::Duration::from_secs(60), system.wait())
        .await
        .expect("everything stops after the signal")
        .expect("no part failed");
}
