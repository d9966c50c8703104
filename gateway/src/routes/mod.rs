//! Every route of the gateway, each module one group. A route exists only through
//! `utoipa_axum::routes!` on an `OpenApiRouter`, so it is in the OpenAPI document by
//! construction; `tests/openapi.rs` fails if a plain axum `.route(…)` sneaks in.
//!
//! To add a group (e.g. `parcels`): write `routes/parcels.rs` with
//! `pub fn routes() -> OpenApiRouter<AppState>` and `#[utoipa::path]` handlers returning
//! `Result<_, ApiError>`, then merge it below.

pub mod adjustments;
pub mod answer_keys;
pub mod audit;
pub mod auth;
pub mod batches;
pub mod certificate;
pub mod clerk;
pub mod clients;
pub mod clock;
pub mod disputes;
pub mod docs;
pub mod document_kinds;
pub mod documents;
pub mod features;
pub mod inquiries;
pub mod notifications;
pub mod oauth;
pub mod offline_page;
pub mod ops;
pub mod org_desk;
pub mod organizations;
pub mod parcels;
pub mod people;
pub mod psp;
pub mod request_types;
pub mod status;
pub mod tariffs;
pub mod webhooks;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// All routes, with their OpenAPI description (the document's base is in [`crate::openapi`]).
pub fn all() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(crate::openapi::base())
        .merge(ops::routes())
        .merge(docs::routes())
        .merge(auth::routes())
        .merge(oauth::routes())
        .merge(clients::routes())
        .merge(people::routes())
        .merge(org_desk::routes())
        .merge(inquiries::routes())
        .merge(batches::routes())
        .merge(notifications::routes())
        .merge(documents::routes())
        .merge(document_kinds::routes())
        .merge(parcels::routes())
        .merge(features::routes())
        .merge(psp::routes())
        .merge(organizations::routes())
        .merge(clerk::routes())
        .merge(audit::routes())
        .merge(clock::routes())
        .merge(answer_keys::routes())
        .merge(certificate::routes())
        .merge(offline_page::routes())
        .merge(webhooks::routes())
        .merge(tariffs::routes())
        .merge(request_types::routes())
        .merge(adjustments::routes())
        .merge(disputes::routes())
}
