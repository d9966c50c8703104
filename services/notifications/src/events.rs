//! Events consumed: fees (bill waiting, payment received), inquiry (answer issued or
//! revoked, an inquiry filed in an owner's name) and identity (a login). The inbox runs the
//! handler in its transaction, so a redelivered event finds its inbox row and has no second
//! effect; the handler only writes a notice (no I/O), and the sender does the rest.

use std::sync::Arc;

use async_trait::async_trait;
use estelam_proto::events::v1 as epb;
use estelam_proto::routing_keys as rk;
use estelam_runtime::bus::{Event, EventBus, QueueSpec};
use estelam_runtime::db::{Database, now_micros};
use estelam_runtime::inbox::{Consumer, EventHandler, HandlerError};
use prost::Message;
use sqlx::{Any, Transaction};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::rules::{Facts, Kind};
use crate::store::{self, NoticeRow};

/// The consumer's name in the inbox; stable across releases.
pub const CONSUMER: &str = "notifications.notices";

/// The routing keys this service reads.
pub const BINDINGS: [&str; 6] = [
    rk::DEBT_ASSESSED,
    rk::PAYMENT_RECEIVED,
    rk::ANSWER_ISSUED,
    rk::ANSWER_REVOKED,
    rk::REPRESENTATION_CHANGED,
    rk::SESSION_STARTED,
];

fn stage_name(stage: i32) -> &'static str {
    match epb::RepresentationStage::try_from(stage) {
        Ok(epb::RepresentationStage::Approved) => "approved",
        Ok(epb::RepresentationStage::Refused) => "refused",
        _ => "filed",
    }
}

/// The notice `event` makes, or `None` when it concerns nobody to tell (a bill with no
/// inquiry, a routing key this release does not read).
pub fn notice_of(event: &Event) -> Result<Option<NoticeRow>, prost::DecodeError> {
    let payload = event.payload.as_slice();
    let mut n = NoticeRow {
        event_id: event.id.clone(),
        kind: Kind::NewLogin,
        inquiry_id: String::new(),
        account_id: String::new(),
        national_code: String::new(),
        facts: Facts::default(),
        attempts: 0,
    };
    match event.routing_key.as_str() {
        rk::DEBT_ASSESSED => {
            let e = epb::DebtAssessed::decode(payload)?;
            if e.inquiry_id.is_empty() || e.amount_rials <= 0 {
                return Ok(None);
            }
            n.kind = Kind::BillWaiting;
            n.inquiry_id = e.inquiry_id;
            n.facts.renovation_code = e.renovation_code;
            n.facts.amount_rials = e.amount_rials;
        }
        rk::PAYMENT_RECEIVED => {
            let e = epb::PaymentReceived::decode(payload)?;
            if e.inquiry_id.is_empty() {
                return Ok(None);
            }
            n.kind = Kind::PaymentReceived;
            n.inquiry_id = e.inquiry_id;
            n.facts.renovation_code = e.renovation_code;
            n.facts.amount_rials = e.amount_rials;
            n.facts.tracking_code = e.tracking_code;
        }
        rk::ANSWER_ISSUED => {
            let e = epb::AnswerIssued::decode(payload)?;
            n.kind = Kind::AnswerIssued;
            n.inquiry_id = e.inquiry_id;
            n.facts.inquiry_number = e.inquiry_number;
            n.facts.renovation_code = e.renovation_code;
            n.facts.verification_code = e.verification_code;
        }
        rk::ANSWER_REVOKED => {
            let e = epb::AnswerRevoked::decode(payload)?;
            n.kind = Kind::AnswerRevoked;
            n.inquiry_id = e.inquiry_id;
            n.facts.inquiry_number = e.inquiry_number;
            n.facts.renovation_code = e.renovation_code;
            n.facts.verification_code = e.verification_code;
            n.facts.reason = e.reason;
        }
        rk::REPRESENTATION_CHANGED => {
            let e = epb::RepresentationChanged::decode(payload)?;
            n.kind = Kind::FiledInYourName;
            n.national_code = e.owner_national_code;
            n.facts.inquiry_number = e.inquiry_number;
            n.facts.renovation_code = e.renovation_code;
            n.facts.actor = e.representative_full_name;
            n.facts.stage = stage_name(e.stage).to_owned();
            n.facts.reason = e.reason;
        }
        rk::SESSION_STARTED => {
            let e = epb::SessionStarted::decode(payload)?;
            n.kind = Kind::NewLogin;
            n.account_id = e.account_id;
            n.facts.source = e.source;
        }
        _ => return Ok(None),
    }
    Ok(Some(n))
}

