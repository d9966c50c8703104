//! The Estelam launcher: the library behind the one `estelam` binary, and what the
//! end-to-end tests in `tests/` start the system with.
//!
//! * [`system`]: `estelam run`, the whole system in one process ([`start`] returns a
//!   [`RunningSystem`] with every address);
//! * [`serve`]: `estelam serve <service>`, one service per process as Kubernetes runs it;
//! * [`data`]: the one-off data commands (`migrate`, `seed`, `import parcels`,
//!   `documents verify`);
//! * [`demo`]: the demo people a first `estelam run` creates;
//! * [`verify`]: `estelam verify`, the offline check of a printed answer's QR code;
//! * [`listen`]: where the system listens, and the message when a port is taken;
//! * [`processes`]: the system as separate `estelam serve` processes with replicas on one
//!   machine (the replicas test and the load generator's multi-process mode);
//! * `host` (private): the hosting steps all of these share: bus, store, context, server.
//!
//! The load generator is not here: it is its own crate (`tools/bench`, binary
//! `estelam-bench`), so the production binary does not carry it.

pub mod data;
pub mod demo;
mod host;
pub mod listen;
mod login;
pub mod processes;
pub mod serve;
mod services;
pub mod system;
pub mod verify;

pub use data::{import_labels, import_parcels, migrate, seed};
pub use demo::create_demo_people;
pub use listen::SystemAddrs;
pub use login::log_in;
pub use serve::{serve_gateway, serve_one};
pub use services::migrations_of;
pub use system::{RunningSystem, start, start_except, write_urls_file};
