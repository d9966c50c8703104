//! Organisations' API clients (issue 17): the demo notary office's client (from demo.json, as
//! `estelam run` creates it) and clients an admin registers; the office's software, with
//! only its client id and secret, gets a token over
//! HTTP (`POST /oauth/token`, HTTP Basic or the form) and over gRPC, and files on behalf of
//! a demo citizen who gave their membership code. A rotated secret overlaps for the time
//! the admin gave and ends at once with no overlap; a revoked client and a wrong secret are
//! refused `invalid_client`, and wrong secrets are throttled. A client with a registered
//! Ed25519 key gets its token with a signed assertion instead (`private_key_jwt`, RFC 7523)
//! over HTTP and gRPC; a replayed jti, a wrong audience, an expired assertion and one signed
//! with another client's key are `invalid_client`, and a private key is refused at
//! registration. On SQLite and (when `ESTELAM_TEST_POSTGRES_URL` is set) PostgreSQL.

use estelam::RunningSystem;
use estelam::demo::DemoPeople;
use estelam_proto::identity::v1 as ipb;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::config::Settings;
use estelam_runtime::grpc::outgoing;
use estelam_runtime::testing::FreshDatabase;
use reqwest::StatusCode;
use serde_json::Value;
use tonic::transport::Channel;

mod support;

use support::on_every_backend;
use support::{accounts, system};

struct World {
    label: &'static str,
    system: RunningSystem,
    settings: Settings,
    people: DemoPeople,
    admin: String,
    http: reqwest::Client,
    postgres: Option<FreshDatabase>,
    _data: tempfile::TempDir,
}

impl World {
    async fn start(label: &'static str, postgres_url: Option<String>) -> Self {
        let system::Started {
            system,
            settings,
            admin,
            people,
            postgres,
            data,
        } = system::start_with_demo(label, "clients", postgres_url.as_deref(), 100).await;
        Self {
            label,
            system,
            settings,
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

    fn identity(&self) -> ipb::identity_service_client::IdentityServiceClient<Channel> {
        ipb::identity_service_client::IdentityServiceClient::new(
            estelam_runtime::grpc::channel(&self.settings.endpoints.identity, &self.settings.grpc)
                .expect("endpoint"),
        )
    }

    /// The admin registers a client named `name` for the demo office: (account id, client
    /// id, secret).
    async fn new_client(&self, name: &str) -> (String, String, String) {
        let r = self
            .identity()
            .create_organization_client(outgoing(
                ipb::CreateOrganizationClientRequest {
                    organization_id: self.people.authority.organization_id.clone(),
                    name: name.into(),
                    description: "the office's desk software".into(),
                },
                Some(&self.admin),
            ))
            .await
            .unwrap_or_else(|e| panic!("{}: the admin registers a client: {e}", self.label))
            .into_inner();
        let account = r.account.expect("the client's account");
        assert_eq!(
            account.organization_id, self.people.authority.organization_id,
            "{}: the client acts for the office",
            self.label
        );
        (account.account_id, r.client_id, r.client_secret)
    }

    /// `POST /oauth/token` with HTTP Basic: status and JSON body.
    async fn token_over_http(&self, client_id: &str, secret: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}/oauth/token", self.system.gateway_url))
            .basic_auth(client_id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("sent");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn token_over_grpc(
        &self,
        client_id: &str,
        secret: &str,
    ) -> Result<String, tonic::Status> {
        self.identity()
            .client_credentials_token(ipb::ClientCredentialsTokenRequest {
                client_id: client_id.into(),
                client_secret: secret.into(),
                ..Default::default()
            })
            .await
            .map(|r| r.into_inner().access_token)
    }

    /// Asserts the secret is refused over HTTP as `invalid_client`.
    async fn refused(&self, client_id: &str, secret: &str, what: &str) {
        let (status, body) = self.token_over_http(client_id, secret).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{}: {what}: {body}",
            self.label
        );
        assert_eq!(body["error"], "invalid_client", "{}: {what}", self.label);
    }

    /// Asserts the secret gets a token over HTTP.
    async fn accepted(&self, client_id: &str, secret: &str, what: &str) -> String {
        let (status, body) = self.token_over_http(client_id, secret).await;
        assert_eq!(status, StatusCode::OK, "{}: {what}: {body}", self.label);
        assert_eq!(body["token_type"], "Bearer");
        assert!(body["expires_in"].as_u64().is_some_and(|s| s > 0), "{body}");
        body["access_token"].as_str().expect("a token").to_owned()
    }
}

on_every_backend!(an_office_client_files_on_behalf => crate::files_on_behalf);

async fn files_on_behalf(w: &World) {
    let label = w.label;
    // The demo office's client and a demo citizen's membership code, as demo.json has them.
    let demo = w
        .people
        .office_client
        .clone()
        .expect("the demo office's client");
    assert_eq!(demo.organization_id, w.people.authority.organization_id);
    let (client_id, secret) = (demo.client_id, demo.client_secret);

    // Over HTTP, the client authenticated by HTTP Basic and by the form alike.
    let http_token = w.accepted(&client_id, &secret, "HTTP Basic").await;
    let response = w
        .http
        .post(format!("{}/oauth/token", w.system.gateway_url))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id.as_str()),
            ("client_secret", secret.as_str()),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{label}: form credentials"
    );