/// Writes each event's notice inside the inbox transaction and wakes the sender.
struct Intake {
    wake: Arc<Notify>,
}

#[async_trait]
impl EventHandler for Intake {
    async fn handle(
        &self,
        tx: &mut Transaction<'static, Any>,
        event: &Event,
    ) -> Result<(), HandlerError> {
        let Some(notice) = notice_of(event)? else {
            return Ok(());
        };
        store::insert_notice(tx, &notice, now_micros()).await?;
        // Woken before the commit: the sender may look a moment too early and find
        // nothing, and then finds it on its next poll.
        self.wake.notify_one();
        Ok(())
    }
}

/// Subscribes to [`BINDINGS`] on `queue` and consumes in the background until `shutdown`;
/// the queue exists when this returns.
pub async fn spawn_intake(
    db: Database,
    bus: Arc<dyn EventBus>,
    queue: &str,
    prefetch: u16,
    delivery_limit: u32,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let mut spec = QueueSpec::new(queue, BINDINGS);
    spec.prefetch = prefetch.max(1);
    spec.delivery_limit = delivery_limit;
    let consumer = Consumer::new(db, bus, spec, CONSUMER, Intake { wake });
    consumer.spawn(shutdown).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(routing_key: &str, payload: Vec<u8>) -> Event {
        Event::new(routing_key, "t", payload)
    }

    #[test]
    fn each_event_names_whom_and_what_to_tell() {
        let bill = epb::DebtAssessed {
            inquiry_id: "inq-1".into(),
            amount_rials: 5_000_000,
            ..Default::default()
        };
        let n = notice_of(&event(rk::DEBT_ASSESSED, bill.encode_to_vec()))
            .expect("decodes")
            .expect("a notice");
        assert_eq!(
            (n.kind, n.inquiry_id.as_str(), n.facts.amount_rials),
            (Kind::BillWaiting, "inq-1", 5_000_000)
        );

        let rep = epb::RepresentationChanged {
            owner_national_code: "0076229645".into(),
            representative_full_name: "رضا وکیلی".into(),
            stage: epb::RepresentationStage::Refused as i32,
            ..Default::default()
        };
        let n = notice_of(&event(rk::REPRESENTATION_CHANGED, rep.encode_to_vec()))
            .expect("decodes")
            .expect("a notice");
        assert_eq!(
            (n.kind, n.national_code.as_str(), n.facts.stage.as_str()),
            (Kind::FiledInYourName, "0076229645", "refused")
        );

        let login = epb::SessionStarted {
            account_id: "acc-1".into(),
            source: "10.0.0.1".into(),
            ..Default::default()
        };
        let n = notice_of(&event(rk::SESSION_STARTED, login.encode_to_vec()))
            .expect("decodes")
            .expect("a notice");
        assert_eq!((n.kind, n.account_id.as_str()), (Kind::NewLogin, "acc-1"));
    }

    #[test]
    fn events_that_concern_nobody_make_no_notice() {
        let no_inquiry = epb::DebtAssessed {
            amount_rials: 1,
            ..Default::default()
        };
        assert!(
            notice_of(&event(rk::DEBT_ASSESSED, no_inquiry.encode_to_vec()))
                .expect("decodes")
                .is_none()
        );
        assert!(
            notice_of(&event(rk::DEBT_CLEARED, Vec::new()))
                .expect("decodes")
                .is_none()
        );
        assert!(
            notice_of(&event(rk::ANSWER_ISSUED, vec![0xff, 0xff])).is_err(),
            "garbage is refused"
        );
    }
}
