//! What a service receives from the process that hosts it, whether that process runs one
//! service (`estelam serve <service>`, as on Kubernetes) or all of them (`estelam run`).

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::auth::TokenVerifier;
use crate::bus::{AmqpBus, AmqpOptions, BusError, EventBus, MemoryBus};
use crate::config::Settings;
use crate::db::{Database, DbError, Migrations};
use crate::outbox::{OutboxRelay, RelayHandle};

/// Shared handles a service builds its gRPC server from.
#[derive(Clone)]
pub struct ServiceContext {
    /// The process settings.
    pub settings: Arc<Settings>,
    /// The service's own store, migrated.
    pub db: Database,
    /// Verifies callers' access tokens.
    pub verifier: TokenVerifier,
    /// The event bus (RabbitMQ, or in-process when no AMQP URL is configured).
    pub bus: Arc<dyn EventBus>,
    /// Cancelled when the process begins to shut down.
    pub shutdown: CancellationToken,
}

/// Opens `service`'s store as configured and brings its schema up to date.
pub async fn open_store(
    settings: &Settings,
    service: &str,
    migrations: &Migrations,
) -> Result<Database, DbError> {
    let embedded =
        settings.database.url.is_none() && !settings.database.services.contains_key(service);
    if embedded {
        // The SQLite files hold password hashes, sealed keys and personal data: the data
        // directory is its owner's only.
        crate::key_seal::private_dir(&settings.data_dir)
            .map_err(|e| DbError::Sqlx(sqlx::Error::Io(e)))?;
    }
    let db =
        Database::connect_with(&settings.database_for(service), settings.pool_timeouts()).await?;
    db.migrate(migrations).await?;
    if embedded {
        let file = settings.data_dir.join(format!("{service}.sqlite"));
        for suffix in ["", "-wal", "-shm"] {
            let path = std::path::PathBuf::from(format!("{}{suffix}", file.display()));
            if path.exists() {
                crate::key_seal::private_file(&path)
                    .map_err(|e| DbError::Sqlx(sqlx::Error::Io(e)))?;
            }
        }
    }
    Ok(db)
}

impl std::fmt::Debug for ServiceContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceContext")
            .field("db", &self.db)
            .field("bus_connected", &self.bus.is_connected())
            .finish()
    }
}

impl ServiceContext {
    /// Starts this service's outbox relay in the background (it stops with the process) and
    /// returns the handle producers poke after each commit, so events leave at once.
    pub fn start_outbox_relay(&self) -> RelayHandle {
        let relay = OutboxRelay::new(self.db.clone(), self.bus.clone());
        let handle = relay.handle();
        tokio::spawn(relay.run(self.shutdown.clone()));
        handle
    }
}

/// The process's event bus: RabbitMQ when `bus.amqp_url` is set, else in-process. In
/// `estelam run` one in-process bus is shared by every service, so events flow between them.
pub async fn connect_bus(
    settings: &Settings,
    connection_name: &str,
) -> Result<Arc<dyn EventBus>, BusError> {
    use secrecy::ExposeSecret as _;
    match &settings.bus.amqp_url {
        Some(url) => {
            let options = AmqpOptions {
                connection_name: connection_name.to_owned(),
                ..AmqpOptions::default()
            };
            Ok(Arc::new(
                AmqpBus::connect(url.expose_secret(), options).await?,
            ))
        }
        None => Ok(Arc::new(MemoryBus::new())),
    }
}
