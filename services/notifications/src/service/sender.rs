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
//!    the one window, which the provider-side idempotency key covers: a retry says so, and
//!    the SMS gateway is asked about the delivery's id before it is sent again — see
//!    [`crate::providers`]).
//! 3. **Settle** each sent SMS: ask the gateway, at growing pauses, what became of it, and
//!    record delivered, failed or expired in the audit. A message the operator could not
//!    deliver is not sent again: the gateway charges for each try and a blocked or
//!    switched-off phone would most likely refuse the second as well; the audit
//!    (`ListDeliveries`) shows the person and the municipality that it did not arrive,
//!    the log warns and `estelam_notifications_sends_total{outcome="undelivered"}` counts
//!    it for the operator.

use std::time::Duration;

use estelam_runtime::db::now_micros;
use tokio_util::sync::CancellationToken;

use super::Notifications;
use crate::directory::{Contact, LookupError};
use crate::providers::{DeliveryState, Outgoing, SendError};
use crate::rules::{self, Channel, Facts, Preferences};
use crate::store::{self, DeliveryRow, NoticeRow};

/// Rows one pass reads at most.
const BATCH: i64 = 50;
/// How long a claimed delivery is held before another pass may try it again (longer than
/// any provider call may take).
const LEASE: Duration = Duration::from_secs(120);
/// Questions about a sent message's fate before the audit keeps "sent".
const MAX_STATUS_CHECKS: i64 = 12;
/// The longest pause between two such questions, ms.
const MAX_STATUS_PAUSE_MS: u64 = 60 * 60 * 1000;

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
        let settled = self.settle(Channel::Sms).await?;
        let most = notices.len().max(deliveries.len()).max(settled);
        Ok(i64::try_from(most).unwrap_or(i64::MAX) >= BATCH)
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
            retry: d.attempts > 0,
        };
        let result = provider.send(&outgoing).await;
        let mut conn = self.db.pool().acquire().await?;
        match result {
            Ok(accepted) => {
                tracing::info!(delivery_id = %d.delivery_id, event_id = %d.event_id, channel = d.channel.as_str(), provider = provider.name(), attempts, "notification sent");
                crate::metrics::sent(d.channel, "sent");
                let now = now_micros();
                let first_check = now.saturating_add(self.status_pause_us(1));
                store::mark_sent(
                    &mut conn,
                    &d.delivery_id,
                    &accepted.provider_message_id,
                    now,
                    first_check,
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

    fn status_pause_us(&self, checks: i64) -> i64 {
        let n = u32::try_from(checks.max(1)).unwrap_or(u32::MAX);
        rules::backoff_us(
            n,
            self.settings.status_check_min_ms,
            MAX_STATUS_PAUSE_MS.max(self.settings.status_check_min_ms),
        )
    }

    /// Asks `channel`'s provider what became of the sent messages due a question, and
    /// records the answers; how many were asked about.
    async fn settle(&self, channel: Channel) -> Result<usize, sqlx::Error> {
        let provider = self.providers.of(channel);
        if !provider.tracks_delivery() {
            return Ok(0);
        }
        let due = {
            let mut conn = self.db.pool().acquire().await?;
            store::unsettled(&mut conn, channel, now_micros(), MAX_STATUS_CHECKS, BATCH).await?
        };
        if due.is_empty() {
            return Ok(0);
        }
        let ids: Vec<&str> = due.iter().map(|u| u.provider_message_id.as_str()).collect();
        let states = match provider.delivery_states(&ids).await {
            Ok(states) => states,
            Err(error) => {
                // Asked again at the next pass; the messages themselves went out.
                tracing::warn!(%error, channel = channel.as_str(), "asking the provider what became of sent messages failed");
                return Ok(0);
            }
        };
        let mut conn = self.db.pool().acquire().await?;
        let now = now_micros();
        for (u, state) in due.iter().zip(states) {
            let settled = match state {
                DeliveryState::Delivered => Some((store::DELIVERED, "")),
                DeliveryState::Failed => Some((
                    store::FAILED,
                    "the operator did not deliver it (refused, blocked or cancelled)",
                )),
                DeliveryState::Expired => Some((
                    store::EXPIRED,
                    "the phone was unreachable until the message expired",
                )),
                DeliveryState::Pending | DeliveryState::Unknown => None,
            };
            match settled {
                Some((status, note)) => {
                    if status != store::DELIVERED {
                        tracing::warn!(delivery_id = %u.delivery_id, channel = channel.as_str(), status, "a sent notification did not arrive");
                        crate::metrics::sent(channel, "undelivered");
                    }
                    store::settle(&mut conn, &u.delivery_id, status, note, now).await?;
                }
                None => {
                    let next = now.saturating_add(self.status_pause_us(u.status_checks + 2));
                    store::defer_status_check(&mut conn, &u.delivery_id, next).await?;
                }
            }
        }
        Ok(due.len())
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
                settled_at_us: 0,
            }
        })
        .collect()
}
