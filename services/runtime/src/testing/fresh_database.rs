//! A PostgreSQL database of its own for one run of a whole system.
//!
//! A test that starts every service gives each its schema, and the services' schema names
//! are fixed (`identity`, `fees`, …): two such runs on one server, side by side or one after
//! a failed other, would share tables. A database per run keeps them apart, and dropping it
//! (`WITH (FORCE)`, past the pools still open) leaves the shared server as it was found.

use crate::db::{Database, DatabaseTarget, DbError};

/// A database created for one run on the server that an admin URL names; dropped by
/// [`FreshDatabase::drop_database`], or failing that when the value is dropped (a test that
/// panicked part-way).
pub struct FreshDatabase {
    admin_url: String,
    name: String,
    url: String,
    dropped: bool,
}

impl FreshDatabase {
    /// Creates `<prefix>_<random suffix>` on the server `admin_url` connects to (through the
    /// database that URL names, usually `postgres`). `prefix` is lower-case letters, digits
    /// and `_`, so that the name needs no quoting rules beyond the identifier's quotes.
    pub async fn create(admin_url: &str, prefix: &str) -> Result<Self, DbError> {
        if prefix.is_empty()
            || !prefix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(DbError::BadSchemaName);
        }
        let name = format!("{prefix}_{}", super::unique_suffix());
        let admin = connect(admin_url).await?;
        let created = sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(admin.pool())
            .await;
        admin.close().await;
        created?;
        let (base, query) = match admin_url.split_once('?') {
            Some((b, q)) => (b, format!("?{q}")),
            None => (admin_url, String::new()),
        };
        let prefix_of_path = base.rsplit_once('/').map_or(base, |(p, _)| p);
        Ok(Self {
            url: format!("{prefix_of_path}/{name}{query}"),
            admin_url: admin_url.to_owned(),
            name,
            dropped: false,
        })
    }

    /// The URL of the new database (the admin URL's server, user and options).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The new database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Drops the database, closing whatever connections are still open to it.
    pub async fn drop_database(mut self) -> Result<(), DbError> {
        self.dropped = true;
        drop_named(&self.admin_url, &self.name).await
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        // Reached when a test panicked before its clean-up. Async work cannot run in `drop`,
        // and the test's own runtime may be the one unwinding: a thread with a runtime of
        // its own does the drop, bounded so a dead server cannot hang the test.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let worker = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                let bounded = std::time::Duration::from_secs(15);
                let _ = tokio::time::timeout(bounded, drop_named(&admin_url, &name)).await;
            });
        });
        let _ = worker.join();
    }
}

async fn connect(url: &str) -> Result<Database, DbError> {
    Database::connect(&DatabaseTarget {
        url: url.to_owned(),
        schema: None,
        max_connections: 1,
    })
    .await
}

async fn drop_named(admin_url: &str, name: &str) -> Result<(), DbError> {
    let admin = connect(admin_url).await?;
    let dropped = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(admin.pool())
    .await;
    admin.close().await;
    dropped.map(drop).map_err(DbError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn exists(admin_url: &str, name: &str) -> bool {
        let admin = connect(admin_url).await.expect("the admin database");
        let found: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
            .bind(name)
            .fetch_optional(admin.pool())
            .await
            .expect("pg_database");
        admin.close().await;
        found.is_some()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_fresh_database_is_usable_and_dropped_explicitly_or_with_the_value() {
        let Some(admin_url) = super::super::postgres_url() else {
            return;
        };
        let fresh = FreshDatabase::create(&admin_url, "fresh_test")
            .await
            .expect("created");
        let name = fresh.name().to_owned();
        let db = connect(fresh.url()).await.expect("the new database opens");
        let (current,): (String,) = sqlx::query_as("SELECT current_database()::text")
            .fetch_one(db.pool())
            .await
            .expect("current_database()");
        assert_eq!(current, name);
        // Still connected: the drop closes what is open.
        fresh.drop_database().await.expect("dropped");
        db.close().await;
        assert!(!exists(&admin_url, &name).await, "{name} is gone");

        let forgotten = FreshDatabase::create(&admin_url, "fresh_test")
            .await
            .expect("created");
        let name = forgotten.name().to_owned();
        drop(forgotten);
        assert!(
            !exists(&admin_url, &name).await,
            "{name} is dropped with the value"
        );
        assert!(matches!(
            FreshDatabase::create(&admin_url, "Not-Safe").await,
            Err(DbError::BadSchemaName)
        ));
    }
}
