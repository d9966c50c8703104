//! Webhooks (issue 17), end to end: a real HTTP receiver started by the test (axum on a
//! loopback port), endpoints the demo notary office subscribes with its own API client over
//! HTTP, and inquiries the office files over gRPC. On SQLite with the in-process bus, and
//! (when `ESTELAM_TEST_POSTGRES_URL` / `ESTELAM_TEST_AMQP_URL` are set) on PostgreSQL and
//! RabbitMQ.
//!
//! The receiver checks every signature with the Standard Webhooks verification algorithm
//! written here from the specification (HMAC-SHA256 over `id.timestamp.body` with the
//! base64 secret after `whsec_`, any of the space-separated `v1,` signatures), never with
//! the service's signer. It sees:
//!
//! * `answer.issued` after the office's inquiry is issued (payload: the inquiry, the answer's
//!   verification code and link from the public address, no name or national code), and
//!   `answer.revoked` after a clerk revokes, in that order although both waited behind a
//!   disabled endpoint and the first attempt of each fails;
//! * `inquiry.awaiting_payment` for an inquiry on a parcel that owes;
//! * a receiver answering 500 then 200, and one that does not answer in time, retried;
//! * a receiver that always fails: its delivery dead after the (shortened) retry budget,
//!   listed as dead, replayed, delivered;
//! * after a rotation with an overlap, a replayed delivery signed with the old and the new
//!   secret;
//! * nothing for a delivery written in a transaction that rolled back;
//! * an endpoint on a private address refused, saying why.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use estelam::RunningSystem;
use estelam::demo::{CitizenLogin, DemoPeople};
use estelam_proto::identity::v1 as ipb;
use estelam_proto::inquiry::v1 as pb;
use estelam_proto::property::v1 as ppb;
use estelam_runtime::config::Settings;
use estelam_runtime::grpc::outgoing;
use estelam_runtime::testing::{FreshDatabase, eventually};
use secrecy::SecretString;
use serde_json::{Value, json};
use tonic::transport::Channel;

mod support;

use support::accounts;
use support::nine_steps::grpc::{
    self, Application, DocumentsClient, Filing, InquiryClient, Letter, Once,
};
use support::nine_steps::key;
use support::on_every_backend;

/// A hang guard for what the worker does in the background, not a timing assertion.
const WITHIN: Duration = Duration::from_secs(60);

// ---- the receiver ----------------------------------------------------------------------

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    id: String,
    timestamp: String,
    signature: String,
    body: String,
    /// What the receiver answered.
    answered: u16,
    /// When it arrived (for the latency bench).
    at: std::time::Instant,
}

/// How the receiver answers on each path.
#[derive(Default)]
struct Receiver {
    log: Vec<Received>,
    /// Attempts seen per (path, webhook-id).
    seen: HashMap<(String, String), u32>,
    /// Paths that answer 500 to everything until this is set.
    healed: bool,
}

type Shared = Arc<Mutex<Receiver>>;

async fn receive(
    State(shared): State<Shared>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let id = header("webhook-id");
    let (attempt, healed) = {
        let mut r = shared.lock().expect("receiver");
        let n = r.seen.entry((path.clone(), id.clone())).or_default();
        *n += 1;
        (*n, r.healed)
    };
    let status = match path.as_str() {
        // 500 on each delivery's first attempt, then 200.
        "flaky" => {
            if attempt == 1 {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::OK
            }
        }
        // Never answers the first attempt (the delivery's 1 s timeout ends it), then at once.
        "slow" => {
            if attempt == 1 {
                std::future::pending::<()>().await;
            }
            StatusCode::OK
        }
        // Fails until the test heals it.
        "down" if !healed => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::OK,
    };
    shared.lock().expect("receiver").log.push(Received {
        path,
        id,
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body,
        answered: status.as_u16(),
        at: std::time::Instant::now(),
    });
    status
}

/// Starts the receiver on a loopback port: its base URL.
async fn start_receiver(shared: Shared) -> String {
    let app = axum::Router::new()
        .route("/hooks/{path}", axum::routing::post(receive))
        .with_state(shared);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the receiver");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/hooks")
}

