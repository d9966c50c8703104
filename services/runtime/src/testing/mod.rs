//! What tests need from the runtime, here so that service crates and the end-to-end tests
//! share one copy: the real servers a test may use and a store per backend, a fresh
//! PostgreSQL database for a whole-system run, waiting with a deadline instead of sleeping,
//! tokens minted as identity mints them, and a service served on a free port.

mod backends;
mod eventually;
mod fresh_database;
mod servers;
mod tokens;

pub use backends::{
    AMQP_ENV, POSTGRES_ENV, TestDatabase, amqp_url, databases, no_migrations, postgres_url,
    skipped, unique_suffix,
};
pub use eventually::{Look, eventually, eventually_blocking, poll_within};
pub use fresh_database::FreshDatabase;
pub use servers::{SpawnedServer, context, spawn_grpc, with_token};
pub use tokens::TokenMint;
