//! `signing_keys`: the Ed25519 keys that sign access tokens, kept in the store so every
//! replica signs with the same key and a rotation reaches them all.

use sqlx::{AnyConnection, Row as _};

use super::Result;
use crate::tokens::StoredKey;

/// Every stored signing key, retired ones included: the ring decides what still
/// verifies.
pub async fn signing_keys(conn: &mut AnyConnection) -> Result<Vec<StoredKey>> {
    let rows = sqlx::query(
        "SELECT kid, secret_key, public_key, created_at, retired_at, not_after FROM signing_keys",
    )
    .fetch_all(conn)
    .await?;
    let mut keys = Vec::with_capacity(rows.len());
    for r in rows {
        let secret: Vec<u8> = r.try_get("secret_key")?;
        let public: Vec<u8> = r.try_get("public_key")?;
        let (Ok(secret), Ok(public)) = (<[u8; 32]>::try_from(secret), <[u8; 32]>::try_from(public))
        else {
            return Err(sqlx::Error::Decode("a signing key is not 32 bytes".into()));
        };
        keys.push(StoredKey {
            kid: r.try_get("kid")?,
            secret,
            public,
            created_at: r.try_get("created_at")?,
            retired_at: r.try_get("retired_at")?,
            not_after: r.try_get("not_after")?,
        });
    }
    Ok(keys)
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

/// Stores a new key, which signs from the next reload on.
pub async fn insert_signing_key(conn: &mut AnyConnection, k: &StoredKey) -> Result<()> {
    sqlx::query("INSERT INTO signing_keys (kid, secret_key, public_key, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&k.kid)
        .bind(k.secret.to_vec())
        .bind(k.public.to_vec())
        .bind(k.created_at)
        .execute(conn)
        .await?;
    Ok(())
}
