//! The people desk over HTTP (issue 20), as an admin uses it with no grpcurl: the admin
//! creates a clerk, who logs in, must change the one-time password first and then works;
//! disabling the clerk stops the clerk's token and login, enabling starts them again; a
//! password reset ends the old password and sessions, the temporary password logs in and
//! holds the clerk to changing it, and stops working once changed; an organisation's
//! disabling stops its user's login; a revoked client key no longer buys a token; a clerk
//! and a citizen can do none of it. On SQLite and (when `ESTELAM_TEST_POSTGRES_URL` is set)
//! PostgreSQL.

use std::time::Duration;

use estelam::RunningSystem;
use estelam::demo::DemoPeople;
use estelam_runtime::testing::{FreshDatabase, eventually};
use reqwest::StatusCode;
use serde_json::{Value, json};

mod support;

use support::system;

struct World {
    label: &'static str,
    system: RunningSystem,
    people: DemoPeople,
    admin: String,
    http: reqwest::Client,
    postgres: Option<FreshDatabase>,
    _data: tempfile::TempDir,
}

/// A valid national code no demo person has, different per backend run.
fn national_code(seed: u32) -> String {
    let body = format!("{:09}", 610_000_000 + seed * 4_409);
    let sum: u32 = body
        .chars()
        .enumerate()
        .map(|(i, c)| c.to_digit(10).expect("digit") * (10 - i as u32))
        .sum();
    let r = sum % 11;
    format!("{body}{}", if r < 2 { r } else { 11 - r })
}

impl World {
    async fn start(label: &'static str, postgres_url: Option<String>) -> Self {
        let system::Started {
            system,
            admin,
            people,
            postgres,
            data,
            ..
        } = system::start_with_demo(label, "people", postgres_url.as_deref(), 100).await;
        Self {
            label,
            system,
            people,
            admin,
            http: reqwest::Client::new(),
            postgres,
            _data: data,
        }
    }

    async fn stop(self) {
        system::stop(self.system, self.postgres).await;
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.system.gateway_url)
    }

    /// `method path` with `token` (if any) and `body` (if any): status and JSON body.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, self.url(path));
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

    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, Some(token), Some(body))
            .await
    }

    /// Logs in over HTTP: status and body (tokens and account on success).
    async fn login(&self, national_code: &str, password: &str) -> (StatusCode, Value) {
        self.call(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "national_code": national_code, "password": password })),
        )
        .await
    }

    /// Logs in with a password that must be changed, changes it to `new`: the new token.
    async fn first_login(&self, national_code: &str, temporary: &str, new: &str) -> String {
        let label = self.label;
        let (status, body) = self.login(national_code, temporary).await;
        assert_eq!(status, StatusCode::OK, "{label}: {body}");
        assert_eq!(body["account"]["password_change_required"], true, "{label}");
        let token = body["tokens"]["access_token"].as_str().expect("token");
        // Nothing but the change until it is made.
        let (status, body) = self.get("/api/v1/inquiries", token).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{label}: {body}");
        assert_eq!(body["reason"], "PASSWORD_CHANGE_REQUIRED", "{label}");
        let (status, body) = self
            .post(
                "/api/v1/me/password",
                token,
                json!({ "current_password": temporary, "new_password": new }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{label}: {body}");
        body["tokens"]["access_token"]
            .as_str()
            .expect("token")
            .to_owned()
    }
}

macro_rules! on_every_backend {
    ($name:ident => $check:path) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                let world = super::World::start("sqlite", None).await;
                $check(&world, 1).await;
                world.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgresql() {
                let Some(url) = estelam_runtime::testing::postgres_url() else {
                    eprintln!(
                        "skipped: {} on PostgreSQL (set ESTELAM_TEST_POSTGRES_URL)",
                        stringify!($name)
                    );
                    return;
                };
                let world = super::World::start("postgres", Some(url)).await;
                $check(&world, 2).await;
                world.stop().await;
            }
        }
    };
}

