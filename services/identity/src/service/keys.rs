//! The keys that sign access tokens: created at first start, rotated on a schedule, and
//! reloaded every minute so a rotation made by one replica reaches the others. What
//! `GetSigningKeys` publishes beside them (revoked subjects) is here too, because the local
//! verifier takes both at the same reload.

use std::time::Duration;

use estelam_proto::identity::v1::AuditEventKind;
use estelam_runtime::auth::{RevokedSession, RevokedSubject};
use estelam_runtime::db::now_micros;
use estelam_runtime::error::ServiceError;
use sqlx::AnyConnection;

use super::{Identity, MICROS, Origin, micros};
use crate::metrics;
use crate::store;
use crate::tokens::StoredKey;

/// How long the key ring waits between reloads from the store: a rotation made by another
/// replica, or an account it disabled, reaches this one within this interval.
pub const KEY_RELOAD_INTERVAL: Duration = Duration::from_secs(60);

impl Identity {
    /// Creates the first key if there is none, rotates the current one when it is older than
    /// `identity.signing_key_rotation_days`, then loads the ring and the local verifier.
    pub async fn ensure_signing_key(&self) -> Result<(), ServiceError> {
        let now = now_micros();
        let days = self.settings.identity.signing_key_rotation_days;
        let mut tx = self.db.begin().await?;
        let sealed = store::seal_plaintext_keys(&mut tx, &self.seal).await?;
        if sealed > 0 {
            tracing::info!(
                sealed,
                "token-signing keys stored in the clear are now sealed"
            );
        }
        let keys = store::signing_keys(&mut tx, &self.seal).await?;
        let current = keys
            .iter()
            .filter(|k| k.retired_at.is_none())
            .map(|k| k.created_at)
            .max();
        let due = match current {
            None => true,
            Some(created) => {
                days > 0
                    && now - created
                        >= i64::try_from(days).unwrap_or(i64::MAX / 2 / 86_400 / MICROS)
                            * 86_400
                            * MICROS
            }
        };
        if due {
            self.rotate_in(&mut tx, now, current.is_some()).await?;
        }
        tx.commit().await?;
        self.reload_keys().await
    }

    /// Replaces the signing key now: the current key stops signing and stays published until
    /// every token it signed has expired.
    pub async fn rotate_signing_key(&self) -> Result<String, ServiceError> {
        let mut tx = self.db.begin().await?;
        let kid = self.rotate_in(&mut tx, now_micros(), true).await?;
        tx.commit().await?;
        self.reload_keys().await?;
        Ok(kid)
    }

