//! Answer-signing keys: the private halves sealed at rest, the current one first; retired
//! keys stay, since they keep verifying what they signed.

use sqlx::{AnyConnection, Row};

use super::{Result, b64_decode, b64_encode};
use crate::answer::KeyPair;
use crate::key_seal::{self, KeySeal};

/// Every answer-signing key, current first, then by start time, newest first, opened with
/// `seal`. A key stored before encryption at rest is opened as it is (see
/// [`seal_plaintext_keys`], which start-up runs first).
pub async fn signing_keys(conn: &mut AnyConnection, seal: &KeySeal) -> Result<Vec<KeyPair>> {
    let rows = sqlx::query(
        "SELECT kid, secret, not_before_us, retired_at_us FROM signing_keys \
         ORDER BY CASE WHEN retired_at_us IS NULL THEN 0 ELSE 1 END, not_before_us DESC",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let kid: String = r.try_get("kid")?;
            let stored: String = r.try_get("secret")?;
            let secret = if key_seal::is_sealed(&stored) {
                seal.open(&kid, &stored)
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?
            } else {
                plaintext_secret(&stored)?
            };
            Ok(KeyPair::from_secret(
                secret,
                r.try_get("not_before_us")?,
                r.try_get("retired_at_us")?,
            ))
        })
        .collect()
}

fn plaintext_secret(stored: &str) -> Result<[u8; 32]> {
    let bytes = b64_decode(stored)?;
    bytes
        .try_into()
        .map_err(|_| sqlx::Error::Decode("stored signing key is not 32 bytes".into()))
}

/// Seals every key stored in the clear (by a version before encryption at rest); returns
/// how many it sealed.
pub async fn seal_plaintext_keys(conn: &mut AnyConnection, seal: &KeySeal) -> Result<usize> {
    let rows = sqlx::query("SELECT kid, secret FROM signing_keys")
        .fetch_all(&mut *conn)
        .await?;
    let mut sealed = 0;
    for r in &rows {
        let kid: String = r.try_get("kid")?;
        let stored: String = r.try_get("secret")?;
        if key_seal::is_sealed(&stored) {
            continue;
        }
        let secret = plaintext_secret(&stored)?;
        sqlx::query("UPDATE signing_keys SET secret = $1 WHERE kid = $2 AND secret = $3")
            .bind(seal.seal(&kid, &secret))
            .bind(&kid)
            .bind(&stored)
            .execute(&mut *conn)
            .await?;
        sealed += 1;
    }
    Ok(sealed)
}

/// Makes `key` the current key, retiring the one before; its private half is stored
/// sealed with `seal`.
pub async fn install_signing_key(
    conn: &mut AnyConnection,
    key: &KeyPair,
    seal: &KeySeal,
) -> Result<()> {
    sqlx::query("UPDATE signing_keys SET retired_at_us = $1 WHERE retired_at_us IS NULL")
        .bind(key.not_before_us)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO signing_keys (kid, secret, public_key, not_before_us, retired_at_us) \
         VALUES ($1, $2, $3, $4, NULL)",
    )
    .bind(&key.kid)
    .bind(seal.seal(&key.kid, &key.signing.to_bytes()))
    .bind(b64_encode(&key.public()))
    .bind(key.not_before_us)
    .execute(conn)
    .await?;
    Ok(())
}

/// Re-seals every stored private key — the answer-signing keys and the trust list's root
/// keys — under `seal`'s current KEK, opening each with whichever KEK it opens with (the
/// current or, during a roll, the previous). Run inside one transaction, so either every
/// key is re-sealed or none is. Returns how many keys were re-sealed.
pub async fn reseal_all(conn: &mut AnyConnection, seal: &KeySeal) -> Result<usize> {
    let mut resealed = 0;
    for table in ["signing_keys", "trust_root_keys"] {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT kid, secret FROM {table}"
        )))
        .fetch_all(&mut *conn)
        .await?;
        for r in &rows {
            let kid: String = r.try_get("kid")?;
            let stored: String = r.try_get("secret")?;
            let secret = if key_seal::is_sealed(&stored) {
                seal.open(&kid, &stored)
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?
            } else {
                plaintext_secret(&stored)?
            };
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE {table} SET secret = $1 WHERE kid = $2 AND secret = $3"
            )))
            .bind(seal.seal(&kid, &secret))
            .bind(&kid)
            .bind(&stored)
            .execute(&mut *conn)
            .await?;
            resealed += 1;
        }
    }
    Ok(resealed)
}