/// The Standard Webhooks verification, from the specification: the key is the base64 after
/// `whsec_`; the signed content is `{webhook-id}.{webhook-timestamp}.{body}`; the header
/// holds space-separated `v1,<base64 HMAC-SHA256>` signatures, any of which may match; the
/// timestamp must be recent (5 minutes' tolerance).
fn verifies(secret: &str, r: &Received) -> bool {
    let Some(key) = secret
        .strip_prefix("whsec_")
        .and_then(|k| B64.decode(k).ok())
    else {
        return false;
    };
    let Ok(ts) = r.timestamp.parse::<i64>() else {
        return false;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    if ts.abs_diff(i64::try_from(now).expect("now")) > 300 {
        return false;
    }
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key);
    let content = format!("{}.{}.{}", r.id, r.timestamp, r.body);
    let expected = ring::hmac::sign(&key, content.as_bytes());
    r.signature.split(' ').any(|s| {
        s.strip_prefix("v1,")
            .and_then(|b| B64.decode(b).ok())
            .is_some_and(|sig| sig == expected.as_ref())
    })
}

// ---- the world ---------------------------------------------------------------------------

struct World {
    label: &'static str,
    system: RunningSystem,
    settings: Settings,
    people: DemoPeople,
    clerk: String,
    http: reqwest::Client,
    receiver: Shared,
    hooks: String,
    postgres: Option<FreshDatabase>,
    _data: tempfile::TempDir,
}

