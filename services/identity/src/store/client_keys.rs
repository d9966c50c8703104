//! `client_keys` and `client_assertion_jtis`: an organisation client's registered public
//! keys for private_key_jwt, and the ids of the assertions already used.

use sqlx::{AnyConnection, Row as _};

use super::Result;

/// One registered public key.
#[derive(Debug, Clone)]
pub struct ClientKeyRow {
    /// The client's account.
    pub account_id: String,
    /// Its `kid` (its own, or its RFC 7638 thumbprint).
    pub kid: String,
    /// `ES256` or `EdDSA`.
    pub alg: String,
    /// The public JWK, as JSON.
    pub jwk: String,
    /// RFC 7638 SHA-256 thumbprint, base64url.
    pub thumbprint: String,
    /// When it was registered (µs).
    pub created_at: i64,
    /// Who registered it.
    pub created_by: String,
    /// When an admin revoked it (µs); `None` while it verifies assertions.
    pub revoked_at: Option<i64>,
    /// Who revoked it (account id), empty while in use.
    pub revoked_by: String,
    /// Their display name at the time.
    pub revoked_by_name: String,
    /// Why it was revoked, empty while in use.
    pub revoke_reason: String,
}

impl ClientKeyRow {
    /// Whether assertions signed with this key are still accepted.
    pub fn in_use(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// Stores a key; false when the client already has a key with that `kid`.
pub async fn insert_client_key(conn: &mut AnyConnection, k: &ClientKeyRow) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO client_keys (account_id, kid, alg, jwk, thumbprint, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (account_id, kid) DO NOTHING",
    )
    .bind(&k.account_id)
    .bind(&k.kid)
    .bind(&k.alg)
    .bind(&k.jwk)
    .bind(&k.thumbprint)
    .bind(k.created_at)
    .bind(&k.created_by)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Every key registered for the account, revoked ones too, oldest first.
pub async fn client_keys(conn: &mut AnyConnection, account_id: &str) -> Result<Vec<ClientKeyRow>> {
    let rows = sqlx::query(
        "SELECT account_id, kid, alg, jwk, thumbprint, created_at, created_by, revoked_at, revoked_by, \
         revoked_by_name, revoke_reason FROM client_keys WHERE account_id = $1 ORDER BY created_at, kid",
    )
    .bind(account_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ClientKeyRow {
                account_id: r.try_get(0)?,
                kid: r.try_get(1)?,
                alg: r.try_get(2)?,
                jwk: r.try_get(3)?,
                thumbprint: r.try_get(4)?,
                created_at: r.try_get(5)?,
                created_by: r.try_get(6)?,
                revoked_at: r.try_get(7)?,
                revoked_by: r.try_get::<Option<String>, _>(8)?.unwrap_or_default(),
                revoked_by_name: r.try_get::<Option<String>, _>(9)?.unwrap_or_default(),
                revoke_reason: r.try_get::<Option<String>, _>(10)?.unwrap_or_default(),
            })
        })
        .collect()
}

/// Revokes the client's key `kid`, stamping who and why; false when it has no such key in
/// use (none, or revoked already).
pub async fn revoke_client_key(
    conn: &mut AnyConnection,
    account_id: &str,
    kid: &str,
    now: i64,
    by: &str,
    by_name: &str,
    reason: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE client_keys SET revoked_at = $1, revoked_by = $2, revoked_by_name = $3, revoke_reason = $4 \
         WHERE account_id = $5 AND kid = $6 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(by)
    .bind(by_name)
    .bind(reason)
    .bind(account_id)
    .bind(kid)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records an accepted assertion's `jti` until `expires_at` (µs); false when the client
/// already used it (a replay). Forgets the ids whose assertions have expired first.
pub async fn use_assertion_jti(
    conn: &mut AnyConnection,
    client_id: &str,
    jti: &str,
    expires_at: i64,
    now: i64,
) -> Result<bool> {
    sqlx::query("DELETE FROM client_assertion_jtis WHERE expires_at < $1")
        .bind(now)
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query(
        "INSERT INTO client_assertion_jtis (client_id, jti, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (client_id, jti) DO NOTHING",
    )
    .bind(client_id)
    .bind(jti)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