    // Over gRPC, and either token files on behalf of a demo citizen who consented.
    let token = w
        .token_over_grpc(&client_id, &secret)
        .await
        .unwrap_or_else(|e| panic!("{label}: the client's gRPC token: {e}"));
    let citizen = w.people.citizens.first().expect("a demo citizen");
    let citizen_token =
        accounts::log_in(&w.settings, &citizen.national_code, &citizen.password).await;
    let membership = w
        .identity()
        .get_me(outgoing(ipb::GetMeRequest {}, Some(&citizen_token)))
        .await
        .expect("the citizen's account")
        .into_inner()
        .account
        .expect("an account")
        .membership_code;
    assert_eq!(
        citizen.membership_code, membership,
        "{label}: demo.json has the citizen's membership code"
    );
    for t in [&token, &http_token] {
        let mut inquiry = pb::inquiry_service_client::InquiryServiceClient::new(
            estelam_runtime::grpc::channel(&w.settings.endpoints.inquiry, &w.settings.grpc)
                .expect("endpoint"),
        );
        let filed = inquiry
            .file_inquiry_on_behalf(outgoing(
                pb::FileInquiryOnBehalfRequest {
                    request_type_code: "court".into(),
                    applicant_national_code: citizen.national_code.clone(),
                    applicant_membership_code: membership.clone(),
                    client_request_id: support::nine_steps::key(),
                },
                Some(t),
            ))
            .await
            .unwrap_or_else(|e| panic!("{label}: the client files on behalf: {e}"))
            .into_inner()
            .inquiry
            .expect("the filed inquiry");
        assert_eq!(
            filed.filed_by_organization_id, w.people.authority.organization_id,
            "{label}: the inquiry is the office's"
        );
    }
}

on_every_backend!(rotated_and_revoked_clients_are_refused => crate::rotated_and_revoked);