impl World {
    async fn start(label: &'static str, postgres_url: Option<String>) -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings {
            data_dir: data.path().to_path_buf(),
            ..Settings::default()
        };
        settings.property.demo_parcels = 100;
        let postgres = match postgres_url {
            Some(url) => {
                let fresh = FreshDatabase::create(&url, "webhooks")
                    .await
                    .expect("a PostgreSQL database of the run's own");
                settings.database.url = Some(SecretString::from(fresh.url().to_owned()));
                Some(fresh)
            }
            None => None,
        };
        if postgres.is_some()
            && let Some(amqp) = estelam_runtime::testing::amqp_url()
        {
            settings.bus.amqp_url = Some(SecretString::from(amqp));
            // Durable queues are shared by every run on the broker: this run's own.
            let suffix = estelam_runtime::testing::unique_suffix();
            settings.inquiry.debt_cleared_queue = format!("inquiry.debt-cleared.hooks-{suffix}");
            settings.identity.owner_notice_queue = format!("identity.owner-notices.hooks-{suffix}");
        }
        // The receiver is on loopback over http, as `estelam run` allows; retries come
        // quickly and give up after 5 s, so the dead-letter list fills within the test.
        let hooks = &mut settings.inquiry.webhooks;
        hooks.allow_http = true;
        hooks.allow_loopback = true;
        hooks.timeout_ms = 1_000;
        hooks.retry_initial_delay_ms = 100;
        hooks.retry_max_delay_ms = 400;
        hooks.retry_for_secs = 5;
        hooks.poll_interval_ms = 100;
        accounts::bootstrap_admin(&mut settings);
        let system = estelam::start(
            settings,
            estelam::SystemAddrs::ephemeral(),
            tokio_util::sync::CancellationToken::new(),
        )
        .await
        .unwrap_or_else(|e| panic!("{label}: the system starts: {e:#}"));
        let settings = system.settings().clone();
        let (_, people) = accounts::demo_people(&settings).await;
        let clerk = accounts::log_in(
            &settings,
            &people.clerk.national_code,
            &people.clerk.password,
        )
        .await;
        let receiver = Shared::default();
        let hooks = start_receiver(receiver.clone()).await;
        Self {
            label,
            system,
            settings,
            people,
            clerk,
            http: reqwest::Client::new(),
            receiver,
            hooks,
            postgres,
            _data: data,
        }
    }

    async fn stop(self) {
        support::system::stop(self.system, self.postgres).await;
    }

    fn channel(&self, endpoint: &str) -> Channel {
        estelam_runtime::grpc::channel(endpoint, &self.settings.grpc).expect("endpoint")
    }

    fn inquiry(&self) -> InquiryClient {
        InquiryClient::new(self.channel(&self.settings.endpoints.inquiry))
    }

    fn office_id(&self) -> &str {
        &self.people.authority.organization_id
    }

    /// The office's API client's token, from `POST /oauth/token`.
    async fn office_client_token(&self) -> String {
        let client = self
            .people
            .office_client
            .clone()
            .expect("the demo office's client");
        let body: Value = self
            .http
            .post(format!("{}/oauth/token", self.system.gateway_url))
            .basic_auth(&client.client_id, Some(&client.client_secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("JSON");
        body["access_token"].as_str().expect("a token").to_owned()
    }

    /// `METHOD /api/v1/organizations/{office}/webhooks{rest}` as `token`.
    async fn call(
        &self,
        token: &str,
        method: reqwest::Method,
        rest: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!(
            "{}/api/v1/organizations/{}/webhooks{rest}",
            self.system.gateway_url,
            self.office_id()
        );
        let mut request = self.http.request(method, url).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("sent");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Subscribes `path` of the receiver to `types`: (endpoint id, secret).
    async fn subscribe(&self, token: &str, path: &str, types: &[&str]) -> (String, String) {
        let (status, body) = self
            .call(
                token,
                reqwest::Method::POST,
                "",
                Some(json!({"url": format!("{}/{path}", self.hooks), "event_types": types})),
            )
            .await;
        assert_eq!(status, 201, "{}: subscribe {path}: {body}", self.label);
        let secret = body["secret"].as_str().expect("the secret").to_owned();
        assert!(secret.starts_with("whsec_"), "{secret}");
        (
            body["endpoint"]["endpoint_id"]
                .as_str()
                .expect("id")
                .to_owned(),
            secret,
        )
    }

    /// What the receiver got on `path` so far.
    fn log(&self, path: &str) -> Vec<Received> {
        let r = self.receiver.lock().expect("receiver");
        r.log.iter().filter(|x| x.path == path).cloned().collect()
    }

    /// Waits until `path` accepted (200) a delivery whose body's `type` is `kind` and whose
    /// data names `inquiry_id`; returns it.
    async fn accepted(&self, path: &str, kind: &str, inquiry_id: &str) -> Received {
        eventually(
            &format!("{}: {kind} accepted at {path}", self.label),
            WITHIN,
            async || {
                self.log(path).into_iter().find(|r| {
                    let body: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
                    r.answered == 200
                        && body["type"] == kind
                        && body["data"]["inquiry_id"] == inquiry_id
                })
            },
        )
        .await
    }

    /// The office files a `type_code` inquiry for `citizen` and takes it to Submit.
    async fn office_files(
        &self,
        office: &str,
        citizen: &CitizenLogin,
        number: &str,
    ) -> pb::SubmitResponse {
        self.office_files_timed(office, citizen, number).await.0
    }

    /// [`World::office_files`], with the instant Submit answered (the answer committed).
    async fn office_files_timed(
        &self,
        office: &str,
        citizen: &CitizenLogin,
        number: &str,
    ) -> (pb::SubmitResponse, std::time::Instant) {
        let label = self.label;
        let citizen_token =
            accounts::log_in(&self.settings, &citizen.national_code, &citizen.password).await;
        let me = ipb::identity_service_client::IdentityServiceClient::new(
            self.channel(&self.settings.endpoints.identity),
        )
        .get_me(outgoing(ipb::GetMeRequest {}, Some(&citizen_token)))
        .await
        .unwrap_or_else(|e| panic!("{label}: the citizen's membership code: {e}"))
        .into_inner();
        let draft = self
            .inquiry()
            .file_inquiry_on_behalf(outgoing(
                pb::FileInquiryOnBehalfRequest {
                    request_type_code: "property-transfer".into(),
                    applicant_national_code: citizen.national_code.clone(),
                    applicant_membership_code: me.account.expect("account").membership_code,
                    client_request_id: key(),
                },
                Some(office),
            ))
            .await
            .unwrap_or_else(|e| panic!("{label}: the office files: {e}"))
            .into_inner()
            .inquiry
            .expect("the draft");
        let inquiry = self.inquiry();
        let rt = grpc::request_type(&Once, &inquiry, office, "property-transfer")
            .await
            .expect("the request type");
        let mut filing = Filing::resume(&Once, &inquiry, office, &rt, draft)
            .await
            .unwrap_or_else(|e| panic!("{label}: undertakings: {e}"));
        let documents = DocumentsClient::new(self.channel(&self.settings.endpoints.documents));
        let docs = grpc::card_and_deed(&documents, &citizen_token).await;
        filing
            .complete(&Application {
                renovation_code: citizen.renovation_code.clone(),
                request_number: number.into(),
                letter: Letter::from_authority(self.office_id()),
                documents: docs,
                full_name: citizen.name.clone(),
                national_code: citizen.national_code.clone(),
                ownership_type: ppb::OwnershipType::Full,
            })
            .await
            .unwrap_or_else(|e| panic!("{label}: steps 4–6: {e}"));
        let submitted = filing
            .submit()
            .await
            .unwrap_or_else(|e| panic!("{label}: submit: {e}"));
        (submitted, std::time::Instant::now())
    }

    fn citizen(&self, has_debt: bool) -> CitizenLogin {
        self.people
            .citizens
            .iter()
            .find(|c| c.has_debt == has_debt)
            .expect("a demo citizen")
            .clone()
    }
}

on_every_backend!(an_office_receives_signed_retried_ordered_webhooks => crate::everything);

async fn everything(w: &World) {
    let label = w.label;
    let client = w.office_client_token().await;

    // An endpoint on a private address is refused, saying why.
    let (status, body) = w
        .call(
            &client,
            reqwest::Method::POST,
            "",
            Some(json!({"url": "http://10.1.2.3/hook", "event_types": ["answer.issued"]})),
        )
        .await;
    assert_eq!(status, 400, "{label}: {body}");
    assert_eq!(
        body["reason"], "WEBHOOK_URL_ADDRESS_REFUSED",
        "{label}: {body}"
    );

    // The office's client subscribes five endpoints of the receiver.
    let (ordered, ordered_secret) = w
        .subscribe(
            &client,
            "ordered",
            &[
                "answer.issued",
                "answer.revoked",
                "inquiry.awaiting_payment",
            ],
        )
        .await;
    let (_, flaky_secret) = w.subscribe(&client, "flaky", &["answer.issued"]).await;
    let (_, slow_secret) = w.subscribe(&client, "slow", &["answer.issued"]).await;
    let (down, down_secret) = w.subscribe(&client, "down", &["answer.issued"]).await;
    let (status, listed) = w.call(&client, reqwest::Method::GET, "", None).await;
    assert_eq!(status, 200, "{label}: {listed}");
    assert_eq!(
        listed["endpoints"].as_array().map(Vec::len),
        Some(4),
        "{label}"
    );
    assert!(
        !listed.to_string().contains("whsec_"),
        "{label}: no secret in the list"
    );

    // "ordered" is off while the inquiry is issued and revoked: both deliveries wait for
    // it, and when it is on again they must leave in the order they happened.
    let (status, body) = w
        .call(
            &client,
            reqwest::Method::POST,
            &format!("/{ordered}/enabled"),
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(
        (status, &body["enabled"]),
        (200, &json!(false)),
        "{label}: {body}"
    );

    // The office files for an owner whose parcel owes nothing: issued within Submit.
    let office = accounts::log_in(
        &w.settings,
        &w.people.authority.national_code,
        &w.people.authority.password,
    )
    .await;
    let clean = w.citizen(false);
    let submitted = w.office_files(&office, &clean, &clean.request_number).await;
    let issued = submitted.inquiry.expect("the inquiry");
    assert_eq!(issued.state, pb::InquiryState::Issued as i32, "{label}");
    let inquiry_id = issued.inquiry_id.clone();

    // answer.issued reaches the receiver, signed, with no more than the answer says.
    let got = w.accepted("flaky", "answer.issued", &inquiry_id).await;
    assert!(
        verifies(&flaky_secret, &got),
        "{label}: signature of {got:?}"
    );
    let body: Value = serde_json::from_str(&got.body).expect("JSON body");
    assert_eq!(
        body["data"]["inquiry_number"], issued.inquiry_number,
        "{label}"
    );
    assert_eq!(body["data"]["status"], "issued", "{label}");
    let code = body["data"]["verification_code"].as_str().expect("code");
    assert_eq!(
        body["data"]["verification_url"],
        format!(
            "{}/verify/{code}",
            w.settings.inquiry.public_base_url.trim_end_matches('/')
        ),
        "{label}: the link is from the configured public address"
    );
    assert!(body["timestamp"].is_string(), "{label}: {body}");
    for private in [&clean.national_code, &clean.name, &clean.renovation_code] {
        assert!(
            !got.body.contains(private.as_str()),
            "{label}: {private} in {}",
            got.body
        );
    }
    // The flaky receiver's 500 was retried with the same webhook-id.
    let flaky: Vec<_> = w
        .log("flaky")
        .into_iter()
        .filter(|r| r.id == got.id)
        .collect();
    assert_eq!(
        flaky.iter().map(|r| r.answered).collect::<Vec<_>>(),
        [500, 200],
        "{label}: 500, then retried"
    );
    // The slow one timed out once and was retried.
    let slow = w.accepted("slow", "answer.issued", &inquiry_id).await;
    assert!(verifies(&slow_secret, &slow), "{label}");
    // (counted on arrival: the first attempt's log entry is written only after its sleep)
    let slow_attempts =
        w.receiver.lock().expect("receiver").seen[&("slow".to_owned(), slow.id.clone())];
    assert!(
        slow_attempts >= 2,
        "{label}: the timed-out attempt was retried"
    );

    // A clerk revokes the answer.
    w.inquiry()
        .revoke_answer(outgoing(
            pb::RevokeAnswerRequest {
                inquiry_id: inquiry_id.clone(),
                expected_version: issued.version,
                client_request_id: key(),
                reason: "سند جعلی".into(),
            },
            Some(&w.clerk),
        ))
        .await
        .unwrap_or_else(|e| panic!("{label}: the clerk revokes: {e}"));

    // Turned on again, "ordered" gets issued, then revoked: one inquiry's events in order.
    let (status, _) = w
        .call(
            &client,
            reqwest::Method::POST,
            &format!("/{ordered}/enabled"),
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(status, 200, "{label}");
    let revoked = w.accepted("ordered", "answer.revoked", &inquiry_id).await;
    assert!(verifies(&ordered_secret, &revoked), "{label}");
    let kinds: Vec<String> = w
        .log("ordered")
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).expect("JSON")["type"].to_string())
        .collect();
    assert_eq!(
        kinds,
        ["\"answer.issued\"", "\"answer.revoked\""],
        "{label}: in the order they happened"
    );

    // The always-failing receiver's delivery dies after the budget, is listed as dead, and
    // a replay of all dead ones delivers it once the receiver works again.
    let dead = eventually(
        &format!("{label}: the dead-letter list"),
        WITHIN,
        async || {
            let (_, body) = w
                .call(
                    &client,
                    reqwest::Method::GET,
                    &format!("/{down}/deliveries?state=dead"),
                    None,
                )
                .await;
            body["deliveries"]
                .as_array()
                .and_then(|d| d.first().cloned())
        },
    )
    .await;
    assert!(
        dead["attempts"].as_u64().is_some_and(|n| n >= 2),
        "{label}: {dead}"
    );
    assert_eq!(dead["last_status_code"], 500, "{label}: {dead}");
    w.receiver.lock().expect("receiver").healed = true;
    let (status, body) = w
        .call(
            &client,
            reqwest::Method::POST,
            &format!("/{down}/replay"),
            Some(json!({"all_dead": true})),
        )
        .await;
    assert_eq!(
        (status, &body["replayed"]),
        (200, &json!(1)),
        "{label}: {body}"
    );
    let replayed = w.accepted("down", "answer.issued", &inquiry_id).await;
    assert_eq!(
        replayed.id, dead["delivery_id"],
        "{label}: the same webhook-id"
    );
    assert!(verifies(&down_secret, &replayed), "{label}");

    // A rotation with an overlap: a replayed delivery carries both signatures.
    let (status, rotated) = w
        .call(
            &client,
            reqwest::Method::POST,
            &format!("/{ordered}/rotate"),
            Some(json!({"overlap_seconds": 3600})),
        )
        .await;
    assert_eq!(status, 200, "{label}: {rotated}");
    let new_secret = rotated["secret"]
        .as_str()
        .expect("the new secret")
        .to_owned();
    assert!(
        rotated["endpoint"]["previous_secret_valid_until"].is_string(),
        "{rotated}"
    );
    let before = w.log("ordered").len();
    let (status, body) = w
        .call(
            &client,
            reqwest::Method::POST,
            &format!("/{ordered}/replay"),
            Some(json!({"delivery_id": revoked.id})),
        )
        .await;
    assert_eq!(status, 200, "{label}: {body}");
    let again = eventually(&format!("{label}: the replay"), WITHIN, async || {
        w.log("ordered").get(before).cloned()
    })
    .await;
    assert_eq!(again.id, revoked.id, "{label}");
    assert_eq!(
        again.signature.split(' ').count(),
        2,
        "{label}: {}",
        again.signature
    );
    assert!(
        verifies(&ordered_secret, &again),
        "{label}: the old secret still verifies"
    );
    assert!(verifies(&new_secret, &again), "{label}: the new one too");

    // An inquiry on a parcel that owes waits for payment, and says so.
    let owing = w.citizen(true);
    let waiting = w.office_files(&office, &owing, &owing.request_number).await;
    let waiting = waiting.inquiry.expect("the inquiry");
    assert_eq!(
        waiting.state,
        pb::InquiryState::AwaitingPayment as i32,
        "{label}"
    );
    let got = w
        .accepted("ordered", "inquiry.awaiting_payment", &waiting.inquiry_id)
        .await;
    assert!(verifies(&new_secret, &got), "{label}");

    rolled_back_sends_nothing(w).await;
}

/// A delivery written in a transaction that rolls back is never sent; one committed the same
/// way is (the same call the engine makes beside its outbox row).
async fn rolled_back_sends_nothing(w: &World) {
    use prost::Message as _;
    let label = w.label;
    let db =
        estelam_runtime::host::open_store(&w.settings, "inquiry", &estelam_inquiry::migrations())
            .await
            .expect("the inquiry store");
    let event = |inquiry_id: &str| {
        let e = estelam_proto::events::v1::AnswerIssued {
            inquiry_id: inquiry_id.into(),
            inquiry_number: "1".into(),
            verification_code: "100000000009".into(),
            organization_id: w.office_id().into(),
            ..Default::default()
        };
        estelam_runtime::bus::Event::new(
            estelam_proto::routing_keys::ANSWER_ISSUED,
            "estelam.events.v1.AnswerIssued",
            e.encode_to_vec(),
        )
    };
    let base = &w.settings.inquiry.public_base_url;
    let rolled = format!("rolled-back-{}", uuid::Uuid::now_v7());
    let mut tx = db.begin().await.expect("begin");
    let n = estelam_inquiry::webhooks::enqueue(&mut tx, &event(&rolled), base)
        .await
        .expect("enqueued");
    assert_eq!(n, 4, "{label}: every endpoint takes answer.issued");
    tx.rollback().await.expect("rolled back");
    let committed = format!("committed-{}", uuid::Uuid::now_v7());
    let mut tx = db.begin().await.expect("begin");
    estelam_inquiry::webhooks::enqueue(&mut tx, &event(&committed), base)
        .await
        .expect("enqueued");
    tx.commit().await.expect("committed");
    db.close().await;
    // The committed one arrives (the worker polls); by then the rolled-back one would have too.
    w.accepted("flaky", "answer.issued", &committed).await;
    w.accepted("slow", "answer.issued", &committed).await;
    let all = w.receiver.lock().expect("receiver").log.clone();
    assert!(
        all.iter().all(|r| !r.body.contains(&rolled)),
        "{label}: nothing for the rolled-back transaction"
    );
}

/// Webhook delivery latency, answer issued → receiver, for BENCHMARKS.md (not a test: it
/// asserts nothing about time). `ESTELAM_WEBHOOK_BENCH_N` inquiries (default 30), each filed
/// by the office for the no-debt demo owner with a fresh request number, issued within
/// Submit; the latency is from Submit's answer (the issuing transaction committed) to the
/// receiver's arrival. On SQLite, or PostgreSQL + RabbitMQ when the URLs are set:
///
/// ```sh
/// cargo test --test webhooks -- --ignored --nocapture webhook_latency
/// ```
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run with --ignored --nocapture"]
async fn webhook_latency() {
    let postgres = estelam_runtime::testing::postgres_url();
    let label = if postgres.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    let w = Box::pin(World::start(label, postgres)).await;
    let n: usize = std::env::var("ESTELAM_WEBHOOK_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let client = w.office_client_token().await;
    w.subscribe(&client, "bench", &["answer.issued"]).await;
    let office = accounts::log_in(
        &w.settings,
        &w.people.authority.national_code,
        &w.people.authority.password,
    )
    .await;
    let clean = w.citizen(false);
    let property = grpc::PropertyClient::new(w.channel(&w.settings.endpoints.property));
    let mut micros = Vec::with_capacity(n);
    for _ in 0..n {
        let number =
            grpc::issue_request_number(&Once, &property, &w.clerk, &clean.renovation_code, "bench")
                .await
                .expect("a request number");
        let (submitted, committed) = w.office_files_timed(&office, &clean, &number).await;
        let id = submitted.inquiry.expect("the inquiry").inquiry_id;
        let got = w.accepted("bench", "answer.issued", &id).await;
        micros.push(got.at.saturating_duration_since(committed).as_micros());
    }
    micros.sort_unstable();
    let pick = |q: f64| {
        let i = ((micros.len() as f64 - 1.0) * q).round() as usize;
        micros[i.min(micros.len() - 1)] as f64 / 1000.0
    };
    println!(
        "webhook latency ({label}, {n} answers, answer committed -> receiver): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pick(0.5),
        pick(0.99),
        pick(1.0)
    );
    w.stop().await;
}
