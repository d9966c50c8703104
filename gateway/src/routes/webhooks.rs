//! Organisations' webhooks (`/api/v1/organizations/{id}/webhooks…`), over the inquiry
//! service: subscribe endpoints to events, rotate their secrets, turn them off, read their
//! deliveries and replay them. The organisation's own users and API clients, and the admin,
//! may; anyone else's endpoint is not found. Deliveries follow Standard Webhooks; see
//! `docs/integrators.md` for verifying them.

use axum::extract::State;
use axum::http::StatusCode;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::grpc::outgoing;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::bearer::Bearer;
use crate::dto;
use crate::extract::{Json, Path, Query};
use crate::problem::ApiError;
use crate::state::AppState;

/// This group's routes, merged into [`crate::routes::all`].
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_endpoint, list_endpoints))
        .routes(routes!(delete_endpoint))
        .routes(routes!(set_enabled))
        .routes(routes!(rotate_secret))
        .routes(routes!(list_deliveries))
        .routes(routes!(replay))
}

/// An event type an endpoint may subscribe to.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub enum WebhookEventType {
    /// An inquiry's answer was issued.
    #[serde(rename = "answer.issued")]
    AnswerIssued,
    /// An issued answer was revoked.
    #[serde(rename = "answer.revoked")]
    AnswerRevoked,
    /// A submitted inquiry waits for its bill to be paid.
    #[serde(rename = "inquiry.awaiting_payment")]
    AwaitingPayment,
    /// A batch of inquiries was processed to the end.
    #[serde(rename = "batch.finished")]
    BatchFinished,
}

impl WebhookEventType {
    fn as_str(self) -> &'static str {
        match self {
            Self::AnswerIssued => "answer.issued",
            Self::AnswerRevoked => "answer.revoked",
            Self::AwaitingPayment => "inquiry.awaiting_payment",
            Self::BatchFinished => "batch.finished",
        }
    }
}

/// The body of `POST /api/v1/organizations/{id}/webhooks`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEndpointBody {
    /// Where deliveries are POSTed: https, on a public address.
    #[schema(value_type = crate::openapi::formats::WebhookUrl)]
    pub url: String,
    /// The events it receives (at least one).
    #[schema(min_items = 1)]
    pub event_types: Vec<WebhookEventType>,
    /// What it is for (at most 200 characters).
    #[serde(default)]
    #[schema(value_type = crate::openapi::formats::Description)]
    pub description: String,
}

/// A webhook endpoint (its secret is never shown again).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEndpoint {
    /// Endpoint id.
    pub endpoint_id: String,
    /// The organisation whose events it receives.
    pub organization_id: String,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The events it receives.
    pub event_types: Vec<String>,
    /// What it is for.
    pub description: String,
    /// Whether deliveries are sent.
    pub enabled: bool,
    /// When it was created (RFC 3339).
    pub created_at: Option<String>,
    /// Until when the previous secret still signs beside the new one (RFC 3339).
    pub previous_secret_valid_until: Option<String>,
}

impl From<pb::WebhookEndpoint> for WebhookEndpoint {
    fn from(e: pb::WebhookEndpoint) -> Self {
        Self {
            endpoint_id: e.endpoint_id,
            organization_id: e.organization_id,
            url: e.url,
            event_types: e.event_types,
            description: e.description,
            enabled: e.enabled,
            created_at: dto::instant(e.created_at),
            previous_secret_valid_until: dto::instant(e.previous_secret_valid_until),
        }
    }
}

/// An endpoint and its signing secret, shown only in this answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointWithSecret {
    /// The endpoint.
    pub endpoint: WebhookEndpoint,
    /// `whsec_` + base64 of 32 bytes: the key of the `webhook-signature` HMAC.
    pub secret: String,
}

/// An organisation's endpoints.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointList {
    /// Oldest first.
    pub endpoints: Vec<WebhookEndpoint>,
}

fn endpoint_of(e: Option<pb::WebhookEndpoint>) -> Result<WebhookEndpoint, ApiError> {
    Ok(e.ok_or_else(|| dto::missing("endpoint"))?.into())
}

