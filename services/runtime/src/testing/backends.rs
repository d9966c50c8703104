//! Which real servers a test may use, and one isolated store per backend.
//!
//! Every storage and bus test runs on the embedded default, and also on PostgreSQL /
//! RabbitMQ when `ESTELAM_TEST_POSTGRES_URL` / `ESTELAM_TEST_AMQP_URL` are set. A variant
//! that cannot run must not look like one that passed: outside CI it says so in the test's
//! output, and under CI (`CI` set) a missing variable fails the test.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::io::Write as _;

use crate::db::{Database, DatabaseTarget, DbError, Migrations};

/// Environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_ENV: &str = "ESTELAM_TEST_POSTGRES_URL";
/// Environment variable naming the RabbitMQ broker for tests.
pub const AMQP_ENV: &str = "ESTELAM_TEST_AMQP_URL";

thread_local! {
    /// The variables this thread (one test, under libtest) has already reported missing,
    /// so a test that asks twice says "skipped" once.
    static REPORTED: RefCell<BTreeSet<&'static str>> = const { RefCell::new(BTreeSet::new()) };
}

fn required_in_ci(var: &'static str, server: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{var} must be set under CI: the real-server variant of this test may not be skipped"
            );
            if REPORTED.with(|r| r.borrow_mut().insert(var)) {
                let test = std::thread::current()
                    .name()
                    .filter(|n| *n != "main")
                    .map_or_else(|| "this test".to_owned(), str::to_owned);
                skipped(&format!("{test} on {server}"), var);
            }
            None
        }
    }
}

/// Says, in the test's output, that `variant` did not run and which variable would run it.
///
/// Written to the process's stderr rather than through `eprintln!`, which the test harness
/// captures and shows only for a failing test: a skip is news precisely when the test passes.
pub fn skipped(variant: &str, var: &str) {
    let _ = writeln!(std::io::stderr().lock(), "skipped: {variant} (set {var})");
}

/// The PostgreSQL URL for tests, if configured; says "skipped" when it is not, and panics
/// under CI.
pub fn postgres_url() -> Option<String> {
    required_in_ci(POSTGRES_ENV, "PostgreSQL")
}

/// The RabbitMQ URL for tests, if configured; says "skipped" when it is not, and panics
/// under CI.
pub fn amqp_url() -> Option<String> {
    required_in_ci(AMQP_ENV, "RabbitMQ")
}

/// A short random suffix, so parallel tests never share a schema, file or queue.
pub fn unique_suffix() -> String {
    uuid::Uuid::now_v7().simple().to_string()[20..].to_owned()
}

/// One isolated store for one test: a temporary SQLite file, or a fresh PostgreSQL schema.
pub struct TestDatabase {
    /// `sqlite` or `postgres`, for assertion messages.
    pub label: &'static str,
    /// The opened, migrated store.
    pub db: Database,
    schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// Drops the PostgreSQL schema the test used (the SQLite file goes with its temp dir).
    pub async fn cleanup(self) {
        if let Some(schema) = &self.schema {
            let sql = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
            let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(self.db.pool())
                .await;
        }
        self.db.close().await;
    }
}

/// Opens and migrates one store per available backend: SQLite always, PostgreSQL when
/// configured. `tag` names the test, for finding leftovers.
pub async fn databases(tag: &str, migrations: &Migrations) -> Result<Vec<TestDatabase>, DbError> {
    let mut out = Vec::new();
    let dir = tempfile::tempdir().map_err(|e| DbError::Sqlx(sqlx::Error::Io(e)))?;
    let db = Database::connect(&DatabaseTarget::sqlite_file(dir.path(), tag)).await?;
    db.migrate(migrations).await?;
    out.push(TestDatabase {
        label: "sqlite",
        db,
        schema: None,
        _dir: Some(dir),
    });
    if let Some(url) = postgres_url() {
        let schema = format!(
            "t_{}_{}",
            tag.to_ascii_lowercase().replace('-', "_"),
            unique_suffix()
        );
        let target = DatabaseTarget {
            url,
            schema: Some(schema.clone()),
            max_connections: 8,
        };
        let db = Database::connect(&target).await?;
        db.migrate(migrations).await?;
        out.push(TestDatabase {
            label: "postgres",
            db,
            schema: Some(schema),
            _dir: None,
        });
    }
    Ok(out)
}

/// Migrations for a test that needs only the runtime's own tables.
pub fn no_migrations() -> Migrations {
    Migrations {
        sqlite: sqlx::migrate::Migrator::DEFAULT,
        postgres: sqlx::migrate::Migrator::DEFAULT,
    }
}
