//! The one place that names the service crates: how each is migrated and built. A new
//! service is added here and in `estelam_runtime::config::SERVICES`, and every command that
//! hosts or migrates services picks it up.

use estelam_runtime::config::SERVICES;
use estelam_runtime::db::Migrations;
use estelam_runtime::grpc::GrpcServer;
use estelam_runtime::host::ServiceContext;

/// The migrations of `service`, or an error naming the known services (the command line
/// passes names through unchecked).
pub fn migrations_of(service: &str) -> anyhow::Result<Migrations> {
    Ok(match service {
        "identity" => estelam_identity::migrations(),
        "property" => estelam_property::migrations(),
        "documents" => estelam_documents::migrations(),
        "fees" => estelam_fees::migrations(),
        "inquiry" => estelam_inquiry::migrations(),
        "notifications" => estelam_notifications::migrations(),
        other => anyhow::bail!("unknown service {other:?}; known: {}", SERVICES.join(", ")),
    })
}

/// `service`'s gRPC server, built from its context.
pub(crate) async fn build_server(
    service: &str,
    ctx: &ServiceContext,
) -> anyhow::Result<GrpcServer> {
    match service {
        "identity" => estelam_identity::build(ctx).await,
        "property" => estelam_property::build(ctx).await,
        "documents" => estelam_documents::build(ctx).await,
        "fees" => estelam_fees::build(ctx).await,
        "inquiry" => estelam_inquiry::build(ctx).await,
        "notifications" => estelam_notifications::build(ctx).await,
        other => anyhow::bail!("unknown service {other:?}; known: {}", SERVICES.join(", ")),
    }
}
