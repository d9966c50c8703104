//! What the end-to-end tests share, in one place: the whole system started in this
//! process for the HTTP route tests ([`system`]), the accounts every run configures and logs
//! in ([`accounts`]), and the nine steps of a property inquiry driven over gRPC or through the
//! gateway's HTTP API ([`nine_steps`]). Waiting with a deadline and a fresh PostgreSQL
//! database come from `estelam_runtime::testing`, which the service crates' tests share too.
//!
//! Each test file is its own crate and uses only part of this module.
#![allow(
    dead_code,
    reason = "each test crate uses a different part of the shared setup"
)]

pub mod accounts;
pub mod batch;
pub mod nine_steps;
pub mod system;
