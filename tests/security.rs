//! The security suite over the whole running system (every service on real gRPC, the
//! gateway on real HTTP), on SQLite and, when `ESTELAM_TEST_POSTGRES_URL` is set, PostgreSQL:
//!
//! * **Authorization matrix**: every gRPC method (read from `estelam_proto::FILE_DESCRIPTOR_SET`)
//!   and every HTTP route (read from the gateway's generated OpenAPI document) is called as
//!   anonymous, citizen, another citizen, clerk, authority, admin and service; the outcome
//!   must be the one [`grpc_rule`] / [`http_rule`] gives. A method or route with no rule fails
//!   the test, so a new one cannot land without a decision about who may call it.
//! * **Tokens**: a forged signature, a tampered payload, an expired token, `alg: none`, a
//!   wrong audience, a wrong issuer, an unknown key and a refresh token used as an access
//!   token are refused by every service itself (`UNAUTHENTICATED`) and by every protected
//!   route (401 problem+json), all with one and the same message, so the refusal tells an
//!   attacker nothing about which check failed. A disabled account's still-unexpired token
//!   is refused the same way by every service and the gateway once they have refetched
//!   identity's keys and revocations (`auth.key_refresh_secs`).
//! * **Object level (IDOR)**: on every inquiry route that takes an id, and on documents,
//!   another citizen and an authority get exactly the answer a non-existent id gets.
//! * **Uploads**: polyglots (PDF+ZIP, JPEG+script), an oversized file, a pixel flood,
//!   compression bombs (a PDF deflate stream, a PNG's zlib data) and a mismatched declared
//!   type are each refused with a 4xx problem, and nothing is stored; path-traversal and
//!   control-character file names never become a path or a shown name.
//! * **SQL injection**: classic injection strings in every text field (JSON body, path and
//!   query) of every route in the OpenAPI document: never a 5xx, never database text in an
//!   answer, and another citizen's records unchanged.
//! * **Login throttling**: per account and per source, over HTTP (429 + `Retry-After`) and
//!   over gRPC (`RESOURCE_EXHAUSTED` with a retry delay).

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::{Buf as _, BufMut as _};
use ed25519_dalek::Signer as _;
use estelam::RunningSystem;
use estelam_proto::identity::v1 as ipb;
use estelam_runtime::config::Settings;
use prost::Message as _;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tonic::Code;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

/// Who calls, in the order of the matrix's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Anonymous,
    Citizen,
    OtherCitizen,
    Clerk,
    Authority,
    Admin,
    Service,
}

use Who::*;

const EVERYONE: [Who; 7] = [
    Anonymous,
    Citizen,
    OtherCitizen,
    Clerk,
    Authority,
    Admin,
    Service,
];

/// Who may reach a method's or route's handler.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Anyone, without a token.
    Public,
    /// Anyone, but the credential is in the body (a refresh token): the made-up one the
    /// matrix sends is refused as unauthenticated whoever sends it.
    BodyCredential,
    /// Any authenticated caller; anonymous is refused as unauthenticated.
    SignedIn,
    /// Only these; other authenticated callers are refused as forbidden, anonymous as
    /// unauthenticated.
    Only(&'static [Who]),
}

const STAFF: &[Who] = &[Clerk, Admin];
const ADMIN: &[Who] = &[Admin];
const SERVICE: &[Who] = &[Service];
const STAFF_OR_SERVICE: &[Who] = &[Clerk, Admin, Service];
const PEOPLE: &[Who] = &[Citizen, OtherCitizen, Clerk, Authority, Admin];

/// The decision for every gRPC method, `package.Service/Method`. `None` = no rule yet.
fn grpc_rule(method: &str) -> Option<Rule> {
    use Rule::*;
    let (_, name) = method.split_once('/')?;
    let service = method.split('.').nth(1)?;
    Some(match (service, name) {
        ("identity", "RegisterCitizen" | "Login" | "Refresh" | "Logout") => Public,
        ("identity", "GetSigningKeys" | "ClientCredentialsToken") => Public,
        ("identity", "SendMobileCode" | "VerifyMobile" | "GetMe") => SignedIn,
        ("identity", "ListOrganizations" | "GetOrganization") => SignedIn,
        ("identity", "ChangePassword") => Only(PEOPLE),
        ("identity", "VerifyMembershipCode") => Only(&[Authority, Service]),
        (
            "identity",
            "CreateStaffAccount"
            | "CreateAuthorityUser"
            | "CreateServiceAccount"
            | "GetAccount"
            | "ListAccounts"
            | "DisableAccount"
            | "EnableAccount"
            | "CreateOrganization"
            | "ListAuditEvents",
        ) => Only(ADMIN),

        ("property", "GetParcel" | "PickAt" | "ParcelsInBox") => SignedIn,
        ("property", "FindParcelsByRegistryPlate") => SignedIn,
        ("property", "FindParcelsByOwner" | "GetParcelHistory") => Only(STAFF_OR_SERVICE),
        ("property", "ListRequestNumbers") => Only(STAFF),
        ("property", "UpsertParcel" | "UpdateOwnership" | "IssueRequestNumber") => Only(STAFF),
        ("property", "VerifyRequestNumber" | "MarkRequestNumberUsed" | "CheckApplicant") => {
            Only(STAFF_OR_SERVICE)
        }

        ("documents", "UploadDocument" | "DownloadDocument" | "GetDocumentInfo") => SignedIn,
        ("documents", "ListDocuments" | "GetQuota") => SignedIn,

        ("fees", "Assess" | "GetBill" | "StartPayment" | "GetPayment") => Only(&[Clerk, Service]),
        ("fees", "GetClearance") => Only(STAFF_OR_SERVICE),
        ("fees", "HandlePspCallback" | "GetSandboxPayment" | "DecideSandboxPayment") => {
            Only(SERVICE)
        }
        ("fees", "ReconcilePayments") => Only(&[Admin, Service]),
        ("fees", "GetLedger" | "ListTariffs" | "GetTariff") => Only(STAFF),
        ("fees", "AddAdjustment") => Only(&[Clerk]),
        ("fees", "PutTariff") => Only(ADMIN),
        // Only the inquiry service charges an authority's inquiry fee; staff read accounts.
        ("fees", "ChargeAccount") => Only(SERVICE),
        ("fees", "GetAccountStatement") => Only(STAFF_OR_SERVICE),

        ("inquiry", "ListRequestTypes" | "GetRequestType") => Public,
        ("inquiry", "VerifyAnswer" | "ListAnswerSigningKeys") => Public,
        ("inquiry", "PutRequestType") => Only(ADMIN),
        ("inquiry", "RevokeAnswer") => Only(STAFF),
        ("inquiry", "CreateInquiry") => Only(&[Citizen, OtherCitizen]),
        ("inquiry", "FileInquiryOnBehalf") => Only(&[Authority]),
        // Every caller reaches these; which inquiries each may see or change is checked per
        // object (see `other_citizens_objects_do_not_exist`).
        (
            "inquiry",
            "GetInquiry" | "ListInquiries" | "AcceptUndertakings" | "SetProperty" | "SetLetter"
            | "AttachDocuments" | "SetApplicant" | "Submit" | "GetBill" | "StartPayment"
            | "GetAnswer" | "RenderAnswer" | "CancelInquiry" | "BulkStatus",
        ) => SignedIn,
        _ => return None,
    })
}

