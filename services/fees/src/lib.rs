//! Fee-and-debt service: levies as data, itemised bills, payments with tracking codes,
//! debt-clearance events.
//!
//! * [`tariff`]: tariffs as data, versioned by Jalali year, land use, zone and effective
//!   date; [`seed`] loads demo figures.
//! * [`assess`]: the bill as a pure function of tariffs, parcel facts, ledger and instant;
//!   its module docs say which years are owed and how amounts are rounded.
//! * [`service`]: the operations, each one transaction: the append-only ledger per parcel
//!   (debt follows the property), payments, clearance; events through the outbox in the
//!   same transaction as the ledger change.
//! * [`psp`]: the payment-provider trait and the sandbox PSP, with what the gateway needs to
//!   serve the sandbox's `/psp` pages.
//! * [`parcels`]: parcel facts from the property service over gRPC.
//! * [`accounts`]: inquiry fees charged to an inquiring authority's account, not a parcel.
//! * [`api`]: the gRPC handlers; [`store`]: the SQL.
//!
//! The launcher calls [`build`]; tests call [`build_with`] to choose the clock, the parcel
//! facts and the token the service calls the property service with.

pub mod accounts;
pub mod api;
pub mod assess;
pub mod clock;
pub mod events;
pub mod parcels;
pub mod psp;
pub mod seed;
pub mod service;
pub mod store;
pub mod tariff;

use std::sync::Arc;
use std::time::Duration;

use estelam_proto::fees::v1::fee_service_server::FeeServiceServer;
use estelam_runtime::db::Migrations;
use estelam_runtime::grpc::GrpcServer;
use estelam_runtime::host::ServiceContext;

use crate::clock::{Clock, SystemClock};
use crate::parcels::{BearerSource, GrpcParcelFacts, ParcelFacts};
use crate::psp::SandboxPsp;
use crate::service::Fees;

/// The service's name: config key, schema, SQLite file and log field.
pub const SERVICE: &str = "fees";

/// The service's schema migrations, one set per backend.
pub fn migrations() -> Migrations {
    Migrations {
        sqlite: sqlx::migrate!("./migrations/sqlite"),
        postgres: sqlx::migrate!("./migrations/postgres"),
    }
}

/// What [`build_with`] lets a caller choose; [`Dependencies::production`] is what
/// [`build`] uses.
pub struct Dependencies {
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// Where parcel facts come from.
    pub parcel_facts: Arc<dyn ParcelFacts>,
}

impl Dependencies {
    /// The system clock and the property service at `settings.endpoints.property`, called
    /// with the token `bearer` supplies.
    pub fn production(ctx: &ServiceContext, bearer: Arc<dyn BearerSource>) -> anyhow::Result<Self> {
        let channel =
            estelam_runtime::grpc::channel(&ctx.settings.endpoints.property, &ctx.settings.grpc)?;
        Ok(Self {
            clock: Arc::new(SystemClock),
            parcel_facts: Arc::new(GrpcParcelFacts::new(channel, bearer)),
        })
    }
}

/// Builds the service's gRPC server from the shared context: seeds the demo data when
/// configured, starts the outbox relay and the reconciliation job (both stop with
/// `ctx.shutdown`).
/// Calls to the property service carry this service's own token (`auth.client_id`).
pub async fn build(ctx: &ServiceContext) -> anyhow::Result<GrpcServer> {
    let bearer = estelam_runtime::auth::service_bearer(&ctx.settings)?;
    build_with(ctx, Dependencies::production(ctx, bearer)?).await
}

/// [`build`] with chosen dependencies.
pub async fn build_with(ctx: &ServiceContext, deps: Dependencies) -> anyhow::Result<GrpcServer> {
    let fees = operations(ctx, deps).await?;
    spawn_reconciliation(fees.clone(), ctx);
    let routes = tonic::service::Routes::new(FeeServiceServer::new(api::Api::new(fees)));
    Ok(GrpcServer::new(
        SERVICE,
        routes,
        ctx.settings.grpc.clone(),
        ctx.verifier.clone(),
    )
    .describe(estelam_proto::FILE_DESCRIPTOR_SET)
    .hosts("estelam.fees.v1.FeeService"))
}

/// The operations behind the API, with the sandbox PSP and a running outbox relay, and
/// the demo data seeded when configured.
pub async fn operations(ctx: &ServiceContext, deps: Dependencies) -> anyhow::Result<Arc<Fees>> {
    let settings = ctx.settings.fees.clone();
    if settings.seed_demo_data {
        seed::seed_demo(&ctx.db, deps.clock.now_us())
            .await
            .map_err(|e| anyhow::anyhow!("seeding the demo tariffs: {e}"))?;
    }
    let secret = match settings.psp_shared_secret.clone() {
        Some(secret) => secret,
        None => psp::stored_sandbox_secret(&ctx.db).await?,
    };
    let sandbox = Arc::new(SandboxPsp::new(
        ctx.db.clone(),
        secret,
        settings.psp_base_url.clone(),
    ));
    let relay = ctx.start_outbox_relay();
    Ok(Arc::new(
        Fees::new(
            ctx.db.clone(),
            deps.clock,
            deps.parcel_facts,
            Vec::new(),
            settings,
        )
        .with_sandbox(sandbox)
        .with_relay(relay),
    ))
}

/// Runs reconciliation every `reconcile_interval_secs` until shutdown.
fn spawn_reconciliation(fees: Arc<Fees>, ctx: &ServiceContext) {
    let shutdown = ctx.shutdown.clone();
    let settings = fees.settings().clone();
    if settings.reconcile_interval_secs == 0 {
        return;
    }
    tokio::spawn(async move {
        let every = Duration::from_secs(settings.reconcile_interval_secs);
        let pending_for = i64::try_from(settings.reconcile_pending_after_secs)
            .unwrap_or(i64::MAX / 1_000_000)
            .saturating_mul(1_000_000);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
            match fees
                .reconcile(pending_for, i64::from(settings.reconcile_batch))
                .await
            {
                Ok(done) if done.checked > 0 => tracing::info!(?done, "payments reconciled"),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "payment reconciliation failed"),
            }
        }
    });
}
