//! SQL, nothing else: one module per aggregate, each function taking a connection (`&mut tx`
//! inside a transaction, a pooled connection outside one). Portable SQL through sqlx `Any`
//! with primitive columns (see `docs/service-conventions.md`): integers are read as `i64`,
//! enums are their protobuf numbers ([`crate::codes`]), rules and bill lines are JSON text.

pub mod accounts;
pub mod adjustments;
pub mod audit;
pub mod bills;
pub mod disputes;
pub mod ledger;
pub mod payments;
pub mod sandbox;
pub mod tariffs;

/// Narrows a stored small integer (a year, a land use, a zone) to the `i32` the domain uses.
/// Rows only ever hold values written from an `i32`, so saturating is never reached.
pub fn small(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// A JSON column that does not parse as what was written to it: a decode error, like a
/// column of the wrong type.
fn json_err(e: serde_json::Error) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
}
