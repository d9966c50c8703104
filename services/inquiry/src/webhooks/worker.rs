//! The delivery worker: takes due deliveries from the store and POSTs them, never on the
//! path of a filing (it runs on its own task, woken after a commit that wrote deliveries).
//!
//! * **Claims with leases**, as the runtime's outbox relay does: a delivery is taken by
//!   moving its lease forward in one conditional UPDATE, so replicas never send one attempt
//!   twice, and a worker that dies mid-attempt leaves a lease that runs out: the delivery is
//!   taken again after a restart. State lives only in the database.
//! * **Bounded**: at most `concurrency` requests in flight, each with `timeout_ms`.
//! * **Ordered per inquiry**: the store hands out only the oldest pending delivery of each
//!   (endpoint, inquiry), so `answer.revoked` never overtakes `answer.issued`.
//! * **Retried** with exponential backoff and full jitter (`retry_initial_delay_ms`,
//!   doubling, at most `retry_max_delay_ms`) until `retry_for_secs` after the first attempt,
//!   then **dead** (the dead-letter list, replayable from the API).

use std::sync::Arc;
use std::time::Duration;

use estelam_runtime::config::WebhookSettings;
use estelam_runtime::db::now_micros;
use futures::StreamExt as _;
use rand::Rng as _;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::address::{self, AddressPolicy, GuardedResolver};
use super::signing;
use crate::engine::Engine;
use crate::store::webhooks::{self as store, AttemptResult, EndpointRow};

/// What the worker needs, shared by every attempt.
pub struct Worker {
    engine: Arc<Engine>,
    settings: WebhookSettings,
    http: reqwest::Client,
    wake: Arc<Notify>,
}

impl Worker {
    /// A worker over the engine's store, opening endpoint secrets with its seal, woken
    /// after every commit that wrote deliveries.
    pub fn new(engine: Arc<Engine>) -> anyhow::Result<Self> {
        let settings = engine.settings().webhooks.clone();
        let wake = engine.webhook_wake();
        let timeout = Duration::from_millis(settings.timeout_ms.max(1));
        let http = reqwest::Client::builder()
            // Every address a name resolves to is checked at connect time (DNS rebinding).
            .dns_resolver(Arc::new(GuardedResolver::new(AddressPolicy::of(&settings))))
            // A redirect could lead anywhere, a proxy would bypass the resolver's check.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent("Estelam-Webhooks/1")
            .build()?;
        Ok(Self {
            engine,
            settings,
            http,
            wake,
        })
    }