    /// An admin's re-sealing of every stored token-signing key under a new key-encryption
    /// key, all or none, as inquiry's `reseal_signing_keys` does for the answer-signing
    /// keys (see there, and `docs/operations.md`): with `new_kek` this replica seals with it
    /// from now on; empty, every key is re-sealed under the KEK already configured.
    /// Returns how many keys were re-sealed.
    pub async fn reseal_signing_keys(&self, new_kek: &str) -> Result<u32, ServiceError> {
        let new_kek = new_kek.trim();
        let rolled = if new_kek.is_empty() {
            None
        } else {
            let kek = estelam_runtime::key_seal::parse_kek(new_kek)
                .map_err(|_| crate::errors::key_encryption_key_invalid())?;
            Some(self.seal.roll_to(kek).map_err(ServiceError::internal)?)
        };
        let resealed = async {
            let mut tx = self.db.begin().await?;
            let n = store::reseal_signing_keys(&mut tx, &self.seal).await?;
            tx.commit().await?;
            Ok::<_, ServiceError>(n)
        }
        .await;
        let n = match resealed {
            Ok(n) => n,
            Err(e) => {
                if let Some(rolled) = rolled {
                    self.seal.restore(rolled).map_err(ServiceError::internal)?;
                }
                return Err(e);
            }
        };
        self.seal.finish_roll().map_err(ServiceError::internal)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn rotate_in(
        &self,
        conn: &mut AnyConnection,
        now: i64,
        had_key: bool,
    ) -> Result<String, ServiceError> {
        let s = &self.settings.identity;
        // The old key verifies for as long as a token it signed can live, plus the time other
        // replicas may keep signing with it before their next reload, plus clock leeway.
        let longest = s.access_token_ttl_secs.max(s.service_token_ttl_secs);
        let grace =
            Duration::from_secs(longest) + 2 * KEY_RELOAD_INTERVAL + Duration::from_secs(60);
        store::retire_signing_keys(conn, now, now + micros(grace)).await?;
        let key = StoredKey::generate(now);
        store::insert_signing_key(conn, &key, &self.seal).await?;
        if had_key {
            let event = self.audit_row(
                AuditEventKind::SigningKeyRotated,
                "",
                "",
                "",
                &Origin::default(),
                &key.kid,
            );
            store::insert_audit(conn, &event).await?;
        }
        tracing::info!(kid = %key.kid, "new token signing key");
        Ok(key.kid)
    }

    /// Reloads the key ring from the store and hands the public keys to the local verifier.
    /// Also sets `estelam_identity_signing_key_age_seconds` (alerted on past 90 days).
    pub async fn reload_keys(&self) -> Result<(), ServiceError> {
        let keys = store::signing_keys(&mut *self.conn().await?, &self.seal).await?;
        self.keys.load(keys, now_micros())?;
        self.verifier.set_keys(&self.keys.public_keys());
        // Merged, not replaced: a revocation this replica just made stays until its hold ends.
        for revoked in self.revoked_subjects().await? {
            self.verifier.revoke(revoked);
        }
        self.refuse_ended_sessions().await?;
        if let Some(current) = self
            .keys
            .published()
            .first()
            .filter(|k| k.retired_at.is_none())
        {
            metrics::SIGNING_KEY_AGE
                .set((now_micros() - current.created_at) as f64 / MICROS as f64);
        }
        Ok(())
    }

    /// Keeps the key ring fresh until `shutdown`: reloads it every [`KEY_RELOAD_INTERVAL`]
    /// and rotates the key when it is due.
    pub fn spawn_key_maintenance(
        &self,
        shutdown: tokio_util::sync::CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(KEY_RELOAD_INTERVAL) => {}
                }
                if let Err(err) = this.ensure_signing_key().await {
                    tracing::warn!(error = %err, cause = ?err.cause, "could not refresh the signing keys");
                }
            }
        })
    }

    /// How long a revocation is published: the longest token lifetime plus clock leeway,
    /// after which no token issued before it can still be accepted anywhere.
    pub(super) fn revocation_hold(&self) -> Duration {
        let s = &self.settings.identity;
        Duration::from_secs(s.access_token_ttl_secs.max(s.service_token_ttl_secs) + 60)
    }

    /// Makes this replica's own verifier refuse the tokens of every session that ended
    /// within the hold, at once (after a logout) rather than at the next reload.
    pub(super) async fn refuse_ended_sessions(&self) -> Result<(), ServiceError> {
        for ended in self.revoked_sessions().await? {
            self.verifier.revoke_session(ended);
        }
        Ok(())
    }

    /// The ended sessions to publish with the signing keys (`GetSigningKeys`): every
    /// session that ended within the hold, since a token issued in it may still be unexpired.
    pub async fn revoked_sessions(&self) -> Result<Vec<RevokedSession>, ServiceError> {
        let hold = micros(self.revocation_hold());
        let rows =
            store::session_revocations(&mut *self.conn().await?, now_micros() - hold).await?;
        Ok(rows
            .into_iter()
            .map(|(session_id, at)| RevokedSession {
                session_id,
                revoked_at: u64::try_from(at / MICROS).unwrap_or_default(),
                hold_until: u64::try_from((at + hold).div_euclid(MICROS) + 1).unwrap_or_default(),
            })
            .collect())
    }

    /// The revocations to publish with the signing keys (`GetSigningKeys`).
    pub async fn revoked_subjects(&self) -> Result<Vec<RevokedSubject>, ServiceError> {
        let now = now_micros();
        let rows = store::token_revocations(&mut *self.conn().await?, now).await?;
        Ok(rows
            .into_iter()
            .map(|(subject, at, hold)| RevokedSubject {
                subject,
                revoked_at: u64::try_from(at / MICROS).unwrap_or_default(),
                hold_until: u64::try_from(hold.div_euclid(MICROS) + 1).unwrap_or_default(),
            })
            .collect())
    }
}
