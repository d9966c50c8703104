//! Storage: one sqlx pool per service, on SQLite (embedded default) or PostgreSQL.
//!
//! Every service goes through sqlx's `Any` driver with portable SQL and primitive column
//! types (TEXT ids, BIGINT microseconds and rials, INTEGER flags), so one store module works
//! on both backends. Placeholders are written `$1, $2, …`, which both drivers accept.
//! Migrations differ only where the dialects do, so each service keeps one folder per
//! backend (`migrations/sqlite`, `migrations/postgres`); both run at start-up, forward-only.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, AssertSqlSafe, ConnectOptions, Connection, Executor, Transaction};

/// Which SQL engine a [`Database`] talks to; a few statements differ between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A local SQLite file in WAL mode: the embedded default, nothing to install.
    Sqlite,
    /// A PostgreSQL server: production, one schema per service.
    Postgres,
}

impl Backend {
    /// Which backend a connection URL names.
    pub fn of_url(url: &str) -> Result<Self, DbError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres)
        } else {
            Err(DbError::UnsupportedUrl)
        }
    }
}

/// Why the store could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL is neither `sqlite:` nor `postgres:`.
    #[error("database URL must start with sqlite: or postgres:")]
    UnsupportedUrl,
    /// The schema name is not a plain lower-case identifier.
    #[error("database schema name must be lower-case letters, digits and _")]
    BadSchemaName,
    /// The server refused or the file could not be opened.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// A migration failed; the store is left at the last applied version.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The migrations of one service, one set per backend.
pub struct Migrations {
    /// Applied on SQLite.
    pub sqlite: Migrator,
    /// Applied on PostgreSQL.
    pub postgres: Migrator,
}

/// Where a service's data lives and how to reach it.
#[derive(Debug, Clone)]
pub struct DatabaseTarget {
    /// `sqlite://…` or `postgres://…`.
    pub url: String,
    /// PostgreSQL schema that holds this service's tables (ignored on SQLite, where each
    /// service has its own file).
    pub schema: Option<String>,
    /// Upper bound on pooled connections.
    pub max_connections: u32,
}

impl DatabaseTarget {
    /// The embedded default: `<data_dir>/<service>.sqlite`, created on first use.
    pub fn sqlite_file(data_dir: &Path, service: &str) -> Self {
        Self {
            url: format!(
                "sqlite://{}?mode=rwc",
                data_dir.join(format!("{service}.sqlite")).display()
            ),
            schema: None,
            max_connections: 8,
        }
    }
}

/// A service's connection pool, with the few backend differences kept behind it.
#[derive(Clone, Debug)]
pub struct Database {
    pool: AnyPool,
    backend: Backend,
}

/// How long the pool may take before a caller gets an error instead of a hang. A service
/// takes these from its settings (`database.acquire_timeout_ms`, `database.statement_timeout_ms`,
/// kept below the gRPC request deadline); tools and tests that open a store directly get
/// [`PoolTimeouts::default`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolTimeouts {
    /// Longest wait for a pooled connection, including opening a new one and the liveness
    /// check of an idle one: past it the caller is refused `Unavailable` (a database that
    /// is down or unreachable).
    pub acquire: Duration,
    /// PostgreSQL's `statement_timeout` on every pooled connection (`None`: no limit): the
    /// server cancels a statement (a lock wait, a runaway query) that ran longer than any
    /// request could wait for it. Migrations run without it. Ignored on SQLite.
    pub statement: Option<Duration>,
}

impl Default for PoolTimeouts {
    fn default() -> Self {
        Self {
            acquire: Duration::from_secs(10),
            statement: None,
        }
    }
}

impl Database {
    /// Opens the pool with [`PoolTimeouts::default`]; see [`Database::connect_with`].
    pub async fn connect(target: &DatabaseTarget) -> Result<Self, DbError> {
        Self::connect_with(target, PoolTimeouts::default()).await
    }

    /// Opens the pool; on PostgreSQL creates the service's schema if needed and pins every
    /// connection's `search_path` (and `statement_timeout`) to it; on SQLite turns on WAL,
    /// foreign keys and a busy wait.
    pub async fn connect_with(
        target: &DatabaseTarget,
        timeouts: PoolTimeouts,
    ) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(&target.url)?;
        let schema = match (&target.schema, backend) {
            (Some(s), Backend::Postgres) => {
                if s.is_empty()
                    || !s
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                {
                    return Err(DbError::BadSchemaName);
                }
                Some(s.clone())
            }
            _ => None,
        };
        let options = AnyConnectOptions::from_str(&target.url)?;
        if let Some(schema) = &schema {
            let mut conn = options.connect().await?;
            conn.execute(AssertSqlSafe(format!(
                "CREATE SCHEMA IF NOT EXISTS \"{schema}\""
            )))
            .await?;
            conn.close().await?;
        }
        let setup: String = match backend {
            Backend::Sqlite => "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;"
                .to_owned(),
            Backend::Postgres => {
                let mut setup = Vec::new();
                if let Some(s) = &schema {
                    setup.push(format!("SET search_path TO \"{s}\""));
                }
                if let Some(t) = timeouts.statement {
                    setup.push(format!("SET statement_timeout = {}", t.as_millis().max(1)));
                }
                setup.join("; ")
            }
        };
        let pool = AnyPoolOptions::new()
            .max_connections(target.max_connections.max(1))
            .acquire_timeout(timeouts.acquire)
            .after_connect(move |conn, _meta| {
                let setup = setup.clone();
                Box::pin(async move {
                    if !setup.is_empty() {
                        conn.execute(AssertSqlSafe(setup)).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Self { pool, backend })
    }

    /// Brings the store up to date: the runtime's own tables (outbox, inbox) first, then the
    /// service's. Safe to run on every start and from several replicas at once.
    pub async fn migrate(&self, service: &Migrations) -> Result<(), DbError> {
        let mut runtime = match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        runtime.dangerous_set_table_name("_estelam_runtime_migrations");
        let own = match self.backend {
            Backend::Sqlite => &service.sqlite,
            Backend::Postgres => &service.postgres,
        };
        match self.backend {
            Backend::Sqlite => {
                runtime.run(&self.pool).await?;
                own.run(&self.pool).await?;
            }
            Backend::Postgres => {
                // On a connection of its own without the statement timeout: building an
                // index on a big table may rightly take longer than any request. It leaves
                // the pool, so its setting never reaches a request.
                let mut conn = self.pool.acquire().await?.detach();
                conn.execute("SET statement_timeout = 0").await?;
                let migrated = async {
                    runtime.run(&mut conn).await?;
                    own.run(&mut conn).await
                }
                .await;
                let _ = conn.close().await;
                migrated?;
            }
        }
        Ok(())
    }

    /// Starts a read-write transaction. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`), so a transaction that reads and then writes never fails with a
    /// stale snapshot; writers queue on the busy timeout instead.
    pub async fn begin(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// The pool, for reads and single statements.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which engine this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// True when a statement can reach the store (readiness probe).
    pub async fn is_reachable(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Closes every connection; pending queries finish first.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// True when the error is a unique-key violation (a duplicate insert), on either backend.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            matches!(db.kind(), sqlx::error::ErrorKind::UniqueViolation)
                || db
                    .code()
                    .is_some_and(|c| c == "23505" || c == "2067" || c == "1555")
        }
        _ => false,
    }
}

/// The current time as microseconds since the Unix epoch, the one time format stored.
pub fn now_micros() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_micros()).unwrap_or(i64::MAX)
}
