//! The gRPC handlers: check the caller, translate protobuf to the use cases in `service/`,
//! and translate the answers back.

use estelam_proto::notifications::v1 as pb;
use estelam_proto::notifications::v1::notification_service_server::NotificationService;
use estelam_runtime::auth::{Role, caller};
use estelam_runtime::error::ServiceError;
use estelam_runtime::time::timestamp;
use tonic::{Request, Response, Status};

use crate::errors;
use crate::rules::{Channel, Kind, Language, Preferences, mask_recipient};
use crate::service::Notifications;
use crate::store;

/// The tonic service over [`Notifications`].
#[derive(Clone)]
pub struct Api {
    service: Notifications,
}

impl Api {
    /// Handlers over `service`.
    pub fn new(service: Notifications) -> Self {
        Self { service }
    }
}

type Reply<T> = Result<Response<T>, Status>;

/// Preferences as the wire shows them: every kind listed, with the channels in effect.
pub fn preferences_pb(p: &Preferences) -> pb::Preferences {
    pb::Preferences {
        kinds: Kind::ALL
            .into_iter()
            .map(|kind| pb::KindChannels {
                kind: kind.to_pb() as i32,
                channels: p
                    .channels_for(kind)
                    .into_iter()
                    .map(|c| c.to_pb() as i32)
                    .collect(),
            })
            .collect(),
        email: p.email.clone(),
        language: p.language.as_str().to_owned(),
    }
}

/// Preferences from the wire, refusing unknown kinds, channels and languages.
pub fn preferences_from_pb(p: &pb::Preferences) -> Result<Preferences, ServiceError> {
    let language = Language::parse(&p.language).ok_or_else(errors::language_unsupported)?;
    let mut out = Preferences {
        email: p.email.clone(),
        language,
        ..Preferences::default()
    };
    for (i, k) in p.kinds.iter().enumerate() {
        let kind = Kind::from_pb(k.kind)
            .ok_or_else(|| errors::preference_invalid(&format!("preferences.kinds[{i}].kind")))?;
        let mut channels = Vec::new();
        for (j, c) in k.channels.iter().enumerate() {
            channels.push(Channel::from_pb(*c).ok_or_else(|| {
                errors::preference_invalid(&format!("preferences.kinds[{i}].channels[{j}]"))
            })?);
        }
        out.channels.insert(kind, channels);
    }
    Ok(out)
}

fn status_pb(status: &str) -> pb::DeliveryStatus {
    match status {
        store::PENDING => pb::DeliveryStatus::Pending,
        store::SENT => pb::DeliveryStatus::Sent,
        store::FAILED => pb::DeliveryStatus::Failed,
        store::UNREACHABLE => pb::DeliveryStatus::Unreachable,
        store::DELIVERED => pb::DeliveryStatus::Delivered,
        store::EXPIRED => pb::DeliveryStatus::Expired,
        _ => pb::DeliveryStatus::Unspecified,
    }
}

#[tonic::async_trait]
impl NotificationService for Api {
    async fn get_preferences(
        &self,
        request: Request<pb::GetPreferencesRequest>,
    ) -> Reply<pb::GetPreferencesResponse> {
        let who = caller(&request)?;
        let p = self.service.preferences(&who.subject).await?;
        Ok(Response::new(pb::GetPreferencesResponse {
            preferences: Some(preferences_pb(&p)),
        }))
    }

    async fn update_preferences(
        &self,
        request: Request<pb::UpdatePreferencesRequest>,
    ) -> Reply<pb::UpdatePreferencesResponse> {
        let who = caller(&request)?.clone();
        // Machines have no one to tell.
        if who.has(Role::Service) {
            return Err(ServiceError::permission_denied().into());
        }
        let wanted = request.into_inner().preferences.unwrap_or_default();
        let p = preferences_from_pb(&wanted)?;
        let p = self.service.set_preferences(&who.subject, p).await?;
        Ok(Response::new(pb::UpdatePreferencesResponse {
            preferences: Some(preferences_pb(&p)),
        }))
    }

    async fn list_deliveries(
        &self,
        request: Request<pb::ListDeliveriesRequest>,
    ) -> Reply<pb::ListDeliveriesResponse> {
        let who = caller(&request)?;
        let r = request.get_ref();
        let account_id = if r.account_id.is_empty() || r.account_id == who.subject {
            who.subject.clone()
        } else {
            who.require_any(&[Role::Clerk, Role::Admin])?;
            r.account_id.clone()
        };
        let limit = match r.page_size {
            n if n <= 0 => 50,
            n => i64::from(n.min(200)),
        };
        let rows = self.service.deliveries_of(&account_id, limit).await?;
        Ok(Response::new(pb::ListDeliveriesResponse {
            deliveries: rows
                .into_iter()
                .map(|d| pb::Delivery {
                    status: status_pb(&d.status) as i32,
                    kind: d.kind.to_pb() as i32,
                    channel: d.channel.to_pb() as i32,
                    recipient: mask_recipient(&d.recipient),
                    attempts: i32::try_from(d.attempts).unwrap_or(i32::MAX),
                    created_at: Some(timestamp(d.created_at_us)),
                    settled_at: (d.settled_at_us > 0).then(|| timestamp(d.settled_at_us)),
                    summary: d.subject,
                    delivery_id: d.delivery_id,
                    event_id: d.event_id,
                    provider_message_id: d.provider_message_id,
                })
                .collect(),
        }))
    }
}
