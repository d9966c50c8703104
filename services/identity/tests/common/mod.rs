//! Shared set-up of the identity integration tests: one identity server per backend, on a
//! free loopback port, with a known bootstrap admin, one configured service client and the
//! in-memory SMS outbox.
#![allow(dead_code, missing_docs)]

use std::sync::Arc;

use estelam_identity::{Identity, LogSms};
use estelam_proto::identity::v1 as pb;
use estelam_proto::identity::v1::identity_service_client::IdentityServiceClient;
use estelam_runtime::auth::TokenVerifier;
use estelam_runtime::config::{BootstrapAdmin, Settings};
use estelam_runtime::error::ServiceError;
use estelam_runtime::host::ServiceContext;
use estelam_runtime::testing::{self, SpawnedServer, TestDatabase};
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

pub const ADMIN_NATIONAL_CODE: &str = "1583250689";
pub const ADMIN_PASSWORD: &str = "نگهبان شهر 1403 admin";
pub const FEES_CLIENT_ID: &str = "fees";
pub const FEES_SECRET: &str = "fees-secret-0123456789-abcdefghijklmnop";

pub type Client = IdentityServiceClient<Channel>;

/// One running identity service on one backend.
pub struct Harness {
    pub label: &'static str,
    pub server: SpawnedServer,
    pub sms: LogSms,
    pub identity: Identity,
    pub settings: Arc<Settings>,
    pub shutdown: CancellationToken,
    db: TestDatabase,
}

impl Harness {
    pub fn client(&self) -> Client {
        IdentityServiceClient::new(self.server.channel())
    }

    /// A verifier trusting exactly the keys identity publishes now.
    pub fn identity_verifier(&self) -> TokenVerifier {
        let v = TokenVerifier::new(&self.settings.auth.issuer, &self.settings.auth.audience);
        v.set_keys(&self.identity.keys().public_keys());
        v
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        self.server.stop().await;
        self.db.cleanup().await;
    }
}

/// Settings every test starts from.
pub fn settings() -> Settings {
    // Identity writes its key-encryption key into the data directory: a directory of the
    // test process's own, never the crate's `data/` (which holds the password list).
    let mut s = Settings {
        data_dir: std::env::temp_dir()
            .join(format!("estelam-identity-tests-{}", std::process::id())),
        ..Settings::default()
    };
    s.identity.bootstrap_admin = Some(BootstrapAdmin {
        national_code: ADMIN_NATIONAL_CODE.into(),
        first_name: "مدیر".into(),
        last_name: "آزمون".into(),
        mobile: "09120000000".into(),
        password: Some(SecretString::from(ADMIN_PASSWORD.to_owned())),
    });
    s.identity.service_clients.insert(
        FEES_CLIENT_ID.into(),
        SecretString::from(FEES_SECRET.to_owned()),
    );
    s
}

/// Starts identity on every backend (SQLite always, PostgreSQL when configured).
pub async fn start_all(tag: &str, settings: Settings) -> Vec<Harness> {
    let settings = Arc::new(settings);
    let mut out = Vec::new();
    for db in testing::databases(tag, &estelam_identity::migrations())
        .await
        .expect("test databases")
    {
        out.push(start_on(db, settings.clone()).await);
    }
    out
}

pub async fn start_on(db: TestDatabase, settings: Arc<Settings>) -> Harness {
    let shutdown = CancellationToken::new();
    let ctx = ServiceContext {
        settings: settings.clone(),
        db: db.db.clone(),
        verifier: TokenVerifier::new(&settings.auth.issuer, &settings.auth.audience),
        bus: Arc::new(estelam_runtime::bus::MemoryBus::new()),
        shutdown: shutdown.clone(),
    };
    let sms = LogSms::new();
    let (server, identity) = estelam_identity::build_with(&ctx, Arc::new(sms.clone()))
        .await
        .expect("identity builds");
    let server = testing::spawn_grpc(server).await;
    Harness {
        label: db.label,
        server,
        sms,
        identity,
        settings,
        shutdown,
        db,
    }
}

/// A valid national code different for every call (so parallel tests never collide).
pub fn fresh_national_code() -> String {
    loop {
        let payload: u64 = rand::random_range(1..1_000_000_000);
        let digits = format!("{payload:09}");
        let sum: u32 = digits
            .bytes()
            .enumerate()
            .map(|(i, d)| u32::from(d - b'0') * (10 - i as u32))
            .sum();
        let r = sum % 11;
        let check = if r < 2 { r } else { 11 - r };
        let code = format!("{digits}{check}");
        if !code.bytes().all(|b| b == code.as_bytes()[0]) {
            return code;
        }
    }
}

pub fn register_request(national_code: &str, password: &str) -> pb::RegisterCitizenRequest {
    pb::RegisterCitizenRequest {
        national_code: national_code.into(),
        first_name: "زهرا".into(),
        last_name: "حسینی".into(),
        mobile: "۰۹۱۳۱۲۳۴۵۶۷".into(),
        password: password.into(),
    }
}

pub const CITIZEN_PASSWORD: &str = "باغ گل‌های شاهین‌شهر";

/// Registers a citizen with [`CITIZEN_PASSWORD`]; returns the response.
pub async fn register(client: &mut Client, national_code: &str) -> pb::RegisterCitizenResponse {
    client
        .register_citizen(register_request(national_code, CITIZEN_PASSWORD))
        .await
        .expect("registration succeeds")
        .into_inner()
}

pub fn login_request(national_code: &str, password: &str) -> pb::LoginRequest {
    pb::LoginRequest {
        identifier: Some(pb::login_request::Identifier::NationalCode(
            national_code.into(),
        )),
        password: password.into(),
    }
}

/// Logs in by national code; returns the tokens.
pub async fn login(client: &mut Client, national_code: &str, password: &str) -> pb::Tokens {
    client
        .login(login_request(national_code, password))
        .await
        .expect("login succeeds")
        .into_inner()
        .tokens
        .expect("tokens")
}

/// The bootstrap admin's access token.
pub async fn admin_token(client: &mut Client) -> String {
    login(client, ADMIN_NATIONAL_CODE, ADMIN_PASSWORD)
        .await
        .access_token
}

/// The Estelam error inside a status.
pub fn error_of(status: &tonic::Status) -> ServiceError {
    ServiceError::from_status(status)
}
