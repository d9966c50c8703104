//! SQL, nothing else: one file per table group (aggregate). Portable statements over sqlx
//! `Any` (SQLite and PostgreSQL, see `docs/service-conventions.md`); every function takes a
//! connection, so the service layer decides what runs in one transaction.

mod accounts;
mod audit;
mod client_keys;
mod client_secrets;
mod code_sends;
mod keys;
mod mobile_codes;
mod organizations;
mod owner_notices;
mod sessions;
mod throttle;

pub use accounts::*;
pub use audit::*;
pub use client_keys::*;
pub use client_secrets::*;
pub use code_sends::*;
pub use keys::*;
pub use mobile_codes::*;
pub use organizations::*;
pub use owner_notices::*;
pub use sessions::*;
pub use throttle::*;

type Result<T> = std::result::Result<T, sqlx::Error>;

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