/// The decision for every HTTP route, `METHOD /path` as in the OpenAPI document.
fn http_rule(route: &str) -> Option<Rule> {
    use Rule::*;
    Some(match route {
        "GET /healthz" | "GET /readyz" | "GET /metrics" | "GET /status" => Public,
        "GET /api/openapi.json" | "GET /api/docs" => Public,
        "POST /api/v1/auth/register" | "POST /api/v1/auth/login" | "POST /api/v1/auth/logout" => {
            Public
        }
        "POST /api/v1/auth/refresh" => BodyCredential,
        "GET /api/v1/me" => SignedIn,
        "POST /api/v1/documents" | "GET /api/v1/documents/{id}" => SignedIn,
        "GET /api/v1/request-types" => Public,
        "GET /api/v1/answers/{verification_code}" => Public,
        "GET /api/v1/parcels/{renovation_code}"
        | "GET /api/v1/parcels/at"
        | "GET /api/v1/collections/parcels/items" => SignedIn,
        // The sandbox payment provider's pages: the payment id in the link is the secret.
        "GET /psp/pay" | "POST /psp/pay" => Public,
        "GET /api/v1/organizations" => SignedIn,
        "GET /api/v1/answer-signing-keys" => Public,
        "POST /api/v1/parcels/{renovation_code}/request-numbers" => Only(STAFF),
        "POST /api/v1/inquiries/{id}/answer/revoke" => Only(STAFF),
        "POST /api/v1/inquiries" => Only(&[Citizen, OtherCitizen]),
        r if r.contains(" /api/v1/inquiries") => SignedIn,
        _ => return None,
    })
}

/// What a call came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Past authentication and authorization (a result, or a validation / not-found error).
    Reached,
    /// `UNAUTHENTICATED` / 401.
    Unauthenticated,
    /// `PERMISSION_DENIED` / 403.
    Forbidden,
}

fn expected(rule: Rule, who: Who) -> Outcome {
    match (rule, who) {
        (Rule::Public, _) => Outcome::Reached,
        (Rule::BodyCredential, _) => Outcome::Unauthenticated,
        (_, Anonymous) => Outcome::Unauthenticated,
        (Rule::SignedIn, _) => Outcome::Reached,
        (Rule::Only(allowed), w) if allowed.contains(&w) => Outcome::Reached,
        (Rule::Only(_), _) => Outcome::Forbidden,
    }
}

/// Sends and receives raw protobuf bytes, so any method can be called without its types.
#[derive(Debug, Clone, Copy, Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;
    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }
    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, tonic::Status> {
        let n = src.remaining();
        Ok(Some(src.copy_to_bytes(n).to_vec()))
    }
}

/// Every gRPC method of every Estelam service, as `package.Service/Method`.
fn grpc_methods() -> Vec<String> {
    let set = prost_types::FileDescriptorSet::decode(estelam_proto::FILE_DESCRIPTOR_SET)
        .expect("the descriptor set decodes");
    let mut out = Vec::new();
    for file in set.file {
        let package = file.package().to_owned();
        if !package.starts_with("estelam.") {
            continue;
        }
        for service in &file.service {
            for method in &service.method {
                out.push(format!("{package}.{}/{}", service.name(), method.name()));
            }
        }
    }
    assert!(
        out.len() > 50,
        "the descriptor set holds every method: {out:?}"
    );
    out
}

/// Every method whose request has an `inquiry_id` or `document_id` string field: the
/// method, the field's name and its number.
fn id_methods() -> Vec<(String, String, u32)> {
    let set = prost_types::FileDescriptorSet::decode(estelam_proto::FILE_DESCRIPTOR_SET)
        .expect("the descriptor set decodes");
    let mut messages = BTreeMap::new();
    for file in &set.file {
        for message in &file.message_type {
            messages.insert(
                format!(".{}.{}", file.package(), message.name()),
                message.clone(),
            );
        }
    }
    let mut out = Vec::new();
    for file in &set.file {
        for service in &file.service {
            for method in &service.method {
                let Some(input) = messages.get(method.input_type()) else {
                    continue;
                };
                for field in &input.field {
                    let is_string =
                        field.r#type() == prost_types::field_descriptor_proto::Type::String;
                    if is_string && matches!(field.name(), "inquiry_id" | "document_id") {
                        out.push((
                            format!("{}.{}/{}", file.package(), service.name(), method.name()),
                            field.name().to_owned(),
                            u32::try_from(field.number()).expect("positive"),
                        ));
                    }
                }
            }
        }
    }
    out
}

/// A message holding only string field `number` = `value`, in protobuf wire format.
fn string_field(number: u32, value: &str) -> Vec<u8> {
    let mut out = Vec::new();
    prost::encoding::encode_key(number, prost::encoding::WireType::LengthDelimited, &mut out);
    prost::encoding::encode_varint(value.len() as u64, &mut out);
    out.extend_from_slice(value.as_bytes());
    out
}

/// A fresh PostgreSQL database for one run (every service gets its schema in it).
struct FreshPostgres {
    admin_url: String,
    name: String,
}

impl FreshPostgres {
    async fn connect(url: &str) -> estelam_runtime::db::Database {
        estelam_runtime::db::Database::connect(&estelam_runtime::db::DatabaseTarget {
            url: url.to_owned(),
            schema: None,
            max_connections: 1,
        })
        .await
        .expect("connect to PostgreSQL")
    }

    async fn create(admin_url: &str) -> (Self, String) {
        let name = format!("sec_{}", estelam_runtime::testing::unique_suffix());
        let admin = Self::connect(admin_url).await;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(admin.pool())
            .await
            .expect("create the run's database");
        admin.close().await;
        let (base, query) = match admin_url.split_once('?') {
            Some((b, q)) => (b, format!("?{q}")),
            None => (admin_url, String::new()),
        };
        let prefix = base.rsplit_once('/').map_or(base, |(p, _)| p);
        let url = format!("{prefix}/{name}{query}");
        let me = Self {
            admin_url: admin_url.to_owned(),
            name,
        };
        (me, url)
    }

