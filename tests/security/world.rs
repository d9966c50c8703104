//! One running system per test (every service on real gRPC, the gateway on real HTTP) with
//! a token for every kind of caller, and the insider's view a security test needs to forge
//! tokens that differ from good ones in exactly one respect: identity's signing key.
//!
//! Each specification starts its own system: a start takes a few seconds, and a system of
//! its own means one specification's failure, or the account another disables, can never
//! be a second one's.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::Signer as _;
use estelam::RunningSystem;
use estelam_proto::identity::v1 as ipb;
use estelam_runtime::config::Settings;
use estelam_runtime::testing::FreshDatabase;
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::rules::Who::{self, *};
use crate::support::accounts;

/// The test's own machine account.
const SERVICE_CLIENT: &str = "security-suite";

/// One running system with a token for every kind of caller.
pub struct World {
    /// The backend, for failure messages.
    pub label: &'static str,
    pub system: RunningSystem,
    pub settings: Settings,
    /// A client that does not follow redirects, so each 303 is seen.
    pub http: reqwest::Client,
    /// The gateway's OpenAPI document, as it serves it.
    pub doc: Value,
    /// The demo people (the trust specifications file with their parcels).
    pub people: estelam::demo::DemoPeople,
    tokens: BTreeMap<Who, String>,
    /// The citizen's parcel (a renovation code), for tests that need a real one.
    pub parcel: String,
    /// A citizen's refresh token (which must never pass as an access token).
    pub refresh_token: String,
    /// The citizen's national code and password, for a test that needs sessions of its own.
    pub citizen_login: (String, String),
    /// Identity's current signing key, to mint tokens that differ from good ones in exactly
    /// one claim.
    pub signing: (String, ed25519_dalek::SigningKey),
    postgres: Option<FreshDatabase>,
    _data: tempfile::TempDir,
}

/// A channel to `endpoint` with the system's client settings.
pub fn channel(endpoint: &str, settings: &Settings) -> tonic::transport::Channel {
    estelam_runtime::grpc::channel(endpoint, &settings.grpc).expect("endpoint")
}

impl World {
    /// Starts every service and the gateway on the embedded default or, with
    /// `postgres_url`, in a PostgreSQL database of the run's own, with a 200-parcel demo
    /// city; `tweak` adjusts the settings first.
    pub async fn start(
        label: &'static str,
        postgres_url: Option<String>,
        tweak: Option<fn(&mut Settings)>,
    ) -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings {
            data_dir: data.path().to_path_buf(),
            ..Settings::default()
        };
        settings.property.demo_parcels = 200;
        // The matrix sends a few hundred requests from one address in a burst; the limits
        // themselves are tested elsewhere.
        settings.gateway.per_ip_burst = 100_000;
        settings.gateway.per_ip_per_minute = 100_000;
        settings.gateway.per_user_burst = 100_000;
        settings.gateway.per_user_per_minute = 100_000;
        // Small limits, so the oversized file and the deflate bomb stay small too.
        settings.documents.max_document_bytes = 2 << 20;
        settings.documents.max_pdf_inflated_bytes = 4 << 20;
        // Services refetch identity's keys and revocations often, so the disabled-account
        // case waits seconds, not the default interval.
        settings.auth.key_refresh_secs = 1;
        if let Some(tweak) = tweak {
            tweak(&mut settings);
        }
        let postgres = match &postgres_url {
            Some(url) => {
                let fresh = FreshDatabase::create(url, "sec")
                    .await
                    .expect("a PostgreSQL database of the run's own");
                settings.database.url = Some(SecretString::from(fresh.url().to_owned()));
                Some(fresh)
            }
            None => None,
        };
        let service_secret = accounts::add_service_client(&mut settings, SERVICE_CLIENT);
        accounts::bootstrap_admin(&mut settings);
        let system = estelam::start(
            settings,
            estelam::SystemAddrs::ephemeral(),
            CancellationToken::new(),
        )
        .await
        .unwrap_or_else(|e| panic!("{label}: the system starts: {e:#}"));
        let settings = system.settings().clone();
        let (admin, people) = accounts::demo_people(&settings).await;
        let mut tokens = BTreeMap::new();
        tokens.insert(Admin, admin);
        let logins = [
            (
                Citizen,
                &people.citizens[0].national_code,
                &people.citizens[0].password,
            ),
            (
                OtherCitizen,
                &people.citizens[1].national_code,
                &people.citizens[1].password,
            ),
            (Clerk, &people.clerk.national_code, &people.clerk.password),
            (
                Authority,
                &people.authority.national_code,
                &people.authority.password,
            ),
        ];
        for (who, national_code, password) in logins {
            tokens.insert(
                who,
                accounts::log_in(&settings, national_code, password).await,
            );
        }
        tokens.insert(
            Service,
            accounts::service_token(&settings, SERVICE_CLIENT, &service_secret).await,
        );
        let refresh_token = ipb::identity_service_client::IdentityServiceClient::new(channel(
            &settings.endpoints.identity,
            &settings,
        ))
        .login(ipb::LoginRequest {
            identifier: Some(ipb::login_request::Identifier::NationalCode(
                logins[0].1.clone(),
            )),
            password: logins[0].2.clone(),
        })
        .await
        .expect("a second login")
        .into_inner()
        .tokens
        .expect("tokens")
        .refresh_token;
        let citizen_login = (logins[0].1.clone(), logins[0].2.clone());
        let signing = identity_signing_key(&settings).await;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let doc: Value = http
            .get(format!("{}/api/openapi.json", system.gateway_url))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("the OpenAPI document is JSON");
        Self {
            label,
            system,
            settings,
            http,
            doc,
            parcel: people.citizens[0].renovation_code.clone(),
            people,
            tokens,
            refresh_token,
            citizen_login,
            signing,
            postgres,
            _data: data,
        }
    }

    /// Stops the system (cleanly) and drops the run's database.
    pub async fn stop(self) {
        self.system.stop().await.expect("the system stops cleanly");
        if let Some(pg) = self.postgres {
            pg.drop_database()
                .await
                .expect("the run's database is dropped");
        }
    }

    /// The access token of `who` (none for the anonymous caller).
    pub fn token(&self, who: Who) -> Option<&str> {
        self.tokens.get(&who).map(String::as_str)
    }

    /// A token signed with identity's own key, with `edit` applied to good claims.
    pub fn mint(&self, edit: impl FnOnce(&mut Value)) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs();
        let mut claims = json!({
            "iss": self.settings.auth.issuer, "aud": self.settings.auth.audience,
            "sub": uuid::Uuid::now_v7().to_string(), "exp": now + 600, "nbf": now, "iat": now,
            "jti": uuid::Uuid::now_v7().to_string(), "roles": ["admin"],
        });
        edit(&mut claims);
        let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": self.signing.0});
        sign(&header, &claims, &self.signing.1)
    }
}

