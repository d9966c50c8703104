//! Inquiry service: the nine steps of the property inquiry (استعلام ملک) as a durable
//! workflow, and the signed answer (پاسخ استعلام).
//!
//! Where to look:
//!
//! * [`api`]: the gRPC service; authenticates, unwraps and delegates, nothing else.
//! * [`engine`]: every use case, from a checked caller to a committed change: one module
//!   per group (request types, filing, the steps, Submit, issuing, recovery, payment,
//!   cancelling, answers, queries), the idempotent write and the one save they share. The
//!   other services are reached only through the [`ports`].
//! * Rules with no I/O: [`workflow`] (the state machine and why a state changed),
//!   [`access`] (who may see and act), [`request_types`] (request types as data, with the
//!   seeded four), [`request_type_publish`] (what publishing one checks against this
//!   year's tariffs), [`wizard`] (what the editor previews of a type), [`answer`] (the facts, their canonical JSON and Ed25519 signature, and a
//!   verification's verdict), [`dates`] (the instants an answer states).
//! * [`review`]: the clerks' review of a name or ownership-type mismatch at the applicant
//!   step, and the one queue it shares with representatives' filings.
//! * [`errors`]: every refusal, with its reason and what to do, in Persian and English.
//! * [`model`]: the inquiry as stored; [`store`]: SQL, one file per aggregate.
//! * [`events`]: `fees.debt.cleared` through the runtime inbox issues waiting answers;
//!   the events the service publishes. [`metrics`]: submit → issue time.
//! * [`webhooks`]: organisations' endpoints, and the signed, retried deliveries of the
//!   events that concern them (Standard Webhooks), written with the events themselves.
//! * [`render`]: the certificate as a printable, phone-friendly HTML page and as a PDF
//!   (typst, Vazirmatn, the municipality's emblem, QR code);
//!   [`key_seal`]: the signing keys encrypted at rest.
//!
//! The crate exposes [`SERVICE`], its [`migrations`] and [`build`], which the launcher uses
//! to host it; [`build_with`] takes the ports explicitly (tests use fakes).

pub mod access;
pub mod answer;
pub mod api;
pub mod certificate;
pub mod clock;
pub mod dates;
pub mod engine;
pub mod errors;
pub mod events;
pub mod key_seal;
pub mod metrics;
pub mod model;
pub mod ports;
pub mod render;
pub mod representation;
pub mod request_type_publish;
pub mod request_types;
pub mod review;
pub mod store;
pub mod webhooks;
pub mod wizard;
pub mod workflow;

use std::sync::Arc;
use std::time::Duration;

use estelam_proto::inquiry::v1::inquiry_service_server::InquiryServiceServer;
use estelam_runtime::db::Migrations;
use estelam_runtime::grpc::GrpcServer;
use estelam_runtime::host::ServiceContext;

use crate::engine::Engine;
use crate::ports::Ports;

/// The service's name: config key, schema, SQLite file and log field.
pub const SERVICE: &str = "inquiry";

/// The service's schema migrations, one set per backend.
pub fn migrations() -> Migrations {
    Migrations {
        sqlite: sqlx::migrate!("./migrations/sqlite"),
        postgres: sqlx::migrate!("./migrations/postgres"),
    }
}

/// Builds the service's gRPC server from the shared context, reaching the other services
/// over gRPC at `settings.endpoints` with this service's own token (`auth.client_id`).
pub async fn build(ctx: &ServiceContext) -> anyhow::Result<GrpcServer> {
    let bearer = estelam_runtime::auth::service_bearer(&ctx.settings)?;
    build_with(ctx, Ports::grpc(&ctx.settings, bearer)?).await
}

/// Builds the service over the given ports: prepares the store (seeded request types,
/// signing key), subscribes to `fees.debt.cleared`, starts the outbox relay, the webhook
/// delivery worker, the recovery sweep (one runs now) and the batch worker, all stopping
/// with `ctx.shutdown`.
pub async fn build_with(ctx: &ServiceContext, ports: Ports) -> anyhow::Result<GrpcServer> {
    metrics::register();
    let relay = ctx.start_outbox_relay();
    let settings = ctx.settings.inquiry.clone();
    let seal = key_seal::load(
        settings.signing_key_encryption_key.as_ref(),
        settings.signing_key_encryption_key_previous.as_ref(),
        &ctx.settings.data_dir,
    )?;
    let letterhead = render::Letterhead::from_settings(
        &settings.municipality_fa,
        &settings.municipality_en,
        settings.emblem_svg_path.as_deref(),
    )?;
    let engine = Arc::new(Engine::new(
        ctx.db.clone(),
        ports,
        settings.clone(),
        Some(relay),
        seal,
        letterhead,
    ));
    engine.prepare().await.map_err(|e| match e.cause {
        // Say what failed (e.g. a key-encryption key that does not open the stored keys).
        Some(cause) => {
            cause.context("preparing the inquiry store (request types, answer-signing keys)")
        }
        None => anyhow::anyhow!("preparing the inquiry store: {e}"),
    })?;
    events::spawn_consumer(
        engine.clone(),
        ctx.bus.clone(),
        &settings.debt_cleared_queue,
        ctx.settings.bus.prefetch,
        ctx.settings.bus.delivery_limit,
        ctx.shutdown.clone(),
    )
    .await?;
    let webhooks = std::sync::Arc::new(webhooks::worker::Worker::new(engine.clone())?);
    tokio::spawn(webhooks.run(ctx.shutdown.clone()));
    tokio::spawn(engine.clone().run_recovery(
        Duration::from_secs(settings.recovery_interval_secs.max(1)),
        ctx.shutdown.clone(),
    ));
    tokio::spawn(engine.clone().run_batches(ctx.shutdown.clone()));
    let routes = tonic::service::Routes::new(InquiryServiceServer::new(api::Api::new(engine)));
    Ok(GrpcServer::new(
        SERVICE,
        routes,
        ctx.settings.grpc.clone(),
        ctx.verifier.clone(),
    )
    .describe(estelam_proto::FILE_DESCRIPTOR_SET)
    .hosts("estelam.inquiry.v1.InquiryService"))
}