    /// Delivers until `shutdown`: whatever is due, then waits for a wake-up or the poll
    /// interval.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let poll = Duration::from_millis(self.settings.poll_interval_ms.max(10));
        loop {
            let sent = match self.run_once().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook deliveries: could not read due ones");
                    0
                }
            };
            if sent > 0 {
                continue;
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(poll) => {}
            }
        }
    }

    /// One pass: claims what is due (up to twice the concurrency) and sends it, at most
    /// `concurrency` at once. Returns how many attempts it made.
    pub async fn run_once(self: &Arc<Self>) -> Result<usize, sqlx::Error> {
        let now = now_micros();
        let width = self.settings.concurrency.max(1);
        let limit = i64::try_from(width * 2).unwrap_or(64);
        let due = {
            let mut conn = self.engine.db().pool().acquire().await?;
            store::due_deliveries(&mut conn, now, limit).await?
        };
        let lease_us = i64::try_from(self.settings.timeout_ms)
            .unwrap_or(i64::MAX / 4)
            .saturating_mul(2_000)
            .saturating_add(30_000_000);
        let mut claimed = Vec::new();
        {
            let mut conn = self.engine.db().pool().acquire().await?;
            for id in due {
                if store::claim(&mut conn, &id, now, now + lease_us).await? {
                    claimed.push(id);
                }
            }
        }
        let n = claimed.len();
        futures::stream::iter(claimed)
            .for_each_concurrent(width, |id| {
                let me = self.clone();
                async move {
                    if let Err(e) = me.attempt(&id).await {
                        // The lease runs out and the delivery is taken again.
                        tracing::warn!(delivery = %id, error = %e, "webhook attempt not recorded");
                    }
                }
            })
            .await;
        Ok(n)
    }

    async fn attempt(&self, id: &str) -> Result<(), sqlx::Error> {
        let mut conn = self.engine.db().pool().acquire().await?;
        let Some(d) = store::delivery(&mut conn, id).await? else {
            return Ok(());
        };
        let Some(endpoint) = store::endpoint(&mut conn, &d.endpoint_id).await? else {
            return Ok(());
        };
        drop(conn);
        let (status, error) = self.send(&endpoint, &d.id, &d.payload).await;
        let now = now_micros();
        let budget_us = i64::try_from(self.settings.retry_for_secs)
            .unwrap_or(i64::MAX / 2_000_000)
            .saturating_mul(1_000_000);
        let result = if error.is_empty() {
            AttemptResult {
                status,
                error: "",
                state: store::DELIVERED,
                next_attempt_at_us: now,
            }
        } else if now.saturating_sub(d.retry_from_us) >= budget_us {
            tracing::info!(delivery = %d.id, endpoint = %endpoint.id, "webhook delivery dead");
            AttemptResult {
                status,
                error: &error,
                state: store::DEAD,
                next_attempt_at_us: now,
            }
        } else {
            AttemptResult {
                status,
                error: &error,
                state: store::PENDING,
                next_attempt_at_us: now + backoff_us(&self.settings, d.attempts + 1),
            }
        };
        let mut conn = self.engine.db().pool().acquire().await?;
        store::record_attempt(&mut conn, &d.id, &result, now).await
    }

    /// One POST: (HTTP status or 0, what went wrong or empty when accepted).
    async fn send(&self, e: &EndpointRow, id: &str, body: &str) -> (i64, String) {
        let url = match address::check_url(&e.url, &self.settings) {
            Ok(url) => url,
            Err(refusal) => return (0, format!("endpoint URL refused: {refusal:?}")),
        };
        let secrets = match self.secrets(e) {
            Ok(s) => s,
            Err(err) => {
                tracing::error!(endpoint = %e.id, error = %err, "webhook secret does not open");
                return (0, "signing secret unavailable".into());
            }
        };
        let ts = now_micros().div_euclid(1_000_000);
        let signature = signing::header(&secrets, id, ts, body);
        let response = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", signature)
            .body(body.to_owned())
            .send()
            .await;
        match response {
            Ok(r) if r.status().is_success() => (i64::from(r.status().as_u16()), String::new()),
            Ok(r) => (
                i64::from(r.status().as_u16()),
                format!("the receiver answered {}", r.status()),
            ),
            Err(err) if err.is_timeout() => (0, "the receiver did not answer in time".into()),
            Err(err) if err.is_connect() => (0, "could not connect to the receiver".into()),
            Err(_) => (0, "the request failed".into()),
        }
    }

    /// The secrets that sign now: the current one, and the previous one during its overlap.
    fn secrets(&self, e: &EndpointRow) -> Result<Vec<[u8; 32]>, crate::key_seal::SealError> {
        let mut all = vec![self.engine.seal().open(&e.secret_kid, &e.secret)?];
        if let (Some(kid), Some(sealed), Some(until)) = (
            &e.previous_secret_kid,
            &e.previous_secret,
            e.previous_valid_until_us,
        ) && until > now_micros()
        {
            all.push(self.engine.seal().open(kid, sealed)?);
        }
        Ok(all)
    }
}

/// The delay before attempt `attempt + 1`: initial × 2^(attempt-1), at most the maximum,
/// drawn uniformly from its upper half (jitter that keeps the backoff's growth).
pub fn backoff_us(s: &WebhookSettings, attempt: i64) -> i64 {
    let initial = i64::try_from(s.retry_initial_delay_ms)
        .unwrap_or(5_000)
        .max(1)
        * 1_000;
    let max = i64::try_from(s.retry_max_delay_ms)
        .unwrap_or(3_600_000)
        .max(1)
        * 1_000;
    let exp = u32::try_from((attempt - 1).clamp(0, 40)).unwrap_or(40);
    let delay = initial.saturating_mul(2_i64.saturating_pow(exp)).min(max);
    let half = (delay / 2).max(1);
    half + rand::rng().random_range(0..=half)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_maximum() {
        let s = WebhookSettings {
            retry_initial_delay_ms: 1_000,
            retry_max_delay_ms: 8_000,
            ..WebhookSettings::default()
        };
        for _ in 0..100 {
            let first = backoff_us(&s, 1);
            assert!((500_000..=1_000_000).contains(&first), "{first}");
            let third = backoff_us(&s, 3);
            assert!((2_000_000..=4_000_000).contains(&third), "{third}");
            let late = backoff_us(&s, 30);
            assert!((4_000_000..=8_000_000).contains(&late), "{late}");
        }
    }

    /// The default schedule keeps retrying for more than a day before a delivery dies.
    #[test]
    fn the_default_budget_is_more_than_a_day() {
        assert!(WebhookSettings::default().retry_for_secs > 24 * 3_600);
    }
}