async fn rotated_and_revoked(w: &World) {
    let label = w.label;
    let (account_id, client_id, first) = w.new_client("bank-batch").await;
    w.accepted(&client_id, &first, "the first secret").await;

    let rotate = |overlap_seconds: u32| {
        let mut identity = w.identity();
        let account_id = account_id.clone();
        async move {
            identity
                .rotate_client_secret(outgoing(
                    ipb::RotateClientSecretRequest {
                        account_id,
                        overlap_seconds,
                    },
                    Some(&w.admin),
                ))
                .await
                .unwrap_or_else(|e| panic!("{label}: the admin rotates the secret: {e}"))
                .into_inner()
                .client_secret
        }
    };
    // An overlap beyond 30 days, or an account that is no organisation client, is refused.
    let too_long = w
        .identity()
        .rotate_client_secret(outgoing(
            ipb::RotateClientSecretRequest {
                account_id: account_id.clone(),
                overlap_seconds: 31 * 86_400,
            },
            Some(&w.admin),
        ))
        .await
        .expect_err("a 31-day overlap is refused");
    assert_eq!(too_long.code(), tonic::Code::InvalidArgument, "{label}");
    let admin_id = w
        .identity()
        .get_me(outgoing(ipb::GetMeRequest {}, Some(&w.admin)))
        .await
        .expect("the admin's account")
        .into_inner()
        .account
        .expect("an account")
        .account_id;
    let not_a_client = w
        .identity()
        .rotate_client_secret(outgoing(
            ipb::RotateClientSecretRequest {
                account_id: admin_id,
                overlap_seconds: 0,
            },
            Some(&w.admin),
        ))
        .await
        .expect_err("a person's account has no client secret");
    assert_eq!(not_a_client.code(), tonic::Code::NotFound, "{label}");
    w.accepted(&client_id, &first, "the secret after refused rotations")
        .await;

    // With an hour's overlap both secrets work.
    let second = rotate(3600).await;
    w.accepted(&client_id, &first, "the old secret inside its overlap")
        .await;
    w.accepted(&client_id, &second, "the new secret").await;
    // With none, every earlier secret ends at once.
    let third = rotate(0).await;
    w.refused(
        &client_id,
        &first,
        "the first secret after a rotation with no overlap",
    )
    .await;
    w.refused(&client_id, &second, "the replaced secret with no overlap")
        .await;
    let token = w.accepted(&client_id, &third, "the newest secret").await;

    // Revoked: the admin disables the client; its secret and its token stop working.
    w.identity()
        .disable_account(outgoing(
            ipb::DisableAccountRequest {
                account_id: account_id.clone(),
                reason: "the office replaced its software".into(),
            },
            Some(&w.admin),
        ))
        .await
        .unwrap_or_else(|e| panic!("{label}: the admin revokes the client: {e}"));
    w.refused(&client_id, &third, "a revoked client").await;
    let refused = w
        .token_over_grpc(&client_id, &third)
        .await
        .expect_err("a revoked client gets no token over gRPC");
    assert_eq!(refused.code(), tonic::Code::PermissionDenied, "{label}");
    let me = w
        .identity()
        .get_me(outgoing(ipb::GetMeRequest {}, Some(&token)))
        .await
        .expect_err("a revoked client's token is refused");
    assert_eq!(me.code(), tonic::Code::Unauthenticated, "{label}: {me:?}");
}

on_every_backend!(a_wrong_secret_is_refused_and_throttled => crate::wrong_secret);

async fn wrong_secret(w: &World) {
    let label = w.label;
    let (_, client_id, _) = w.new_client("court-docket").await;
    let mut throttled = false;
    for attempt in 0..20 {
        let (status, body) = w.token_over_http(&client_id, "not-the-secret").await;
        assert_eq!(
            body["error"], "invalid_client",
            "{label}: attempt {attempt}: {body}"
        );
        match status {
            StatusCode::UNAUTHORIZED => assert!(!throttled, "{label}: once throttled, stays so"),
            StatusCode::TOO_MANY_REQUESTS => throttled = true,
            other => panic!("{label}: attempt {attempt}: {other} {body}"),
        }
    }
    assert!(throttled, "{label}: wrong secrets are throttled");
    let refused = w
        .token_over_grpc(&client_id, "not-the-secret")
        .await
        .expect_err("still refused over gRPC");
    assert_eq!(refused.code(), tonic::Code::ResourceExhausted, "{label}");
}

on_every_backend!(an_admin_manages_clients_over_http => crate::clients_over_http);