/// Subscribes an endpoint to events; the answer holds its secret, shown only once.
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/webhooks",
    tag = "webhooks",
    params(("id" = crate::openapi::formats::Id, Path, description = "The organisation id.")),
    request_body = NewEndpointBody,
    responses((status = 201, description = "The endpoint, with its secret (shown once).", body = EndpointWithSecret)),
    security(("bearer" = []))
)]
pub async fn create_endpoint(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    Json(body): Json<NewEndpointBody>,
) -> Result<(StatusCode, axum::Json<EndpointWithSecret>), ApiError> {
    let r = state
        .backends
        .inquiry()
        .create_webhook_endpoint(outgoing(
            pb::CreateWebhookEndpointRequest {
                organization_id: id,
                url: body.url,
                event_types: body
                    .event_types
                    .iter()
                    .map(|t| t.as_str().to_owned())
                    .collect(),
                description: body.description,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok((
        StatusCode::CREATED,
        axum::Json(EndpointWithSecret {
            endpoint: endpoint_of(r.endpoint)?,
            secret: r.secret,
        }),
    ))
}

/// The organisation's endpoints.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/webhooks",
    tag = "webhooks",
    params(("id" = crate::openapi::formats::Id, Path, description = "The organisation id.")),
    responses((status = 200, description = "The endpoints (never their secrets).", body = EndpointList)),
    security(("bearer" = []))
)]
pub async fn list_endpoints(
    State(state): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> Result<axum::Json<EndpointList>, ApiError> {
    let r = state
        .backends
        .inquiry()
        .list_webhook_endpoints(outgoing(
            pb::ListWebhookEndpointsRequest {
                organization_id: id,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(EndpointList {
        endpoints: r.endpoints.into_iter().map(Into::into).collect(),
    }))
}

/// Removes an endpoint and every delivery still owed to it.
#[utoipa::path(
    delete,
    path = "/api/v1/organizations/{id}/webhooks/{endpoint_id}",
    tag = "webhooks",
    params(
        ("id" = crate::openapi::formats::Id, Path, description = "The organisation id."),
        ("endpoint_id" = crate::openapi::formats::Id, Path, description = "The endpoint id."),
    ),
    responses((status = 204, description = "Removed.")),
    security(("bearer" = []))
)]
pub async fn delete_endpoint(
    State(state): State<AppState>,
    bearer: Bearer,
    Path((id, endpoint_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state
        .backends
        .inquiry()
        .delete_webhook_endpoint(outgoing(
            pb::DeleteWebhookEndpointRequest {
                organization_id: id,
                endpoint_id,
            },
            bearer.token(),
        ))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The body of `POST …/webhooks/{endpoint_id}/enabled`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnabledBody {
    /// Send deliveries (true) or hold them (false).
    pub enabled: bool,
}

/// Turns an endpoint's deliveries off (they wait) or on again.
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/webhooks/{endpoint_id}/enabled",
    tag = "webhooks",
    params(
        ("id" = crate::openapi::formats::Id, Path, description = "The organisation id."),
        ("endpoint_id" = crate::openapi::formats::Id, Path, description = "The endpoint id."),
    ),
    request_body = EnabledBody,
    responses((status = 200, description = "The endpoint as it is now.", body = WebhookEndpoint)),
    security(("bearer" = []))
)]
pub async fn set_enabled(
    State(state): State<AppState>,
    bearer: Bearer,
    Path((id, endpoint_id)): Path<(String, String)>,
    Json(body): Json<EnabledBody>,
) -> Result<axum::Json<WebhookEndpoint>, ApiError> {
    let r = state
        .backends
        .inquiry()
        .set_webhook_endpoint_enabled(outgoing(
            pb::SetWebhookEndpointEnabledRequest {
                organization_id: id,
                endpoint_id,
                enabled: body.enabled,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(endpoint_of(r.endpoint)?))
}

/// The body of `POST …/webhooks/{endpoint_id}/rotate`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateBody {
    /// Seconds the previous secret keeps signing beside the new one (0 ends it now; at
    /// most 30 days).
    #[serde(default)]
    #[schema(maximum = 2_592_000)]
    pub overlap_seconds: u32,
}

/// Gives the endpoint a new secret; during the overlap each delivery carries both
/// signatures.
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/webhooks/{endpoint_id}/rotate",
    tag = "webhooks",
    params(
        ("id" = crate::openapi::formats::Id, Path, description = "The organisation id."),
        ("endpoint_id" = crate::openapi::formats::Id, Path, description = "The endpoint id."),
    ),
    request_body = RotateBody,
    responses((status = 200, description = "The new secret (shown once).", body = EndpointWithSecret)),
    security(("bearer" = []))
)]
pub async fn rotate_secret(
    State(state): State<AppState>,
    bearer: Bearer,
    Path((id, endpoint_id)): Path<(String, String)>,
    Json(body): Json<RotateBody>,
) -> Result<axum::Json<EndpointWithSecret>, ApiError> {
    let r = state
        .backends
        .inquiry()
        .rotate_webhook_secret(outgoing(
            pb::RotateWebhookSecretRequest {
                organization_id: id,
                endpoint_id,
                overlap_seconds: body.overlap_seconds,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(EndpointWithSecret {
        endpoint: endpoint_of(r.endpoint)?,
        secret: r.secret,
    }))
}

/// A delivery's state.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its first or next attempt.
    Pending,
    /// Accepted by the receiver.
    Delivered,
    /// Its retry budget ran out: the dead-letter list.
    Dead,
}

/// `?state=&limit=` of the delivery list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Only this state.
    pub state: Option<DeliveryState>,
    /// At most this many, newest first (50 when absent or 0; more than 200 is read as 200).
    #[param(format = Int64, minimum = 0, maximum = 4_294_967_295_i64)]
    pub limit: Option<u32>,
}

/// One event owed to the endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDelivery {
    /// The `webhook-id` header, the same on every attempt.
    pub delivery_id: String,
    /// The event type.
    pub event_type: String,
    /// `pending`, `delivered` or `dead`.
    pub state: String,
    /// Attempts made.
    pub attempts: u32,
    /// When the event happened (RFC 3339).
    pub created_at: Option<String>,
    /// When the next attempt is due (pending).
    pub next_attempt_at: Option<String>,
    /// When the receiver accepted it.
    pub delivered_at: Option<String>,
    /// The last attempt's HTTP status; 0 when none came back.
    pub last_status_code: u32,
    /// What went wrong last.
    pub last_error: String,
    /// The JSON body sent.
    pub payload: String,
}

/// An endpoint's deliveries.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    /// Newest first.
    pub deliveries: Vec<WebhookDelivery>,
}

