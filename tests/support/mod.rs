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

/// Declares a module `$name` with one test per backend — `on_sqlite`, and `on_postgresql`
/// when `ESTELAM_TEST_POSTGRES_URL` is set (otherwise it says "skipped", so a run without
/// the server never passes it silently) — each starting the calling file's `World` with
/// `World::start(label, postgres_url)`, running `$check(&world)` and stopping the world.
#[allow(
    unused_macros,
    reason = "not every test crate starts a world per backend"
)]
macro_rules! on_every_backend {
    ($name:ident => $check:path) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                let world = super::World::start("sqlite", None).await;
                $check(&world).await;
                world.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgresql() {
                let Some(url) = estelam_runtime::testing::postgres_url() else {
                    eprintln!(
                        "skipped: {} on PostgreSQL (set ESTELAM_TEST_POSTGRES_URL)",
                        stringify!($name)
                    );
                    return;
                };
                let world = super::World::start("postgres", Some(url)).await;
                $check(&world).await;
                world.stop().await;
            }
        }
    };
}
#[allow(
    unused_imports,
    reason = "not every test crate starts a world per backend"
)]
pub(crate) use on_every_backend;
