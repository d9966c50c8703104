//! The certificate's tables: each answer's slot in the status list, and the trust list's
//! root key (sealed like the answer-signing keys).

use sqlx::{AnyConnection, Row};

use super::{Result, b64_encode, inquiries::next_counter};
use crate::answer::KeyPair;
use crate::key_seal::KeySeal;

/// The counter that hands out status list slots.
const SLOT_COUNTER: &str = "answer_status_index";

/// The answer's slot in the status list, given now if it has none. Slots come from a
/// counter, so they are never reused; a slot lost to a concurrent first render of the same
/// answer stays a 0 bit that no answer names.
pub async fn status_slot(conn: &mut AnyConnection, inquiry_id: &str) -> Result<u64> {
    if let Some(idx) = existing_slot(conn, inquiry_id).await? {
        return Ok(idx);
    }
    let idx = next_counter(conn, SLOT_COUNTER).await? - 1;
    sqlx::query(
        "INSERT INTO answer_status_slots (status_index, inquiry_id) VALUES ($1, $2) \
         ON CONFLICT DO NOTHING",
    )
    .bind(idx)
    .bind(inquiry_id)
    .execute(&mut *conn)
    .await?;
    existing_slot(conn, inquiry_id)
        .await?
        .ok_or_else(|| sqlx::Error::Protocol("status slot was not stored".into()))
}

async fn existing_slot(conn: &mut AnyConnection, inquiry_id: &str) -> Result<Option<u64>> {
    let row = sqlx::query("SELECT status_index FROM answer_status_slots WHERE inquiry_id = $1")
        .bind(inquiry_id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        let idx: i64 = r.try_get("status_index")?;
        u64::try_from(idx).map_err(|e| sqlx::Error::Decode(Box::new(e)))
    })
    .transpose()
}

/// The status list's size (one past the highest slot) and the slots of revoked answers.
pub async fn status_bits(conn: &mut AnyConnection) -> Result<(u64, Vec<u64>)> {
    let len: i64 =
        sqlx::query("SELECT COALESCE(MAX(status_index) + 1, 0) AS n FROM answer_status_slots")
            .fetch_one(&mut *conn)
            .await?
            .try_get("n")?;
    let rows = sqlx::query(
        "SELECT s.status_index FROM answer_status_slots s \
         JOIN answers a ON a.inquiry_id = s.inquiry_id WHERE a.revoked_at_us IS NOT NULL",
    )
    .fetch_all(conn)
    .await?;
    let revoked = rows
        .iter()
        .map(|r| {
            let idx: i64 = r.try_get("status_index")?;
            u64::try_from(idx).map_err(|e| sqlx::Error::Decode(Box::new(e)))
        })
        .collect::<Result<_>>()?;
    Ok((u64::try_from(len).unwrap_or(0), revoked))
}

/// The newest root key, opened with `seal`.
pub async fn trust_root(conn: &mut AnyConnection, seal: &KeySeal) -> Result<Option<KeyPair>> {
    let row = sqlx::query(
        "SELECT kid, secret, created_at_us FROM trust_root_keys \
         ORDER BY created_at_us DESC LIMIT 1",
    )
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        let kid: String = r.try_get("kid")?;
        let stored: String = r.try_get("secret")?;
        let secret = seal
            .open(&kid, &stored)
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        let mut key = KeyPair::from_secret(secret, r.try_get("created_at_us")?, None);
        key.kid = kid;
        Ok(key)
    })
    .transpose()
}

/// Stores a new root key, sealed.
pub async fn install_trust_root(
    conn: &mut AnyConnection,
    key: &KeyPair,
    seal: &KeySeal,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO trust_root_keys (kid, secret, public_key, created_at_us) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(&key.kid)
    .bind(seal.seal(&key.kid, &key.signing.to_bytes()))
    .bind(b64_encode(&key.public()))
    .bind(key.not_before_us)
    .execute(conn)
    .await?;
    Ok(())
}