/// The endpoint's deliveries, newest first; `?state=dead` is its dead-letter list.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{id}/webhooks/{endpoint_id}/deliveries",
    tag = "webhooks",
    params(
        ("id" = crate::openapi::formats::Id, Path, description = "The organisation id."),
        ("endpoint_id" = crate::openapi::formats::Id, Path, description = "The endpoint id."),
        DeliveriesQuery,
    ),
    responses((status = 200, description = "The deliveries.", body = DeliveryList)),
    security(("bearer" = []))
)]
pub async fn list_deliveries(
    State(state): State<AppState>,
    bearer: Bearer,
    Path((id, endpoint_id)): Path<(String, String)>,
    Query(q): Query<DeliveriesQuery>,
) -> Result<axum::Json<DeliveryList>, ApiError> {
    let r = state
        .backends
        .inquiry()
        .list_webhook_deliveries(outgoing(
            pb::ListWebhookDeliveriesRequest {
                organization_id: id,
                endpoint_id,
                state: match q.state {
                    None => String::new(),
                    Some(DeliveryState::Pending) => "pending".into(),
                    Some(DeliveryState::Delivered) => "delivered".into(),
                    Some(DeliveryState::Dead) => "dead".into(),
                },
                page_size: q.limit.unwrap_or(50).clamp(1, 200),
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(DeliveryList {
        deliveries: r
            .deliveries
            .into_iter()
            .map(|d| WebhookDelivery {
                delivery_id: d.delivery_id,
                event_type: d.event_type,
                state: d.state,
                attempts: d.attempts,
                created_at: dto::instant(d.created_at),
                next_attempt_at: dto::instant(d.next_attempt_at),
                delivered_at: dto::instant(d.delivered_at),
                last_status_code: d.last_status_code,
                last_error: d.last_error,
                payload: d.payload,
            })
            .collect(),
    }))
}

/// The body of `POST …/webhooks/{endpoint_id}/replay`: one delivery, or every dead one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayBody {
    /// The delivery to send again (delivered or dead); leave out with `all_dead`.
    #[serde(default)]
    #[schema(schema_with = crate::openapi::formats::optional_id)]
    pub delivery_id: Option<String>,
    /// Send every dead delivery of the endpoint again.
    #[serde(default)]
    #[schema(example = true)]
    pub all_dead: bool,
}

/// How many deliveries are pending again.
#[derive(Debug, Serialize, ToSchema)]
pub struct Replayed {
    /// Deliveries queued again, each with a fresh retry budget.
    pub replayed: u32,
}

/// Sends one delivery, or every dead one, again.
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{id}/webhooks/{endpoint_id}/replay",
    tag = "webhooks",
    params(
        ("id" = crate::openapi::formats::Id, Path, description = "The organisation id."),
        ("endpoint_id" = crate::openapi::formats::Id, Path, description = "The endpoint id."),
    ),
    request_body = ReplayBody,
    responses((status = 200, description = "How many are queued again.", body = Replayed)),
    security(("bearer" = []))
)]
pub async fn replay(
    State(state): State<AppState>,
    bearer: Bearer,
    Path((id, endpoint_id)): Path<(String, String)>,
    Json(body): Json<ReplayBody>,
) -> Result<axum::Json<Replayed>, ApiError> {
    let r = state
        .backends
        .inquiry()
        .replay_webhook_deliveries(outgoing(
            pb::ReplayWebhookDeliveriesRequest {
                organization_id: id,
                endpoint_id,
                delivery_id: body.delivery_id.unwrap_or_default(),
                all_dead: body.all_dead,
            },
            bearer.token(),
        ))
        .await?
        .into_inner();
    Ok(axum::Json(Replayed {
        replayed: r.replayed,
    }))
}
