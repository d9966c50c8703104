//! One trace per inquiry. A citizen's client walks one inquiry with debt through the
//! gateway's HTTP API, carrying one W3C `traceparent` (as a browser's or an authority's
//! software would for one piece of work): the nine steps, the bill, the sandbox payment
//! page. Behind it the gateway calls inquiry, property, documents, identity and fees over
//! gRPC; fees writes `fees.debt.cleared` to its outbox; the relay publishes it on the bus
//! (RabbitMQ when `ESTELAM_TEST_AMQP_URL` is set, and always the in-process bus); the
//! inquiry service's consumer takes it and issues the answer, whose
//! `inquiry.answer.issued` is published in turn. Every span of that work, in every service,
//! the bus publishes and the consume included, must carry the client's trace id.
//!
//! Spans are collected in memory by an OpenTelemetry SDK exporter installed as this test
//! binary's global `tracing` subscriber (the same layer `telemetry::init` installs when an
//! OTLP endpoint is configured).

use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use estelam::demo::DemoPeople;
use estelam_documents::inspect::fixtures;
use estelam_proto::identity::v1 as ipb;
use estelam_runtime::config::Settings;
use opentelemetry::trace::{TraceId, TracerProvider as _};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// Every finished span, as exported.
#[derive(Debug, Clone, Default)]
struct Collected(Arc<Mutex<Vec<SpanData>>>);

impl SpanExporter for Collected {
    fn export(&self, batch: Vec<SpanData>) -> impl Future<Output = OTelSdkResult> + Send {
        self.0.lock().expect("spans").extend(batch);
        std::future::ready(Ok(()))
    }
}

impl Collected {
    fn of_trace(&self, trace: TraceId) -> Vec<SpanData> {
        self.0
            .lock()
            .expect("spans")
            .iter()
            .filter(|s| s.span_context.trace_id() == trace)
            .cloned()
            .collect()
    }
}

/// Installs the collector as the process-wide subscriber (once per test binary).
fn collector() -> Collected {
    static ONCE: std::sync::OnceLock<Collected> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| {
        let collected = Collected::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(collected.clone())
            .build();
        let tracer = provider.tracer("one-trace-test");
        tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(tracer))
            .init();
        collected
    })
    .clone()
}

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.as_str().into_owned())
}

/// What each span of the trace shows about who did the work: `http <path>` for the
/// gateway, `grpc <package.Service>` for a service's handler, `publish <routing key>` for
/// an outbox relay's publish, `consume <routing key>` for a consumer.
fn parts(spans: &[SpanData]) -> BTreeSet<String> {
    spans
        .iter()
        .filter_map(|s| match s.name.as_ref() {
            "http" => Some("http".to_owned()),
            "grpc" => attribute(s, "method").map(|m| {
                let service = m.trim_start_matches('/').split('/').next().unwrap_or("");
                format!("grpc {service}")
            }),
            "publish" => attribute(s, "routing_key").map(|k| format!("publish {k}")),
            "consume" => attribute(s, "routing_key").map(|k| format!("consume {k}")),
            _ => None,
        })
        .collect()
}

struct Client {
    url: String,
    http: reqwest::Client,
    traceparent: String,
}

