//! Property and GIS service: parcels, owners, request numbers and the map.
//!
//! * [`parcel`], [`ownership`], [`geometry`]: the rules, no I/O, from `estelam-parcel-geo`
//!   (re-exported here under their old paths); [`request_number`].
//! * [`index`]: the in-memory R-tree behind `PickAt` and `ParcelsInBox` (also from
//!   `estelam-parcel-geo`).
//! * [`registry`]: the store and the index kept in step; every write goes through it.
//! * [`store`]: SQL. [`api`]: the gRPC handlers.
//! * [`city`]: the deterministic synthetic city; [`seed`] writes it (and the demo fixtures);
//!   [`import`] loads a municipality's GeoJSON layer.
//!
//! The launcher uses [`SERVICE`], [`migrations`], [`build`], [`seed::seed_city`],
//! [`seed::load_demo_city_if_empty`] and [`import::import_geojson`].

pub mod api;
pub mod city;
pub mod features;
pub mod import;
pub mod paging;
pub mod registry;
pub mod request_number;
pub mod seed;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use estelam_proto::property::v1::property_service_server::PropertyServiceServer;
use estelam_runtime::db::Migrations;
use estelam_runtime::grpc::GrpcServer;
use estelam_runtime::host::ServiceContext;

pub use estelam_parcel_geo::{geometry, index, ownership, parcel};
pub use registry::{Clock, Registry, system_clock};

/// The service's name: config key, schema, SQLite file and log field.
pub const SERVICE: &str = "property";

/// The fully-qualified gRPC service name, for health and reflection.
pub const GRPC_SERVICE: &str = "estelam.property.v1.PropertyService";

/// The service's schema migrations, one set per backend.
pub fn migrations() -> Migrations {
    Migrations {
        sqlite: sqlx::migrate!("./migrations/sqlite"),
        postgres: sqlx::migrate!("./migrations/postgres"),
    }
}

/// Builds the service's gRPC server from the shared context, on the real clock.
pub async fn build(ctx: &ServiceContext) -> anyhow::Result<GrpcServer> {
    build_with_clock(ctx, system_clock()).await
}

/// Builds the service with a given clock (tests move time forward to expire request
/// numbers without sleeping). Loads the map index from the store, and keeps it in step with
/// writes made by other processes every `property.index_refresh_ms`.
pub async fn build_with_clock(ctx: &ServiceContext, clock: Clock) -> anyhow::Result<GrpcServer> {
    let settings = ctx.settings.property.clone();
    settings.validate()?;
    let registry = Arc::new(Registry::open(ctx.db.clone(), clock).await?);
    if settings.index_refresh_ms > 0 {
        let registry = registry.clone();
        let shutdown = ctx.shutdown.clone();
        let every = Duration::from_millis(settings.index_refresh_ms);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    _ = tick.tick() => {}
                }
                match registry.catch_up().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(
                        versions = n,
                        "map index caught up with writes from elsewhere"
                    ),
                    Err(err) => tracing::warn!(error = %err, "could not refresh the map index"),
                }
            }
        });
    }
    let api = api::Api::new(registry, settings);
    let routes = tonic::service::Routes::new(PropertyServiceServer::new(api));
    Ok(GrpcServer::new(
        SERVICE,
        routes,
        ctx.settings.grpc.clone(),
        ctx.verifier.clone(),
    )
    .describe(estelam_proto::FILE_DESCRIPTOR_SET)
    .hosts(GRPC_SERVICE))
}
