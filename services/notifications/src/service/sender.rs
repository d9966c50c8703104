//! The sender: a background loop that turns notices into deliveries and hands deliveries
//! to the providers.
//!
//! 1. **Resolve** each pending notice outside any transaction: find the person (inquiry and
//!    identity over gRPC), read their preferences, write the words in their language, then
//!    in one transaction insert one delivery per channel — the unique (event, channel) key
//!    keeps a notice resolved twice (two replicas, a crash before the notice was marked)
//!    from making a second message — and mark the notice done.
//! 2. **Send** each due delivery: claim it (count the attempt and push its next try past a
//!    lease, only if nobody else claimed it), call the provider, then record "sent" with
//!    the provider's id, or the failure with the next try at a doubling pause, or "failed"
//!    after `max_attempts` or a permanent refusal. A message is never lost (it stays
//!    pending until a provider accepts it) and never sent twice by this service (one
//!    claim per attempt; a crash between the provider's acceptance and the "sent" mark is
//!    the one window, which the provider-side idempotency key covers — see
//!    [`crate::providers`]).

use std::time::Duration;

use estelam_runtime::db::now_micros;
use tokio_util::sync::CancellationToken;

use super::Notifications;
use crate::directory::{Contact, LookupError};
use crate::providers::{Outgoing, SendError};
use crate::rules::{self, Channel, Facts, Kind, Preferences};
use crate::store::{self, DeliveryRow, NoticeRow};

/// Rows one pass reads at most.
const BATCH: i64 = 50;
/// How long a claimed delivery is held before another pass may try it again (longer than
/// any provider call may take).
const LEASE: Duration = Duration::from_secs(120);

impl Notifications {
    /// Runs the sender until `shutdown`: a pass whenever woken or every poll interval.
    pub async fn run_sender(self, shutdown: CancellationToken) {
        let poll = Duration::from_millis(self.settings.poll_interval_ms.max(10));
        while !shutdown.is_cancelled() {
            let busy = match self.pass().await {
                Ok(busy) => busy,
                Err(error) => {
                    tracing::warn!(%error, "notifications pass failed; trying again");
                    false
                }
            };
            if busy {
                continue;
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(poll) => {}
            }
        }
    }

    /// One pass: resolves due notices, then sends due deliveries. True when a batch was
    /// full, so the caller goes on at once.
    pub async fn pass(&self) -> Result<bool, sqlx::Error> {
        let now = now_micros();
        let notices = {
            let mut conn = self.db.pool().acquire().await?;
            store::due_notices(&mut conn, now, BATCH).await?
        };
        for notice in &notices {
            self.resolve(notice).await?;
        }
        let deliveries = {
            let mut conn = self.db.pool().acquire().await?;
            store::due_deliveries(&mut conn, now_micros(), BATCH).await?
        };
        for delivery in &deliveries {
            self.send(delivery).await?;
        }
        let full = i64::try_from(notices.len().max(deliveries.len())).unwrap_or(i64::MAX) >= BATCH;
        Ok(full)
    }

    fn retry_at(&self, attempts: i64) -> i64 {
        let attempt = u32::try_from(attempts.max(1)).unwrap_or(u32::MAX);
        now_micros().saturating_add(rules::backoff_us(
            attempt,
            self.settings.retry_min_ms,
            self.settings.retry_max_ms,
        ))
    }

    /// Finds the person, their preferences and the inquiry number a notice needs.
    async fn person_of(
        &self,
        notice: &NoticeRow,
    ) -> Result<(Contact, Preferences, Facts), LookupError> {
        let mut facts = notice.facts.clone();
        let mut account_id = notice.account_id.clone();
        if account_id.is_empty() && !notice.inquiry_id.is_empty() && notice.national_code.is_empty()
        {
            let inquiry = self.directory.inquiry(&notice.inquiry_id).await?;
            account_id = inquiry.account_id;
            if facts.inquiry_number.is_empty() {
                facts.inquiry_number = inquiry.inquiry_number;
            }
        }
        if account_id.is_empty() && notice.national_code.is_empty() {
            return Err(LookupError::NotFound("the notice names nobody".into()));
        }
        let contact = self
            .directory
            .contact(&account_id, &notice.national_code)
            .await?;
        let preferences = {
            let mut conn = self
                .db
                .pool()
                .acquire()
                .await
                .map_err(|e| LookupError::Unavailable(e.to_string()))?;
            store::preferences_of(&mut conn, &contact.account_id)
                .await
                .map_err(|e| LookupError::Unavailable(e.to_string()))?
                .unwrap_or_default()
        };
        Ok((contact, preferences, facts))
    }

