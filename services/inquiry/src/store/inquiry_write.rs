//! A step's whole write as one PostgreSQL statement: the inquiry's row over the version it
//! was read at, its new history rows and the call's recorded response, in data-modifying
//! `WITH` clauses of one `UPDATE`. One statement is one transaction, so the write is still
//! all or nothing, without the `BEGIN`, the two `INSERT`s and the `COMMIT` of the
//! transaction [`super::update_inquiry`] runs in: four round trips fewer per step.
//!
//! SQLite has no data-modifying `WITH`: there the same write is the update, the history
//! rows and the record one after another, in the caller's transaction.

use estelam_runtime::db::{is_unique_violation, now_micros};
use sqlx::{AnyConnection, Row};

use super::{Result, b64_encode, json_err, record_response, update_inquiry};
use crate::model::Inquiry;

/// The response to record with the write, for a retry of the same call.
pub struct Recorded<'a> {
    /// The caller and method.
    pub scope: &'a str,
    /// The caller's `client_request_id` (not empty).
    pub key: &'a str,
    /// The encoded response.
    pub response: &'a [u8],
}

/// Writes `inq` (whose `version` is already the new one) over the stored row if its
/// version is still `expected_version`, appends its new history rows and records the
/// response, in one statement. False when nothing was written: the version moved on, or a
/// response was already recorded under the same key, or a concurrent writer took a history
/// number (each a conflict the caller answers as [`super::update_inquiry`]'s are). On
/// SQLite the caller must be in a transaction, which it rolls back on false.
pub async fn update_inquiry_recorded(
    conn: &mut AnyConnection,
    inq: &Inquiry,
    expected_version: i64,
    record: Option<Recorded<'_>>,
) -> Result<bool> {
    if conn.backend_name() == "SQLite" {
        if !update_inquiry(&mut *conn, inq, expected_version).await? {
            return Ok(false);
        }
        return match record {
            Some(r) => record_response(conn, r.scope, r.key, r.response).await,
            None => Ok(true),
        };
    }
    let doc = serde_json::to_string(inq).map_err(json_err)?;
    let new_changes: Vec<(usize, String)> = inq
        .history
        .iter()
        .enumerate()
        .skip(inq.history_stored)
        .map(|(seq, c)| Ok((seq, serde_json::to_string(c).map_err(json_err)?)))
        .collect::<Result<_>>()?;
    let sql = statement(new_changes.len(), record.is_some());
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(inq.state.as_str())
        .bind(inq.version)
        .bind(inq.applicant_national_code())
        .bind(inq.renovation_code())
        .bind(&inq.bill_id)
        .bind(inq.updated_at_us)
        .bind(inq.expires_at_us)
        .bind(doc)
        .bind(&inq.id)
        .bind(expected_version)
        .bind(inq.letter_organization_id())
        .bind(inq.letter_number())
        .bind(inq.submitted_at_us)
        .bind(inq.issued_at_us)
        .bind(inq.answer_due_at_us());
    for (seq, json) in new_changes {
        let change = &inq.history[seq];
        q = q
            .bind(i64::try_from(seq).unwrap_or(i64::MAX))
            .bind(change.changed.at_us)
            .bind(&change.changed.actor)
            .bind(change.from.as_str())
            .bind(change.to.as_str())
            .bind(json);
    }
    if let Some(r) = record {
        q = q
            .bind(r.scope)
            .bind(r.key)
            .bind(b64_encode(r.response))
            .bind(now_micros());
    }
    match q.fetch_one(conn).await {
        Ok(row) => Ok(row.try_get::<i64, _>("updated")? == 1),
        // The whole statement rolled back: a response recorded first under the key, or a
        // history number taken by a concurrent writer.
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The statement for `changes` new history rows, with the recorded response or without.
/// Its text depends only on those two, so the prepared statements stay few.
fn statement(changes: usize, record: bool) -> String {
    let mut sql = String::from(
        "WITH upd AS (UPDATE inquiries SET state = $1, version = $2, \
         applicant_national_code = $3, renovation_code = $4, bill_id = $5, updated_at_us = $6, \
         expires_at_us = $7, doc = $8, letter_organization_id = $11, letter_number = $12, \
         submitted_at_us = $13, issued_at_us = $14, answer_due_at_us = $15 \
         WHERE id = $9 AND version = $10 RETURNING id)",
    );
    let mut next = 16;
    if changes > 0 {
        let rows: Vec<String> = (0..changes)
            .map(|i| {
                let p = next + i * 6;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${})",
                    p,
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5
                )
            })
            .collect();
        next += changes * 6;
        sql.push_str(&format!(
            ", hist AS (INSERT INTO inquiry_events (inquiry_id, seq, at_us, actor_account_id, \
             from_state, to_state, change) SELECT upd.id, v.seq, v.at_us, v.actor, v.from_state, \
             v.to_state, v.change FROM upd, (VALUES {}) AS v(seq, at_us, actor, from_state, \
             to_state, change))",
            rows.join(", ")
        ));
    }
    if record {
        sql.push_str(&format!(
            ", rec AS (INSERT INTO idempotency (scope, client_request_id, response, \
             created_at_us) SELECT ${}, ${}, ${}, ${} FROM upd)",
            next,
            next + 1,
            next + 2,
            next + 3
        ));
    }
    sql.push_str(" SELECT COUNT(*) AS updated FROM upd");
    sql
}

#[cfg(test)]
mod tests {
    use super::statement;

    #[test]
    fn parameters_are_numbered_in_bind_order() {
        let sql = statement(2, true);
        assert!(
            sql.contains("VALUES ($16, $17, $18, $19, $20, $21), ($22, $23, $24, $25, $26, $27)")
        );
        assert!(sql.contains("SELECT $28, $29, $30, $31 FROM upd"));
        assert!(!statement(0, false).contains("INSERT"));
    }
}
