//! `signing_keys`: the Ed25519 keys that sign access tokens, kept in the store so every
//! replica signs with the same key and a rotation reaches them all. The private halves are
//! stored sealed ([`KeySeal`]): a copy of the store alone cannot mint tokens.

use estelam_runtime::key_seal::{KeySeal, is_sealed};
use sqlx::{AnyConnection, Row as _};

use super::Result;
use crate::tokens::StoredKey;

/// The private key of `kid` as stored: sealed (`v1:…` text), or the 32 raw bytes a version
/// before encryption at rest wrote (see [`seal_plaintext_keys`], which start-up runs first).
fn open_secret(seal: &KeySeal, kid: &str, stored: &[u8]) -> Result<[u8; 32]> {
    match std::str::from_utf8(stored) {
        Ok(text) if is_sealed(text) => seal
            .open(kid, text)
            .map_err(|e| sqlx::Error::Decode(Box::new(e))),
        _ => <[u8; 32]>::try_from(stored)
            .map_err(|_| sqlx::Error::Decode("a signing key is not 32 bytes".into())),
    }
}

/// Every stored signing key, retired ones included, opened with `seal`: the ring decides
/// what still verifies.
pub async fn signing_keys(conn: &mut AnyConnection, seal: &KeySeal) -> Result<Vec<StoredKey>> {
    let rows = sqlx::query(
        "SELECT kid, secret_key, public_key, created_at, retired_at, not_after FROM signing_keys",
    )
    .fetch_all(conn)
    .await?;
    let mut keys = Vec::with_capacity(rows.len());
    for r in rows {
        let kid: String = r.try_get("kid")?;
        let stored: Vec<u8> = r.try_get("secret_key")?;
        let secret = open_secret(seal, &kid, &stored)?;
        let public: Vec<u8> = r.try_get("public_key")?;
        let Ok(public) = <[u8; 32]>::try_from(public) else {
            return Err(sqlx::Error::Decode("a public key is not 32 bytes".into()));
        };
        keys.push(StoredKey {
            kid,
            secret,
            public,
            created_at: r.try_get("created_at")?,
            retired_at: r.try_get("retired_at")?,
            not_after: r.try_get("not_after")?,
        });
    }
    Ok(keys)
}

/// Seals every key stored in the clear (by a version before encryption at rest); returns
/// how many it sealed.
pub async fn seal_plaintext_keys(conn: &mut AnyConnection, seal: &KeySeal) -> Result<usize> {
    let rows = sqlx::query("SELECT kid, secret_key FROM signing_keys")
        .fetch_all(&mut *conn)
        .await?;
    let mut sealed = 0;
    for r in &rows {
        let kid: String = r.try_get("kid")?;
        let stored: Vec<u8> = r.try_get("secret_key")?;
        if std::str::from_utf8(&stored).is_ok_and(is_sealed) {
            continue;
        }
        let secret = open_secret(seal, &kid, &stored)?;
        sqlx::query("UPDATE signing_keys SET secret_key = $1 WHERE kid = $2")
            .bind(seal.seal(&kid, &secret).into_bytes())
            .bind(&kid)
            .execute(&mut *conn)
            .await?;
        sealed += 1;
    }
    Ok(sealed)
}

/// Retires every signing key still signing: they stop signing now and stop verifying at
/// `not_after`.
pub async fn retire_signing_keys(conn: &mut AnyConnection, now: i64, not_after: i64) -> Result<()> {
    sqlx::query("UPDATE signing_keys SET retired_at = $1, not_after = $2 WHERE retired_at IS NULL")
        .bind(now)
        .bind(not_after)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores a new key, its private half sealed with `seal`; it signs from the next reload on.
pub async fn insert_signing_key(
    conn: &mut AnyConnection,
    k: &StoredKey,
    seal: &KeySeal,
) -> Result<()> {
    sqlx::query("INSERT INTO signing_keys (kid, secret_key, public_key, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&k.kid)
        .bind(seal.seal(&k.kid, &k.secret).into_bytes())
        .bind(k.public.to_vec())
        .bind(k.created_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Re-seals every stored token-signing key under `seal`'s current KEK, opening each with
/// whichever KEK it opens with (the current or, during a roll, the previous). Run inside
/// one transaction, so either every key is re-sealed or none is. Returns how many.
pub async fn reseal_signing_keys(conn: &mut AnyConnection, seal: &KeySeal) -> Result<usize> {
    let rows = sqlx::query("SELECT kid, secret_key FROM signing_keys")
        .fetch_all(&mut *conn)
        .await?;
    for r in &rows {
        let kid: String = r.try_get("kid")?;
        let stored: Vec<u8> = r.try_get("secret_key")?;
        let secret = open_secret(seal, &kid, &stored)?;
        sqlx::query("UPDATE signing_keys SET secret_key = $1 WHERE kid = $2")
            .bind(seal.seal(&kid, &secret).into_bytes())
            .bind(&kid)
            .execute(&mut *conn)
            .await?;
    }
    Ok(rows.len())
}