impl Client {
    fn new(url: String, trace: TraceId) -> Self {
        Self {
            url,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            // Sampled, from a client span of the test's own.
            traceparent: format!("00-{trace}-00f067aa0ba902b7-01"),
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder, token: &str) -> (StatusCode, Value) {
        let response = req
            .header("traceparent", &self.traceparent)
            .bearer_auth(token)
            .send()
            .await
            .expect("sent");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> Value {
        let (status, body) = self
            .send(
                self.http.post(format!("{}{path}", self.url)).json(&body),
                token,
            )
            .await;
        assert!(status.is_success(), "POST {path}: {status} {body}");
        body
    }

    async fn put(&self, path: &str, token: &str, body: Value) -> Value {
        let (status, body) = self
            .send(
                self.http.put(format!("{}{path}", self.url)).json(&body),
                token,
            )
            .await;
        assert!(status.is_success(), "PUT {path}: {status} {body}");
        body
    }

    async fn get(&self, path: &str, token: &str) -> Value {
        let (status, body) = self
            .send(self.http.get(format!("{}{path}", self.url)), token)
            .await;
        assert!(status.is_success(), "GET {path}: {status} {body}");
        body
    }

    async fn upload(
        &self,
        token: &str,
        kind: &str,
        name: &str,
        mime: &str,
        bytes: Vec<u8>,
    ) -> String {
        let form = reqwest::multipart::Form::new()
            .text("kind", kind.to_owned())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes)
                    .file_name(name.to_owned())
                    .mime_str(mime)
                    .expect("mime"),
            );
        let (status, doc) = self
            .send(
                self.http
                    .post(format!("{}/api/v1/documents", self.url))
                    .multipart(form),
                token,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{doc}");
        doc["document_id"].as_str().expect("id").to_owned()
    }
}

fn rid() -> String {
    uuid::Uuid::now_v7().to_string()
}

async fn log_in(settings: &Settings, national_code: &str, password: &str) -> String {
    estelam::log_in(
        settings,
        ipb::login_request::Identifier::NationalCode(national_code.to_owned()),
        password,
    )
    .await
    .expect("logs in")
}

/// Starts the whole system (every service and the gateway) with the demo people.
async fn system(
    label: &str,
    amqp: Option<String>,
    data: &tempfile::TempDir,
    shutdown: CancellationToken,
) -> (estelam::RunningSystem, DemoPeople) {
    let mut settings = Settings {
        data_dir: data.path().to_path_buf(),
        ..Settings::default()
    };
    if let Some(url) = amqp {
        settings.bus.amqp_url = Some(SecretString::from(url));
        // Durable queues are shared by every run on the broker: this run's own.
        settings.inquiry.debt_cleared_queue = format!(
            "inquiry.debt-cleared.trace-{}",
            estelam_runtime::testing::unique_suffix()
        );
    }
    let admin_password = "trace-Admin-Pass-7731";
    settings.identity.bootstrap_admin = Some(estelam_runtime::config::BootstrapAdmin {
        national_code: "1234567891".into(),
        first_name: "مدیر".into(),
        last_name: "آزمون".into(),
        mobile: "09120000000".into(),
        password: Some(SecretString::from(admin_password.to_owned())),
    });
    let running = estelam::start(settings, estelam::SystemAddrs::ephemeral(), shutdown)
        .await
        .unwrap_or_else(|e| panic!("{label}: the system starts: {e:#}"));
    let admin = log_in(running.settings(), "1234567891", admin_password).await;
    let people = estelam::create_demo_people(running.settings(), admin)
        .await
        .unwrap_or_else(|e| panic!("{label}: demo people: {e:#}"));
    (running, people)
}

/// One inquiry with debt, through HTTP, in the trace `trace`; returns the inquiry id once
/// it is issued.
async fn walk_one_inquiry(
    label: &str,
    running: &estelam::RunningSystem,
    people: &DemoPeople,
    trace: TraceId,
) -> String {
    let owing = people
        .citizens
        .iter()
        .find(|c| c.has_debt)
        .expect("a demo citizen with debt");
    let token = log_in(running.settings(), &owing.national_code, &owing.password).await;
    let c = Client::new(running.gateway_url.clone(), trace);

    let types = c.get("/api/v1/request-types", &token).await;
    let transfer = types["request_types"]
        .as_array()
        .expect("types")
        .iter()
        .find(|t| t["code"] == "property-transfer")
        .expect("the seeded property transfer")
        .clone();
    let undertakings: Vec<Value> = transfer["undertakings"]
        .as_array()
        .expect("undertakings")
        .iter()
        .map(|u| u["undertaking_version_id"].clone())
        .collect();
    let inq = c
        .post(
            "/api/v1/inquiries",
            &token,
            json!({"request_type_code": "property-transfer", "client_request_id": rid()}),
        )
        .await;
    let id = inq["inquiry_id"].as_str().expect("id").to_owned();
    let base = format!("/api/v1/inquiries/{id}");
    let inq = c
        .put(
            &format!("{base}/undertakings"),
            &token,
            json!({"expected_version": inq["version"], "client_request_id": rid(),
                   "undertaking_version_ids": undertakings}),
        )
        .await;
    let inq = c
        .put(
            &format!("{base}/property"),
            &token,
            json!({"expected_version": inq["version"], "client_request_id": rid(),
                   "renovation_code": owing.renovation_code,
                   "request_number": owing.request_number}),
        )
        .await;
    let inq = c
        .put(
            &format!("{base}/letter"),
            &token,
            json!({"expected_version": inq["version"], "client_request_id": rid(),
                   "letter_number": "۱۲۳/ن/۴۵", "letter_date_jalali": "1403/05/12",
                   "authority_organization_id": people.authority.organization_id}),
        )
        .await;
    let card = c
        .upload(
            &token,
            "national_id_card",
            "card.png",
            "image/png",
            fixtures::png(320, 200),
        )
        .await;
    let deed = c
        .upload(
            &token,
            "ownership_deed",
            "deed.pdf",
            "application/pdf",
            fixtures::pdf("", 2_000),
        )
        .await;
    let inq = c
        .put(
            &format!("{base}/documents"),
            &token,
            json!({"expected_version": inq["version"], "client_request_id": rid(),
                   "document_ids": [card, deed]}),
        )
        .await;
    let inq = c
        .put(
            &format!("{base}/applicant"),
            &token,
            json!({"expected_version": inq["version"], "client_request_id": rid(),
                   "full_name": owing.name, "national_code": owing.national_code,
                   "ownership_type": owing.ownership_type}),
        )
        .await;
    let submitted = c
        .post(
            &format!("{base}/submit"),
            &token,
            json!({"expected_version": inq["version"], "client_request_id": rid()}),
        )
        .await;
    assert_eq!(
        submitted["inquiry"]["state"], "awaiting_payment",
        "{label}: {submitted}"
    );
    let payment = c
        .post(
            &format!("{base}/payments"),
            &token,
            json!({"expected_version": submitted["inquiry"]["version"],
                   "client_request_id": rid(),
                   "return_url": format!("https://estelam.example/inquiries/{id}")}),
        )
        .await;
    let redirect = payment["redirect_url"].as_str().expect("redirect_url");
    let psp_token = redirect
        .split_once("token=")
        .map(|(_, t)| t.split('&').next().unwrap_or(t))
        .unwrap_or_else(|| panic!("{label}: a sandbox payment URL: {redirect}"))
        .to_owned();
    // The payer presses "pay" on the sandbox PSP's page (a form post, in the same trace).
    let response = c
        .http
        .post(format!("{}/psp/pay", c.url))
        .header("traceparent", &c.traceparent)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={psp_token}&choice=pay"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{label}");