/// `value` as unpadded base64url JSON, a JWT segment.
pub fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("json"))
}

/// A JWT of `header` and `claims` signed with `key`.
pub fn sign(header: &Value, claims: &Value, key: &ed25519_dalek::SigningKey) -> String {
    let input = format!("{}.{}", b64(header), b64(claims));
    let signature = key.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

/// Identity's current signing key, read from its own store and opened with the data
/// directory's key-encryption key, as an insider with both would hold it.
pub async fn identity_signing_key(settings: &Settings) -> (String, ed25519_dalek::SigningKey) {
    let db = estelam_runtime::host::open_store(
        settings,
        "identity",
        &estelam::migrations_of("identity").expect("identity"),
    )
    .await
    .expect("identity's store");
    let (kid, secret): (String, Vec<u8>) = sqlx::query_as(
        "SELECT kid, secret_key FROM signing_keys WHERE retired_at IS NULL \
         ORDER BY created_at DESC LIMIT 1",
    )
    .fetch_one(db.pool())
    .await
    .expect("a current signing key");
    db.close().await;
    // Stored sealed: the insider also holds the key-encryption key from the data directory.
    let seal = estelam_runtime::key_seal::KeySeal::load(
        settings.identity.signing_key_encryption_key.as_ref(),
        estelam_identity::service::KEK_SETTING,
        &settings.data_dir,
        estelam_identity::service::KEK_FILE,
    )
    .expect("identity's key-encryption key");
    let seed = seal
        .open(&kid, std::str::from_utf8(&secret).expect("sealed text"))
        .expect("the stored key opens with identity's key-encryption key");
    (kid, ed25519_dalek::SigningKey::from_bytes(&seed))
}

/// A baseline JPEG header of `width` × `height`, then a scan and EOI: what a scanner's
/// smallest image looks like to the documents service.
pub fn jpeg(width: u16, height: u16) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    out.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    out.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x0B, 0x08]);
    out.extend_from_slice(&height.to_be_bytes());
    out.extend_from_slice(&width.to_be_bytes());
    out.extend_from_slice(&[0x01, 0x01, 0x11, 0x00]);
    out.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
    out.extend_from_slice(&[0x00, 0x00, 0x00, 0xFF, 0xD9]);
    out
}
