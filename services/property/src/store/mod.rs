//! SQL, nothing else, one file per aggregate: [`parcels`] (versions and their owners) and
//! [`request_numbers`]; this module holds what both use (the change counters, the audit log,
//! multi-row INSERT helpers). Portable SQL through sqlx's `Any` driver (see `migrations/`).
//!
//! Integers are read as `i64` whatever the column width (the `Any` driver widens), and
//! INTEGER columns are bound as `i32` so PostgreSQL sees matching types.

pub mod audit;
pub mod index_load;
pub mod labels;
pub mod parcels;
pub mod request_numbers;
pub mod search;

use sqlx::{Any, Transaction};

use estelam_runtime::db::Database;

pub use audit::*;
pub use index_load::*;
pub use labels::*;
pub use parcels::*;
pub use request_numbers::*;
pub use search::*;

/// A store error: always a defect or an outage, never the caller's fault.
pub type StoreResult<T> = Result<T, sqlx::Error>;

/// Who made a change; empty id for the system (seed, import, jobs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    /// The identity account id from the caller's token; empty for the system.
    pub account_id: String,
    /// The name shown in the history, as it was at the time.
    pub display_name: String,
}

impl Actor {
    /// The system itself, named for people reading the history.
    pub fn system(name: &str) -> Self {
        Self {
            account_id: String::new(),
            display_name: name.to_owned(),
        }
    }
}

/// Rows per multi-row INSERT: well under SQLite's 32766 and PostgreSQL's 65535 parameters.
const ROWS_PER_INSERT: usize = 200;

/// `VALUES` placeholders for `rows` rows of `cols` columns. SQLite gets anonymous `?`
/// parameters: sqlx looks each named parameter up by name, which SQLite answers by walking a
/// list, so thousands of `$N` in one statement cost quadratic time (90% of a seed's CPU).
/// PostgreSQL needs `$N`.
fn placeholders(sqlite: bool, rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            if sqlite {
                s.push('?');
            } else {
                s.push('$');
                s.push_str(&(r * cols + c + 1).to_string());
            }
        }
        s.push(')');
    }
    s
}

fn is_sqlite(tx: &mut Transaction<'static, Any>) -> bool {
    tx.backend_name() == "SQLite"
}
/// `$1,$2,…,$n`, for an `IN (…)` list of `n` values.
fn in_list(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Reserves `n` values of a counter and returns the last one (the block is `last-n+1..=last`).
pub async fn next_values(
    tx: &mut Transaction<'static, Any>,
    counter: &str,
    n: i64,
) -> StoreResult<i64> {
    sqlx::query_scalar::<_, i64>(
        "UPDATE counters SET value = value + $2 WHERE name = $1 RETURNING value",
    )
    .bind(counter)
    .bind(n)
    .fetch_one(&mut **tx)
    .await
}
/// The current value of a counter (the last one handed out).
pub async fn counter(db: &Database, counter: &str) -> StoreResult<i64> {
    sqlx::query_scalar::<_, i64>("SELECT value FROM counters WHERE name = $1")
        .bind(counter)
        .fetch_one(db.pool())
        .await
}

/// Appends one audit entry.
pub async fn audit(
    tx: &mut Transaction<'static, Any>,
    at: i64,
    actor: &Actor,
    action: &str,
    subject: &str,
    detail: &serde_json::Value,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor_account_id, actor_display_name, action, subject, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(at)
    .bind(actor.account_id.clone())
    .bind(actor.display_name.clone())
    .bind(action)
    .bind(subject)
    .bind(detail.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
