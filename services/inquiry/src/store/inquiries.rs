//! Inquiries: one JSON document per inquiry beside the columns lists filter on, written
//! only over the version it was read at, with its new state changes appended as rows in the
//! same transaction (`inquiry_events`); and the counter inquiry numbers come from.

use sqlx::{AnyConnection, Row};

use super::inquiry_events::{append_history, load_history};
use super::{Result, b64_decode, json_err};
use crate::model::{Change, Inquiry};
use crate::workflow::State;

/// The next value of a named counter, from 1.
pub async fn next_counter(conn: &mut AnyConnection, name: &str) -> Result<i64> {
    sqlx::query("INSERT INTO counters (name, value) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .execute(&mut *conn)
        .await?;
    let row = sqlx::query("UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value")
        .bind(name)
        .fetch_one(conn)
        .await?;
    row.try_get("value")
}

/// Stores a new inquiry.
pub async fn insert_inquiry(conn: &mut AnyConnection, inq: &Inquiry) -> Result<()> {
    let doc = serde_json::to_string(inq).map_err(json_err)?;
    sqlx::query(
        "INSERT INTO inquiries (id, inquiry_number, request_type_code, state, version, \
         applicant_account_id, filed_by_account_id, filed_by_organization_id, \
         applicant_national_code, renovation_code, bill_id, created_at_us, updated_at_us, \
         expires_at_us, doc, letter_organization_id, letter_number, submitted_at_us, \
         issued_at_us, answer_due_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18, $19, $20)",
    )
    .bind(&inq.id)
    .bind(&inq.number)
    .bind(&inq.request_type_code)
    .bind(inq.state.as_str())
    .bind(inq.version)
    .bind(&inq.applicant_account_id)
    .bind(&inq.filed_by_account_id)
    .bind(&inq.filed_by_organization_id)
    .bind(inq.applicant_national_code())
    .bind(inq.renovation_code())
    .bind(&inq.bill_id)
    .bind(inq.created_at_us)
    .bind(inq.updated_at_us)
    .bind(inq.expires_at_us)
    .bind(doc)
    .bind(inq.letter_organization_id())
    .bind(inq.letter_number())
    .bind(inq.submitted_at_us)
    .bind(inq.issued_at_us)
    .bind(inq.answer_due_at_us())
    .execute(&mut *conn)
    .await?;
    append_history(conn, inq).await
}

/// Writes `inq` (whose `version` is already the new one) over the stored row, only if the
/// stored version is `expected_version`, and appends its new state changes as rows. Returns
/// false on a version mismatch (nothing written).
pub async fn update_inquiry(
    conn: &mut AnyConnection,
    inq: &Inquiry,
    expected_version: i64,
) -> Result<bool> {
    let doc = serde_json::to_string(inq).map_err(json_err)?;
    let done = sqlx::query(
        "UPDATE inquiries SET state = $1, version = $2, applicant_national_code = $3, \
         renovation_code = $4, bill_id = $5, updated_at_us = $6, expires_at_us = $7, doc = $8, \
         letter_organization_id = $11, letter_number = $12, submitted_at_us = $13, \
         issued_at_us = $14, answer_due_at_us = $15 WHERE id = $9 AND version = $10",
    )
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
    .bind(inq.answer_due_at_us())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    append_history(conn, inq).await?;
    Ok(true)
}

/// Takes the row lock of an inquiry (PostgreSQL) inside a transaction, so that two
/// transactions deciding about the same inquiry run one after the other.
pub async fn lock_inquiry(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("UPDATE inquiries SET version = version WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes the row lock of an inquiry and tells whether its stored version is still
/// `expected_version` (false when someone changed it since it was read, or it is gone). A
/// change that decides inside its transaction (issue now, or wait for payment) takes this
/// first, before it reads anything another transaction might be about to change; it is a
/// lock, not a write, so the change still writes the row once.
pub async fn lock_inquiry_at(
    conn: &mut AnyConnection,
    id: &str,
    expected_version: i64,
) -> Result<bool> {
    // SQLite transactions hold the database's write lock from their first statement
    // (`BEGIN IMMEDIATE`), and SQLite has no `FOR UPDATE`.
    let sql = if conn.backend_name() == "SQLite" {
        "SELECT version FROM inquiries WHERE id = $1"
    } else {
        "SELECT version FROM inquiries WHERE id = $1 FOR UPDATE"
    };
    let row = sqlx::query(sql).bind(id).fetch_optional(conn).await?;
    match row {
        Some(r) => Ok(r.try_get::<i64, _>("version")? == expected_version),
        None => Ok(false),
    }
}

fn row_to_inquiry(row: &sqlx::any::AnyRow) -> Result<Inquiry> {
    let doc: String = row.try_get("doc")?;
    serde_json::from_str(&doc).map_err(json_err)
}

/// The inquiry of a row, with its history read from its rows.
async fn loaded(
    conn: &mut AnyConnection,
    row: Option<sqlx::any::AnyRow>,
) -> Result<Option<Inquiry>> {
    let Some(row) = row else { return Ok(None) };
    let mut inq = row_to_inquiry(&row)?;
    load_history(conn, &mut inq).await?;
    Ok(Some(inq))
}

/// What one round trip found for a step: the response recorded for the call's retry key,
/// or else the inquiry with its history.
pub enum StepLoad {
    /// The call was answered before: the recorded response's bytes.
    Recorded(Vec<u8>),
    /// No recorded response; the inquiry, if it exists (boxed: it is large).
    Inquiry(Option<Box<Inquiry>>),
}

/// The recorded response of `(scope, key)` if there is one, else the inquiry `id` with its
/// history, in one statement (one round trip instead of the three of
/// [`super::idempotent_response`], the inquiry's row and its history): every step starts
/// with exactly this.
pub async fn load_for_step(
    conn: &mut AnyConnection,
    id: &str,
    scope: &str,
    key: &str,
) -> Result<StepLoad> {
    let rows = sqlx::query(
        "SELECT -2 AS seq, response AS body FROM idempotency \
           WHERE scope = $2 AND client_request_id = $3 AND $3 <> '' \
         UNION ALL SELECT -1, doc FROM inquiries WHERE id = $1 \
         UNION ALL SELECT seq, change FROM inquiry_events WHERE inquiry_id = $1 \
         ORDER BY 1",
    )
    .bind(id)
    .bind(scope)
    .bind(key)
    .fetch_all(conn)
    .await?;
    assemble(rows)
}

/// An inquiry by id, with its history: one statement.
pub async fn inquiry(conn: &mut AnyConnection, id: &str) -> Result<Option<Inquiry>> {
    let rows = sqlx::query(
        "SELECT -1 AS seq, doc AS body FROM inquiries WHERE id = $1 \
         UNION ALL SELECT seq, change FROM inquiry_events WHERE inquiry_id = $1 ORDER BY 1",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    only_inquiry(assemble(rows)?)
}

/// An inquiry by inquiry number, with its history: one statement.
pub async fn inquiry_by_number(conn: &mut AnyConnection, number: &str) -> Result<Option<Inquiry>> {
    let rows = sqlx::query(
        "SELECT -1 AS seq, doc AS body FROM inquiries WHERE inquiry_number = $1 \
         UNION ALL SELECT e.seq, e.change FROM inquiry_events e \
           JOIN inquiries i ON i.id = e.inquiry_id WHERE i.inquiry_number = $1 ORDER BY 1",
    )
    .bind(number)
    .fetch_all(conn)
    .await?;
    only_inquiry(assemble(rows)?)
}

/// Reads rows `(seq, body)` ordered by `seq`: -2 a recorded response (base64), -1 the
/// inquiry's document, then its history rows from 0.
fn assemble(rows: Vec<sqlx::any::AnyRow>) -> Result<StepLoad> {
    let mut inq: Option<Inquiry> = None;
    let mut history = Vec::new();
    for row in rows {
        let seq: i64 = row.try_get("seq")?;
        let body: String = row.try_get("body")?;
        match seq {
            -2 => return Ok(StepLoad::Recorded(b64_decode(&body)?)),
            -1 => inq = Some(serde_json::from_str(&body).map_err(json_err)?),
            _ => history.push(serde_json::from_str::<Change>(&body).map_err(json_err)?),
        }
    }
    Ok(StepLoad::Inquiry(inq.map(|mut inq| {
        inq.history = history;
        inq.history_stored = inq.history.len();
        Box::new(inq)
    })))
}

/// The inquiry of a statement without a recorded-response row.
fn only_inquiry(found: StepLoad) -> Result<Option<Inquiry>> {
    match found {
        StepLoad::Inquiry(inq) => Ok(inq.map(|b| *b)),
        StepLoad::Recorded(_) => Ok(None),
    }
}

/// Filters of a list; empty strings match everything.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    /// `,state,state,` or empty.
    pub states_csv: String,
    /// Request type code.
    pub request_type_code: String,
    /// Renovation code.
    pub renovation_code: String,
    /// Filing organization.
    pub organization_id: String,
    /// Applicant national code.
    pub applicant_national_code: String,
    /// Only inquiries whose letter names this organisation ("inquiries addressed to us").
    pub letter_organization_id: String,
    /// Visibility: only inquiries of this citizen account (applicant or filer).
    pub account_id: String,
    /// Visibility: only inquiries this organisation filed or its letter names.
    pub visible_to_organization_id: String,
    /// Created at or after, µs (0 for none).
    pub created_after_us: i64,
    /// Created before, µs (i64::MAX for none).
    pub created_before_us: i64,
    /// Only inquiries whose letter has this number (as stored: cleaned, Latin digits).
    pub letter_number: String,
}

/// A page of inquiries, newest first, after the cursor `(created_at_us, id)`.
pub async fn list_inquiries(
    conn: &mut AnyConnection,
    f: &ListFilter,
    cursor: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<Inquiry>> {
    let (cur_at, cur_id) = cursor.unwrap_or((i64::MAX, String::new()));
    let rows = sqlx::query(
        "SELECT doc FROM inquiries WHERE \
         ($1 = '' OR $1 LIKE '%,' || state || ',%') \
         AND ($2 = '' OR request_type_code = $2) \
         AND ($3 = '' OR renovation_code = $3) \
         AND ($4 = '' OR filed_by_organization_id = $4) \
         AND ($5 = '' OR applicant_national_code = $5) \
         AND ($6 = '' OR applicant_account_id = $6 OR filed_by_account_id = $6) \
         AND created_at_us >= $7 AND created_at_us < $8 \
         AND (created_at_us < $9 OR (created_at_us = $9 AND ($10 = '' OR id < $10))) \
         AND ($12 = '' OR letter_organization_id = $12) \
         AND ($13 = '' OR filed_by_organization_id = $13 OR letter_organization_id = $13) \
         AND ($14 = '' OR letter_number = $14) \
         ORDER BY created_at_us DESC, id DESC LIMIT $11",
    )
    .bind(&f.states_csv)
    .bind(&f.request_type_code)
    .bind(&f.renovation_code)
    .bind(&f.organization_id)
    .bind(&f.applicant_national_code)
    .bind(&f.account_id)
    .bind(f.created_after_us)
    .bind(f.created_before_us)
    .bind(cur_at)
    .bind(cur_id)
    .bind(limit)
    .bind(&f.letter_organization_id)
    .bind(&f.visible_to_organization_id)
    .bind(&f.letter_number)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(inq) = loaded(conn, Some(row)).await? {
            out.push(inq);
        }
    }
    Ok(out)
}

/// Ids of inquiries in `state` last changed before `before_us`, oldest first.
pub async fn inquiry_ids_in_state(
    conn: &mut AnyConnection,
    state: State,
    before_us: i64,
    limit: i64,
) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT id FROM inquiries WHERE state = $1 AND updated_at_us < $2 \
         ORDER BY updated_at_us LIMIT $3",
    )
    .bind(state.as_str())
    .bind(before_us)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| r.try_get("id")).collect()
}

/// Ids of unfinished inquiries whose expiry has passed.
pub async fn expired_unfinished(
    conn: &mut AnyConnection,
    now_us: i64,
    limit: i64,
) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT id FROM inquiries WHERE state IN ('draft', 'undertakings_accepted', \
         'property_verified', 'letter_recorded', 'documents_attached', 'applicant_verified', \
         'awaiting_payment') AND expires_at_us IS NOT NULL AND expires_at_us < $1 LIMIT $2",
    )
    .bind(now_us)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| r.try_get("id")).collect()
}
