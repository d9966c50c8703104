//! A person's own notification preferences: which events reach them by SMS or e-mail,
//! their e-mail address and language (the notifications service keeps them).

use axum::extract::State;
use estelam_proto::notifications::v1::{GetPreferencesRequest, UpdatePreferencesRequest};
use estelam_runtime::grpc::outgoing;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bearer::Bearer;
use crate::dto::{self, NotificationPreferences};
use crate::extract::Json;
use crate::problem::ApiError;
use crate::state::AppState;

/// The routes of this group.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_preferences, put_preferences))
}

/// The caller's notification preferences, every kind listed with the channels in effect.
#[utoipa::path(
    get,
    path = "/api/v1/me/notification-preferences",
    tag = "notifications",
    responses((status = 200, description = "The preferences in effect.", body = NotificationPreferences)),
    security(("bearer" = []))
)]
pub async fn get_preferences(
    State(state): State<AppState>,
    bearer: Bearer,
) -> Result<axum::Json<NotificationPreferences>, ApiError> {
    let r = state
        .backends
        .notifications()
        .get_preferences(outgoing(GetPreferencesRequest {}, bearer.token()))
        .await?
        .into_inner();
    Ok(axum::Json(
        r.preferences
            .ok_or_else(|| dto::missing("preferences"))?
            .into(),
    ))
}

/// Replaces the caller's notification preferences; answers what is now in effect.
#[utoipa::path(
    put,
    path = "/api/v1/me/notification-preferences",
    tag = "notifications",
    request_body = NotificationPreferences,
    responses((status = 200, description = "The preferences now in effect.", body = NotificationPreferences)),
    security(("bearer" = []))
)]
pub async fn put_preferences(
    State(state): State<AppState>,
    bearer: Bearer,
    Json(body): Json<NotificationPreferences>,
) -> Result<axum::Json<NotificationPreferences>, ApiError> {
    let request = UpdatePreferencesRequest {
        preferences: Some(body.to_pb()?),
    };
    let r = state
        .backends
        .notifications()
        .update_preferences(outgoing(request, bearer.token()))
        .await?
        .into_inner();
    Ok(axum::Json(
        r.preferences
            .ok_or_else(|| dto::missing("preferences"))?
            .into(),
    ))
}