on_every_backend!(an_admin_manages_people_from_the_desk => crate::people_desk);

/// Waits until `token` is refused on `GET /api/v1/me` (identity refuses at once; the
/// gateway's verifier from its next key refresh).
async fn refused_soon(w: &World, token: &str, what: &str) {
    eventually(what, Duration::from_secs(60), async || {
        let (status, _) = w.get("/api/v1/me", token).await;
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            Ok(())
        } else {
            Err(status)
        }
    })
    .await;
}

async fn people_desk(w: &World, run: u32) {
    let label = w.label;
    let admin = w.admin.as_str();

    // The admin creates a clerk; the clerk logs in and must change the password first.
    let clerk_code = national_code(run * 10 + 1);
    let (status, created) = w
        .post(
            "/api/v1/accounts/staff",
            admin,
            json!({
                "national_code": clerk_code, "first_name": "سارا", "last_name": "موسوی",
                "mobile": "09131234000", "roles": ["clerk"],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{label}: {created}");
    let clerk_id = created["account"]["account_id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(created["account"]["roles"], json!(["clerk"]), "{label}");
    let temporary = created["temporary_password"].as_str().expect("password");
    let own = "میز کار شهرداری ۱۴۰۵";
    let clerk = w.first_login(&clerk_code, temporary, own).await;
    let (status, me) = w.get("/api/v1/me", &clerk).await;
    assert_eq!(status, StatusCode::OK, "{label}: {me}");
    assert_eq!(me["account"]["account_id"], clerk_id.as_str());

    // The desk lists the clerk among the clerks.
    let (status, page) = w
        .get(
            &format!("/api/v1/accounts?role=clerk&query={clerk_code}"),
            admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{label}: {page}");
    assert_eq!(
        page["accounts"][0]["account_id"],
        clerk_id.as_str(),
        "{label}"
    );
    let (status, body) = w.get("/api/v1/accounts?role=mayor", admin).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{label}: {body}");

    // A reset: the old password and session end; the temporary one works until changed.
    let (status, reset) = w
        .post(
            &format!("/api/v1/accounts/{clerk_id}/password-reset"),
            admin,
            json!({ "reason": "گذرواژه فراموش شد" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{label}: {reset}");
    assert_eq!(reset["account"]["password_change_required"], true);
    let temporary = reset["temporary_password"].as_str().expect("password");
    assert_ne!(temporary, own);
    refused_soon(w, &clerk, "the reset clerk's old session is refused").await;
    let (status, body) = w.login(&clerk_code, own).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "{label}: old password: {body}"
    );
    let newer = "میز کار شهرداری ۱۴۰۶";
    w.first_login(&clerk_code, temporary, newer).await;
    let (status, body) = w.login(&clerk_code, temporary).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "{label}: spent temporary: {body}"
    );
    let (status, body) = w.login(&clerk_code, newer).await;
    assert_eq!(status, StatusCode::OK, "{label}: {body}");
    let current = body["tokens"]["access_token"]
        .as_str()
        .expect("token")
        .to_owned();

    // Disabled: the clerk's token and login stop working; enabled: the login works again.
    let reason = json!({ "reason": "پایان همکاری" });
    let (status, body) = w
        .post(
            &format!("/api/v1/accounts/{clerk_id}/disable"),
            admin,
            reason.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{label}: {body}");
    assert_eq!(body["status"], "disabled");
    refused_soon(w, &current, "the disabled clerk's token is refused").await;
    let (status, body) = w.login(&clerk_code, newer).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{label}: {body}");
    assert_eq!(body["reason"], "ACCOUNT_DISABLED", "{label}");
    let (status, body) = w
        .post(
            &format!("/api/v1/accounts/{clerk_id}/enable"),
            admin,
            reason.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{label}: {body}");
    let (status, body) = w.login(&clerk_code, newer).await;
    assert_eq!(status, StatusCode::OK, "{label}: {body}");

    organisation_disabled(w, run).await;
    revoked_key(w).await;
    let demo_clerk = &w.people.clerk;
    let (status, body) = w
        .login(&demo_clerk.national_code, &demo_clerk.password)
        .await;
    assert_eq!(status, StatusCode::OK, "{label}: {body}");
    let demo_clerk = body["tokens"]["access_token"].as_str().expect("token");
    nobody_else(w, demo_clerk, &clerk_id).await;
}

/// A new organisation's user stops logging in once the organisation is disabled.
async fn organisation_disabled(w: &World, run: u32) {
    let label = w.label;
    let admin = w.admin.as_str();
    let (status, org) = w
        .post(
            "/api/v1/desk/organizations",
            admin,
            json!({
                "type": "bank", "name": { "fa": "بانک آزمون", "en": "Test bank" },
                "registry_number": format!("77{run}"), "city": "شاهین‌شهر",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{label}: {org}");
    let org_id = org["organization_id"].as_str().expect("id").to_owned();
    let user_code = national_code(run * 10 + 2);
    let (status, user) = w
        .post(
            &format!("/api/v1/organizations/{org_id}/users"),
            admin,
            json!({
                "national_code": user_code, "first_name": "حسن", "last_name": "نوری",
                "mobile": "09131234001",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{label}: {user}");
    let temporary = user["temporary_password"].as_str().expect("password");
    let (status, page) = w
        .get(&format!("/api/v1/accounts?organization_id={org_id}"), admin)
        .await;
    assert_eq!(status, StatusCode::OK, "{label}: {page}");
    assert_eq!(
        page["accounts"].as_array().map(Vec::len),
        Some(1),
        "{label}"
    );

    let (status, body) = w
        .post(
            &format!("/api/v1/organizations/{org_id}/disable"),
            admin,
            json!({ "reason": "قرارداد پایان یافت" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{label}: {body}");
    assert_eq!(body["active"], false);
    let (status, body) = w.login(&user_code, temporary).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{label}: {body}");
    assert_eq!(body["reason"], "ORGANIZATION_DISABLED", "{label}");
    let (status, page) = w
        .get("/api/v1/desk/organizations?query=بانک آزمون", admin)
        .await;
    assert_eq!(status, StatusCode::OK, "{label}: {page}");
    assert!(
        page["organizations"]
            .as_array()
            .expect("list")
            .iter()
            .any(|o| o["organization_id"] == org_id.as_str() && o["active"] == false),
        "{label}: the desk shows it disabled: {page}"
    );
}

/// An Ed25519 key of the test's own and the JWK the admin registers for it.
struct ClientKey {
    signing: ed25519_dalek::SigningKey,
    kid: String,
}

impl ClientKey {
    fn public_jwk(&self) -> Value {
        use base64::Engine as _;
        json!({
            "kty": "OKP", "crv": "Ed25519", "kid": self.kid,
            "x": base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(self.signing.verifying_key().to_bytes()),
        })
    }

    /// A compact JWS (EdDSA) asserting `client_id` to `aud`, valid two minutes.
    fn assertion(&self, client_id: &str, aud: &str) -> String {
        use base64::Engine as _;
        use ed25519_dalek::Signer as _;
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        let claims = json!({
            "iss": client_id, "sub": client_id, "aud": aud,
            "iat": now, "exp": now + 120, "jti": uuid::Uuid::now_v7().to_string(),
        });
        let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": self.kid});
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        format!(
            "{input}.{}",
            b64(&self.signing.sign(input.as_bytes()).to_bytes())
        )
    }
}

/// `POST /oauth/token` with a client assertion: the status.
async fn token_by_assertion(w: &World, assertion: &str) -> StatusCode {
    w.http
        .post(w.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
        ])
        .send()
        .await
        .expect("sent")
        .status()
}

/// A client's key, revoked on the desk, no longer buys a token.
async fn revoked_key(w: &World) {
    let label = w.label;
    let admin = w.admin.as_str();
    let office = &w.people.authority.organization_id;
    let (status, client) = w
        .post(
            &format!("/api/v1/organizations/{office}/clients"),
            admin,
            json!({ "name": "desk-key-test" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{label}: {client}");
    let account_id = client["account"]["account_id"].as_str().expect("id");
    let client_id = client["client_id"].as_str().expect("client id");
    let key = ClientKey {
        signing: ed25519_dalek::SigningKey::from_bytes(&[21; 32]),
        kid: "desk-1".into(),
    };
    let (status, body) = w
        .post(
            &format!("/api/v1/clients/{account_id}/keys"),
            admin,
            json!({ "jwk": key.public_jwk() }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{label}: {body}");
    let aud = w.url("/oauth/token");
    assert_eq!(
        token_by_assertion(w, &key.assertion(client_id, &aud)).await,
        StatusCode::OK,
        "{label}: the key works"
    );
    let (status, keys) = w
        .get(&format!("/api/v1/clients/{account_id}/keys"), admin)
        .await;
    assert_eq!(status, StatusCode::OK, "{label}: {keys}");
    assert_eq!(keys["keys"][0]["kid"], "desk-1");
    assert!(keys["keys"][0]["revoked"].is_null(), "{label}: in use");

    let (status, body) = w
        .post(
            &format!("/api/v1/clients/{account_id}/keys/desk-1/revoke"),
            admin,
            json!({ "reason": "کلید لو رفت" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{label}: {body}");
    assert!(body["revoked"]["at"].is_string(), "{label}: {body}");
    assert_eq!(
        token_by_assertion(w, &key.assertion(client_id, &aud)).await,
        StatusCode::UNAUTHORIZED,
        "{label}: a revoked key's assertion is refused"
    );
    let (status, body) = w
        .post(
            &format!("/api/v1/clients/{account_id}/keys/desk-1/revoke"),
            admin,
            json!({ "reason": "again" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{label}: {body}");
    assert_eq!(body["reason"], "CLIENT_KEY_REVOKED");
    assert!(
        body["detail_fa"].as_str().is_some_and(|d| !d.is_empty()),
        "{label}: Persian too"
    );
}

/// A clerk and a citizen are refused every action of the desk.
async fn nobody_else(w: &World, clerk: &str, clerk_id: &str) {
    let label = w.label;
    let citizen = &w.people.citizens[0];
    let (status, body) = w.login(&citizen.national_code, &citizen.password).await;
    assert_eq!(status, StatusCode::OK, "{label}: {body}");
    let citizen = body["tokens"]["access_token"].as_str().expect("token");
    let office = &w.people.authority.organization_id;
    let reason = json!({ "reason": "x" });
    let staff = json!({
        "national_code": national_code(99), "first_name": "ن", "last_name": "ن",
        "mobile": "09131234002", "roles": ["admin"],
    });
    for (who, token) in [("clerk", clerk), ("citizen", citizen)] {
        let calls = [
            w.get("/api/v1/accounts", token).await,
            w.get("/api/v1/desk/organizations", token).await,
            w.post("/api/v1/accounts/staff", token, staff.clone()).await,
            w.post(
                &format!("/api/v1/accounts/{clerk_id}/disable"),
                token,
                reason.clone(),
            )
            .await,
            w.post(
                &format!("/api/v1/accounts/{clerk_id}/password-reset"),
                token,
                reason.clone(),
            )
            .await,
            w.post(
                &format!("/api/v1/organizations/{office}/disable"),
                token,
                reason.clone(),
            )
            .await,
            w.get(&format!("/api/v1/clients/{clerk_id}/keys"), token)
                .await,
            w.post(
                &format!("/api/v1/clients/{clerk_id}/keys/desk-1/revoke"),
                token,
                reason.clone(),
            )
            .await,
        ];
        for (i, (status, body)) in calls.into_iter().enumerate() {
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{label}: {who}, call {i}: {body}"
            );
        }
    }
    // The office still works: the refusals changed nothing.
    let (status, body) = w
        .login(
            &w.people.authority.national_code,
            &w.people.authority.password,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{label}: {body}");
}
