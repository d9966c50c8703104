//! Property and GIS service: parcels, owners, request numbers and the map.
//!
//! * [`api`]: the gRPC handlers: who may call what, protobuf in and out.
//! * [`service`]: the use cases, one module per group (parcels, applicants, map, request
//!   numbers, import); [`errors`]: every refusal, in Persian and English.
//! * [`registry`]: the store and the in-memory map index kept in step; every parcel write
//!   goes through it. [`store`]: SQL, one file per aggregate.
//! * The rules with no I/O: parcels, ownership, outlines and the index are the crate
//!   `estelam-parcel-geo` (imported by that name); [`request_number`] and [`features`] (the
//!   GeoJSON a map reads) are here.
//! * [`city`]: the deterministic synthetic city; [`seed`] writes it (and the demo fixtures).
//!
//! The launcher uses [`SERVICE`], [`migrations`], [`build`], [`seed::seed_city`],
//! [`seed::load_demo_city_if_empty`] and [`import::import_geojson`] (with a [`Registry`]).

pub mod api;
pub mod city;
pub mod errors;
pub mod features;
pub mod registry;
pub mod request_number;
pub mod seed;
pub mod service;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use estelam_proto::property::v1::property_service_server::PropertyServiceServer;
use estelam_runtime::db::Migrations;
use estelam_runtime::grpc::GrpcServer;
use estelam_runtime::host::ServiceContext;

pub use registry::{Clock, Registry, system_clock};
/// `estelam import parcels` calls [`import::import_geojson`] by this path.
pub use service::import;

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
        registry.clone().keep_in_step(
            Duration::from_millis(settings.index_refresh_ms),
            ctx.shutdown.clone(),
        );
    }
    let api = api::Api::new(service::Property::new(registry, settings));
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
