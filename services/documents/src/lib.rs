//! Document store: uploads that are what they claim, kept intact, served only to whom they belong.
//!
//! * [`api`]: the gRPC handlers (`estelam.documents.v1.DocumentService`): protobuf in and out.
//! * [`service`]: the use cases (upload, download, lists, verify) and who may do what;
//!   [`errors`]: every refusal, in Persian and English.
//! * [`inspect`] and [`pdf_scan`]: what a file really is, judged from its bytes while they
//!   stream (type, pixel size, PDF scripts and encryption); [`names`]: cleaned filenames.
//!   Photos (JPEG, PNG, WebP) are stored without their metadata — EXIF (GPS included), XMP,
//!   IPTC, text chunks — losslessly: the segments that carry pixels are copied byte for
//!   byte ([`inspect::strip_metadata`]); the stored size and SHA-256 are of what is kept.
//!   A file over `documents.max_document_bytes` is refused `RESOURCE_EXHAUSTED`
//!   `DOCUMENT_TOO_LARGE` with the limit in the message (the gateway answers 413).
//! * [`storage`]: content in an object store (filesystem or S3) under its SHA-256.
//! * [`store`]: metadata and quota usage in SQL.
//!
//! The launcher uses [`SERVICE`], [`migrations`], [`build`] and [`verify_command`] (`estelam
//! documents verify`); tests use [`Documents`] to reach the content store and its upload
//! memory gauge.

use std::time::Duration;

use estelam_proto::documents::v1::document_service_server::DocumentServiceServer;
use estelam_runtime::db::Migrations;
use estelam_runtime::grpc::GrpcServer;
use estelam_runtime::host::ServiceContext;

pub mod api;
pub mod errors;
pub mod inquiries;
pub mod inspect;
mod metrics;
pub mod names;
pub mod pdf_scan;
pub mod service;
pub mod storage;
pub mod store;

pub use service::verify::verify_command;
pub use storage::{Blobs, BufferGauge};

/// The service's name: config key, schema, SQLite file and log field.
pub const SERVICE: &str = "documents";

/// Staging objects older than this are a crash's leftovers (no upload runs this long).
const STAGING_MAX_AGE: Duration = Duration::from_secs(3600);

/// The service's schema migrations, one set per backend.
pub fn migrations() -> Migrations {
    Migrations {
        sqlite: sqlx::migrate!("./migrations/sqlite"),
        postgres: sqlx::migrate!("./migrations/postgres"),
    }
}

/// The service, opened but not yet serving.
pub struct Documents {
    api: api::Api,
    blobs: Blobs,
}

impl Documents {
    /// Validates the settings, opens the content store and sweeps old staging leftovers
    /// in the background.
    pub async fn open(ctx: &ServiceContext) -> anyhow::Result<Self> {
        ctx.settings.documents.validate()?;
        let blobs = Blobs::open(&ctx.settings)?;
        let sweeper = blobs.clone();
        tokio::spawn(async move {
            match sweeper.sweep_staging(STAGING_MAX_AGE).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    removed = n,
                    "removed staging leftovers of interrupted uploads"
                ),
                Err(err) => tracing::warn!(error = %err, "could not sweep staging leftovers"),
            }
        });
        let api = api::Api::new(service::Archive::new(
            ctx.db.clone(),
            blobs.clone(),
            ctx.settings.documents.clone(),
            inquiries::Inquiries::grpc(&ctx.settings)?,
        ));
        Ok(Self { api, blobs })
    }

    /// The content store (tests reach objects on disk through it).
    pub fn blobs(&self) -> &Blobs {
        &self.blobs
    }

    /// The gRPC server hosting the service.
    pub fn into_server(self, ctx: &ServiceContext) -> GrpcServer {
        // A chunk is at most 1 MiB; refusing larger messages in the decoder means a client
        // cannot make the server allocate a huge one.
        let service = DocumentServiceServer::new(self.api)
            .max_decoding_message_size(service::upload::MAX_CHUNK + 4096);
        let routes = tonic::service::Routes::new(service);
        GrpcServer::new(
            SERVICE,
            routes,
            ctx.settings.grpc.clone(),
            ctx.verifier.clone(),
        )
        .describe(estelam_proto::FILE_DESCRIPTOR_SET)
        .hosts("estelam.documents.v1.DocumentService")
    }
}

/// Builds the service's gRPC server from the shared context.
pub async fn build(ctx: &ServiceContext) -> anyhow::Result<GrpcServer> {
    Ok(Documents::open(ctx).await?.into_server(ctx))
}
