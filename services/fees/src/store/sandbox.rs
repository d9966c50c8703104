//! The sandbox PSP's simulated bank: its books of payments and the shared secret it signs
//! callbacks with. The bank's state, not ours: the ledger never reads these tables.

use sqlx::{AnyConnection, Row};

use crate::psp::SandboxTxn;

/// Opens a payment in the bank's books, awaiting the payer's choice.
pub async fn open(
    conn: &mut AnyConnection,
    token: &str,
    payment_id: &str,
    amount: i64,
    now_us: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sandbox_psp_transactions \
         (token, payment_id, amount_rials, state, reference, created_at_us) \
         VALUES ($1, $2, $3, 'awaiting', '', $4)",
    )
    .bind(token)
    .bind(payment_id)
    .bind(amount)
    .bind(now_us)
    .execute(conn)
    .await?;
    Ok(())
}

/// The bank's record of a token.
pub async fn find(
    conn: &mut AnyConnection,
    token: &str,
) -> Result<Option<SandboxTxn>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT token, payment_id, amount_rials, state, reference FROM sandbox_psp_transactions \
         WHERE token = $1",
    )
    .bind(token)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(SandboxTxn {
            token: r.try_get("token")?,
            payment_id: r.try_get("payment_id")?,
            amount: r.try_get("amount_rials")?,
            state: r.try_get("state")?,
            reference: r.try_get("reference")?,
        })
    })
    .transpose()
}

/// Records the payer's choice (`paid` or `cancelled`) unless one was recorded already: the
/// first choice wins, as at a real bank.
pub async fn decide(
    conn: &mut AnyConnection,
    token: &str,
    state: &str,
    reference: &str,
    now_us: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sandbox_psp_transactions SET state = $1, reference = $2, decided_at_us = $3 \
         WHERE token = $4 AND state = 'awaiting'",
    )
    .bind(state)
    .bind(reference)
    .bind(now_us)
    .bind(token)
    .execute(conn)
    .await?;
    Ok(())
}

/// Gives back a paid payment's money.
pub async fn reverse(conn: &mut AnyConnection, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sandbox_psp_transactions SET state = 'reversed' WHERE token = $1 AND state = 'paid'",
    )
    .bind(token)
    .execute(conn)
    .await?;
    Ok(())
}

/// The stored shared secret, storing `candidate` first when there is none: the first
/// replica to start chooses it, and every later start reads the same one.
pub async fn secret(conn: &mut AnyConnection, candidate: &str) -> Result<String, sqlx::Error> {
    sqlx::query(
        "INSERT INTO psp_sandbox_secret (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
    )
    .bind(candidate)
    .execute(&mut *conn)
    .await?;
    sqlx::query_scalar("SELECT secret FROM psp_sandbox_secret WHERE id = 1")
        .fetch_one(conn)
        .await
}
