//! The gateway's tower stack, built here and nowhere else. Layers are listed outermost
//! first; each comment says why the layer sits where it does.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::error_handling::HandleErrorLayer;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, Request, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use estelam_runtime::auth::TokenVerifier;
use estelam_runtime::config::GatewaySettings;
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::load_shed::LoadShedLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::limits::{self, RouteLimits};
use crate::password_change;
use crate::rate_limit::{self, RateLimits};
use crate::request_id::{self, RequestId, X_REQUEST_ID};
use crate::security::{self, SecurityHeaders};
use crate::{normalize, problem::ApiError};

/// The span of one HTTP request: its id, and the caller's W3C trace context as parent, so
/// the gRPC calls made inside it (`estelam_runtime::grpc::outgoing`) continue that trace.
fn span_for(request: &Request<Body>) -> tracing::Span {
    let id = request
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.as_str())
        .unwrap_or_default();
    let span = tracing::info_span!(
        "http",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %id,
    );
    estelam_runtime::telemetry::extract_http(request.headers(), &span);
    span
}

/// CORS only when origins are configured; otherwise browsers keep the same-origin rule.
fn cors(settings: &GatewaySettings) -> Option<CorsLayer> {
    if settings.cors_origins.is_empty() {
        return None;
    }
    let origins: Vec<HeaderValue> = settings
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                X_REQUEST_ID.clone(),
                HeaderName::from_static("traceparent"),
                HeaderName::from_static("tracestate"),
            ])
            .expose_headers([X_REQUEST_ID.clone(), header::RETRY_AFTER, header::LOCATION])
            .max_age(Duration::from_secs(600)),
    )
}

/// Compress text; leave alone what is compressed already (fonts, images, PDFs, archives).
fn compressible() -> impl Predicate {
    DefaultPredicate::new()
        .and(NotForContentType::const_new("font/"))
        .and(NotForContentType::const_new("application/pdf"))
        .and(NotForContentType::const_new("application/zip"))
        .and(NotForContentType::const_new("application/octet-stream"))
}

/// A panic in a handler is a defect: a generic 500 problem, the details in the log.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    ApiError::from(estelam_runtime::error::ServiceError::internal(
        anyhow::anyhow!("handler panicked: {what}"),
    ))
    .into_response()
}

/// Wraps `router` (routes and fallback) in the stack.
pub fn apply(
    router: Router,
    settings: &GatewaySettings,
    rate_limits: Arc<RateLimits>,
    verifier: TokenVerifier,
) -> Router {
    let route_limits = RouteLimits::from_settings(settings);
    let stack = ServiceBuilder::new()
        // 1. Request id first: everything below — the span, every problem's `instance`, the
        //    echoed header — needs it, including errors produced by the layers below.
        .layer(from_fn(request_id::assign))
        // 2. Trace next, so every request has a span (even one refused below), whose
        //    parent is the caller's W3C trace context.
        .layer(TraceLayer::new_for_http().make_span_with(span_for))
        // 3. Security headers outside everything that can answer, so that no response —
        //    problem, asset, shell, 429, 504 — leaves without the CSP, nosniff and friends.
        .layer(from_fn_with_state(
            SecurityHeaders::new(settings),
            security::apply,
        ))
        // 4. CORS (only if configured) answers preflights before any limit is spent on them
        //    and adds its headers to every answer below.
        .option_layer(cors(settings))
        // 5. Compression outside the problem writer, so problems, JSON and text assets are
        //    compressed alike; fonts and images are not.
        .layer(CompressionLayer::new().compress_when(compressible()))
        // 6. Any bare error under /api/ (axum's empty 405, …) becomes problem+json here,
        //    after every layer below had its say.
        .layer(from_fn(normalize::problems_only))
        // 7. A panic below becomes a generic 500 problem instead of a dropped connection.
        .layer(CatchPanicLayer::custom(panic_response))
        // 8. The deadline covers everything below, rate-limit checks to the handler's gRPC
        //    calls (which are cancelled when it fires): 504 problem.
        .layer(from_fn_with_state(route_limits, limits::timeout))
        // 9. Overload: past the concurrency limit, refuse at once with 503 + Retry-After
        //    rather than queue work that would time out.
        .layer(HandleErrorLayer::new(limits::shed))
        .layer(LoadShedLayer::new())
        .layer(GlobalConcurrencyLimitLayer::new(settings.concurrency_limit))
        // 10. Rate limits after the concurrency gate is passed cheaply: a refused client
        //     costs one map lookup. 429 + Retry-After.
        .layer(from_fn_with_state(rate_limits, rate_limit::enforce))
        // 10b. An account that must change its password is held to that (403) once it has
        //      been counted, before any body is read or any service called.
        .layer(from_fn_with_state(verifier, password_change::hold))
        // 11. Body limits last before the router, per route (JSON small, upload 12 MiB);
        //     axum's own default limit is switched off so this is the one rule.
        .layer(from_fn_with_state(route_limits, limits::body_limit))
        .layer(DefaultBodyLimit::disable());
    router.layer(stack)
}