    async fn drop_database(self) {
        let admin = Self::connect(&self.admin_url).await;
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        )))
        .execute(admin.pool())
        .await;
        admin.close().await;
    }
}

/// The test's own machine account.
const SERVICE_CLIENT: &str = "security-suite";

/// One running system with a token for every kind of caller.
struct World {
    label: &'static str,
    system: RunningSystem,
    settings: Settings,
    http: reqwest::Client,
    /// The gateway's OpenAPI document, as it serves it.
    doc: Value,
    tokens: BTreeMap<Who, String>,
    refresh_token: String,
    /// Identity's current signing key, to mint tokens that differ from good ones in exactly
    /// one claim.
    signing: (String, ed25519_dalek::SigningKey),
    postgres: Option<FreshPostgres>,
    _data: tempfile::TempDir,
}

fn channel(endpoint: &str, settings: &Settings) -> tonic::transport::Channel {
    estelam_runtime::grpc::channel(endpoint, &settings.grpc).expect("endpoint")
}

impl World {
    async fn start(
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
                let (fresh, url) = FreshPostgres::create(url).await;
                settings.database.url = Some(SecretString::from(url));
                Some(fresh)
            }
            None => None,
        };
        let service_secret = format!("{}{}", uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        settings.identity.service_clients.insert(
            SERVICE_CLIENT.into(),
            SecretString::from(service_secret.clone()),
        );
        let admin_password = "sec-Admin-Pass-7731";
        settings.identity.bootstrap_admin = Some(estelam_runtime::config::BootstrapAdmin {
            national_code: "1234567891".into(),
            first_name: "مدیر".into(),
            last_name: "آزمون".into(),
            mobile: "09120000000".into(),
            password: Some(SecretString::from(admin_password.to_owned())),
        });
        let system = estelam::start(
            settings,
            estelam::SystemAddrs::ephemeral(),
            CancellationToken::new(),
        )
        .await
        .unwrap_or_else(|e| panic!("{label}: the system starts: {e:#}"));
        let settings = system.settings().clone();
        let log_in = |nc: String, password: String| {
            let settings = settings.clone();
            async move {
                estelam::log_in(
                    &settings,
                    ipb::login_request::Identifier::NationalCode(nc),
                    &password,
                )
                .await
                .expect("logs in")
            }
        };
        let admin = log_in("1234567891".into(), admin_password.into()).await;
        let people = estelam::create_demo_people(&settings, admin.clone())
            .await
            .unwrap_or_else(|e| panic!("{label}: demo people: {e:#}"));
        let mut tokens = BTreeMap::new();
        tokens.insert(Admin, admin);
        let (c1, c2) = (&people.citizens[0], &people.citizens[1]);
        tokens.insert(
            Citizen,
            log_in(c1.national_code.clone(), c1.password.clone()).await,
        );
        tokens.insert(
            OtherCitizen,
            log_in(c2.national_code.clone(), c2.password.clone()).await,
        );
        tokens.insert(
            Clerk,
            log_in(
                people.clerk.national_code.clone(),
                people.clerk.password.clone(),
            )
            .await,
        );
        tokens.insert(
            Authority,
            log_in(
                people.authority.national_code.clone(),
                people.authority.password.clone(),
            )
            .await,
        );
        let mut identity = ipb::identity_service_client::IdentityServiceClient::new(channel(
            &settings.endpoints.identity,
            &settings,
        ));
        let service = identity
            .client_credentials_token(ipb::ClientCredentialsTokenRequest {
                client_id: SERVICE_CLIENT.into(),
                client_secret: service_secret,
            })
            .await
            .expect("the test's service account gets a token")
            .into_inner()
            .access_token;
        tokens.insert(Service, service);
        let refresh_token = identity
            .login(ipb::LoginRequest {
                identifier: Some(ipb::login_request::Identifier::NationalCode(
                    c1.national_code.clone(),
                )),
                password: c1.password.clone(),
            })
            .await
            .expect("a second login")
            .into_inner()
            .tokens
            .expect("tokens")
            .refresh_token;
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
            tokens,
            refresh_token,
            signing,
            postgres,
            _data: data,
        }
    }

    async fn stop(self) {
        self.system.stop().await.expect("the system stops cleanly");
        if let Some(pg) = self.postgres {
            pg.drop_database().await;
        }
    }

    fn token(&self, who: Who) -> Option<&str> {
        self.tokens.get(&who).map(String::as_str)
    }

    fn endpoint_of(&self, method: &str) -> &str {
        let e = &self.settings.endpoints;
        match method.split('.').nth(1) {
            Some("identity") => &e.identity,
            Some("property") => &e.property,
            Some("documents") => &e.documents,
            Some("fees") => &e.fees,
            Some("inquiry") => &e.inquiry,
            other => panic!("no service for {method} ({other:?})"),
        }
    }

    /// Calls `method` with an empty message and `token`; the status code it ends with.
    async fn call(&self, method: &str, token: Option<&str>) -> tonic::Status {
        self.call_with(method, Vec::new(), token).await
    }

    /// Calls `method` with the encoded message `body` and `token`.
    async fn call_with(&self, method: &str, body: Vec<u8>, token: Option<&str>) -> tonic::Status {
        let mut grpc = tonic::client::Grpc::new(channel(self.endpoint_of(method), &self.settings));
        grpc.ready().await.expect("the service is up");
        let path = tonic::codegen::http::uri::PathAndQuery::try_from(format!("/{method}"))
            .expect("a method path");
        let mut request = tonic::Request::new(futures::stream::iter(vec![body]));
        if let Some(t) = token {
            request.metadata_mut().insert(
                "authorization",
                format!("Bearer {t}").parse().expect("ascii"),
            );
        }
        match grpc.streaming(request, path, RawCodec).await {
            Err(status) => status,
            Ok(response) => match response.into_inner().message().await {
                Ok(_) => tonic::Status::ok(""),
                Err(status) => status,
            },
        }
    }

    /// Every route of the gateway's OpenAPI document, as `METHOD /path`.
    async fn http_routes(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (path, item) in self.doc["paths"].as_object().expect("paths") {
            for method in ["get", "put", "post", "delete", "patch"] {
                if item.get(method).is_some() {
                    out.push(format!("{} {path}", method.to_uppercase()));
                }
            }
        }
        assert!(out.len() > 20, "the document lists every route: {out:?}");
        out
    }

    /// Sends `route` with every path parameter replaced from `ids` (or a fresh UUID), the
    /// required query parameters and a body of the documented shape (so that the request
    /// reaches the service behind the route), and `token`.
    async fn send(
        &self,
        route: &str,
        ids: &BTreeMap<&str, String>,
        token: Option<&str>,
    ) -> (StatusCode, Value) {
        let (method, path) = route.split_once(' ').expect("METHOD /path");
        let op = &self.doc["paths"][path][method.to_lowercase()];
        let mut url = path.to_owned();
        while let Some(start) = url.find('{') {
            let end = url[start..].find('}').expect("closing brace") + start;
            let name = &url[start + 1..end];
            let value = ids
                .get(name)
                .cloned()
                .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
            url.replace_range(start..=end, &value);
        }
        let mut query = form_urlencoded::Serializer::new(String::new());
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["in"] == "query" && p["required"] == true {
                let name = p["name"].as_str().unwrap_or_default();
                let value = match name {
                    "bbox" => "51.5,32.8,51.6,32.9".to_owned(),
                    _ => match example(&self.doc, &p["schema"]) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    },
                };
                query.append_pair(name, &value);
            }
        }
        let query = query.finish();
        let url = format!("{}{url}?{query}", self.system.gateway_url);
        let content = &op["requestBody"]["content"];
        let mut request = match method {
            "GET" => self.http.get(&url),
            "POST" => self.http.post(&url),
            "PUT" => self.http.put(&url),
            "DELETE" => self.http.delete(&url),
            other => panic!("unexpected method {other}"),
        };
        if content.get("multipart/form-data").is_some() {
            let form = reqwest::multipart::Form::new()
                .text("kind", "national_id_card")
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(jpeg(16, 16))
                        .file_name("card.jpg")
                        .mime_str("image/jpeg")
                        .expect("mime"),
                );
            request = request.multipart(form);
        } else if let Some(json) = content.get("application/json") {
            request = request.json(&example(&self.doc, &json["schema"]));
        } else if let Some(form) = content.get("application/x-www-form-urlencoded") {
            let fields = example(&self.doc, &form["schema"]);
            let mut encoded = form_urlencoded::Serializer::new(String::new());
            for (k, v) in fields.as_object().into_iter().flatten() {
                encoded.append_pair(k, v.as_str().unwrap_or(&v.to_string()));
            }
            request = request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(encoded.finish());
        }
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        let response = request.send().await.expect("sent");
        let status = response.status();
        let problem = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/problem+json"));
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        if (status.is_client_error() || status.is_server_error()) && path.starts_with("/api/") {
            assert!(
                problem,
                "{}: {route}: an error is problem+json: {status} {text}",
                self.label
            );
        }
        (status, body)
    }

    /// A token signed with identity's own key, with `edit` applied to good claims.
    fn mint(&self, edit: impl FnOnce(&mut Value)) -> String {
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

/// A value of `schema`'s shape: every required property, strings `"1"`, numbers 1.
fn example(doc: &Value, schema: &Value) -> Value {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or_default();
        return example(doc, &doc["components"]["schemas"][name]);
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if let Some(first) = schema[combinator]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["type"] != "null"))
        {
            return example(doc, first);
        }
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    let ty = match &schema["type"] {
        Value::Array(types) => types.iter().find(|t| *t != "null").cloned(),
        other => Some(other.clone()),
    };
    match ty.as_ref().and_then(Value::as_str) {
        Some("object") => {
            let mut out = json!({});
            for name in schema["required"].as_array().into_iter().flatten() {
                let name = name.as_str().unwrap_or_default();
                out[name] = example(doc, &schema["properties"][name]);
            }
            // Fields the gateway checks itself have to hold a value of the right form for the
            // request to reach the service.
            for (name, value) in [
                ("renovation_code", "1-1-1-1-0-0"),
                ("ownership_type", "full"),
            ] {
                if schema["properties"].get(name).is_some() {
                    out[name] = json!(value);
                }
            }
            out
        }
        Some("array") => json!([]),
        Some("string") => json!("1"),
        Some("integer" | "number") => json!(1),
        Some("boolean") => json!(false),
        _ => Value::Null,
    }
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("json"))
}

