//! Telling an owner that a representative (وکیل) filed an inquiry in their name, and what a
//! clerk decided about the power of attorney: identity consumes
//! `inquiry.representation.changed` (the inquiry service's outbox) through the inbox, finds
//! the owner's account by national code and sends an SMS to its verified mobile. An owner
//! with no account, or whose mobile is not verified, cannot be told: that is recorded
//! (`owner_notices`), never a reason to fail anything — the filing is already committed.

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

/// The SMS an owner is sent for `event`, both languages; `None` for a stage this release
/// does not know (nothing is sent rather than something wrong).
pub fn notice_text(event: &RepresentationChanged) -> Option<String> {
    let number = &event.inquiry_number;
    let who = &event.representative_full_name;
    let text = match RepresentationStage::try_from(event.stage).ok()? {
        RepresentationStage::Filed => format!(
            "شهرداری: استعلام ملک {number} به نام شما، به وکالت {who} ثبت شد و پس از بررسی وکالت‌نامه ادامه می‌یابد. اگر وکالت نداده‌اید با شهرداری تماس بگیرید.\n\
             Municipality: inquiry {number} was filed in your name by {who} as your representative; it goes on once the power of attorney is checked. If you gave no power of attorney, contact the municipality."
        ),
        RepresentationStage::Approved => format!(
            "شهرداری: وکالت {who} برای استعلام {number} به نام شما تأیید شد.\n\
             Municipality: {who}'s power of attorney for inquiry {number} in your name was approved."
        ),
        RepresentationStage::Refused => format!(
            "شهرداری: وکالت {who} برای استعلام {number} به نام شما پذیرفته نشد و استعلام بسته شد. علت: {reason}\n\
             Municipality: {who}'s power of attorney for inquiry {number} in your name was refused and the inquiry closed. Reason: {reason}",
            reason = event.reason
        ),
        RepresentationStage::Unspecified => return None,
    };
    Some(text)
}

fn stage_name(stage: i32) -> &'static str {
    match RepresentationStage::try_from(stage) {
        Ok(RepresentationStage::Filed) => "filed",
        Ok(RepresentationStage::Approved) => "approved",
        Ok(RepresentationStage::Refused) => "refused",
        _ => "unknown",
    }
}

/// Applies each `inquiry.representation.changed` inside the inbox transaction.
struct OwnerNotices {
    identity: Identity,
}

#[async_trait]
impl EventHandler for OwnerNotices {
    async fn handle(
        &self,
        tx: &mut Transaction<'static, Any>,
        event: &Event,
    ) -> Result<(), HandlerError> {
        let changed = RepresentationChanged::decode(event.payload.as_slice())?;
        let Some(text) = notice_text(&changed) else {
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
            Some(a) => (a.account_id.clone(), a.mobile.clone(), "sent"),
        };
        let row = OwnerNoticeRow {
            inquiry_id: changed.inquiry_id.clone(),
            stage: stage_name(changed.stage).to_owned(),
            inquiry_number: changed.inquiry_number.clone(),
            owner_national_code: changed.owner_national_code.clone(),
            account_id,
            mobile: mobile.clone(),
            outcome: outcome.to_owned(),
            event_id: event.id.clone(),
            created_at_us: now_micros(),
        };
        let first = store::insert_owner_notice(tx, &row)
            .await
            .map_err(HandlerError::from)?;
        if !first {
            return Ok(());
        }
        if mobile.is_empty() {
            tracing::info!(inquiry = %row.inquiry_id, stage = %row.stage, outcome, "owner could not be told of a representation");
            return Ok(());
        }
        // Sent before the commit: should the commit fail, the redelivery sends it again
        // (at least once), rather than an owner never being told.
        self.identity.sms.send(&mobile, &text).await.map_err(|e| {
            HandlerError::transient(anyhow::anyhow!("sending the owner's notice: {e}"))
        })?;
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
    let db = identity.db.clone();
    let consumer = Consumer::new(db, bus, spec, CONSUMER, OwnerNotices { identity });
    consumer.spawn(shutdown).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_says_who_and_which_inquiry_in_both_languages() {
        for stage in [
            RepresentationStage::Filed,
            RepresentationStage::Approved,
            RepresentationStage::Refused,
        ] {
            let event = RepresentationChanged {
                inquiry_number: "1234567890".into(),
                representative_full_name: "رضا وکیلی".into(),
                stage: stage as i32,
                reason: "امضا ندارد".into(),
                ..Default::default()
            };
            let text = notice_text(&event).expect("a known stage");
            assert!(
                text.contains("1234567890") && text.contains("رضا وکیلی"),
                "{text}"
            );
            assert!(text.contains("Municipality:"), "{text}");
            assert_eq!(
                text.contains("امضا ندارد"),
                stage == RepresentationStage::Refused,
                "{text}"
            );
            // No six-digit run a code reader could mistake for a one-time code.
            assert_eq!(crate::sms::code_in(&text), None, "{text}");
        }
        assert_eq!(
            notice_text(&RepresentationChanged::default()),
            None,
            "an unknown stage sends nothing"
        );
    }
}
