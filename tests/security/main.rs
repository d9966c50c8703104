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
//! * **Spoofable text** ([`text`]): a bidi override or isolate in free text (a request
//!   number's note) is refused, over HTTP and gRPC, naming the field; Arabic ي/ك are kept as
//!   Persian ی/ک.
//! * **Open redirect** ([`redirects`]): a payment's `return_url` off the portal
//!   (`https://evil.example`, `//evil.example`) is refused over gRPC and HTTP; the bank sends
//!   the payer back only to the portal.
//! * **Login throttling** ([`throttle`]): per account and per source, over HTTP (429 +
//!   `Retry-After`) and over gRPC (`RESOURCE_EXHAUSTED` with a retry delay); a registration
//!   refused as "already registered" counts once against the address.
//! * **Sessions** ([`sessions`]): logout ends that session's access tokens at every service
//!   and the gateway within one key refresh, not another session's; log out everywhere ends
//!   every session's.
//! * **At rest** ([`at_rest`]): the token-signing key is stored sealed; the data directory
//!   is 0700 and every file in it 0600.
//! * **One-time passwords** ([`password_change`]): an account an admin created is refused
//!   `PASSWORD_CHANGE_REQUIRED` by the gateway and every service until it changes its
//!   password; then its new tokens work; a self-registered citizen is never flagged.
//! * **Mobile code** ([`mobile`]): the routes that verify and resend the registration code,
//!   resends limited (429 + `Retry-After`, `RESOURCE_EXHAUSTED`).

mod at_rest;
mod calls;
mod injection;
mod matrix;
mod mobile;
mod objects;
mod password_change;
mod redirects;
mod rules;
mod sessions;
#[path = "../support/mod.rs"]
mod support;
mod text;
mod throttle;
mod tokens;
mod trust;
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
    /// A plain logout ends that session's tokens everywhere and no other session's; log out
    /// everywhere ends every session's.
    logout_ends_the_sessions_tokens_everywhere => crate::sessions::logout_ends_the_sessions_tokens_everywhere;
    /// Signing keys are stored sealed and every file in the data directory is private.
    secrets_are_sealed_and_private => crate::at_rest::secrets_are_sealed_and_private;
    /// An account with a one-time password can do nothing but change it (and ask who it is,
    /// and log out) until it has; a citizen who chose theirs is never held.
    a_one_time_password_must_be_changed_first => crate::password_change::a_one_time_password_must_be_changed_first;
    /// The mobile code has routes that verify it and resend it, with a limit.
    the_mobile_code_is_asked_for_and_resends_are_limited => crate::mobile::the_mobile_code_is_asked_for_and_resends_are_limited;
    /// Someone else's inquiry or document looks exactly like a missing one.
    other_citizens_objects_do_not_exist => crate::objects::other_citizens_objects_do_not_exist;
    /// Hostile uploads are refused and leave nothing stored.
    upload_attacks_are_refused => crate::uploads::upload_attacks_are_refused;
    /// A citizen who names another person as the applicant is refused (impersonation).
    a_citizen_cannot_file_as_someone_else => crate::trust::a_citizen_cannot_file_as_someone_else;
    /// An office's user cannot name (and so charge) another office.
    an_office_cannot_charge_another_office => crate::trust::an_office_cannot_charge_another_office;
    /// A citizen who names an office in their letter pays the fee themselves; the office is
    /// not charged, and only that office may read the inquiry.
    a_citizen_cannot_charge_an_office => crate::trust::a_citizen_cannot_charge_an_office;
    /// Injection strings change nothing and leak nothing.
    sql_injection_changes_and_leaks_nothing => crate::injection::sql_injection_changes_and_leaks_nothing;
    /// A bidi override in free text is refused over HTTP and gRPC, naming the field.
    bidi_text_is_refused => crate::text::bidi_text_is_refused;
    /// A payment returns only to the portal: no open redirect at the bank.
    payments_return_only_to_the_portal => crate::redirects::payments_return_only_to_the_portal;
}
