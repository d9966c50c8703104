//! One-time codes leave through an outbox of their own (`mobile_code_sends`), not straight
//! to the SMS provider: the code is queued, sealed, in the transaction that stores its hash,
//! and a background sender hands it to the provider, retrying at a doubling pause until the
//! provider takes it or the code expires. A provider that is down or a restart therefore
//! delays a code but does not lose it, and the person's flow (`/me/mobile`, the resend
//! limit) is unchanged.
//!
//! Why here and not in the notifications service, where every other message goes: a code
//! is a secret only identity needs. Kept inside identity it never travels on the bus or
//! rests in another service's store; here it rests sealed under identity's key-encryption
//! key, only until it is sent. The send's id goes to the provider as `localid`, so a retry
//! after a lost answer asks the provider before texting again (see
//! `estelam_runtime::sms_gateway`).

use std::time::Duration;

use estelam_runtime::db::now_micros;
use estelam_runtime::error::ServiceError;
use estelam_runtime::sms_gateway::GatewayError;
use sqlx::AnyConnection;
use tokio_util::sync::CancellationToken;

use super::{Identity, micros};
use crate::store::{self, CodeSendRow};

/// Rows one pass reads at most.
const BATCH: i64 = 20;
/// How long a claimed send is held from other replicas (longer than a provider call).
const LEASE: Duration = Duration::from_secs(60);
/// The longest pause between two attempts.
const MAX_PAUSE: Duration = Duration::from_secs(60);
/// How long a sealed code may be, in bytes: a six-digit code padded into the sealed block.
const SEALED_LEN: usize = 32;

fn seal_block(code: &str) -> Option<[u8; SEALED_LEN]> {
    let bytes = code.as_bytes();
    if bytes.is_empty() || bytes.len() > SEALED_LEN {
        return None;
    }
    let mut block = [0u8; SEALED_LEN];
    block[..bytes.len()].copy_from_slice(bytes);
    Some(block)
}

fn unseal_block(block: &[u8; SEALED_LEN]) -> String {
    block
        .iter()
        .take_while(|b| **b != 0)
        .map(|b| char::from(*b))
        .collect()
}

impl Identity {
    /// Queues `code` for `mobile` inside the caller's transaction (which also stores the
    /// code's hash); after the commit, [`Identity::send_code_now`] with the row returned
    /// sends it at once.
    pub(super) async fn queue_code(
        &self,
        conn: &mut AnyConnection,
        account_id: &str,
        mobile: &str,
        code: &str,
        expires_at_us: i64,
        now_us: i64,
    ) -> Result<CodeSendRow, ServiceError> {
        let send_id = uuid::Uuid::now_v7().to_string();
        let block = seal_block(code).ok_or_else(|| {
            ServiceError::internal(anyhow::anyhow!("a one-time code of an unexpected length"))
        })?;
        let row = CodeSendRow {
            sealed_code: self.seal.seal(&send_id, &block),
            send_id,
            account_id: account_id.to_owned(),
            mobile: mobile.to_owned(),
            attempts: 0,
            // The request that queued it sends it right after its commit; the background
            // sender takes it only if that never happened (the process stopped between).
            next_attempt_us: now_us.saturating_add(micros(LEASE)),
            expires_at_us,
        };
        store::queue_code_send(conn, &row, now_us).await?;
        Ok(row)
    }

    /// Sends a code queued by a committed transaction now, as the person waits for it; a
    /// provider that fails leaves it queued for the background sender, and the person's
    /// request succeeds either way (the code is kept, and another can be asked for).
    pub(super) async fn send_code_now(&self, row: &CodeSendRow) {
        if let Err(error) = self.send_queued_code(row).await {
            tracing::warn!(send_id = %row.send_id, %error, "a one-time code stays queued");
        }
    }

    /// Runs the code sender until `shutdown`: every retry pause it sends what is due (codes
    /// whose first attempt failed, and codes queued before a restart).
    pub fn spawn_code_sender(&self, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        let poll = Duration::from_millis(self.settings.identity.sms.retry_min_ms.clamp(10, 1000));
        tokio::spawn(async move {
            while !shutdown.is_cancelled() {
                let busy = match this.code_pass().await {
                    Ok(busy) => busy,
                    Err(error) => {
                        tracing::warn!(%error, "sending one-time codes failed; trying again");
                        false
                    }
                };
                if busy {
                    continue;
                }
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(poll) => {}
                }
            }
        })
    }

    /// One pass: forgets expired codes, sends the due ones. True when the batch was full.
    pub async fn code_pass(&self) -> Result<bool, sqlx::Error> {
        let due = {
            let mut conn = self.db.pool().acquire().await?;
            let now = now_micros();
            store::drop_expired_code_sends(&mut conn, now).await?;
            store::due_code_sends(&mut conn, now, BATCH).await?
        };
        for row in &due {
            self.send_queued_code(row).await?;
        }
        Ok(i64::try_from(due.len()).unwrap_or(i64::MAX) >= BATCH)
    }

    fn code_retry_at(&self, attempts: i64) -> i64 {
        let first = Duration::from_millis(self.settings.identity.sms.retry_min_ms.max(1));
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 16)).unwrap_or(16);
        let pause = first
            .saturating_mul(2u32.saturating_pow(doublings))
            .min(MAX_PAUSE);
        now_micros().saturating_add(micros(pause))
    }

    async fn send_queued_code(&self, row: &CodeSendRow) -> Result<(), sqlx::Error> {
        let mut conn = self.db.pool().acquire().await?;
        let lease = now_micros().saturating_add(micros(LEASE));
        if !store::claim_code_send(&mut conn, row, lease).await? {
            return Ok(());
        }
        let code = match self.seal.open(&row.send_id, &row.sealed_code) {
            Ok(block) => unseal_block(&block),
            Err(error) => {
                // Sealed under a key-encryption key this replica no longer has (a finished
                // roll): the person asks for another code.
                tracing::warn!(send_id = %row.send_id, %error, "a queued one-time code cannot be opened; dropped");
                return store::delete_code_send(&mut conn, &row.send_id).await;
            }
        };
        let attempts = row.attempts.saturating_add(1);
        let result = self
            .sms
            .send_code(&row.mobile, &code, &row.send_id, row.attempts > 0)
            .await;
        match result {
            Ok(()) => {
                tracing::info!(send_id = %row.send_id, attempts, "one-time code sent");
                store::delete_code_send(&mut conn, &row.send_id).await
            }
            Err(GatewayError::Permanent(why)) => {
                tracing::warn!(send_id = %row.send_id, %why, "the SMS provider refused a one-time code");
                store::delete_code_send(&mut conn, &row.send_id).await
            }
            Err(GatewayError::Transient(why)) => {
                let next = self.code_retry_at(attempts);
                tracing::warn!(send_id = %row.send_id, attempts, %why, "sending a one-time code failed; will retry");
                store::defer_code_send(&mut conn, &row.send_id, next).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_survives_its_sealed_block() {
        let block = seal_block("004219").expect("fits");
        assert_eq!(unseal_block(&block), "004219");
        assert!(seal_block("").is_none());
    }
}
