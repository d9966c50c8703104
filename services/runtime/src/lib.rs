//! What every Estelam service process needs, so that a service crate holds only its domain:
//! configuration, storage, the event bus with its outbox and inbox, the gRPC server and
//! clients, telemetry, caller authentication, and the one error vocabulary shared by gRPC
//! and HTTP.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod balance;
pub mod bus;
pub mod config;
pub mod db;
pub mod deadline;
pub mod error;
pub mod grpc;
pub mod host;
pub mod inbox;
pub mod key_seal;
pub mod metrics;
pub mod outbox;
pub mod paging;
pub mod reasons;
pub mod revocations;
pub mod shed;
pub mod shutdown;
pub mod sms_gateway;
pub mod telemetry;
pub mod testing;
pub mod time;
pub mod verified_tokens;
