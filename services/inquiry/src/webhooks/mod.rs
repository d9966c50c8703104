//! Webhooks: organisations' endpoints receive the inquiry events that concern them, pushed
//! as [Standard Webhooks](https://www.standardwebhooks.com) (signed, retried, replayable).
//!
//! They live in the inquiry service because the events are its own: a delivery row is
//! written in the very transaction that issues, revokes or sets an inquiry waiting for
//! payment ([`enqueue`], beside the outbox row of the bus event it is made from), so a
//! delivery exists exactly when the change committed: never lost, never sent for a
//! rolled-back change, with no second consumer of the bus between the two. A separate
//! service would need its own inbox and its own copy of who may see which inquiry.
//!
//! * [`payload`]: the JSON body, made from the bus event, with no more personal data than
//!   the answer itself;
//! * [`signing`]: `whsec_` secrets and the `v1,` HMAC-SHA256 signature;
//! * [`address`]: where an endpoint may point (https, no internal addresses unless
//!   allowed), checked when saved and again when each delivery connects;
//! * [`worker`]: the delivery loop: leased claims, bounded concurrency, a timeout per
//!   request, exponential backoff with jitter, the dead-letter list, order per inquiry;
//! * [`manage`]: the use cases behind the gRPC methods (endpoints, secrets, deliveries,
//!   replay), with who may call them.

pub mod address;
pub mod manage;
pub mod payload;
pub mod refusals;
pub mod signing;
pub mod worker;

use estelam_runtime::bus::Event;
use sqlx::AnyConnection;

use crate::store::webhooks::{self as store, DeliveryRow};

/// The event types an endpoint may subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// An inquiry's answer was issued.
    AnswerIssued,
    /// An issued answer was revoked.
    AnswerRevoked,
    /// A submitted inquiry waits for its bill to be paid.
    AwaitingPayment,
    /// A batch of inquiries was processed to the end (sent by the batch processor, whose
    /// bus event is `inquiry.batch.finished`).
    BatchFinished,
}

impl EventType {
    /// Every type, in the order the API lists them.
    pub const ALL: [EventType; 4] = [
        Self::AnswerIssued,
        Self::AnswerRevoked,
        Self::AwaitingPayment,
        Self::BatchFinished,
    ];

    /// The name on the wire (`type` in the body, `event_types` in the API).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AnswerIssued => "answer.issued",
            Self::AnswerRevoked => "answer.revoked",
            Self::AwaitingPayment => "inquiry.awaiting_payment",
            Self::BatchFinished => "batch.finished",
        }
    }

    /// The type named `s`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s.trim())
    }
}

/// Writes the deliveries `event` owes to the endpoints of the organisations it concerns,
/// inside the caller's transaction (the one that enqueues the event on the outbox). An
/// event no webhook carries, or with no subscriber, writes nothing. Returns how many.
pub async fn enqueue(
    conn: &mut AnyConnection,
    event: &Event,
    public_base_url: &str,
) -> Result<usize, sqlx::Error> {
    match payload::of_event(event, public_base_url) {
        Some(out) => enqueue_outgoing(conn, &out, event.occurred_at_us).await,
        None => Ok(0),
    }
}

/// Writes the deliveries of one webhook (see [`enqueue`]); the batch processor calls it
/// with [`payload::batch_finished`].
pub async fn enqueue_outgoing(
    conn: &mut AnyConnection,
    out: &payload::Outgoing,
    at_us: i64,
) -> Result<usize, sqlx::Error> {
    let orgs: Vec<&str> = out.organizations.iter().map(String::as_str).collect();
    if orgs.is_empty() {
        return Ok(0);
    }
    let endpoints = store::endpoints_of_any(conn, &orgs).await?;
    let body = out.body.to_string();
    let mut n = 0;
    for e in endpoints
        .iter()
        .filter(|e| e.wants(out.event_type.as_str()))
    {
        store::insert_delivery(
            conn,
            &DeliveryRow {
                id: format!("msg_{}", uuid::Uuid::now_v7().simple()),
                endpoint_id: e.id.clone(),
                organization_id: e.organization_id.clone(),
                event_type: out.event_type.as_str().to_owned(),
                ordering_key: out.ordering_key.clone(),
                payload: body.clone(),
                state: store::PENDING.to_owned(),
                attempts: 0,
                next_attempt_at_us: at_us,
                retry_from_us: at_us,
                created_at_us: at_us,
                delivered_at_us: None,
                last_status: 0,
                last_error: String::new(),
            },
        )
        .await?;
        n += 1;
    }
    Ok(n)
}
