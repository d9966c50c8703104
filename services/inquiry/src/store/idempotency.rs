//! Idempotency records: the first response to each `(scope, client_request_id)`, which a
//! retried write is answered with.

use estelam_runtime::db::now_micros;
use sqlx::{AnyConnection, Row};

use super::{Result, b64_decode, b64_encode};

/// The response stored for `(scope, key)`, if any.
pub async fn idempotent_response(
    conn: &mut AnyConnection,
    scope: &str,
    key: &str,
) -> Result<Option<Vec<u8>>> {
    let row =
        sqlx::query("SELECT response FROM idempotency WHERE scope = $1 AND client_request_id = $2")
            .bind(scope)
            .bind(key)
            .fetch_optional(conn)
            .await?;
    match row {
        Some(r) => {
            let s: String = r.try_get("response")?;
            Ok(Some(b64_decode(&s)?))
        }
        None => Ok(None),
    }
}

/// Records the response of `(scope, key)`; false when one was recorded first.
pub async fn record_response(
    conn: &mut AnyConnection,
    scope: &str,
    key: &str,
    response: &[u8],
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO idempotency (scope, client_request_id, response, created_at_us) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (scope, client_request_id) DO NOTHING",
    )
    .bind(scope)
    .bind(key)
    .bind(b64_encode(response))
    .bind(now_micros())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
