//! What a login costs and what checking a token costs.
//!
//! * `login/grpc_one`: one Login over real gRPC on loopback against the embedded SQLite store,
//!   argon2id (m = 19456 KiB, t = 2, p = 1) included, plus the session and audit writes.
//! * `login/grpc_8_concurrent`: eight Logins at once, to show the hashing semaphore queueing
//!   them (time per batch of eight).
//! * `argon2id/verify`: the password check alone, on the blocking pool.
//! * `token/verify`: what every service pays per request to check an access token
//!   (`TokenVerifier::verify`, Ed25519 signature and claims).
//! * `token/issue`: signing one access token.
//!
//! Run with `cargo bench -p estelam-identity`; figures are in BENCHMARKS.md.
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use estelam_identity::LogSms;
use estelam_identity::tokens::Subject;
use estelam_proto::identity::v1 as pb;
use estelam_proto::identity::v1::identity_service_client::IdentityServiceClient;
use estelam_runtime::auth::{Role, TokenVerifier};
use estelam_runtime::config::{BootstrapAdmin, Settings};
use estelam_runtime::host::ServiceContext;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

const NATIONAL: &str = "0076229645";
const PASSWORD: &str = "باغ گل‌های شاهین‌شهر";

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let (client, identity, verifier) = rt.block_on(async {
        let mut settings = Settings {
            data_dir: dir.path().to_path_buf(),
            ..Settings::default()
        };
        settings.identity.bootstrap_admin = Some(BootstrapAdmin {
            national_code: "1583250689".into(),
            first_name: "مدیر".into(),
            last_name: "سنجش".into(),
            mobile: String::new(),
            password: Some(SecretString::from("یک گذرواژهٔ بلند برای سنجش".to_owned())),
        });
        let settings = Arc::new(settings);
        let db = estelam_runtime::host::open_store(
            &settings,
            "identity",
            &estelam_identity::migrations(),
        )
        .await
        .expect("store");
        let verifier = TokenVerifier::new(&settings.auth.issuer, &settings.auth.audience);
        let ctx = ServiceContext {
            settings,
            db,
            verifier: verifier.clone(),
            bus: Arc::new(estelam_runtime::bus::MemoryBus::new()),
            shutdown: CancellationToken::new(),
        };
        let (server, identity) = estelam_identity::build_with(&ctx, Arc::new(LogSms::new()))
            .await
            .expect("identity");
        let server = estelam_runtime::testing::spawn_grpc(server).await;
        let mut client = IdentityServiceClient::new(server.channel());
        client
            .register_citizen(pb::RegisterCitizenRequest {
                national_code: NATIONAL.into(),
                first_name: "زهرا".into(),
                last_name: "حسینی".into(),
                mobile: "09131234567".into(),
                password: PASSWORD.into(),
            })
            .await
            .expect("registered");
        std::mem::forget(server); // keep serving until the process ends
        (client, identity, verifier)
    });
    let request = || pb::LoginRequest {
        identifier: Some(pb::login_request::Identifier::NationalCode(NATIONAL.into())),
        password: PASSWORD.into(),
    };

    let mut login = c.benchmark_group("login");
    login
        .sample_size(30)
        .measurement_time(Duration::from_secs(8));
    login.bench_function("grpc_one", |b| {
        b.iter(|| {
            let mut client = client.clone();
            rt.block_on(async move { client.login(request()).await.expect("login") })
        })
    });
    login
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    login.bench_function("grpc_8_concurrent", |b| {
        b.iter(|| {
            rt.block_on(async {
                let calls = (0..8).map(|_| {
                    let mut client = client.clone();
                    async move { client.login(request()).await.expect("login") }
                });
                futures_join_all(calls).await
            })
        })
    });
    login.finish();

    let hasher = rt
        .block_on(estelam_identity::password::Hasher::new(
            estelam_identity::password::owasp_params(),
            0,
        ))
        .expect("hasher");
    let phc = rt.block_on(hasher.hash(PASSWORD.into())).expect("hash");
    let mut argon = c.benchmark_group("argon2id");
    argon.sample_size(30);
    argon.bench_function("verify", |b| {
        b.iter(|| {
            rt.block_on(hasher.verify(PASSWORD.into(), Some(phc.clone())))
                .expect("verify")
        })
    });
    argon.finish();

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let subject = Subject {
        account_id: "0190f0e2-0000-7000-8000-000000000000".into(),
        roles: vec![Role::Citizen],
        organization_id: None,
        national_code: None,
        session_id: None,
        password_change_required: false,
    };
    let (token, _, _) = identity
        .keys()
        .issue(&subject, Duration::from_secs(900), now)
        .expect("token");
    let mut tokens = c.benchmark_group("token");
    tokens.bench_function("verify", |b| {
        b.iter(|| {
            verifier
                .verify(std::hint::black_box(&token))
                .expect("valid")
        })
    });
    tokens.bench_function("issue", |b| {
        b.iter(|| {
            identity
                .keys()
                .issue(&subject, Duration::from_secs(900), now)
                .expect("issued")
        })
    });
    tokens.finish();
}

/// Runs the futures concurrently and waits for all (no extra crate for one join).
async fn futures_join_all<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

criterion_group!(login, benches);
criterion_main!(login);
