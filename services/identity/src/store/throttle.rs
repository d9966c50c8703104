//! `throttle`: failure counters and blocks per key (account, client, source address), in
//! the store rather than in memory so every replica counts the same failures.

use sqlx::{AnyConnection, Row as _};

use super::Result;

/// The latest `blocked_until` (µs) among `keys`; 0 when none is blocked. One statement
/// for all the keys (a login checks the account, the client and the address at once).
pub async fn blocked_until(conn: &mut AnyConnection, keys: &[&str]) -> Result<i64> {
    if keys.is_empty() {
        return Ok(0);
    }
    let params: Vec<String> = (1..=keys.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT CAST(MAX(blocked_until) AS BIGINT) AS latest FROM throttle WHERE key IN ({})",
        params.join(", ")
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for key in keys {
        q = q.bind(*key);
    }
    let row = q.fetch_one(conn).await?;
    Ok(row.try_get::<Option<i64>, _>("latest")?.unwrap_or(0))
}

/// Counts a failure of `key` at `now` (µs), forgetting failures older than `window_start`;
/// returns the count, this failure included. Atomic on both backends (one upsert).
pub async fn record_failure(
    conn: &mut AnyConnection,
    key: &str,
    now: i64,
    window_start: i64,
) -> Result<u32> {
    let row = sqlx::query(
        "INSERT INTO throttle (key, failures, last_failure_at, blocked_until) VALUES ($1, 1, $2, 0) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN throttle.last_failure_at < $3 THEN 1 ELSE throttle.failures + 1 END, \
           last_failure_at = $2 \
         RETURNING failures",
    )
    .bind(key)
    .bind(now)
    .bind(window_start)
    .fetch_one(conn)
    .await?;
    Ok(u32::try_from(row.try_get::<i32, _>("failures")?).unwrap_or(0))
}

/// Blocks `key` until `until` (µs), unless it already is for longer.
pub async fn block(conn: &mut AnyConnection, key: &str, until: i64) -> Result<()> {
    sqlx::query("UPDATE throttle SET blocked_until = $1 WHERE key = $2 AND blocked_until < $1")
        .bind(until)
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets `key`'s failures after a success, so a person who finally remembers their
/// password starts the next mistake from zero.
pub async fn clear_throttle(conn: &mut AnyConnection, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM throttle WHERE key = $1")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}
