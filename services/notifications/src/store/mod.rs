//! SQL, nothing else: one module per aggregate (notices, deliveries, preferences), each
//! function taking a connection (`&mut tx` inside a transaction, the pool outside one).
//! Portable SQL through sqlx `Any` with primitive columns; facts and channel maps are JSON
//! text.

pub mod deliveries;
pub mod notices;
pub mod preferences;

pub use deliveries::*;
pub use notices::*;
pub use preferences::*;

type Result<T> = std::result::Result<T, sqlx::Error>;

/// A JSON column that does not parse as what was written to it.
fn json_err(e: serde_json::Error) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
}