    // Issued by the debt-cleared event; poll with a deadline.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let now = c.get(&base, &token).await;
        if now["state"] == "issued" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{label}: never issued: {now}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    id
}

/// The parts every inquiry with debt touches, in one trace.
const EXPECTED: &[&str] = &[
    "http",
    "grpc estelam.inquiry.v1.InquiryService",
    "grpc estelam.property.v1.PropertyService",
    "grpc estelam.documents.v1.DocumentService",
    "grpc estelam.identity.v1.IdentityService",
    "grpc estelam.fees.v1.FeeService",
    "publish fees.debt.cleared",
    "consume fees.debt.cleared",
    "publish inquiry.answer.issued",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_inquiry_is_one_trace_across_every_service_and_the_bus() {
    let spans = collector();
    let mut buses: Vec<(&str, Option<String>)> = vec![("in-process bus", None)];
    if let Some(url) = estelam_runtime::testing::amqp_url() {
        buses.push(("RabbitMQ", Some(url)));
    }
    for (label, amqp) in buses {
        let data = tempfile::tempdir().expect("temp dir");
        let shutdown = CancellationToken::new();
        let (running, people) = system(label, amqp, &data, shutdown.clone()).await;
        let trace = TraceId::from_bytes(rand::random::<[u8; 16]>());
        walk_one_inquiry(label, &running, &people, trace).await;

        // The issue and its event happen in the consumer; their spans end a moment after
        // the state is visible: wait for the last one (poll with a deadline).
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        let seen = loop {
            let seen = parts(&spans.of_trace(trace));
            if EXPECTED.iter().all(|p| seen.contains(*p)) || tokio::time::Instant::now() > deadline
            {
                break seen;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let missing: Vec<&&str> = EXPECTED.iter().filter(|p| !seen.contains(**p)).collect();
        assert!(
            missing.is_empty(),
            "{label}: not in the inquiry's trace: {missing:?}; in it: {seen:?}"
        );
        // And the consumer that issued the answer continued that trace (its parent is in
        // it), rather than starting one that merely shares the id by chance.
        let in_trace = spans.of_trace(trace);
        let ids: HashSet<_> = in_trace.iter().map(|s| s.span_context.span_id()).collect();
        let consume = in_trace
            .iter()
            .find(|s| s.name == "consume")
            .expect("the consume span");
        assert!(
            ids.contains(&consume.parent_span_id),
            "{label}: the consume span's parent is a span of the same inquiry"
        );
        shutdown.cancel();
        running.wait().await.expect("the system stops cleanly");
    }
}
