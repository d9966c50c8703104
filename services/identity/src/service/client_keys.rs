//! Organisation clients that hold a private key: an admin registers the client's public
//! key (a JWK), and the client then gets its tokens with a client assertion it signs
//! (`private_key_jwt`, RFC 7523) instead of — or beside — its secret. The rules of what is
//! accepted are [`crate::client_assertion`]'s; here they meet the store: the client's keys,
//! the single use of each assertion's jti, the throttle and the audit trail a secret's
//! failures go through too.

use estelam_proto::identity::v1::AuditEventKind;
use estelam_runtime::db::now_micros;
use estelam_runtime::error::ServiceError;

use super::{Identity, Origin, now_secs};
use crate::client_assertion::{self, ASSERTION_TYPE, PublicKey};
use crate::errors;
use crate::store::{self, AccountRow, ClientKeyRow};
use crate::validate;

impl Identity {
    /// Registers a public key for an organisation client's assertions; returns it as
    /// stored (its kid, algorithm and thumbprint).
    pub async fn register_client_key(
        &self,
        actor: &AccountRow,
        origin: &Origin,
        account_id: &str,
        jwk: &str,
    ) -> Result<PublicKey, ServiceError> {
        let account_id = validate::id(
            "account_id",
            account_id,
            errors::organization_client_not_found,
        )?;
        let key = client_assertion::parse_public_jwk(jwk).map_err(errors::client_key_invalid)?;
        let mut tx = self.db.begin().await?;
        let account = store::account_by_id(&mut tx, &account_id)
            .await?
            .filter(|a| a.client_id.is_some() && a.organization_id.is_some())
            .ok_or_else(errors::organization_client_not_found)?;
        let row = ClientKeyRow {
            account_id: account.account_id.clone(),
            kid: key.kid.clone(),
            alg: key.alg.to_owned(),
            jwk: key.jwk.clone(),
            thumbprint: key.thumbprint.clone(),
            created_at: now_micros(),
            created_by: actor.account_id.clone(),
            revoked_at: None,
            revoked_by: String::new(),
            revoked_by_name: String::new(),
            revoke_reason: String::new(),
        };
        if !store::insert_client_key(&mut tx, &row).await? {
            return Err(errors::client_key_taken());
        }
        self.audit(
            &mut tx,
            AuditEventKind::ClientKeyRegistered,
            &account.account_id,
            account.client_id.as_deref().unwrap_or_default(),
            &actor.account_id,
            origin,
            &format!(
                "{} key {} (thumbprint {})",
                key.alg, key.kid, key.thumbprint
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(key)
    }

    /// Every key registered for an organisation client, revoked ones too, oldest first.
    pub async fn list_client_keys(
        &self,
        account_id: &str,
    ) -> Result<Vec<ClientKeyRow>, ServiceError> {
        let account_id = validate::id(
            "account_id",
            account_id,
            errors::organization_client_not_found,
        )?;
        let mut conn = self.conn().await?;
        store::account_by_id(&mut conn, &account_id)
            .await?
            .filter(|a| a.client_id.is_some() && a.organization_id.is_some())
            .ok_or_else(errors::organization_client_not_found)?;
        Ok(store::client_keys(&mut conn, &account_id).await?)
    }

    /// Revokes one of an organisation client's keys: assertions it signs are refused from
    /// now on, the client's other keys and secret are untouched. Returns the key as now
    /// stored.
    pub async fn revoke_client_key(
        &self,
        actor: &AccountRow,
        origin: &Origin,
        account_id: &str,
        kid: &str,
        reason: &str,
    ) -> Result<ClientKeyRow, ServiceError> {
        let account_id = validate::id(
            "account_id",
            account_id,
            errors::organization_client_not_found,
        )?;
        let reason = validate::required_text("reason", reason, 500)?;
        let kid = kid.trim();
        let now = now_micros();
        let mut tx = self.db.begin().await?;
        let account = store::account_by_id(&mut tx, &account_id)
            .await?
            .filter(|a| a.client_id.is_some() && a.organization_id.is_some())
            .ok_or_else(errors::organization_client_not_found)?;
        let Some(key) = store::client_keys(&mut tx, &account_id)
            .await?
            .into_iter()
            .find(|k| k.kid == kid)
        else {
            tx.rollback().await?;
            return Err(errors::client_key_not_found());
        };
        if !key.in_use()
            || !store::revoke_client_key(
                &mut tx,
                &account_id,
                kid,
                now,
                &actor.account_id,
                &actor.display_name,
                &reason,
            )
            .await?
        {
            tx.rollback().await?;
            return Err(errors::client_key_revoked());
        }
        self.audit(
            &mut tx,
            AuditEventKind::ClientKeyRevoked,
            &account.account_id,
            account.client_id.as_deref().unwrap_or_default(),
            &actor.account_id,
            origin,
            &format!("{} key {} revoked: {reason}", key.alg, key.kid),
        )
        .await?;
        tx.commit().await?;
        Ok(ClientKeyRow {
            revoked_at: Some(now),
            revoked_by: actor.account_id.clone(),
            revoked_by_name: actor.display_name.clone(),
            revoke_reason: reason,
            ..key
        })
    }

    /// A token for the organisation client that signed `assertion`; (token, expiry s).
    /// `client_id`, when given, must be the one the assertion names. Every refusal is the
    /// same wrong-client answer (audited with the real reason) and counts toward the
    /// client's and the source's throttle, as a wrong secret does.
    pub async fn client_assertion_token(
        &self,
        origin: &Origin,
        client_id: &str,
        assertion_type: &str,
        assertion: &str,
    ) -> Result<(String, u64), ServiceError> {
        if assertion_type.trim() != ASSERTION_TYPE {
            return Err(errors::client_assertion_type_unsupported());
        }
        let named = client_assertion::named(assertion.trim());
        let hint = client_id.trim();
        let client_id = match &named {
            Some(n) if hint.is_empty() => n.client_id.clone(),
            _ => hint.to_owned(),
        };
        let subject_key = format!("client:{}", client_id.chars().take(64).collect::<String>());
        self.check_throttle(&[&subject_key, &Self::source_key(origin)])
            .await?;
        let mut conn = self.conn().await?;
        // Organisation clients only: service accounts keep their secrets.
        let account = match client_id.as_str() {
            "" => None,
            id => store::account_by_client_id(&mut conn, id)
                .await?
                .filter(|a| a.organization_id.is_some()),
        };
        let checked = match (&account, &named) {
            (Some(a), Some(n)) if n.client_id == client_id => {
                // A revoked key verifies nothing.
                let keys: Vec<(String, String)> = store::client_keys(&mut conn, &a.account_id)
                    .await?
                    .into_iter()
                    .filter(ClientKeyRow::in_use)
                    .map(|k| (k.kid, k.jwk))
                    .collect();
                let audiences = self.assertion_audiences();
                client_assertion::verify(
                    assertion.trim(),
                    n,
                    &client_id,
                    &keys,
                    &audiences,
                    i64::try_from(now_secs()).unwrap_or(i64::MAX),
                )
                .map_err(|r| r.to_string())
            }
            (Some(_), _) => Err("assertion unreadable or naming another client".to_owned()),
            (None, _) => Err("no organisation client with this id".to_owned()),
        };
        // One assertion, one token: its jti is kept until it expires.
        let checked = match checked {
            Ok(v) => {
                let until = v.exp.saturating_mul(1_000_000);
                if store::use_assertion_jti(&mut conn, &client_id, &v.jti, until, now_micros())
                    .await?
                {
                    Ok(v)
                } else {
                    Err(format!("jti {} used before", v.jti))
                }
            }
            Err(why) => Err(why),
        };
        drop(conn);
        match (account, checked) {
            (Some(account), Ok(v)) => {
                self.issue_client_token(
                    origin,
                    &account,
                    &client_id,
                    &format!(", private_key_jwt jti {}", v.jti),
                )
                .await
            }
            (account, Err(why)) => {
                let account_id = account.map(|a| a.account_id).unwrap_or_default();
                Err(self
                    .refuse_client(
                        origin,
                        &subject_key,
                        &account_id,
                        &client_id,
                        &format!("private_key_jwt: {why}"),
                    )
                    .await?)
            }
            (None, Ok(_)) => Err(errors::client_credentials_wrong()),
        }
    }

    /// The `aud` an assertion may carry: the token endpoint's public URL (RFC 7523 §3),
    /// or the issuer of the tokens it buys.
    fn assertion_audiences(&self) -> Vec<String> {
        let base = self
            .settings
            .gateway
            .public_base_url
            .clone()
            .unwrap_or_else(|| self.settings.inquiry.public_base_url.clone());
        vec![
            format!("{}/oauth/token", base.trim_end_matches('/')),
            self.settings.auth.issuer.clone(),
        ]
    }
}
