//! The webhook use cases behind the gRPC methods: an organisation's endpoints, their
//! secrets, their deliveries and replay. An organisation's own users and API clients
//! (role authority, of that organisation) and the municipality's admin may call them; for
//! anyone else's organisation the endpoint is NOT_FOUND, as if it did not exist.

use estelam_domain::clean_text;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::auth::{Caller, Role};
use estelam_runtime::db::now_micros;
use estelam_runtime::error::ServiceError;
use estelam_runtime::time::{optional_timestamp, timestamp};

use super::EventType;
use super::address;
use super::refusals as errors;
use super::signing;
use crate::engine::Engine;
use crate::errors::text_refused;
use crate::store::webhooks::{self as store, DeliveryRow, EndpointRow};

/// The longest overlap a rotation may give the previous secret: 30 days.
pub const MAX_OVERLAP_SECONDS: u32 = 30 * 86_400;

/// The organisation `requested` if `caller` may manage its webhooks.
fn organization_of(caller: &Caller, requested: &str) -> Result<String, ServiceError> {
    caller.require_any(&[Role::Authority, Role::Admin])?;
    let requested = requested.trim();
    if caller.has(Role::Admin) {
        if requested.is_empty() {
            return Err(errors::webhook_organization_required());
        }
        return Ok(requested.to_owned());
    }
    match caller.organization.as_deref() {
        Some(own) if requested.is_empty() || requested == own => Ok(own.to_owned()),
        _ => Err(errors::webhook_endpoint_not_found()),
    }
}

fn event_types(requested: &[String]) -> Result<String, ServiceError> {
    let mut types: Vec<&'static str> = Vec::new();
    for t in requested {
        let t = EventType::parse(t).ok_or_else(|| errors::webhook_event_type_unknown(t))?;
        if !types.contains(&t.as_str()) {
            types.push(t.as_str());
        }
    }
    if types.is_empty() {
        return Err(errors::webhook_event_types_required());
    }
    Ok(types.join(" "))
}

fn to_pb(e: &EndpointRow) -> pb::WebhookEndpoint {
    pb::WebhookEndpoint {
        endpoint_id: e.id.clone(),
        organization_id: e.organization_id.clone(),
        url: e.url.clone(),
        event_types: e.event_types.split(' ').map(str::to_owned).collect(),
        description: e.description.clone(),
        enabled: e.enabled,
        created_at: Some(timestamp(e.created_at_us)),
        previous_secret_valid_until: optional_timestamp(
            e.previous_valid_until_us
                .filter(|until| *until > now_micros()),
        ),
    }
}

fn delivery_to_pb(d: &DeliveryRow) -> pb::WebhookDelivery {
    pb::WebhookDelivery {
        delivery_id: d.id.clone(),
        endpoint_id: d.endpoint_id.clone(),
        event_type: d.event_type.clone(),
        state: d.state.clone(),
        attempts: u32::try_from(d.attempts).unwrap_or(u32::MAX),
        created_at: Some(timestamp(d.created_at_us)),
        next_attempt_at: (d.state == store::PENDING).then(|| timestamp(d.next_attempt_at_us)),
        delivered_at: optional_timestamp(d.delivered_at_us),
        last_status_code: u32::try_from(d.last_status).unwrap_or(0),
        last_error: d.last_error.clone(),
        payload: d.payload.clone(),
    }
}

/// A fresh secret sealed under a fresh key id: (kid, sealed, as shown once).
fn fresh_secret(engine: &Engine) -> (String, String, String) {
    let secret = signing::new_secret();
    let kid = format!("whsec-{}", uuid::Uuid::now_v7());
    let sealed = engine.seal().seal(&kid, &secret);
    (kid, sealed, signing::display(&secret))
}

impl Engine {
    async fn own_endpoint(
        &self,
        caller: &Caller,
        organization_id: &str,
        endpoint_id: &str,
    ) -> Result<EndpointRow, ServiceError> {
        let org = organization_of(caller, organization_id)?;
        let mut conn = self.db().pool().acquire().await?;
        store::endpoint(&mut conn, endpoint_id.trim())
            .await?
            .filter(|e| e.organization_id == org)
            .ok_or_else(errors::webhook_endpoint_not_found)
    }

    /// Subscribes a new endpoint; its secret is in this answer only.
    pub async fn create_webhook_endpoint(
        &self,
        caller: &Caller,
        req: pb::CreateWebhookEndpointRequest,
    ) -> Result<pb::CreateWebhookEndpointResponse, ServiceError> {
        let org = organization_of(caller, &req.organization_id)?;
        let settings = &self.settings().webhooks;
        let url = address::check_url(&req.url, settings).map_err(errors::webhook_url_refused)?;
        let types = event_types(&req.event_types)?;
        let description =
            clean_text(errors::WEBHOOK_DESCRIPTION, &req.description).map_err(text_refused)?;
        // An office's users name only their own organisation (checked above); an admin may
        // name any, so it must exist.
        if caller.has(Role::Admin)
            && self
                .ports()
                .identity
                .get_organization(&org)
                .await?
                .is_none()
        {
            return Err(errors::webhook_endpoint_not_found());
        }
        let (kid, sealed, shown) = fresh_secret(self);
        let now = now_micros();
        let row = EndpointRow {
            id: uuid::Uuid::now_v7().to_string(),
            organization_id: org.clone(),
            url: url.to_string(),
            event_types: types,
            description,
            secret_kid: kid,
            secret: sealed,
            previous_secret_kid: None,
            previous_secret: None,
            previous_valid_until_us: None,
            enabled: true,
            created_at_us: now,
        };
        let mut tx = self.db().begin().await?;
        let count = store::count_endpoints(&mut tx, &org).await?;
        if count >= i64::from(settings.max_endpoints_per_organization) {
            tx.rollback().await?;
            return Err(errors::webhook_endpoints_too_many(
                settings.max_endpoints_per_organization,
            ));
        }
        store::insert_endpoint(&mut tx, &row).await?;
        tx.commit().await?;
        tracing::info!(endpoint = %row.id, organization = %org, by = %caller.subject, "webhook endpoint created");
        Ok(pb::CreateWebhookEndpointResponse {
            endpoint: Some(to_pb(&row)),
            secret: shown,
        })
    }

