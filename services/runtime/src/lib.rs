//! What every Estelam service process needs, so that a service crate holds only its domain:
//! configuration, storage, the event bus with its outbox and inbox, the gRPC server and
//! clients, telemetry, caller authentication, and the one error vocabulary shared by gRPC
//! and HTTP.

pub mod db;
pub mod testing;
pub mod config;
pub mod error;
pub mod auth;
pub mod telemetry;
pub mod admin;
pub mod metrics;
pub mod shutdown;
pub mod grpc;
pub mod host;
pub mod bus;
pub mod inbox;
pub mod outbox;
