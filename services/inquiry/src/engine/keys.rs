//! Start-up (the seeded request types and an answer-signing key) and the answer-signing
//! keys: sealed at rest, rotated after they have signed long enough, published so anyone
//! can check an answer offline.

use estelam_proto::identity::v1 as ipb;
use estelam_runtime::db::now_micros;
use estelam_runtime::error::ServiceError;
use estelam_runtime::time::timestamp;

use super::Engine;
use crate::answer::{self, KeyPair};
use crate::store;

impl Engine {
    /// Makes the store ready to serve: the seeded request types that are missing, keys
    /// stored in the clear by an older version sealed, and a current answer-signing key
    /// (a new one when the current one has signed for `signing_key_rotation_days`).
    pub async fn prepare(&self) -> Result<(), ServiceError> {
        let mut tx = self.db.begin().await?;
        self.seed_request_types(&mut tx).await?;
        let sealed = store::seal_plaintext_keys(&mut tx, &self.seal).await?;
        if sealed > 0 {
            tracing::info!(
                sealed,
                "answer-signing keys stored in the clear are now encrypted"
            );
        }
        let keys = store::signing_keys(&mut tx, &self.seal).await?;
        let rotate_after = i64::from(self.settings.signing_key_rotation_days) * 86_400_000_000;
        let needs_key = match keys.iter().find(|k| k.retired_at_us.is_none()) {
            None => true,
            Some(k) => now_micros() - k.not_before_us > rotate_after,
        };
        if needs_key {
            store::install_signing_key(&mut tx, &KeyPair::generate(now_micros()), &self.seal)
                .await?;
        }
        // The trust list's root, once per deployment (see `certificate.rs`).
        self.trust_root(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the current answer-signing key with a new one before its rotation is due;
    /// the old one stays published as the previous key and keeps verifying what it signed.
    /// Returns the new key's id.
    pub async fn rotate_signing_key(&self) -> Result<String, ServiceError> {
        let key = KeyPair::generate(now_micros());
        let mut tx = self.db.begin().await?;
        store::install_signing_key(&mut tx, &key, &self.seal).await?;
        tx.commit().await?;
        Ok(key.kid)
    }

    /// The public keys that check answers: the current one and the one before it, so that
    /// answers signed before the last rotation still verify offline.
    pub async fn signing_keys(&self) -> Result<Vec<ipb::SigningKey>, ServiceError> {
        let mut conn = self.conn().await?;
        let keys = store::signing_keys(&mut conn, &self.seal).await?;
        Ok(keys
            .iter()
            .take(2)
            .map(|k| ipb::SigningKey {
                kid: k.kid.clone(),
                algorithm: "EdDSA".into(),
                public_key: k.public().to_vec(),
                public_key_pem: answer::public_pem(&k.public()),
                not_before: Some(timestamp(k.not_before_us)),
                // Answer keys never stop verifying what they signed; the previous key is
                // simply no longer signing.
                not_after: None,
            })
            .collect())
    }
}
