//! What a service receives from the process that hosts it, whether that process runs one
//! service (`estelam serve <service>`, as on Kubernetes) or all of them (`estelam run`).

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::auth::TokenVerifier;
use crate::config::Settings;
use crate::db::{Database, DbError, Migrations};

/// Shared handles a service builds its gRPC server from.
#[derive(Clone, Debug)]
pub struct ServiceContext {
    /// The process settings.
    pub settings: Arc<Settings>,
    /// The service's own store, migrated.
    pub db: Database,
    /// Verifies callers' access tokens.
    pub verifier: TokenVerifier,
    /// Cancelled when the process begins to shut down.
    pub shutdown: CancellationToken,
}

/// Opens `service`'s store as configured and brings its schema up to date.
pub async fn open_store(settings: &Settings, service: &str, migrations: &Migrations) -> Result<Database, DbError> {
    if settings.database.url.is_none() && !settings.database.services.contains_key(service) {
        std::fs::create_dir_all(&settings.data_dir).map_err(|e| DbError::Sqlx(sqlx::Error::Io(e)))?;
    }
    let db = Database::connect(&settings.database_for(service)).await?;
    db.migrate(migrations).await?;
    Ok(db)
}
