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
use estelam_runtime::config::Settings;
use estelam_runtime::testing::eventually;
use opentelemetry::trace::{TraceId, TracerProvider as _};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use secrecy::SecretString;
use serde_json::json;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

mod support;

use support::accounts;
use support::nine_steps::http::{Applicant, Application, Filing};
use support::nine_steps::{LETTER_DATE, LETTER_NUMBER};

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
    accounts::bootstrap_admin(&mut settings);
    let running = estelam::start(settings, estelam::SystemAddrs::ephemeral(), shutdown)
        .await
        .unwrap_or_else(|e| panic!("{label}: the system starts: {e:#}"));
    let (_, people) = accounts::demo_people(running.settings()).await;
    (running, people)
}

/// One inquiry with debt, through HTTP, in the trace `trace`: the nine steps, the bill and
/// the sandbox payment page, until the answer is issued.
async fn walk_one_inquiry(running: &estelam::RunningSystem, people: &DemoPeople, trace: TraceId) {
    let owing = people
        .citizens
        .iter()
        .find(|c| c.has_debt)
        .expect("a demo citizen with debt");
    let token = accounts::log_in(running.settings(), &owing.national_code, &owing.password).await;
    // Sampled, from a client span of the test's own.
    let applicant = Applicant::new(&running.gateway_url, &token)
        .in_trace(format!("00-{trace}-00f067aa0ba902b7-01"));
    let transfer = applicant.request_type("property-transfer").await;
    let mut filing = Filing::open(&applicant, &transfer).await;
    let documents = vec![
        applicant
            .upload_ok(
                "national_id_card",
                "card.png",
                "image/png",
                fixtures::png(320, 200),
            )
            .await,
        applicant
            .upload_ok(
                "ownership_deed",
                "deed.pdf",
                "application/pdf",
                fixtures::pdf("", 2_000),
            )
            .await,
    ];
    filing
        .complete(&Application {
            location: json!({"renovation_code": owing.renovation_code}),
            request_number: owing.request_number.clone(),
            letter: (
                LETTER_NUMBER.into(),
                LETTER_DATE.into(),
                people.authority.organization_id.clone(),
            ),
            documents,
            full_name: owing.name.clone(),
            national_code: owing.national_code.clone(),
            ownership_type: owing.ownership_type.clone(),
        })
        .await;
    let submitted = filing
        .submit()
        .await
        .unwrap_or_else(|r| panic!("submit: {r}"));
    assert_eq!(
        submitted["inquiry"]["state"], "awaiting_payment",
        "{submitted}"
    );
    // Issued by the debt-cleared event the payment causes.
    filing.pay_and_wait().await;
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
        walk_one_inquiry(&running, &people, trace).await;

        // The issue and its event happen in the consumer; their spans end a moment after
        // the state is visible: wait for the last one.
        eventually(
            &format!("{label}: every part of the inquiry's work in its trace"),
            Duration::from_secs(20),
            async || {
                let seen = parts(&spans.of_trace(trace));
                let missing: Vec<&str> = EXPECTED
                    .iter()
                    .copied()
                    .filter(|p| !seen.contains(*p))
                    .collect();
                if missing.is_empty() {
                    Ok(())
                } else {
                    Err(format!("missing {missing:?}; in it: {seen:?}"))
                }
            },
        )
        .await;
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