    /// The organisation's endpoints.
    pub async fn list_webhook_endpoints(
        &self,
        caller: &Caller,
        organization_id: &str,
    ) -> Result<Vec<pb::WebhookEndpoint>, ServiceError> {
        let org = organization_of(caller, organization_id)?;
        let mut conn = self.db().pool().acquire().await?;
        Ok(store::endpoints_of(&mut conn, &org)
            .await?
            .iter()
            .map(to_pb)
            .collect())
    }

    /// Turns an endpoint on or off.
    pub async fn set_webhook_endpoint_enabled(
        &self,
        caller: &Caller,
        req: &pb::SetWebhookEndpointEnabledRequest,
    ) -> Result<pb::WebhookEndpoint, ServiceError> {
        let e = self
            .own_endpoint(caller, &req.organization_id, &req.endpoint_id)
            .await?;
        let mut conn = self.db().pool().acquire().await?;
        store::set_enabled(&mut conn, &e.id, req.enabled, now_micros()).await?;
        let e = store::endpoint(&mut conn, &e.id)
            .await?
            .ok_or_else(errors::webhook_endpoint_not_found)?;
        if e.enabled {
            self.webhook_wake().notify_one();
        }
        Ok(to_pb(&e))
    }

    /// Removes an endpoint and what it was still owed.
    pub async fn delete_webhook_endpoint(
        &self,
        caller: &Caller,
        req: &pb::DeleteWebhookEndpointRequest,
    ) -> Result<(), ServiceError> {
        let e = self
            .own_endpoint(caller, &req.organization_id, &req.endpoint_id)
            .await?;
        let mut tx = self.db().begin().await?;
        store::delete_endpoint(&mut tx, &e.id).await?;
        tx.commit().await?;
        tracing::info!(endpoint = %e.id, by = %caller.subject, "webhook endpoint deleted");
        Ok(())
    }

    /// A new secret; the previous one keeps signing for the overlap.
    pub async fn rotate_webhook_secret(
        &self,
        caller: &Caller,
        req: &pb::RotateWebhookSecretRequest,
    ) -> Result<pb::RotateWebhookSecretResponse, ServiceError> {
        if req.overlap_seconds > MAX_OVERLAP_SECONDS {
            return Err(errors::webhook_overlap_too_long(MAX_OVERLAP_SECONDS));
        }
        let e = self
            .own_endpoint(caller, &req.organization_id, &req.endpoint_id)
            .await?;
        let (kid, sealed, shown) = fresh_secret(self);
        let now = now_micros();
        let until =
            (req.overlap_seconds > 0).then(|| now + i64::from(req.overlap_seconds) * 1_000_000);
        let mut conn = self.db().pool().acquire().await?;
        if !store::rotate_secret(&mut conn, &e, &kid, &sealed, until, now).await? {
            return Err(ServiceError::conflict());
        }
        let e = store::endpoint(&mut conn, &e.id)
            .await?
            .ok_or_else(errors::webhook_endpoint_not_found)?;
        tracing::info!(endpoint = %e.id, by = %caller.subject, "webhook secret rotated");
        Ok(pb::RotateWebhookSecretResponse {
            endpoint: Some(to_pb(&e)),
            secret: shown,
        })
    }

    /// An endpoint's deliveries, newest first.
    pub async fn list_webhook_deliveries(
        &self,
        caller: &Caller,
        req: &pb::ListWebhookDeliveriesRequest,
    ) -> Result<Vec<pb::WebhookDelivery>, ServiceError> {
        let state = req.state.trim();
        if !["", store::PENDING, store::DELIVERED, store::DEAD].contains(&state) {
            return Err(errors::webhook_delivery_state_unknown());
        }
        let e = self
            .own_endpoint(caller, &req.organization_id, &req.endpoint_id)
            .await?;
        let limit = match req.page_size {
            0 => 50,
            n => i64::from(n.min(200)),
        };
        let mut conn = self.db().pool().acquire().await?;
        Ok(store::deliveries_of(&mut conn, &e.id, Some(state), limit)
            .await?
            .iter()
            .map(delivery_to_pb)
            .collect())
    }

    /// Sends one delivery, or every dead one, again with a fresh retry budget.
    pub async fn replay_webhook_deliveries(
        &self,
        caller: &Caller,
        req: &pb::ReplayWebhookDeliveriesRequest,
    ) -> Result<u32, ServiceError> {
        let e = self
            .own_endpoint(caller, &req.organization_id, &req.endpoint_id)
            .await?;
        let one = req.delivery_id.trim();
        if one.is_empty() != req.all_dead {
            return Err(errors::webhook_replay_target_required());
        }
        let mut conn = self.db().pool().acquire().await?;
        let now = now_micros();
        let n = if req.all_dead {
            store::replay_dead(&mut conn, &e.id, now).await?
        } else if store::replay_one(&mut conn, &e.id, one, now).await? {
            1
        } else {
            return Err(errors::webhook_delivery_not_replayable());
        };
        self.webhook_wake().notify_one();
        tracing::info!(endpoint = %e.id, replayed = n, by = %caller.subject, "webhook deliveries replayed");
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }
}