fn sign(header: &Value, claims: &Value, key: &ed25519_dalek::SigningKey) -> String {
    let input = format!("{}.{}", b64(header), b64(claims));
    let signature = key.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

/// Identity's current signing key, read from its own store as an insider would hold it.
async fn identity_signing_key(settings: &Settings) -> (String, ed25519_dalek::SigningKey) {
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
    let seed: [u8; 32] = secret.as_slice().try_into().expect("a 32-byte seed");
    (kid, ed25519_dalek::SigningKey::from_bytes(&seed))
}

fn grpc_outcome(world: &World, method: &str, who: Who, status: &tonic::Status) -> Outcome {
    match status.code() {
        Code::Unauthenticated => Outcome::Unauthenticated,
        Code::PermissionDenied => Outcome::Forbidden,
        Code::Internal | Code::Unknown | Code::Unimplemented | Code::DataLoss => panic!(
            "{}: {method} as {who:?} with an empty message broke: {status:?}",
            world.label
        ),
        _ => Outcome::Reached,
    }
}

fn http_outcome(world: &World, route: &str, who: Who, status: StatusCode, body: &Value) -> Outcome {
    assert!(
        !status.is_server_error() || status == StatusCode::SERVICE_UNAVAILABLE,
        "{}: {route} as {who:?} broke: {status} {body}",
        world.label
    );
    match status {
        StatusCode::UNAUTHORIZED => Outcome::Unauthenticated,
        StatusCode::FORBIDDEN => Outcome::Forbidden,
        _ => Outcome::Reached,
    }
}

async fn authorization_matrix(world: &World) {
    let mut wrong = Vec::new();
    for method in grpc_methods() {
        let Some(rule) = grpc_rule(&method) else {
            wrong.push(format!("gRPC {method}: no rule in grpc_rule()"));
            continue;
        };
        for who in EVERYONE {
            let status = world.call(&method, world.token(who)).await;
            let got = grpc_outcome(world, &method, who, &status);
            let want = expected(rule, who);
            if got != want {
                wrong.push(format!(
                    "gRPC {method} as {who:?}: want {want:?}, got {got:?} ({:?} {})",
                    status.code(),
                    status.message()
                ));
            }
        }
    }
    let ids = BTreeMap::from([
        ("renovation_code", "1-1-1-1-0-0".to_owned()),
        ("verification_code", "100000000009".to_owned()),
    ]);
    for route in world.http_routes().await {
        let Some(rule) = http_rule(&route) else {
            wrong.push(format!("HTTP {route}: no rule in http_rule()"));
            continue;
        };
        for who in EVERYONE {
            let (status, body) = world.send(&route, &ids, world.token(who)).await;
            let got = http_outcome(world, &route, who, status, &body);
            let want = expected(rule, who);
            if got != want {
                wrong.push(format!(
                    "HTTP {route} as {who:?}: want {want:?}, got {got:?} ({status} {body})"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{}: {} cells of the authorization matrix differ:\n{}",
        world.label,
        wrong.len(),
        wrong.join("\n")
    );
}

/// Tokens that must all be refused, each with its name.
fn bad_tokens(world: &World) -> Vec<(&'static str, String)> {
    let good = world.token(Citizen).expect("citizen token").to_owned();
    let parts: Vec<&str> = good.split('.').collect();
    let other_key = ed25519_dalek::SigningKey::from_bytes(&rand_seed());
    let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": world.signing.0});
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("payload")).expect("json");
    let mut admin_claims = claims.clone();
    admin_claims["roles"] = json!(["admin"]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    vec![
        ("forged signature", sign(&header, &claims, &other_key)),
        (
            "tampered payload",
            format!("{}.{}.{}", parts[0], b64(&admin_claims), parts[2]),
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "JWT", "kid": world.signing.0})),
                b64(&admin_claims)
            ),
        ),
        (
            "alg HS256 keyed with the public key",
            format!(
                "{}.{}.{}",
                b64(&json!({"alg": "HS256", "typ": "JWT", "kid": world.signing.0})),
                b64(&admin_claims),
                parts[2]
            ),
        ),
        (
            "unknown key id",
            sign(
                &json!({"alg": "EdDSA", "typ": "JWT", "kid": "not-a-key"}),
                &admin_claims,
                &other_key,
            ),
        ),
        (
            "expired",
            world.mint(|c| {
                c["exp"] = json!(now - 3600);
                c["iat"] = json!(now - 7200);
                c["nbf"] = json!(now - 7200);
            }),
        ),
        (
            "not yet valid",
            world.mint(|c| c["nbf"] = json!(now + 3600)),
        ),
        (
            "wrong audience",
            world.mint(|c| c["aud"] = json!("another-system")),
        ),
        (
            "wrong issuer",
            world.mint(|c| c["iss"] = json!("https://attacker.example")),
        ),
        ("refresh token as access token", world.refresh_token.clone()),
        ("garbage", "not.a.token".to_owned()),
    ]
}

fn rand_seed() -> [u8; 32] {
    let a = uuid::Uuid::new_v4().into_bytes();
    let b = uuid::Uuid::new_v4().into_bytes();
    let mut out = [0u8; 32];
    out[..16].copy_from_slice(&a);
    out[16..].copy_from_slice(&b);
    out
}

/// What every gRPC method and protected HTTP route answered to `tokens`: the calls that were
/// not refused as unauthenticated, and the distinct refusal messages and 401 bodies.
struct Refusals {
    wrong: Vec<String>,
    messages: BTreeSet<String>,
    problems: BTreeSet<String>,
}

async fn refusals(world: &World, tokens: &[(&'static str, String)]) -> Refusals {
    let mut wrong = Vec::new();
    let mut messages = BTreeSet::new();
    let methods = grpc_methods();
    for (what, token) in tokens {
        for method in &methods {
            let status = world.call(method, Some(token)).await;
            if status.code() == Code::Unauthenticated {
                messages.insert(status.message().to_owned());
            } else {
                wrong.push(format!(
                    "gRPC {method} with {what}: {:?} {}",
                    status.code(),
                    status.message()
                ));
            }
        }
    }
    let mut problems = BTreeSet::new();
    let routes = world.http_routes().await;
    for (what, token) in tokens {
        for route in &routes {
            if matches!(
                http_rule(route),
                Some(Rule::Public | Rule::BodyCredential) | None
            ) {
                continue;
            }
            let (status, mut body) = world.send(route, &BTreeMap::new(), Some(token)).await;
            if status == StatusCode::UNAUTHORIZED {
                if let Some(o) = body.as_object_mut() {
                    o.remove("instance");
                    o.remove("request_id");
                    o.remove("trace_id");
                }
                problems.insert(body.to_string());
            } else {
                wrong.push(format!("HTTP {route} with {what}: {status} {body}"));
            }
        }
    }
    Refusals {
        wrong,
        messages,
        problems,
    }
}

/// Every bad token is refused everywhere, all alike; returns the refusal (gRPC messages and
/// 401 bodies) for comparison with other refused tokens.
async fn bad_tokens_are_refused(world: &World) -> Refusals {
    // The minted tokens are otherwise good: the same minting with nothing changed works.
    let control = world.mint(|_| {});
    let status = world
        .call(
            "estelam.identity.v1.IdentityService/ListOrganizations",
            Some(&control),
        )
        .await;
    assert_ne!(
        status.code(),
        Code::Unauthenticated,
        "{}: a correctly minted token is accepted: {status:?}",
        world.label
    );

    let refused = refusals(world, &bad_tokens(world)).await;
    let (wrong, messages, problems) = (&refused.wrong, &refused.messages, &refused.problems);
    assert!(
        wrong.is_empty(),
        "{}: bad tokens were not refused as unauthenticated:\n{}",
        world.label,
        wrong.join("\n")
    );
    assert_eq!(
        messages.len(),
        1,
        "{}: every refusal says the same, whatever check failed: {messages:?}",
        world.label
    );
    assert_eq!(
        problems.len(),
        1,
        "{}: every 401 says the same, whatever check failed: {problems:?}",
        world.label
    );
    let said = format!("{messages:?} {problems:?}").to_lowercase();
    for leak in [
        "signature",
        "expired",
        "audience",
        "issuer",
        "algorithm",
        "kid",
        "revoked",
        "disabled",
    ] {
        assert!(
            !said.contains(leak),
            "{}: a refusal names the failed check ({leak}): {said}",
            world.label
        );
    }
    refused
}

/// One gRPC method per service and one protected HTTP route at which `token` is accepted
/// now (answered with anything but unauthenticated): where to watch for its refusal.
async fn probes_accepting(world: &World, token: &str) -> (Vec<String>, Vec<String>) {
    let mut methods: Vec<String> = Vec::new();
    for method in grpc_methods() {
        let service = method.split('/').next().unwrap_or_default().to_owned();
        if methods
            .iter()
            .any(|m| m.starts_with(&format!("{service}/")))
        {
            continue;
        }
        if world.call(&method, Some(token)).await.code() != Code::Unauthenticated {
            methods.push(method);
        }
    }
    let mut routes = Vec::new();
    for route in world.http_routes().await {
        if !matches!(http_rule(&route), Some(Rule::SignedIn | Rule::Only(_))) {
            continue;
        }
        let (status, _) = world.send(&route, &BTreeMap::new(), Some(token)).await;
        if status != StatusCode::UNAUTHORIZED {
            routes.push(route);
            break;
        }
    }
    (methods, routes)
}

/// An admin disables a citizen; once the services have refreshed identity's keys (polled
/// with a deadline), the citizen's still-unexpired access token is refused by every service
/// and the gateway, exactly as any other bad token. Leaves the citizen disabled.
async fn a_disabled_accounts_token_is_refused(world: &World, bad: &Refusals) {
    let token = world.token(Citizen).expect("citizen token").to_owned();
    let payload = token.split('.').nth(1).expect("a JWT");
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("payload")).expect("json");
    let account_id = claims["sub"].as_str().expect("sub").to_owned();

    let (methods, routes) = probes_accepting(world, &token).await;
    let services: BTreeSet<String> = grpc_methods()
        .iter()
        .map(|m| m.split('/').next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        methods.len(),
        services.len(),
        "{}: the citizen's token works at every service before: {methods:?}",
        world.label
    );
    assert_eq!(routes.len(), 1, "{}: and at the gateway", world.label);

    let mut identity = ipb::identity_service_client::IdentityServiceClient::new(channel(
        &world.settings.endpoints.identity,
        &world.settings,
    ));
    let mut request = tonic::Request::new(ipb::DisableAccountRequest {
        account_id,
        reason: "security suite: a disabled account".into(),
    });
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", world.token(Admin).expect("admin token"))
            .parse()
            .expect("ascii"),
    );
    identity
        .disable_account(request)
        .await
        .unwrap_or_else(|s| panic!("{}: the admin disables the citizen: {s:?}", world.label));

    // Every service refetches identity's keys every `auth.key_refresh_secs` (1 s here).
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let mut accepting = Vec::new();
        for method in &methods {
            let status = world.call(method, Some(&token)).await;
            if status.code() != Code::Unauthenticated {
                accepting.push(format!("{method}: {:?}", status.code()));
            }
        }
        for route in &routes {
            let (status, _) = world.send(route, &BTreeMap::new(), Some(&token)).await;
            if status != StatusCode::UNAUTHORIZED {
                accepting.push(format!("{route}: {status}"));
            }
        }
        if accepting.is_empty() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{}: 30 s after the account was disabled its token still works at: {accepting:?}",
            world.label
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    let refused = refusals(world, &[("a disabled account's token", token)]).await;
    assert!(
        refused.wrong.is_empty(),
        "{}: a disabled account's token was not refused as unauthenticated:\n{}",
        world.label,
        refused.wrong.join("\n")
    );
    assert_eq!(
        (&refused.messages, &refused.problems),
        (&bad.messages, &bad.problems),
        "{}: it is refused exactly as any bad token, saying nothing of why",
        world.label
    );
}

/// Another citizen gets, on a citizen's inquiry and document, exactly what a non-existent id
/// gets: the same status and the same problem.
async fn other_citizens_objects_do_not_exist(world: &World) {
    let owner = world.token(Citizen).expect("citizen");
    let (status, types) = world
        .send("GET /api/v1/request-types", &BTreeMap::new(), Some(owner))
        .await;
    assert_eq!(status, StatusCode::OK, "{types}");
    let code = types["request_types"][0]["code"]
        .as_str()
        .expect("a request type")
        .to_owned();
    let response = world
        .http
        .post(format!("{}/api/v1/inquiries", world.system.gateway_url))
        .bearer_auth(owner)
        .json(&json!({"request_type_code": code, "client_request_id": uuid::Uuid::now_v7().to_string()}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.expect("json");
    let inquiry = created["inquiry_id"].as_str().expect("id").to_owned();

    let form = reqwest::multipart::Form::new()
        .text("kind", "national_id_card")
        .part(
            "file",
            reqwest::multipart::Part::bytes(jpeg(32, 24))
                .file_name("card.jpg")
                .mime_str("image/jpeg")
                .expect("mime"),
        );
    let response = world
        .http
        .post(format!("{}/api/v1/documents", world.system.gateway_url))
        .bearer_auth(owner)
        .multipart(form)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::CREATED);
    let document: Value = response.json().await.expect("json");
    let document = document["document_id"].as_str().expect("id").to_owned();

    let normalise = |mut body: Value| {
        if let Some(o) = body.as_object_mut() {
            o.remove("instance");
            o.remove("request_id");
            o.remove("trace_id");
        }
        body
    };
    let mut checked = 0;
    let mut wrong = Vec::new();
    for route in world.http_routes().await {
        let object = if route.contains("/api/v1/inquiries/{id}") {
            &inquiry
        } else if route.contains("/api/v1/documents/{id}") {
            &document
        } else {
            continue;
        };
        let theirs = BTreeMap::from([("id", object.clone())]);
        let missing = BTreeMap::from([("id", uuid::Uuid::now_v7().to_string())]);
        for who in [OtherCitizen, Authority] {
            let token = world.token(who);
            let (s1, b1) = world.send(&route, &theirs, token).await;
            let (s2, b2) = world.send(&route, &missing, token).await;
            let (b1, b2) = (normalise(b1), normalise(b2));
            if s1 != s2 || b1 != b2 {
                wrong.push(format!(
                    "{route} as {who:?}: someone else's gives {s1} {b1}, a missing one {s2} {b2}"
                ));
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "{}: every id route checked", world.label);

    // The same over gRPC: every method whose request names an inquiry or a document by id.
    let mut grpc_checked = 0;
    for (method, field, number) in id_methods() {
        let object = match field.as_str() {
            "inquiry_id" => &inquiry,
            "document_id" => &document,
            _ => continue,
        };
        for who in [OtherCitizen, Authority] {
            let theirs = world
                .call_with(&method, string_field(number, object), world.token(who))
                .await;
            let missing = world
                .call_with(
                    &method,
                    string_field(number, &uuid::Uuid::now_v7().to_string()),
                    world.token(who),
                )
                .await;
            if (theirs.code(), theirs.message()) != (missing.code(), missing.message()) {
                wrong.push(format!(
                    "gRPC {method} as {who:?}: someone else's gives {:?} {}, a missing one {:?} {}",
                    theirs.code(),
                    theirs.message(),
                    missing.code(),
                    missing.message()
                ));
            }
            grpc_checked += 1;
        }
    }
    assert!(
        grpc_checked >= 20,
        "{}: every id method checked ({grpc_checked})",
        world.label
    );
    // And the owner does see them, so the comparison above was about someone else's objects.
    let (status, got) = world
        .send(
            "GET /api/v1/inquiries/{id}",
            &BTreeMap::from([("id", inquiry.clone())]),
            Some(owner),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert!(
        wrong.is_empty(),
        "{}: another caller can tell someone else's object exists:\n{}",
        world.label,
        wrong.join("\n")
    );
}

fn jpeg(width: u16, height: u16) -> Vec<u8> {
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

/// Uploads `bytes` as `name` declared `mime`, as `who`.
async fn upload(
    world: &World,
    who: Who,
    name: &str,
    mime: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let form = reqwest::multipart::Form::new()
        .text("kind", "ownership_deed")
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str(mime)
                .expect("mime"),
        );
    let response = world
        .http
        .post(format!("{}/api/v1/documents", world.system.gateway_url))
        .bearer_auth(world.token(who).expect("token"))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    let status = response.status();
    let problem = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        assert!(problem, "{name}: an error is problem+json: {status} {body}");
    }
    (status, body)
}

/// How many documents, bytes and stored files `who` has.
async fn stored(world: &World, who: Who) -> (i64, i64, usize) {
    let quota = estelam_proto::documents::v1::document_service_client::DocumentServiceClient::new(
        channel(&world.settings.endpoints.documents, &world.settings),
    )
    .get_quota(estelam_runtime::grpc::outgoing(
        estelam_proto::documents::v1::GetQuotaRequest::default(),
        world.token(who),
    ))
    .await
    .expect("quota")
    .into_inner();
    let files = walk(&world.settings.data_dir.join("documents"));
    (quota.used_count, quota.used_bytes, files)
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| {
                let path = e.path();
                if path.is_dir() { walk(&path) } else { 1 }
            })
            .sum()
    })
}

fn deflate(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(data).expect("in memory");
    z.finish().expect("in memory")
}

async fn upload_attacks_are_refused(world: &World) {
    use estelam_documents::inspect::fixtures;
    let who = OtherCitizen;
    let before = stored(world, who).await;
    let script = b"<script>fetch('/api/v1/me')</script>".to_vec();
    // A ZIP archive's end-of-central-directory record: what a ZIP reader looks for.
    let zip_end = b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec();
    let mut zip = b"PK\x03\x04\x14\0\0\0\0\0".to_vec();
    zip.extend_from_slice(&[0; 16]);
    zip.extend_from_slice(b"a.html");
    zip.extend_from_slice(&script);
    zip.extend_from_slice(&zip_end);
    // A PDF whose one stream inflates to 16 MiB of zeros, past the inflation budget.
    let bomb = deflate(&vec![0u8; 16 << 20]);
    let mut pdf_bomb = format!(
        "%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n\
         2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n\
         3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>\nendobj\n\
         4 0 obj\n<< /Length {} /Filter /FlateDecode >>\nstream\n",
        bomb.len()
    )
    .into_bytes();
    pdf_bomb.extend_from_slice(&bomb);
    pdf_bomb.extend_from_slice(b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
    // A 64×64 PNG (4 KiB of pixels) whose image data inflates to 16 MiB.
    let mut png_bomb = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&64u32.to_be_bytes());
    ihdr.extend_from_slice(&64u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    fixtures::png_chunk(&mut png_bomb, b"IHDR", &ihdr);
    fixtures::png_chunk(&mut png_bomb, b"IDAT", &deflate(&vec![0u8; 16 << 20]));
    fixtures::png_chunk(&mut png_bomb, b"IEND", &[]);
    let oversized = fixtures::pdf(
        "",
        usize::try_from(world.settings.documents.max_document_bytes).expect("fits") + 1024,
    );

    let attacks: Vec<(&str, &str, &str, Vec<u8>)> = vec![
        (
            "PDF+ZIP polyglot",
            "deed.pdf",
            "application/pdf",
            [fixtures::pdf("", 0), zip.clone()].concat(),
        ),
        (
            "JPEG with a script appended",
            "card.jpg",
            "image/jpeg",
            [fixtures::jpeg(64, 48, 0), script.clone()].concat(),
        ),
        (
            "JPEG+ZIP polyglot",
            "card.jpg",
            "image/jpeg",
            [fixtures::jpeg(64, 48, 0), zip.clone()].concat(),
        ),
        (
            "image that is also a PDF",
            "card.jpg",
            "image/jpeg",
            [
                fixtures::jpeg(64, 48, 0)[..20].to_vec(),
                b"%PDF-1.7\n".to_vec(),
                fixtures::jpeg(64, 48, 0)[20..].to_vec(),
            ]
            .concat(),
        ),
        ("oversized", "deed.pdf", "application/pdf", oversized),
        (
            "pixel flood",
            "card.png",
            "image/png",
            fixtures::png(60_000, 60_000),
        ),
        ("PDF deflate bomb", "deed.pdf", "application/pdf", pdf_bomb),
        ("PNG zlib bomb", "card.png", "image/png", png_bomb),
        (
            "PDF declared as JPEG",
            "deed.jpg",
            "image/jpeg",
            fixtures::pdf("", 0),
        ),
        (
            "PDF named .png",
            "deed.png",
            "application/pdf",
            fixtures::pdf("", 0),
        ),
        (
            "HTML declared as PDF",
            "deed.pdf",
            "application/pdf",
            b"<html><script>alert(1)</script></html>".to_vec(),
        ),
        (
            "PDF with JavaScript",
            "deed.pdf",
            "application/pdf",
            fixtures::pdf("/OpenAction << /S /JavaScript /JS (app.alert(1)) >>", 0),
        ),
    ];
    let mut wrong = Vec::new();
    for (what, name, mime, bytes) in attacks {
        let (status, body) = upload(world, who, name, mime, bytes).await;
        if !status.is_client_error() {
            wrong.push(format!("{what}: {status} {body}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{}: uploads that must be refused were not:\n{}",
        world.label,
        wrong.join("\n")
    );
    assert_eq!(
        stored(world, who).await,
        before,
        "{}: a refused upload stored nothing",
        world.label
    );

    // Names: never a path, never an invisible character in what is shown.
    for name in [
        "../../../../etc/passwd.jpg",
        "..\\..\\windows\\win.ini.jpg",
        "/absolute/card.jpg",
        "card\u{0}.jpg",
        "ca\r\nrd\u{7}.jpg",
        "\u{202E}gpj.exe.jpg",
    ] {
        let (status, body) =
            upload(world, who, name, "image/jpeg", fixtures::jpeg(32, 24, 0)).await;
        if status.is_client_error() {
            continue;
        }
        assert_eq!(status, StatusCode::CREATED, "{name:?}: {body}");
        let shown = body["original_filename"].as_str().unwrap_or_default();
        assert!(
            !shown.contains(['/', '\\'])
                && !shown.starts_with('.')
                && !shown.chars().any(|c| c.is_control() || c == '\u{202E}'),
            "{}: {name:?} is shown as {shown:?}",
            world.label
        );
    }
    let data_dir = world.settings.data_dir.canonicalize().expect("data dir");
    for escaped in ["etc/passwd.jpg", "windows/win.ini.jpg", "absolute/card.jpg"] {
        assert!(
            !data_dir.join(escaped).exists() && !data_dir.join("..").join(escaped).exists(),
            "{}: an upload's name became a path: {escaped}",
            world.label
        );
    }
}

/// Classic SQL injection strings.
const INJECTIONS: [&str; 6] = [
    "' OR '1'='1",
    "'; DROP TABLE accounts; --",
    "\" OR 1=1 --",
    "1' UNION SELECT kid, secret_key FROM signing_keys --",
    "%' OR national_code LIKE '%",
    "\\'); DELETE FROM inquiries; --",
];

/// Text that must never reach a caller: database errors and stored secrets.
const LEAKS: [&str; 8] = [
    "syntax error",
    "sqlite",
    "postgres",
    "sqlx",
    "secret_key",
    "signing_keys",
    "near \"",
    "unrecognized token",
];

/// The string properties of a request body schema, following `$ref`s one level.
fn string_fields(doc: &Value, schema: &Value) -> Vec<String> {
    let schema = match schema["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.rsplit('/').next().unwrap_or_default()],
        None => schema,
    };
    schema["properties"]
        .as_object()
        .map(|props| {
            props
                .iter()
                .filter(|(_, p)| {
                    p["type"] == "string"
                        || p["type"]
                            .as_array()
                            .is_some_and(|t| t.contains(&json!("string")))
                })
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default()
}

async fn sql_injection_changes_and_leaks_nothing(world: &World) {
    let doc = &world.doc;
    let owner = world.token(Citizen).expect("citizen");
    let other = world.token(OtherCitizen).expect("citizen");
    let (_, other_me) = world
        .send("GET /api/v1/me", &BTreeMap::new(), Some(other))
        .await;
    let (_, other_list) = world
        .send("GET /api/v1/inquiries", &BTreeMap::new(), Some(other))
        .await;
    let (_, types) = world
        .send("GET /api/v1/request-types", &BTreeMap::new(), Some(owner))
        .await;
    let response = world
        .http
        .post(format!("{}/api/v1/inquiries", world.system.gateway_url))
        .bearer_auth(owner)
        .json(&json!({"request_type_code": types["request_types"][0]["code"], "client_request_id": uuid::Uuid::now_v7().to_string()}))
        .send()
        .await
        .expect("sent");
    let created: Value = response.json().await.expect("json");
    let inquiry = created["inquiry_id"].as_str().expect("id").to_owned();

    let mut tried = 0;
    let mut wrong = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put"] {
            let Some(op) = item.get(method) else { continue };
            if path.starts_with("/psp") {
                continue; // the sandbox provider's pages: HTML forms, tested with the fees flow
            }
            let body_schema = &op["requestBody"]["content"]["application/json"]["schema"];
            let body_fields = string_fields(doc, body_schema);
            let params: Vec<(String, String)> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["schema"]["type"] == "string" || p["in"] == "path")
                        .map(|p| {
                            (
                                p["in"].as_str().unwrap_or_default().to_owned(),
                                p["name"].as_str().unwrap_or_default().to_owned(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let targets: Vec<(String, String)> = body_fields
                .into_iter()
                .map(|f| ("body".to_owned(), f))
                .chain(
                    params
                        .iter()
                        .filter(|(at, name)| !(at == "path" && name == "id"))
                        .cloned(),
                )
                .collect();
            for (at, field) in targets {
                for injection in INJECTIONS {
                    let mut url = path.replace("{id}", &inquiry);
                    let mut query: Vec<(String, String)> = op["parameters"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|p| {
                            p["in"] == "query"
                                && p["required"] == true
                                && p["name"] != field.as_str()
                        })
                        .map(|p| {
                            let name = p["name"].as_str().unwrap_or_default().to_owned();
                            let value = if name == "bbox" {
                                "51.5,32.8,51.6,32.9".to_owned()
                            } else {
                                example(doc, &p["schema"])
                                    .to_string()
                                    .trim_matches('"')
                                    .to_owned()
                            };
                            (name, value)
                        })
                        .collect();
                    let mut body = example(doc, body_schema);
                    match at.as_str() {
                        "path" => {
                            let encoded: String =
                                form_urlencoded::byte_serialize(injection.as_bytes()).collect();
                            url =
                                url.replace(&format!("{{{field}}}"), &encoded.replace('+', "%20"));
                        }
                        "query" => query.push((field.clone(), injection.to_owned())),
                        _ => body[&field] = json!(injection),
                    }
                    let query: String = form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(query)
                        .finish();
                    let full = format!("{}{url}?{query}", world.system.gateway_url);
                    let request = match method {
                        "get" => world.http.get(&full),
                        "post" => world.http.post(&full).json(&body),
                        _ => world.http.put(&full).json(&body),
                    };
                    let response = request.bearer_auth(owner).send().await.expect("sent");
                    let status = response.status();
                    let text = response.text().await.unwrap_or_default();
                    tried += 1;
                    let lower = text.to_lowercase();
                    if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
                        wrong.push(format!(
                            "{method} {path} {at} {field} = {injection:?}: {status} {text}"
                        ));
                    } else if let Some(leak) = LEAKS.iter().find(|l| lower.contains(*l)) {
                        wrong.push(format!(
                            "{method} {path} {at} {field} = {injection:?}: leaks {leak:?}: {text}"
                        ));
                    }
                }
            }
        }
    }
    assert!(
        tried > 100,
        "{}: injected into every text field ({tried})",
        world.label
    );
    assert!(
        wrong.is_empty(),
        "{}: injection strings broke something:\n{}",
        world.label,
        wrong.join("\n")
    );
    let (_, me_after) = world
        .send("GET /api/v1/me", &BTreeMap::new(), Some(other))
        .await;
    let (_, list_after) = world
        .send("GET /api/v1/inquiries", &BTreeMap::new(), Some(other))
        .await;
    assert_eq!(
        me_after, other_me,
        "{}: another citizen's account is unchanged",
        world.label
    );
    assert_eq!(
        list_after, other_list,
        "{}: another citizen's inquiries are unchanged",
        world.label
    );
    // The signing key is still the one it was: nothing was deleted or replaced.
    assert_eq!(
        identity_signing_key(&world.settings).await.0,
        world.signing.0
    );
}

async fn suite(label: &'static str, postgres_url: Option<String>) {
    let world = World::start(label, postgres_url, None).await;
    authorization_matrix(&world).await;
    let bad = bad_tokens_are_refused(&world).await;
    other_citizens_objects_do_not_exist(&world).await;
    upload_attacks_are_refused(&world).await;
    sql_injection_changes_and_leaks_nothing(&world).await;
    // Last: it disables the citizen the sections above act as.
    a_disabled_accounts_token_is_refused(&world, &bad).await;
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_suite_on_the_embedded_backend() {
    suite("sqlite", None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_suite_on_postgresql() {
    let Some(url) = estelam_runtime::testing::postgres_url() else {
        return;
    };
    suite("postgres", Some(url)).await;
}

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
    let world = World::start("throttle", None, Some(tight_throttle)).await;
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
