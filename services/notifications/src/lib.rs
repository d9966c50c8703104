//! Notifications service: tells the people concerned what happened, by SMS and e-mail, in
//! their language — a bill waiting, a payment received, an answer issued or revoked, an
//! inquiry filed in their name, a new login to their account.
//!
//! * **Events in, through the inbox** ([`events`]): the service consumes fees, inquiry and
//!   identity events on its own durable queue; each becomes a *notice* in the same
//!   transaction as its inbox row, so a redelivered event has no second effect.
//! * **Whom to tell** ([`directory`]): events carry ids; the sender asks the inquiry service
//!   for an inquiry's applicant and identity for the person's name and verified mobile,
//!   over gRPC with this service's own machine token. The e-mail address and the language
//!   are the person's own preferences, kept here.
//! * **Preferences** ([`service::preferences`]): channels per kind of event, e-mail
//!   address, language; by gRPC and the gateway's `/api/v1/me/notification-preferences`.
//! * **Sending** ([`service::sender`]): one delivery per (event, channel), unique in the
//!   store; each handed to a [`providers::Provider`] (log, SMTP, HTTP SMS gateway) with
//!   retries at a doubling pause; every delivery is the audit of what was sent (event,
//!   channel, provider id, status), which a person lists with `ListDeliveries`.
//!
//! Where things are: `api.rs` (gRPC), `service/` (preferences, sender), `store/` (notices,
//! deliveries, preferences), `rules.rs` (kinds, channels, the words of every message),
//! `providers/`, `errors.rs`, `events.rs`, `metrics.rs`.

pub mod api;
pub mod directory;
pub mod errors;
pub mod events;
pub mod metrics;
pub mod providers;
pub mod rules;
pub mod service;
pub mod store;

use std::sync::Arc;

use estelam_proto::notifications::v1::notification_service_server::NotificationServiceServer;
use estelam_runtime::db::Migrations;
use estelam_runtime::grpc::GrpcServer;
use estelam_runtime::host::ServiceContext;

pub use providers::log::LogOutbox;
pub use service::Notifications;

/// The service's name: config key, schema, SQLite file and log field.
pub const SERVICE: &str = "notifications";

/// The fully-qualified gRPC service name, for health and reflection.
pub const GRPC_SERVICE: &str = "estelam.notifications.v1.NotificationService";

/// The service's schema migrations, one set per backend.
pub fn migrations() -> Migrations {
    Migrations {
        sqlite: sqlx::migrate!("./migrations/sqlite"),
        postgres: sqlx::migrate!("./migrations/postgres"),
    }
}

/// Builds the service's gRPC server with the providers `notifications.*` names.
pub async fn build(ctx: &ServiceContext) -> anyhow::Result<GrpcServer> {
    Ok(build_with_log(ctx).await?.0)
}

/// [`build`], also returning what the log providers "sent" (`estelam run` and the tests read
/// messages from it).
pub async fn build_with_log(ctx: &ServiceContext) -> anyhow::Result<(GrpcServer, LogOutbox)> {
    let log = LogOutbox::default();
    let providers = providers::Providers::from_settings(&ctx.settings.notifications, &log)?;
    let bearer = estelam_runtime::auth::service_bearer(&ctx.settings)?;
    let directory = Arc::new(directory::GrpcDirectory::new(&ctx.settings, bearer)?);
    let service = Notifications::new(
        ctx.db.clone(),
        ctx.settings.notifications.clone(),
        providers,
        directory,
    );
    events::spawn_intake(
        ctx.db.clone(),
        ctx.bus.clone(),
        &ctx.settings.notifications.queue,
        ctx.settings.bus.prefetch,
        ctx.settings.bus.delivery_limit,
        service.wake(),
        ctx.shutdown.clone(),
    )
    .await?;
    tokio::spawn(service.clone().run_sender(ctx.shutdown.clone()));
    let routes =
        tonic::service::Routes::new(NotificationServiceServer::new(api::Api::new(service)));
    let server = GrpcServer::new(
        SERVICE,
        routes,
        ctx.settings.grpc.clone(),
        ctx.verifier.clone(),
    )
    .describe(estelam_proto::FILE_DESCRIPTOR_SET)
    .hosts(GRPC_SERVICE);
    Ok((server, log))
}