    async fn resolve(&self, notice: &NoticeRow) -> Result<(), sqlx::Error> {
        let found = self.person_of(notice).await;
        let mut tx = self.db.begin().await?;
        match found {
            Err(LookupError::NotFound(why)) => {
                tracing::info!(event_id = %notice.event_id, kind = notice.kind.as_str(), %why, "nobody to tell");
                store::finish_notice(&mut tx, &notice.event_id, store::NOTICE_DROPPED).await?;
            }
            Err(LookupError::Unavailable(why)) => {
                tracing::warn!(event_id = %notice.event_id, %why, "cannot find whom to tell yet; will retry");
                let next = self.retry_at(notice.attempts.saturating_add(1));
                store::defer_notice(&mut tx, &notice.event_id, next).await?;
            }
            Ok((contact, _, _)) if !contact.active => {
                store::finish_notice(&mut tx, &notice.event_id, store::NOTICE_DROPPED).await?;
            }
            Ok((contact, preferences, facts)) => {
                for delivery in deliveries_for(notice, &contact, &preferences, &facts) {
                    store::insert_delivery(&mut tx, &delivery).await?;
                }
                store::finish_notice(&mut tx, &notice.event_id, store::NOTICE_DONE).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn send(&self, d: &DeliveryRow) -> Result<(), sqlx::Error> {
        let lease_until =
            now_micros().saturating_add(i64::try_from(LEASE.as_micros()).unwrap_or(i64::MAX));
        {
            let mut conn = self.db.pool().acquire().await?;
            if !store::claim_delivery(&mut conn, d, lease_until).await? {
                return Ok(());
            }
        }
        let attempts = d.attempts.saturating_add(1);
        let provider = self.providers.of(d.channel);
        let outgoing = Outgoing {
            delivery_id: d.delivery_id.clone(),
            to: d.recipient.clone(),
            subject: d.subject.clone(),
            body: d.body.clone(),
            language: d.language,
        };
        let result = provider.send(&outgoing).await;
        let mut conn = self.db.pool().acquire().await?;
        match result {
            Ok(accepted) => {
                tracing::info!(delivery_id = %d.delivery_id, event_id = %d.event_id, channel = d.channel.as_str(), provider = provider.name(), attempts, "notification sent");
                crate::metrics::sent(d.channel, "sent");
                store::mark_sent(
                    &mut conn,
                    &d.delivery_id,
                    &accepted.provider_message_id,
                    now_micros(),
                )
                .await
            }
            Err(SendError::Permanent(why)) => {
                tracing::warn!(delivery_id = %d.delivery_id, channel = d.channel.as_str(), %why, "provider refused the notification");
                crate::metrics::sent(d.channel, "failed");
                store::mark_failed_attempt(&mut conn, &d.delivery_id, &why, None).await
            }
            Err(SendError::Transient(why)) => {
                let max = i64::from(self.settings.max_attempts);
                let next = (attempts < max).then(|| self.retry_at(attempts));
                tracing::warn!(delivery_id = %d.delivery_id, channel = d.channel.as_str(), attempts, %why, gave_up = next.is_none(), "sending a notification failed");
                crate::metrics::sent(d.channel, if next.is_some() { "retry" } else { "failed" });
                store::mark_failed_attempt(&mut conn, &d.delivery_id, &why, next).await
            }
        }
    }
}

/// The deliveries a resolved notice makes: one per channel the person wants for its kind,
/// each written in their language; a channel with nowhere to send to is recorded as
/// unreachable, so the audit says why nothing came.
pub fn deliveries_for(
    notice: &NoticeRow,
    contact: &Contact,
    preferences: &Preferences,
    facts: &Facts,
) -> Vec<DeliveryRow> {
    let now = now_micros();
    let message = rules::render(
        notice.kind,
        facts,
        &contact.display_name,
        preferences.language,
    );
    preferences
        .channels_for(notice.kind)
        .into_iter()
        // Identity still texts an owner about a representation (its owner notices, which
        // also record owners it could not reach); this service adds the e-mail.
        .filter(|c| !(notice.kind == Kind::FiledInYourName && *c == Channel::Sms))
        .map(|channel| {
            let recipient = match channel {
                Channel::Sms => contact.mobile.clone(),
                Channel::Email => preferences.email.clone(),
            };
            let status = if recipient.is_empty() {
                store::UNREACHABLE
            } else {
                store::PENDING
            };
            DeliveryRow {
                delivery_id: uuid::Uuid::now_v7().to_string(),
                event_id: notice.event_id.clone(),
                kind: notice.kind,
                channel,
                account_id: contact.account_id.clone(),
                recipient,
                language: preferences.language,
                subject: message.subject.clone(),
                body: match channel {
                    Channel::Sms => format!("{}\n{}", message.subject, message.body),
                    Channel::Email => message.body.clone(),
                },
                status: status.to_owned(),
                attempts: 0,
                next_attempt_us: now,
                provider_message_id: String::new(),
                last_error: String::new(),
                created_at_us: now,
            }
        })
        .collect()
}
