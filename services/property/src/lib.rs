//! Property and GIS service: parcels, owners, request numbers and the map.
//!
//! The crate exposes [`SERVICE`], its [`migrations`] and [`build`], which the launcher
//! uses to host it; its gRPC API arrives with the service's own work.

use estelam_runtime::db::Migrations;
use estelam_runtime::grpc::GrpcServer;
use estelam_runtime::host::ServiceContext;

/// The service's name: config key, schema, SQLite file and log field.
pub const SERVICE: &str = "property";

/// The service's schema migrations, one set per backend.
pub fn migrations() -> Migrations {
    Migrations {
        sqlite: sqlx::migrate::Migrator::DEFAULT,
        postgres: sqlx::migrate::Migrator::DEFAULT,
    }
}

/// Builds the service's gRPC server from the shared context.
pub async fn build(ctx: &ServiceContext) -> anyhow::Result<GrpcServer> {
    let routes = tonic::service::Routes::builder().routes();
    Ok(GrpcServer::new(
        SERVICE,
        routes,
        ctx.settings.grpc.clone(),
        ctx.verifier.clone(),
    ))
}
