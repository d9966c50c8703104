//! The security suite over the whole running system (every service on real gRPC, the
//! gateway on real HTTP), on SQLite and, when `ESTELAM_TEST_POSTGRES_URL` is set, PostgreSQL.
//! Each specification is a test of its own per backend, on a system of its own, so a failure
//! names what broke:
//!
//! * **Authorization matrix** ([`matrix`]): every gRPC method (read from
//!   `estelam_proto::FILE_DESCRIPTOR_SET`) and every HTTP route (read from the gateway's
//!   generated OpenAPI document) is called as anonymous, citizen, another citizen, clerk,
//!   authority, admin and service; the outcome must be the one [`rules::grpc_rule`] /
//!   [`rules::http_rule`] gives. A method or route with no rule fails the test, so a new one
//!   cannot land without a decision about who may call it.
//! * **Tokens** ([`tokens`]): a forged signature, a tampered payload, an expired token,
//!   `alg: none`, a wrong audience, a wrong issuer, an unknown key and a refresh token used as
//!   an access token are refused by every service itself (`UNAUTHENTICATED`) and by every
//!   protected route (401 problem+json), all with one and the same message, so the refusal
//!   tells an attacker nothing about which check failed. A disabled account's still-unexpired
//!   token is refused the same way by every service and the gateway once they have refetched
//!   identity's keys and revocations (`auth.key_refresh_secs`).
//! * **Object level (IDOR)** ([`objects`]): on every inquiry route that takes an id, and on
//!   documents, another citizen and an authority get exactly the answer a non-existent id
//!   gets.
//! * **Uploads** ([`uploads`]): polyglots (PDF+ZIP, JPEG+script), an oversized file, a pixel
//!   flood, compression bombs (a PDF deflate stream, a PNG's zlib data) and a mismatched
//!   declared type are each refused with a 4xx problem, and nothing is stored; path-traversal
//!   and control-character file names never become a path or a shown name.
//! * **SQL injection** ([`injection`]): classic injection strings in every text field (JSON
//!   body, path and query) of every route in the OpenAPI document: never a 5xx, never
//!   database text in an answer, and another citizen's records unchanged.
//! * **Open redirect** ([`redirects`]): a payment's `return_url` off the portal
//!   (`https://evil.example`, `//evil.example`) is refused over gRPC and HTTP; the bank sends
//!   the payer back only to the portal.
//! * **Login throttling** ([`throttle`]): per account and per source, over HTTP (429 +
//!   `Retry-After`) and over gRPC (`RESOURCE_EXHAUSTED` with a retry delay).

mod calls;
mod injection;
mod matrix;
mod objects;
mod redirects;
mod rules;
#[path = "../support/mod.rs"]
mod support;
mod throttle;
mod tokens;
mod uploads;
mod world;

/// Declares a specification as two tests, `<name>::on_sqlite` and `<name>::on_postgresql`
/// (which says "skipped" without `ESTELAM_TEST_POSTGRES_URL`, and fails under CI), each
/// running `check` against a system of its own.
macro_rules! on_every_backend {
    ($($(#[doc = $doc:literal])* $name:ident => $check:path;)*) => {$(
        $(#[doc = $doc])*
        mod $name {
            use crate::world::World;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                let world = World::start("sqlite", None, None).await;
                $check(&world).await;
                world.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgresql() {
                let Some(url) = estelam_runtime::testing::postgres_url() else {
                    return;
                };
                let world = World::start("postgres", Some(url), None).await;
                $check(&world).await;
                world.stop().await;
            }
        }
    )*};
}

on_every_backend! {
    /// Every method and route, as every kind of caller, ends as the rules decide.
    authorization_matrix => crate::matrix::authorization_matrix;
    /// Bad tokens are refused by every service and route, all alike.
    bad_tokens_are_refused => crate::tokens::bad_tokens_are_refused;
    /// A disabled account's unexpired token is refused everywhere once keys are refetched.
    a_disabled_accounts_token_is_refused => crate::tokens::a_disabled_accounts_token_is_refused;
    /// Someone else's inquiry or document looks exactly like a missing one.
    other_citizens_objects_do_not_exist => crate::objects::other_citizens_objects_do_not_exist;
    /// Hostile uploads are refused and leave nothing stored.
    upload_attacks_are_refused => crate::uploads::upload_attacks_are_refused;
    /// Injection strings change nothing and leak nothing.
    sql_injection_changes_and_leaks_nothing => crate::injection::sql_injection_changes_and_leaks_nothing;
    /// A payment returns only to the portal: no open redirect at the bank.
    payments_return_only_to_the_portal => crate::redirects::payments_return_only_to_the_portal;
}
