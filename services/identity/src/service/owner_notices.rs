//! Keeping the record of whether an owner could be told that a representative (وکیل) filed
//! an inquiry in their name, and what a clerk decided about the power of attorney: identity
//! consumes `inquiry.representation.changed` (the inquiry service's outbox) through the
//! inbox and looks the owner up by national code. The message itself goes from the
//! notifications service, which consumes the same event — one place for every message to a
//! person, with their preferences and the delivery audit. What only identity knows is kept
//! here (`owner_notices`): that the owner has no account, or no verified mobile, so nobody
//! could text them — never a reason to fail anything, the filing is already committed.

use std::sync::Arc;

use async_trait::async_trait;
use estelam_proto::events::v1::{RepresentationChanged, RepresentationStage};
use estelam_runtime::bus::{Event, EventBus, QueueSpec};
use estelam_runtime::db::now_micros;
use estelam_runtime::inbox::{Consumer, EventHandler, HandlerError};
use prost::Message;
use sqlx::{Any, Transaction};
use tokio_util::sync::CancellationToken;

use super::Identity;
use crate::store::{self, OwnerNoticeRow};

/// The consumer's name in the inbox; stable across releases.
pub const CONSUMER: &str = "identity.owner-notices";

/// The outcome recorded when the owner can be texted: the notifications service sends it.
pub const TOLD_BY_NOTIFICATIONS: &str = "notifications";

fn stage_name(stage: i32) -> Option<&'static str> {
    match RepresentationStage::try_from(stage) {
        Ok(RepresentationStage::Filed) => Some("filed"),
        Ok(RepresentationStage::Approved) => Some("approved"),
        Ok(RepresentationStage::Refused) => Some("refused"),
        _ => None,
    }
}

/// Records each `inquiry.representation.changed` inside the inbox transaction.
struct OwnerNotices;

#[async_trait]
impl EventHandler for OwnerNotices {
    async fn handle(
        &self,
        tx: &mut Transaction<'static, Any>,
        event: &Event,
    ) -> Result<(), HandlerError> {
        let changed = RepresentationChanged::decode(event.payload.as_slice())?;
        let Some(stage) = stage_name(changed.stage) else {
            return Err(HandlerError::permanent(anyhow::anyhow!(
                "representation event {} has no known stage",
                event.id
            )));
        };
        let account = store::account_by_national_code(tx, &changed.owner_national_code)
            .await
            .map_err(HandlerError::from)?;
        let (account_id, mobile, outcome) = match &account {
            None => (String::new(), String::new(), "no_account"),
            Some(a) if !a.mobile_verified || a.mobile.is_empty() => {
                (a.account_id.clone(), String::new(), "mobile_unverified")
            }
            Some(a) => (
                a.account_id.clone(),
                a.mobile.clone(),
                TOLD_BY_NOTIFICATIONS,
            ),
        };
        let row = OwnerNoticeRow {
            inquiry_id: changed.inquiry_id.clone(),
            stage: stage.to_owned(),
            inquiry_number: changed.inquiry_number.clone(),
            owner_national_code: changed.owner_national_code.clone(),
            account_id,
            mobile,
            outcome: outcome.to_owned(),
            event_id: event.id.clone(),
            created_at_us: now_micros(),
        };
        let first = store::insert_owner_notice(tx, &row)
            .await
            .map_err(HandlerError::from)?;
        if first && outcome != TOLD_BY_NOTIFICATIONS {
            tracing::info!(inquiry = %row.inquiry_id, stage = %row.stage, outcome, "owner cannot be texted about a representation");
        }
        Ok(())
    }
}

/// Subscribes identity to `inquiry.representation.changed` and consumes in the background
/// until `shutdown`. The queue exists when this returns.
pub async fn spawn_owner_notices(
    identity: Identity,
    bus: Arc<dyn EventBus>,
    queue: &str,
    prefetch: u16,
    delivery_limit: u32,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let mut spec = QueueSpec::new(queue, [estelam_proto::routing_keys::REPRESENTATION_CHANGED]);
    spec.prefetch = prefetch.max(1);
    spec.delivery_limit = delivery_limit;
    let consumer = Consumer::new(identity.db.clone(), bus, spec, CONSUMER, OwnerNotices);
    consumer.spawn(shutdown).await?;
    Ok(())
}
