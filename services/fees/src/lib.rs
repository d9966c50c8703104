//! Fee-and-debt service: levies as data, itemised bills, payments with tracking codes,
//! debt-clearance events.
//!
//! ```text
//! gRPC ──► api.rs ──────────► service/{assess, payments, ledger, tariffs, accounts}
//!          protobuf ↔ domain    │  rules: assess.rs, tariff.rs (pure, no I/O)
//!                               │  calls: psp.rs (payment providers), parcels.rs (property)
//!                               └────► store/ (SQL, one module per aggregate), and
//!                                      events.rs into the outbox in the same transaction
//! refusals: errors.rs                  enums tied to the protobuf enums: codes.rs
//! ```
//!
//! * [`tariff`]: tariffs as data, versioned by Jalali year, land use, zone and effective
//!   date; [`seed`] loads demo figures.
//! * [`assess`]: the bill as a pure function of tariffs, parcel facts, ledger and instant;
//!   its module docs say which years are owed and how amounts are rounded.
//! * [`service`]: the operations, each one transaction: the append-only ledger per parcel
//!   (debt follows the property), payments, clearance, authority accounts; events through
//!   the outbox in the same transaction as the ledger change.
//! * [`psp`]: the payment-provider trait and the sandbox PSP, with what the gateway needs to
//!   serve the sandbox's `/psp` pages.
//! * [`returns`]: where a payer may be sent back after the bank: only home. A payment's
//!   `return_url` is a path on the portal (resolved against `fees.public_base_url`, which
//!   follows `gateway.public_base_url`) or a URL on the portal's origin or on one in
//!   `fees.return_origins`; anything else is refused (`RETURN_URL_NOT_ALLOWED`), since the
//!   bank hands the payment id, status and tracking code to wherever it sends the payer.
//!   The stored URL is checked again when the bank sends the payer back.
//! * [`parcels`]: parcel facts from the property service over gRPC.
//! * [`api`]: the gRPC handlers; [`store`]: the SQL; [`errors`]: the refusals; [`codes`]:
//!   the stored enum numbers and their wire names.
//!
//! The launcher calls [`build`]; tests call [`build_with`] to choose the clock, the parcel
//! facts and the token the service calls the property service with.

pub mod api;
pub mod assess;
pub mod clock;
pub mod codes;
pub mod errors;
pub mod events;
pub mod parcels;
pub mod psp;
pub mod returns;
pub mod seed;
pub mod service;
pub mod store;
pub mod tariff;

use estelam_proto::fees::v1::fee_service_server::FeeServiceServer;
use estelam_runtime::db::Migrations;
use estelam_runtime::grpc::GrpcServer;
use estelam_runtime::host::ServiceContext;

pub use crate::service::Dependencies;
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

/// Builds the service's gRPC server from the shared context: seeds the demo data when
/// configured, starts the outbox relay and the reconciliation job (both stop with
/// `ctx.shutdown`). Calls to the property service carry this service's own token
/// (`auth.client_id`).
pub async fn build(ctx: &ServiceContext) -> anyhow::Result<GrpcServer> {
    let bearer = estelam_runtime::auth::service_bearer(&ctx.settings)?;
    build_with(ctx, Dependencies::production(ctx, bearer)?).await
}

/// [`build`] with chosen dependencies.
pub async fn build_with(ctx: &ServiceContext, deps: Dependencies) -> anyhow::Result<GrpcServer> {
    let fees = Fees::start(ctx, deps).await?;
    fees.clone().spawn_reconciliation(ctx.shutdown.clone());
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
