//! An inquiry's step history as append-only rows (`inquiry_events`, migration 0051): one
//! row per state change, appended in the transaction that writes the inquiry, read back in
//! order as its timeline. The database refuses to change or remove a row (triggers on both
//! backends), so the timeline says what happened, not what a later step rewrote.

use estelam_runtime::audit::AuditQuery;
use sqlx::{AnyConnection, Row};

use super::{Result, json_err};
use crate::model::{Change, Inquiry};

/// Appends the changes of `inq`'s history that are not rows yet (those past
/// `history_stored`), numbered by their place in the history, in one statement however many
/// there are (Submit that issues at once appends two). A number already taken (a concurrent
/// writer of the same inquiry) fails the transaction.
pub async fn append_history(conn: &mut AnyConnection, inq: &Inquiry) -> Result<()> {
    let new: Vec<(usize, &Change, String)> = inq
        .history
        .iter()
        .enumerate()
        .skip(inq.history_stored)
        .map(|(seq, c)| Ok((seq, c, serde_json::to_string(c).map_err(json_err)?)))
        .collect::<Result<_>>()?;
    if new.is_empty() {
        return Ok(());
    }
    let values: Vec<String> = (0..new.len())
        .map(|i| {
            let p = i * 7;
            format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 5,
                p + 6,
                p + 7
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO inquiry_events (inquiry_id, seq, at_us, actor_account_id, from_state, \
         to_state, change) VALUES {}",
        values.join(", ")
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (seq, change, json) in new {
        q = q
            .bind(&inq.id)
            .bind(i64::try_from(seq).unwrap_or(i64::MAX))
            .bind(change.changed.at_us)
            .bind(&change.changed.actor)
            .bind(change.from.as_str())
            .bind(change.to.as_str())
            .bind(json);
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

/// Replaces `inq`'s history with its rows, oldest first, and marks them all stored.
pub async fn load_history(conn: &mut AnyConnection, inq: &mut Inquiry) -> Result<()> {
    let rows = sqlx::query("SELECT change FROM inquiry_events WHERE inquiry_id = $1 ORDER BY seq")
        .bind(&inq.id)
        .fetch_all(conn)
        .await?;
    inq.history = rows
        .iter()
        .map(|r| {
            let json: String = r.try_get("change")?;
            serde_json::from_str::<Change>(&json).map_err(json_err)
        })
        .collect::<Result<_>>()?;
    inq.history_stored = inq.history.len();
    Ok(())
}

/// One entry of the inquiry service's audit trail as the desk lists it: a state change of
/// an inquiry (`inquiry.state_changed`) or a check of an answer's verification code
/// (`answer.verified`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// `<inquiry id>/<seq>` for a state change, the check's id for a verification.
    pub record_id: String,
    /// When, µs.
    pub at_us: i64,
    /// Who: an account id, or empty (the system, an anonymous verifier).
    pub actor: String,
    /// `inquiry.state_changed` or `answer.verified`.
    pub action: String,
    /// The inquiry number, or the verification code presented.
    pub subject: String,
    /// The inquiry concerned (empty for a code that matched none).
    pub inquiry_id: String,
    /// Its parcel, once named.
    pub renovation_code: String,
    /// The state reached, or the verification's verdict.
    pub outcome: String,
    /// The change as JSON (who, when, why), or empty.
    pub detail: String,
}

/// One page of the audit trail, newest first: both append-only tables, filtered alike (the
/// subject matches the inquiry number or verification code, the inquiry id or the
/// renovation code).
pub async fn list_audit(conn: &mut AnyConnection, q: &AuditQuery) -> Result<Vec<AuditRow>> {
    let (cur_at, cur_id) = q.cursor();
    let rows = sqlx::query(
        "SELECT record_id, at_us, actor, action, subject, inquiry_id, renovation_code, outcome, \
         detail FROM ( \
           SELECT e.inquiry_id || '/' || CAST(e.seq AS TEXT) AS record_id, e.at_us AS at_us, \
                  e.actor_account_id AS actor, 'inquiry.state_changed' AS action, \
                  COALESCE(i.inquiry_number, '') AS subject, e.inquiry_id AS inquiry_id, \
                  COALESCE(i.renovation_code, '') AS renovation_code, e.to_state AS outcome, \
                  e.change AS detail \
           FROM inquiry_events e LEFT JOIN inquiries i ON i.id = e.inquiry_id \
           UNION ALL \
           SELECT v.id, v.checked_at_us, v.caller_account_id, 'answer.verified', \
                  v.presented_code, v.inquiry_id, COALESCE(i.renovation_code, ''), v.result, '' \
           FROM verification_audit v LEFT JOIN inquiries i ON i.id = v.inquiry_id \
         ) a WHERE ($1 = '' OR actor = $1) AND ($2 = '' OR action = $2) \
         AND ($3 = '' OR subject = $3 OR inquiry_id = $3 OR renovation_code = $3) \
         AND at_us >= $4 AND at_us < $5 \
         AND (at_us < $6 OR (at_us = $6 AND record_id < $7)) \
         ORDER BY at_us DESC, record_id DESC LIMIT $8",
    )
    .bind(&q.actor)
    .bind(&q.action)
    .bind(&q.subject)
    .bind(q.since_us)
    .bind(q.until_us)
    .bind(cur_at)
    .bind(cur_id)
    .bind(q.paging.fetch_limit())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditRow {
                record_id: r.try_get("record_id")?,
                at_us: r.try_get("at_us")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                subject: r.try_get("subject")?,
                inquiry_id: r.try_get("inquiry_id")?,
                renovation_code: r.try_get("renovation_code")?,
                outcome: r.try_get("outcome")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect()
}
