//! The JSON a webhook carries, `{type, timestamp, data}` as Standard Webhooks has it, made
//! from the very bus event the transaction enqueued (one source for both channels). The
//! data is what the answer itself makes public, no more: the inquiry's id and number, the
//! answer's verification code, its status and the verification link from the configured
//! public address. No names, national codes or parcel owners.

use estelam_proto::events::v1 as epb;
use estelam_proto::routing_keys;
use estelam_runtime::bus::Event;
use estelam_runtime::time::micros;
use prost::Message;
use serde_json::{Value, json};

use super::EventType;
use crate::dates::rfc3339_seconds;

/// One webhook's worth of an event: its type, who receives it, the inquiry that orders it,
/// and the body.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// The webhook event type.
    pub event_type: EventType,
    /// The organisations it reaches: the filing one and the one the letter names.
    pub organizations: Vec<String>,
    /// The inquiry (or batch) whose events are delivered in order.
    pub ordering_key: String,
    /// `{type, timestamp, data}`.
    pub body: Value,
}

fn instant(t: Option<&prost_types::Timestamp>, fallback_us: i64) -> String {
    let us = t.and_then(micros).unwrap_or(fallback_us);
    rfc3339_seconds(us.div_euclid(1_000_000))
}

fn verification_url(public_base_url: &str, code: &str) -> String {
    format!("{}/verify/{code}", public_base_url.trim_end_matches('/'))
}

fn organizations(filing: &str, letter: &str) -> Vec<String> {
    let mut orgs: Vec<String> = [filing, letter]
        .into_iter()
        .filter(|o| !o.is_empty())
        .map(str::to_owned)
        .collect();
    orgs.dedup();
    orgs
}

fn body(event_type: EventType, timestamp: String, data: Value) -> Value {
    json!({"type": event_type.as_str(), "timestamp": timestamp, "data": data})
}

/// The webhook of a bus event, if the event is one organisations may subscribe to.
pub fn of_event(event: &Event, public_base_url: &str) -> Option<Outgoing> {
    let at = event.occurred_at_us;
    match event.routing_key.as_str() {
        routing_keys::ANSWER_ISSUED => {
            let e = epb::AnswerIssued::decode(event.payload.as_slice()).ok()?;
            let t = EventType::AnswerIssued;
            Some(Outgoing {
                event_type: t,
                organizations: organizations(&e.organization_id, &e.letter_organization_id),
                ordering_key: e.inquiry_id.clone(),
                body: body(
                    t,
                    instant(e.occurred_at.as_ref(), at),
                    json!({
                        "inquiry_id": e.inquiry_id,
                        "inquiry_number": e.inquiry_number,
                        "request_type_code": e.request_type_code,
                        "verification_code": e.verification_code,
                        "status": "issued",
                        "issued_at": instant(e.issued_at.as_ref(), at),
                        "valid_until": instant(e.valid_until.as_ref(), at),
                        "verification_url": verification_url(public_base_url, &e.verification_code),
                    }),
                ),
            })
        }
        routing_keys::ANSWER_REVOKED => {
            let e = epb::AnswerRevoked::decode(event.payload.as_slice()).ok()?;
            let t = EventType::AnswerRevoked;
            Some(Outgoing {
                event_type: t,
                organizations: organizations(&e.organization_id, &e.letter_organization_id),
                ordering_key: e.inquiry_id.clone(),
                body: body(
                    t,
                    instant(e.occurred_at.as_ref(), at),
                    json!({
                        "inquiry_id": e.inquiry_id,
                        "inquiry_number": e.inquiry_number,
                        "verification_code": e.verification_code,
                        "status": "revoked",
                        "reason": e.reason,
                        "verification_url": verification_url(public_base_url, &e.verification_code),
                    }),
                ),
            })
        }
        routing_keys::AWAITING_PAYMENT => {
            let e = epb::InquiryAwaitingPayment::decode(event.payload.as_slice()).ok()?;
            let t = EventType::AwaitingPayment;
            Some(Outgoing {
                event_type: t,
                organizations: organizations(&e.organization_id, &e.letter_organization_id),
                ordering_key: e.inquiry_id.clone(),
                body: body(
                    t,
                    instant(e.occurred_at.as_ref(), at),
                    json!({
                        "inquiry_id": e.inquiry_id,
                        "inquiry_number": e.inquiry_number,
                        "status": "awaiting_payment",
                        "amount_due_rials": e.amount_due_rials,
                    }),
                ),
            })
        }
        routing_keys::BATCH_FINISHED => {
            let e = epb::BatchFinished::decode(event.payload.as_slice()).ok()?;
            Some(batch_finished(
                &e.organization_id,
                &e.batch_id,
                at,
                json!({
                    "batch_id": e.batch_id,
                    "client_batch_id": e.client_batch_id,
                    "total": e.total,
                    "issued": e.issued,
                    "awaiting_payment": e.awaiting_payment,
                    "refused": e.refused,
                    "settled": e.settled,
                }),
            ))
        }
        _ => None,
    }
}

/// `batch.finished` for a batch of `organization_id`'s: `data` is the batch's summary
/// (its id and per-outcome counts), as the batch processor states it.
pub fn batch_finished(organization_id: &str, batch_id: &str, at_us: i64, data: Value) -> Outgoing {
    let t = EventType::BatchFinished;
    Outgoing {
        event_type: t,
        organizations: organizations(organization_id, ""),
        ordering_key: batch_id.to_owned(),
        body: body(t, rfc3339_seconds(at_us.div_euclid(1_000_000)), data),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use estelam_runtime::time::timestamp;

    #[test]
    fn an_issued_answer_carries_no_personal_data_and_reaches_both_offices() {
        let e = epb::AnswerIssued {
            event_id: "e".into(),
            occurred_at: Some(timestamp(1_700_000_000_000_000)),
            inquiry_id: "inq".into(),
            inquiry_number: "1234".into(),
            request_type_code: "property-transfer".into(),
            verification_code: "100000000009".into(),
            renovation_code: "1-2-3-4-0-0".into(),
            organization_id: "".into(),
            issued_at: Some(timestamp(1_700_000_000_000_000)),
            valid_until: Some(timestamp(1_800_000_000_000_000)),
            letter_organization_id: "office".into(),
        };
        let event = Event::new(
            routing_keys::ANSWER_ISSUED,
            "estelam.events.v1.AnswerIssued",
            e.encode_to_vec(),
        );
        let out = of_event(&event, "https://estelam.example/").expect("a webhook");
        assert_eq!(out.organizations, ["office"]);
        assert_eq!(out.ordering_key, "inq");
        assert_eq!(out.body["type"], "answer.issued");
        assert_eq!(out.body["timestamp"], "2023-11-14T22:13:20Z");
        assert_eq!(
            out.body["data"]["verification_url"],
            "https://estelam.example/verify/100000000009"
        );
        let text = out.body.to_string();
        assert!(!text.contains("1-2-3-4-0-0"), "{text}");
    }
}
