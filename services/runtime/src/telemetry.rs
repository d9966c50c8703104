//! Logs and traces.
//!
//! Logs go through `tracing` to standard output, as compact readable lines when that is a
//! terminal and JSON lines (for collectors) otherwise, unless `telemetry.log_format` chooses
//! one (see [`LogFormat`]). When an OTLP endpoint is configured
//! (`OTEL_EXPORTER_OTLP_ENDPOINT`), spans are also exported over OTLP/gRPC. W3C trace context
//! (`traceparent`, `tracestate`) is carried across every hop: gRPC metadata and AMQP
//! headers, through the [`inject`] and [`extract`] helpers over any string map, so one
//! inquiry is one trace from the gateway to the last consumer.

use std::collections::BTreeMap;
use std::io::IsTerminal as _;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogFormat, TelemetrySettings};

/// Keeps the trace exporter alive; flushes pending spans when dropped at shutdown.
#[must_use = "dropping the guard stops trace export"]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(err) = provider.shutdown()
        {
            eprintln!("trace exporter did not flush: {err}");
        }
    }
}

/// Installs the global subscriber and propagator. Call once, first thing in `main`; a
/// second call (as in tests) leaves the first subscriber in place.
pub fn init(settings: &TelemetrySettings, service_name: &str) -> anyhow::Result<TelemetryGuard> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let filter =
        EnvFilter::try_from_default_env().or_else(|_| EnvFilter::try_new(&settings.log_filter))?;
    // The log lines go to standard output, so that is the stream whose terminal decides.
    let format = settings.log_format.resolve(std::io::stdout().is_terminal());
    let fmt_layer = match format {
        LogFormat::Pretty => tracing_subscriber::fmt::layer().compact().boxed(),
        LogFormat::Json | LogFormat::Auto => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .boxed(),
    };
    let (otel_layer, provider) = match &settings.otlp_endpoint {
        Some(endpoint) => {
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint.clone())
                .build()?;
            let provider = SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(
                    opentelemetry_sdk::Resource::builder()
                        .with_service_name(service_name.to_owned())
                        .build(),
                )
                .build();
            opentelemetry::global::set_tracer_provider(provider.clone());
            let tracer = provider.tracer("estelam");
            (
                Some(tracing_opentelemetry::layer().with_tracer(tracer)),
                Some(provider),
            )
        }
        None => (None, None),
    };
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt_layer)
        .with(otel_layer)
        .try_init();
    Ok(TelemetryGuard { provider })
}

struct MapInjector<'a>(&'a mut BTreeMap<String, String>);

impl Injector for MapInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
}

struct MapExtractor<'a>(&'a BTreeMap<String, String>);

impl Extractor for MapExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

/// Writes the current span's trace context into `headers` (AMQP headers, outbox rows).
pub fn inject(headers: &mut BTreeMap<String, String>) {
    let cx = tracing::Span::current().context();
    TraceContextPropagator::new().inject_context(&cx, &mut MapInjector(headers));
}

/// Makes the trace context in `headers` the parent of `span`.
pub fn extract(headers: &BTreeMap<String, String>, span: &tracing::Span) {
    let cx = TraceContextPropagator::new().extract(&MapExtractor(headers));
    let _ = span.set_parent(cx);
}

struct HeaderInjector<'a>(&'a mut http::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// Writes the current span's trace context into HTTP/2 headers (gRPC metadata).
pub fn inject_http(headers: &mut http::HeaderMap) {
    let cx = tracing::Span::current().context();
    TraceContextPropagator::new().inject_context(&cx, &mut HeaderInjector(headers));
}

/// Makes the trace context in HTTP headers the parent of `span`.
pub fn extract_http(headers: &http::HeaderMap, span: &tracing::Span) {
    let cx = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
    let _ = span.set_parent(cx);
}
