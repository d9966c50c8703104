//! The offline-verifiable certificate's I/O: the QR text of an answer (with its status
//! list slot), the signed trust list and status list, and the admin's key rotation.
//! The rules and encodings are in [`crate::certificate`].

use estelam_runtime::auth::{Caller, Role};
use estelam_runtime::db::now_micros;
use estelam_runtime::error::ServiceError;

use super::Engine;
use crate::answer::{Facts, KeyPair};
use crate::certificate::cwt::{self, QrClaims};
use crate::certificate::status_list::{self, StatusList};
use crate::certificate::trust_list::{self, TrustedKey};
use crate::store::{self, AnswerRow};

/// The public path of the status list; its full URL goes into every QR code.
pub const STATUS_LIST_PATH: &str = "/api/v1/answer-status-list";

impl Engine {
    /// `<public base url>/api/v1/answer-status-list`, from configuration, never a request.
    pub fn status_list_url(&self) -> String {
        format!(
            "{}{STATUS_LIST_PATH}",
            self.settings.public_base_url.trim_end_matches('/')
        )
    }

    /// The QR text of a stored answer, signed with the key that signed the answer, so it
    /// names the same key id and stays the same however often it is printed.
    pub(super) async fn qr_text(
        &self,
        row: &AnswerRow,
        facts: &Facts,
    ) -> Result<String, ServiceError> {
        let mut conn = self.conn().await?;
        let slot = store::status_slot(&mut conn, &row.inquiry_id).await?;
        let keys = store::signing_keys(&mut conn, &self.seal).await?;
        let key = keys
            .iter()
            .find(|k| k.kid == row.signing_key_id)
            .ok_or_else(|| {
                ServiceError::internal(anyhow::anyhow!("the answer's signing key is missing"))
            })?;
        let claims =
            QrClaims::from_facts(facts, &row.verification_code, slot, &self.status_list_url());
        cwt::seal(&claims, key).map_err(ServiceError::internal)
    }

    /// The trust list: every answer-signing key with its period, signed by the root key.
    pub async fn trust_list(&self) -> Result<String, ServiceError> {
        let mut conn = self.conn().await?;
        let keys = store::signing_keys(&mut conn, &self.seal).await?;
        let root = self.trust_root(&mut conn).await?;
        let keys: Vec<TrustedKey> = keys.iter().map(TrustedKey::of).collect();
        Ok(trust_list::sign(&keys, &root, now_micros() / 1_000_000))
    }

    /// The status list as of now, signed with the current answer-signing key. Built from
    /// the store on each call, so a revocation is in the next list served.
    pub async fn status_list(&self) -> Result<String, ServiceError> {
        let mut conn = self.conn().await?;
        let (len, revoked) = store::status_bits(&mut conn).await?;
        let keys = store::signing_keys(&mut conn, &self.seal).await?;
        let key = keys
            .first()
            .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("no answer-signing key")))?;
        let mut list = StatusList::new(len);
        for idx in revoked {
            list.revoke(idx);
        }
        Ok(status_list::sign(
            &list,
            &self.status_list_url(),
            now_micros() / 1_000_000,
            key,
        ))
    }

    /// The root key's fingerprint, which verifiers pin.
    pub async fn trust_root_fingerprint(&self) -> Result<String, ServiceError> {
        let mut conn = self.conn().await?;
        let root = self.trust_root(&mut conn).await?;
        Ok(trust_list::fingerprint(&root.public()))
    }

    /// An admin replaces the current answer-signing key now; the old one stays in the
    /// trust list with the end of its period, so what it signed keeps verifying.
    pub async fn rotate_answer_signing_key(&self, caller: &Caller) -> Result<String, ServiceError> {
        caller.require_any(&[Role::Admin])?;
        let kid = self.rotate_signing_key().await?;
        tracing::info!(kid, by = %caller.subject, "answer-signing key rotated");
        Ok(kid)
    }

    /// An admin re-seals every stored private key (answer-signing keys and the trust
    /// list's root) under a new key-encryption key, all or none, with no downtime:
    ///
    /// * `new_kek` given (base64 of 32 bytes): this replica seals with it from now on and
    ///   still opens with the old one; a generated KEK file in the data directory is
    ///   replaced (0600). The operator then sets `inquiry.signing_key_encryption_key` to it
    ///   (and `…_previous` to the old one until every replica has restarted).
    /// * `new_kek` empty: every key is re-sealed under the KEK already configured, which
    ///   the operator rolled out first with the old one in `…_previous`.
    ///
    /// Returns how many keys were re-sealed.
    pub async fn reseal_signing_keys(
        &self,
        caller: &Caller,
        new_kek: &str,
    ) -> Result<u32, ServiceError> {
        caller.require_any(&[Role::Admin])?;
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
            let n = store::reseal_all(&mut tx, &self.seal).await?;
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
        tracing::info!(keys = n, by = %caller.subject, "answer-signing keys re-sealed under a new key-encryption key");
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// The root key, made by the first start-up (`prepare`): a deployment has one for its
    /// lifetime.
    pub(super) async fn trust_root(
        &self,
        conn: &mut sqlx::AnyConnection,
    ) -> Result<KeyPair, ServiceError> {
        if let Some(root) = store::trust_root(conn, &self.seal).await? {
            return Ok(root);
        }
        let mut root = KeyPair::generate(now_micros());
        root.kid = root.kid.replacen("ans-", "root-", 1);
        store::install_trust_root(conn, &root, &self.seal).await?;
        Ok(root)
    }
}