async fn clients_over_http(w: &World) {
    let label = w.label;
    let url = |path: &str| format!("{}{path}", w.system.gateway_url);
    let org = &w.people.authority.organization_id;
    let created = w
        .http
        .post(url(&format!("/api/v1/organizations/{org}/clients")))
        .bearer_auth(&w.admin)
        .json(&serde_json::json!({"name": "registry-sync", "description": "nightly sync"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(created.status(), StatusCode::CREATED, "{label}: created");
    let created: Value = created.json().await.expect("json");
    let client_id = created["client_id"].as_str().expect("client id").to_owned();
    let first = created["client_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let account_id = created["account"]["account_id"]
        .as_str()
        .expect("account id")
        .to_owned();
    assert_eq!(created["account"]["organization_id"], org.as_str());
    w.accepted(&client_id, &first, "a client created over HTTP")
        .await;

    // The office's own user may not register clients.
    let authority = accounts::log_in(
        &w.settings,
        &w.people.authority.national_code,
        &w.people.authority.password,
    )
    .await;
    let forbidden = w
        .http
        .post(url(&format!("/api/v1/organizations/{org}/clients")))
        .bearer_auth(&authority)
        .json(&serde_json::json!({"name": "own-desk"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN, "{label}");

    let rotated: Value = w
        .http
        .post(url(&format!("/api/v1/clients/{account_id}/rotate")))
        .bearer_auth(&w.admin)
        .json(&serde_json::json!({"overlap_seconds": 600}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let second = rotated["client_secret"].as_str().expect("a new secret");
    assert!(rotated["previous_valid_until"].is_string(), "{rotated}");
    w.accepted(&client_id, &first, "the old secret in its overlap")
        .await;
    w.accepted(&client_id, second, "the new secret").await;

    // Revoking names only clients: a person's account is not found, and stays enabled.
    let person_id = w
        .identity()
        .get_me(outgoing(ipb::GetMeRequest {}, Some(&authority)))
        .await
        .expect("the office user's account")
        .into_inner()
        .account
        .expect("an account")
        .account_id;
    let person = w
        .http
        .post(url(&format!("/api/v1/clients/{person_id}/revoke")))
        .bearer_auth(&w.admin)
        .json(&serde_json::json!({"reason": "wrong id"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(person.status(), StatusCode::NOT_FOUND, "{label}");
    accounts::log_in(
        &w.settings,
        &w.people.authority.national_code,
        &w.people.authority.password,
    )
    .await;
    let revoked = w
        .http
        .post(url(&format!("/api/v1/clients/{account_id}/revoke")))
        .bearer_auth(&w.admin)
        .json(&serde_json::json!({"reason": "the registry changed its software"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(revoked.status(), StatusCode::OK, "{label}: revoked");
    w.refused(&client_id, second, "a client revoked over HTTP")
        .await;
}

on_every_backend!(a_client_with_a_key_signs_its_token_requests => crate::private_key_jwt);

/// An Ed25519 key of the test's own and the JWK the admin registers for it.
struct ClientKey {
    signing: ed25519_dalek::SigningKey,
    kid: String,
}

impl ClientKey {
    fn new(seed: u8, kid: &str) -> Self {
        Self {
            signing: ed25519_dalek::SigningKey::from_bytes(&[seed; 32]),
            kid: kid.to_owned(),
        }
    }

    fn public_jwk(&self) -> Value {
        use base64::Engine as _;
        serde_json::json!({
            "kty": "OKP", "crv": "Ed25519", "kid": self.kid,
            "x": base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(self.signing.verifying_key().to_bytes()),
        })
    }

    /// A compact JWS (EdDSA) of `claims`, as any JWT library would make it.
    fn sign(&self, claims: &Value) -> String {
        use base64::Engine as _;
        use ed25519_dalek::Signer as _;
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        let header = serde_json::json!({"alg": "EdDSA", "typ": "JWT", "kid": self.kid});
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let signature = self.signing.sign(input.as_bytes());
        format!("{input}.{}", b64(&signature.to_bytes()))
    }
}

/// The claims of an assertion by `client_id` for `aud`, expiring `exp_in` seconds from now.
fn claims(client_id: &str, aud: &str, exp_in: i64) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    serde_json::json!({
        "iss": client_id, "sub": client_id, "aud": aud,
        "iat": now, "exp": now + exp_in, "jti": support::nine_steps::key(),
    })
}

impl World {
    /// The token endpoint's public URL: the audience an assertion names.
    fn token_endpoint(&self) -> String {
        format!("{}/oauth/token", self.system.gateway_url)
    }

    /// `POST /oauth/token` with a client assertion: status and JSON body.
    async fn token_by_assertion(&self, assertion: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.token_endpoint())
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
            .expect("sent");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn assertion_refused(&self, assertion: &str, what: &str) {
        let (status, body) = self.token_by_assertion(assertion).await;
        assert_eq!(
            (status, &body["error"]),
            (StatusCode::UNAUTHORIZED, &Value::from("invalid_client")),
            "{}: {what}: {body}",
            self.label
        );
    }

    /// The admin registers `key` for the client over HTTP.
    async fn register_key_over_http(&self, account_id: &str, key: &Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!(
                "{}/api/v1/clients/{account_id}/keys",
                self.system.gateway_url
            ))
            .bearer_auth(&self.admin)
            .json(&serde_json::json!({ "jwk": key }))
            .send()
            .await
            .expect("sent");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

async fn private_key_jwt(w: &World) {
    let label = w.label;
    let aud = w.token_endpoint();
    let (a_account, a_id, _) = w.new_client("desk-with-key").await;
    let (b_account, b_id, _) = w.new_client("bank-with-key").await;
    let (c_account, c_id, _) = w.new_client("court-with-key").await;
    let (a_key, b_key, c_key) = (
        ClientKey::new(11, "a-1"),
        ClientKey::new(12, "b-1"),
        ClientKey::new(13, "c-1"),
    );

    // The admin registers the keys: over HTTP, and over gRPC.
    let (status, body) = w
        .register_key_over_http(&a_account, &a_key.public_jwk())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{label}: {body}");
    assert_eq!(
        (&body["kid"], &body["alg"]),
        (&Value::from("a-1"), &Value::from("EdDSA"))
    );
    for (account, key) in [(&b_account, &b_key), (&c_account, &c_key)] {
        w.identity()
            .register_client_key(outgoing(
                ipb::RegisterClientKeyRequest {
                    account_id: account.clone(),
                    jwk: key.public_jwk().to_string(),
                },
                Some(&w.admin),
            ))
            .await
            .unwrap_or_else(|e| panic!("{label}: the admin registers a key over gRPC: {e}"));
    }
    // A private key is refused, saying so, and nothing is stored.
    let mut private = a_key.public_jwk();
    private["kid"] = "a-2".into();
    private["d"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into();
    let (status, body) = w.register_key_over_http(&a_account, &private).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{label}: {body}");
    assert!(
        body.to_string().contains("CLIENT_KEY_INVALID"),
        "{label}: the refusal is catalogued: {body}"
    );
    // A citizen may not register keys.
    let citizen = w.people.citizens.first().expect("a demo citizen");
    let citizen_token =
        accounts::log_in(&w.settings, &citizen.national_code, &citizen.password).await;
    let refused = w
        .identity()
        .register_client_key(outgoing(
            ipb::RegisterClientKeyRequest {
                account_id: a_account.clone(),
                jwk: c_key.public_jwk().to_string(),
            },
            Some(&citizen_token),
        ))
        .await
        .expect_err("a citizen registers no key");
    assert_eq!(refused.code(), tonic::Code::PermissionDenied, "{label}");

    // Over HTTP: the signed assertion buys a token that acts for the office.
    let assertion = a_key.sign(&claims(&a_id, &aud, 120));
    let (status, body) = w.token_by_assertion(&assertion).await;
    assert_eq!(status, StatusCode::OK, "{label}: private_key_jwt: {body}");
    let token = body["access_token"].as_str().expect("a token").to_owned();
    let inquiries = w
        .http
        .get(format!("{}/api/v1/inquiries", w.system.gateway_url))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        inquiries.status(),
        StatusCode::OK,
        "{label}: the token works"
    );

    // Each refusal is invalid_client (three per client stay under the throttle).
    w.assertion_refused(&assertion, "the same assertion again (jti replayed)")
        .await;
    w.assertion_refused(
        &a_key.sign(&claims(&a_id, "https://elsewhere.example/oauth/token", 120)),
        "another audience",
    )
    .await;
    w.assertion_refused(&a_key.sign(&claims(&a_id, &aud, -600)), "expired")
        .await;
    w.assertion_refused(
        &c_key.sign(&claims(&c_id, &aud, 3_600)),
        "an hour ahead: longer than five minutes",
    )
    .await;
    // Client C's name, client A's key: A's key is not C's.
    let forged = ClientKey::new(11, "c-1");
    w.assertion_refused(
        &forged.sign(&claims(&c_id, &aud, 120)),
        "another client's key",
    )
    .await;

    // Over gRPC, with the issuer as the audience; a replay is refused there too.
    let issuer = w.settings.auth.issuer.clone();
    let assertion = b_key.sign(&claims(&b_id, &issuer, 120));
    let by_grpc = |assertion: String| {
        let mut identity = w.identity();
        async move {
            identity
                .client_credentials_token(ipb::ClientCredentialsTokenRequest {
                    client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
                        .into(),
                    client_assertion: assertion,
                    ..Default::default()
                })
                .await
        }
    };
    let reply = by_grpc(assertion.clone())
        .await
        .unwrap_or_else(|e| panic!("{label}: private_key_jwt over gRPC: {e}"))
        .into_inner();
    assert!(!reply.access_token.is_empty(), "{label}");
    let replayed = by_grpc(assertion).await.expect_err("a replay over gRPC");
    assert_eq!(replayed.code(), tonic::Code::Unauthenticated, "{label}");
}
