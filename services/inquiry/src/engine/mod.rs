//! The engine: every inquiry operation, from a checked caller to a committed change.
//!
//! Every write follows one pattern, and the types make it the only way to write one:
//!
//! 1. **replay** (`idempotency.rs`): a retried call (same caller, method and
//!    `client_request_id`) is answered with the stored first response and does nothing;
//!    a write can only record its response through the proof that this check ran;
//! 2. **load** (`steps.rs`): the inquiry is loaded and the caller checked against it
//!    (NotFound when they may not see it), then `expected_version` and the state machine
//!    ([`crate::workflow`]);
//! 3. **validate**: the step's input is checked, with the owning service where the seed
//!    says so, **outside any transaction**;
//! 4. **save** (`save.rs`): one transaction writes the inquiry once, only if its version is
//!    still the one read, records the response and enqueues events. A call that loses the
//!    race to a concurrent retry of itself is answered with the winner's response; any
//!    other loser gets ABORTED.
//!
//! Issuing the answer is pure database work (the parcel snapshot and the request number's
//! use are settled at Submit), so it happens inside the transaction that decides it
//! (`issue.rs`): Submit's when nothing is owed, the `fees.debt.cleared` handler's when the
//! payment clears the bill, or the recovery sweep's.
//!
//! The engine speaks the contract's messages (`estelam.inquiry.v1`) at its edge, because a
//! retried write is answered with the stored bytes of the first response; inside, it works
//! on [`crate::model::Inquiry`].

mod answers;
mod audit;
mod batches;
mod batches_errors;
mod batches_follow;
mod batches_worker;
mod cancel;
mod certificate;
mod clock;
mod code_check;
mod create;
mod idempotency;
mod issue;
mod keys;
mod payment;
mod queries;
mod recovery;
mod representation;
mod request_types;
mod review;
mod save;
mod steps;
mod submit;

use std::collections::HashMap;
use std::sync::Mutex;

use estelam_domain::{CheckCode, CodeKind};
use estelam_runtime::auth::Caller;
use estelam_runtime::config::InquirySettings;
use estelam_runtime::db::{Database, now_micros};
use estelam_runtime::error::ServiceError;
use estelam_runtime::outbox::RelayHandle;

use crate::access::may_see;
use crate::errors;
use crate::key_seal::KeySeal;
use crate::model::{Inquiry, Stamp};
use crate::ports::Ports;
use crate::render::Letterhead;
use crate::request_types::RequestTypeDef;
use crate::store;

pub use batches::MAX_ITEMS as BATCH_MAX_ITEMS;
pub use queries::BULK_STATUS_LIMIT;

/// The inquiry service's use cases over its store and the other services' [`Ports`].
pub struct Engine {
    db: Database,
    ports: Ports,
    settings: InquirySettings,
    relay: Option<RelayHandle>,
    seal: KeySeal,
    /// Who issues the printed answers (the municipality's name and emblem).
    letterhead: std::sync::Arc<Letterhead>,
    /// Request-type versions already read: a stored version never changes (an edit makes a
    /// new one), so each step of each inquiry need not read and parse it again.
    type_versions: Mutex<HashMap<(String, i64), RequestTypeDef>>,
    /// Wakes the webhook worker after a commit that may have written deliveries.
    webhook_wake: std::sync::Arc<tokio::sync::Notify>,

    /// Woken when a batch is stored, so this process's batch worker starts on it at once.
    batch_wake: tokio::sync::Notify,
}

impl Engine {
    /// An engine over the service's store and its dependencies. `relay` is woken after a
    /// commit that enqueued events, so they leave in milliseconds rather than at its next
    /// poll; `seal` opens the answer-signing keys stored sealed; `letterhead` heads every
    /// printed answer.
    pub fn new(
        db: Database,
        ports: Ports,
        settings: InquirySettings,
        relay: Option<RelayHandle>,
        seal: KeySeal,
        letterhead: Letterhead,
    ) -> Self {
        Self {
            db,
            ports,
            settings,
            relay,
            seal,
            letterhead: std::sync::Arc::new(letterhead),
            type_versions: Mutex::new(HashMap::new()),
            webhook_wake: std::sync::Arc::new(tokio::sync::Notify::new()),

            batch_wake: tokio::sync::Notify::new(),
        }
    }

    /// The seal the answer-signing keys are stored under.
    pub fn seal(&self) -> &KeySeal {
        &self.seal
    }

    /// The store, for the event consumer, which runs its own transactions.
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// The other services, as the engine reaches them.
    pub fn ports(&self) -> &Ports {
        &self.ports
    }

    /// The settings the engine was built with.
    pub fn settings(&self) -> &InquirySettings {
        &self.settings
    }

    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, ServiceError> {
        Ok(self.db.pool().acquire().await?)
    }

    fn wake_relay(&self) {
        if let Some(r) = &self.relay {
            r.notify();
        }
        self.webhook_wake.notify_one();
    }

    /// What wakes the webhook worker (see [`crate::webhooks::worker`]).
    pub fn webhook_wake(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.webhook_wake.clone()
    }

    /// Enqueues `event` on the outbox and the webhook deliveries it owes, in the caller's
    /// transaction: both exist exactly when the change commits.
    pub(crate) async fn publish(
        &self,
        conn: &mut sqlx::AnyConnection,
        event: &estelam_runtime::bus::Event,
    ) -> Result<(), ServiceError> {
        estelam_runtime::outbox::enqueue(&mut *conn, event).await?;
        crate::webhooks::enqueue(conn, event, &self.settings.public_base_url).await?;
        Ok(())
    }

    /// How long an unfinished (or unpaid) inquiry is kept before the sweep expires it.
    fn unfinished_validity_us(&self) -> i64 {
        i64::from(self.settings.unfinished_validity_days) * 86_400_000_000
    }

    /// The inquiry `id` if `caller` may see it, else NotFound.
    pub async fn load_visible(&self, caller: &Caller, id: &str) -> Result<Inquiry, ServiceError> {
        let mut conn = self.conn().await?;
        visible(caller, store::inquiry(&mut conn, id.trim()).await?)
    }

    /// The inquiry with an inquiry number, if `caller` may see it, else NotFound.
    pub async fn load_visible_by_number(
        &self,
        caller: &Caller,
        number: &str,
    ) -> Result<Inquiry, ServiceError> {
        let code = CheckCode::parse(CodeKind::Inquiry, number)
            .map_err(|e| errors::inquiry_number_invalid(&e))?;
        let mut conn = self.conn().await?;
        let inq = store::inquiry_by_number(&mut conn, code.as_str())
            .await?
            .ok_or_else(errors::inquiry_not_found)?;
        if may_see(caller, &inq) {
            Ok(inq)
        } else {
            Err(errors::inquiry_not_found())
        }
    }
}

/// The inquiry as read, if `caller` may see it, else NotFound (also when there is none).
fn visible(caller: &Caller, inq: Option<Inquiry>) -> Result<Inquiry, ServiceError> {
    match inq {
        Some(inq) if may_see(caller, &inq) => Ok(inq),
        _ => Err(errors::inquiry_not_found()),
    }
}

/// The caller's stamp, now: on the step data it recorded and the state change it made.
fn stamp_of(caller: &Caller) -> Stamp {
    Stamp {
        actor: caller.subject.clone(),
        name: String::new(),
        at_us: now_micros(),
    }
}

/// The system's stamp, now: for what happens without a caller (a payment's event, the
/// sweep) or against one (a rejection at Submit).
fn system_stamp() -> Stamp {
    Stamp {
        actor: String::new(),
        name: String::new(),
        at_us: now_micros(),
    }
}
