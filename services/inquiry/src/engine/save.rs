//! The one save of a changed inquiry: one transaction that writes the row once, only over
//! the version that was read, with whatever must be decided in the same transaction, the
//! recorded response and the events; then the outbox relay is woken.

use estelam_runtime::bus::Event;
use estelam_runtime::db::Backend;
use estelam_runtime::error::ServiceError;
use prost::Message;
use sqlx::AnyConnection;

use super::Engine;
use super::idempotency::FirstAttempt;
use crate::events;
use crate::model::{Inquiry, Stamp};
use crate::request_types::RequestTypeDef;
use crate::store::{self, AnswerRow};
use crate::workflow::State;

/// What the saving transaction decides besides writing the row, for changes whose outcome
/// depends on rows another transaction may be writing at the same moment.
pub(crate) enum Then<'a> {
    /// Writing the row is the whole change.
    Nothing,
    /// Writing the row, and these events with it (the owner's notice of a representation).
    Events(Vec<Event>),
    /// Submit, just assessed: issue the answer now when nothing is owed or the bill's
    /// payment is already recorded, else wait for the payment (see [`Engine::settle`]).
    Settle {
        /// The request type version the inquiry follows.
        def: &'a RequestTypeDef,
        /// Who submitted, and when.
        by: &'a Stamp,
    },
    /// A clerk revokes the inquiry's answer.
    Revoke {
        /// The answer, as it was read.
        answer: &'a AnswerRow,
        /// The clerk's reason, shown to every later verifier.
        reason: &'a str,
        /// The clerk.
        by: &'a str,
        /// When, µs.
        at_us: i64,
    },
}

/// What the transaction decided: the events to enqueue, and whether it issued an answer.
#[derive(Default)]
pub(crate) struct Decided {
    pub events: Vec<Event>,
    pub issued: bool,
}

impl Engine {
    /// Saves `inq`, changed in memory from the version it was read at, in one transaction:
    /// takes the row (refusing with a conflict if someone changed it since), decides `then`,
    /// writes the row once at the next version, records `respond`'s response for retries
    /// and enqueues the events; after the commit, wakes the relay.
    ///
    /// On PostgreSQL the row, its history and the response are one statement
    /// ([`store::update_inquiry_recorded`]); a change that is that alone (no decision, no
    /// events, no batch item to settle: every data-entry step) needs no explicit
    /// transaction at all, with the same outcome.
    ///
    /// A conflict (the row moved on, or a concurrent attempt of the same call recorded its
    /// response first) rolls everything back; [`Engine::once`] then answers a retry with
    /// the first response.
    pub(crate) async fn save<R: Message + Default>(
        &self,
        first: &FirstAttempt<'_>,
        mut inq: Inquiry,
        then: Then<'_>,
        respond: impl FnOnce(&Inquiry) -> Result<R, ServiceError>,
    ) -> Result<R, ServiceError> {
        let expected = inq.version;
        inq.version += 1;
        if matches!(then, Then::Nothing)
            && !inq.state.is_final()
            && self.db.backend() == Backend::Postgres
        {
            // The row, its history and the response are the whole change: one statement.
            let response = respond(&inq)?;
            if !self
                .write_recorded(&mut *self.conn().await?, first, &inq, expected, &response)
                .await?
            {
                return Err(ServiceError::conflict());
            }
            return Ok(response);
        }
        let mut tx = self.db.begin().await?;
        let mut decided = match then {
            Then::Nothing => Decided::default(),
            then => {
                // The row lock before reading what the decision depends on: the debt-cleared
                // handler takes it too, so the two never decide about one inquiry at once.
                if !store::lock_inquiry_at(&mut tx, &inq.id, expected).await? {
                    tx.rollback().await?;
                    return Err(ServiceError::conflict());
                }
                self.decide(&mut tx, &mut inq, then).await?
            }
        };
        let response = respond(&inq)?;
        if !self
            .write_recorded(&mut tx, first, &inq, expected, &response)
            .await?
        {
            tx.rollback().await?;
            return Err(ServiceError::conflict());
        }
        // A batch item waiting on this inquiry's payment takes its final outcome with it.
        if inq.state.is_final()
            && let Some(settled) = self.follow_batch_item(&mut tx, &inq).await?
        {
            decided.events.push(settled);
        }
        for event in &decided.events {
            self.publish(&mut tx, event).await?;
        }
        tx.commit().await?;
        if decided.issued {
            self.after_issue(&inq);
        } else if !decided.events.is_empty() {
            self.wake_relay();
        }
        Ok(response)
    }

    /// Writes `inq` over `expected_version` with its new history rows and records
    /// `response` for retries ([`store::update_inquiry_recorded`]: one statement on
    /// PostgreSQL). False on a conflict; a caller in a transaction rolls it back.
    async fn write_recorded(
        &self,
        conn: &mut AnyConnection,
        first: &FirstAttempt<'_>,
        inq: &Inquiry,
        expected_version: i64,
        response: &impl Message,
    ) -> Result<bool, ServiceError> {
        let bytes = response.encode_to_vec();
        Ok(
            store::update_inquiry_recorded(conn, inq, expected_version, first.record_of(&bytes))
                .await?,
        )
    }

    async fn decide(
        &self,
        conn: &mut AnyConnection,
        inq: &mut Inquiry,
        then: Then<'_>,
    ) -> Result<Decided, ServiceError> {
        match then {
            Then::Nothing => Ok(Decided::default()),
            Then::Events(events) => Ok(Decided {
                events,
                issued: false,
            }),
            Then::Settle { def, by } => {
                let events = self.settle(conn, inq, def, by).await?;
                Ok(Decided {
                    issued: inq.state == State::Issued,
                    events,
                })
            }
            Then::Revoke {
                answer,
                reason,
                by,
                at_us,
            } => {
                let mut events = Vec::new();
                if store::revoke_answer(conn, &inq.id, reason, by, at_us).await? {
                    events.push(events::answer_revoked(inq, answer, reason, at_us));
                }
                Ok(Decided {
                    events,
                    issued: false,
                })
            }
        }
    }
}
