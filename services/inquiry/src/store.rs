//! SQL, nothing else: request types, inquiries, idempotency records, debt-cleared records,
//! answers, signing keys and the verification audit. Portable SQL over sqlx `Any`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use estelam_runtime::db::now_micros;
use sqlx::{AnyConnection, Row};

use crate::answer::KeyPair;
use crate::key_seal::{self, KeySeal};
use crate::model::Inquiry;
use crate::request_types::{RequestTypeDef, StoredRequestType};
use crate::workflow::State;

type Result<T> = std::result::Result<T, sqlx::Error>;

fn json_err(e: serde_json::Error) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
}

// ---- request types -------------------------------------------------------------------

fn row_to_type(row: &sqlx::any::AnyRow) -> Result<StoredRequestType> {
    let def: String = row.try_get("definition")?;
    Ok(StoredRequestType {
        def: serde_json::from_str(&def).map_err(json_err)?,
        version: row.try_get("version")?,
        changed_by: row.try_get("changed_by")?,
        changed_by_name: row.try_get("changed_by_name")?,
        changed_at_us: row.try_get("changed_at_us")?,
    })
}

/// The current version of a request type.
pub async fn request_type(
    conn: &mut AnyConnection,
    code: &str,
) -> Result<Option<StoredRequestType>> {
    let row = sqlx::query(
        "SELECT definition, version, changed_by, changed_by_name, changed_at_us \
         FROM request_types WHERE code = $1",
    )
    .bind(code)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(row_to_type).transpose()
}

/// One stored version of a request type (what an inquiry follows).
pub async fn request_type_version(
    conn: &mut AnyConnection,
    code: &str,
    version: i64,
) -> Result<Option<RequestTypeDef>> {
    let row = sqlx::query(
        "SELECT definition FROM request_type_versions WHERE code = $1 AND version = $2",
    )
    .bind(code)
    .bind(version)
    .fetch_optional(conn)
    .await?;
    match row {
        Some(r) => {
            let def: String = r.try_get("definition")?;
            Ok(Some(serde_json::from_str(&def).map_err(json_err)?))
        }
        None => Ok(None),
    }
}

/// Every request type, current versions, by code.
pub async fn request_types(conn: &mut AnyConnection) -> Result<Vec<StoredRequestType>> {
    let rows = sqlx::query(
        "SELECT definition, version, changed_by, changed_by_name, changed_at_us \
         FROM request_types ORDER BY code",
    )
    .fetch_all(conn)
    .await?;
    rows.iter().map(row_to_type).collect()
}

/// Stores a new version of a request type (version 1 creates it). Returns false when
/// `expected_version` is not the current one.
pub async fn put_request_type(
    conn: &mut AnyConnection,
    def: &RequestTypeDef,
    expected_version: i64,
    reason: &str,
    actor: &str,
    actor_name: &str,
    at_us: i64,
) -> Result<bool> {
    let json = serde_json::to_string(def).map_err(json_err)?;
    let version = expected_version + 1;
    let changed = if expected_version == 0 {
        sqlx::query(
            "INSERT INTO request_types (code, version, definition, active, changed_by, changed_by_name, changed_at_us) \
             VALUES ($1, 1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO NOTHING",
        )
        .bind(&def.code)
        .bind(&json)
        .bind(i64::from(def.active))
        .bind(actor)
        .bind(actor_name)
        .bind(at_us)
        .execute(&mut *conn)
        .await?
        .rows_affected()
    } else {
        sqlx::query(
            "UPDATE request_types SET version = $1, definition = $2, active = $3, changed_by = $4, \
             changed_by_name = $5, changed_at_us = $6 WHERE code = $7 AND version = $8",
        )
        .bind(version)
        .bind(&json)
        .bind(i64::from(def.active))
        .bind(actor)
        .bind(actor_name)
        .bind(at_us)
        .bind(&def.code)
        .bind(expected_version)
        .execute(&mut *conn)
        .await?
        .rows_affected()
    };
    if changed != 1 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO request_type_versions (code, version, definition, reason, changed_by, changed_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&def.code)
    .bind(version)
    .bind(&json)
    .bind(reason)
    .bind(actor)
    .bind(at_us)
    .execute(conn)
    .await?;
    Ok(true)
}

// ---- inquiries -----------------------------------------------------------------------

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
         expires_at_us, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
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
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes `inq` (whose `version` is already the new one) over the stored row, only if the
/// stored version is `expected_version`. Returns false on a version mismatch.
pub async fn update_inquiry(
    conn: &mut AnyConnection,
    inq: &Inquiry,
    expected_version: i64,
) -> Result<bool> {
    let doc = serde_json::to_string(inq).map_err(json_err)?;
    let done = sqlx::query(
        "UPDATE inquiries SET state = $1, version = $2, applicant_national_code = $3, \
         renovation_code = $4, bill_id = $5, updated_at_us = $6, expires_at_us = $7, doc = $8 \
         WHERE id = $9 AND version = $10",
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
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
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

fn row_to_inquiry(row: &sqlx::any::AnyRow) -> Result<Inquiry> {
    let doc: String = row.try_get("doc")?;
    serde_json::from_str(&doc).map_err(json_err)
}

/// An inquiry by id.
pub async fn inquiry(conn: &mut AnyConnection, id: &str) -> Result<Option<Inquiry>> {
    let row = sqlx::query("SELECT doc FROM inquiries WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(row_to_inquiry).transpose()
}

/// An inquiry by inquiry number.
pub async fn inquiry_by_number(conn: &mut AnyConnection, number: &str) -> Result<Option<Inquiry>> {
    let row = sqlx::query("SELECT doc FROM inquiries WHERE inquiry_number = $1")
        .bind(number)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(row_to_inquiry).transpose()
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
    /// Visibility: only inquiries of this citizen account (applicant or filer).
    pub account_id: String,
    /// Created at or after, µs (0 for none).
    pub created_after_us: i64,
    /// Created before, µs (i64::MAX for none).
    pub created_before_us: i64,
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
    .fetch_all(conn)
    .await?;
    rows.iter().map(row_to_inquiry).collect()
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

// ---- idempotency ---------------------------------------------------------------------

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
            Ok(Some(
                B64.decode(s)
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            ))
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
    .bind(B64.encode(response))
    .bind(now_micros())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

// ---- debt cleared --------------------------------------------------------------------

/// A `fees.debt.cleared` as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebtClearedRecord {
    /// The bill.
    pub bill_id: String,
    /// The inquiry the bill was for.
    pub inquiry_id: String,
    /// The parcel.
    pub renovation_code: String,
    /// The payment.
    pub payment_id: String,
    /// Its tracking code.
    pub tracking_code: String,
    /// Amount paid.
    pub amount_rials: i64,
    /// The event (or `recovery:<bill>` when learned from fees by the sweep).
    pub event_id: String,
    /// When the debt was cleared, µs.
    pub occurred_at_us: i64,
}

/// Records a debt clearance once per bill; false when it was recorded before.
pub async fn record_debt_cleared(conn: &mut AnyConnection, r: &DebtClearedRecord) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO debt_cleared (bill_id, inquiry_id, renovation_code, payment_id, tracking_code, \
         amount_rials, event_id, occurred_at_us, recorded_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (bill_id) DO NOTHING",
    )
    .bind(&r.bill_id)
    .bind(&r.inquiry_id)
    .bind(&r.renovation_code)
    .bind(&r.payment_id)
    .bind(&r.tracking_code)
    .bind(r.amount_rials)
    .bind(&r.event_id)
    .bind(r.occurred_at_us)
    .bind(now_micros())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The clearance recorded for a bill.
pub async fn debt_cleared(
    conn: &mut AnyConnection,
    bill_id: &str,
) -> Result<Option<DebtClearedRecord>> {
    let row = sqlx::query(
        "SELECT bill_id, inquiry_id, renovation_code, payment_id, tracking_code, amount_rials, \
         event_id, occurred_at_us FROM debt_cleared WHERE bill_id = $1",
    )
    .bind(bill_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(DebtClearedRecord {
            bill_id: r.try_get("bill_id")?,
            inquiry_id: r.try_get("inquiry_id")?,
            renovation_code: r.try_get("renovation_code")?,
            payment_id: r.try_get("payment_id")?,
            tracking_code: r.try_get("tracking_code")?,
            amount_rials: r.try_get("amount_rials")?,
            event_id: r.try_get("event_id")?,
            occurred_at_us: r.try_get("occurred_at_us")?,
        })
    })
    .transpose()
}

/// Ids of inquiries waiting for payment whose bill's clearance is already recorded.
pub async fn waiting_but_cleared(conn: &mut AnyConnection, limit: i64) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT i.id FROM inquiries i JOIN debt_cleared d ON d.bill_id = i.bill_id \
         WHERE i.state = 'awaiting_payment' LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| r.try_get("id")).collect()
}

// ---- answers -------------------------------------------------------------------------

/// An issued answer as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerRow {
    /// Inquiry id.
    pub inquiry_id: String,
    /// Inquiry number.
    pub inquiry_number: String,
    /// Verification code.
    pub verification_code: String,
    /// Request type.
    pub request_type_code: String,
    /// Parcel.
    pub renovation_code: String,
    /// Applicant account.
    pub applicant_account_id: String,
    /// Filing organization.
    pub organization_id: String,
    /// The signed bytes (UTF-8 canonical JSON).
    pub signed_payload: Vec<u8>,
    /// 64-byte signature.
    pub signature: Vec<u8>,
    /// Key id.
    pub signing_key_id: String,
    /// µs.
    pub issued_at_us: i64,
    /// µs.
    pub valid_until_us: i64,
    /// Revocation reason.
    pub revoked_reason: Option<String>,
    /// Revoking clerk.
    pub revoked_by: Option<String>,
    /// µs.
    pub revoked_at_us: Option<i64>,
}

/// Stores an answer; false when the inquiry already has one.
pub async fn insert_answer(conn: &mut AnyConnection, a: &AnswerRow) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO answers (inquiry_id, inquiry_number, verification_code, request_type_code, \
         renovation_code, applicant_account_id, organization_id, signed_payload, signature, \
         signing_key_id, issued_at_us, valid_until_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (inquiry_id) DO NOTHING",
    )
    .bind(&a.inquiry_id)
    .bind(&a.inquiry_number)
    .bind(&a.verification_code)
    .bind(&a.request_type_code)
    .bind(&a.renovation_code)
    .bind(&a.applicant_account_id)
    .bind(&a.organization_id)
    .bind(String::from_utf8_lossy(&a.signed_payload).into_owned())
    .bind(B64.encode(&a.signature))
    .bind(&a.signing_key_id)
    .bind(a.issued_at_us)
    .bind(a.valid_until_us)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

const ANSWER_COLUMNS: &str = "inquiry_id, inquiry_number, verification_code, request_type_code, \
    renovation_code, applicant_account_id, organization_id, signed_payload, signature, \
    signing_key_id, issued_at_us, valid_until_us, revoked_reason, revoked_by, revoked_at_us";

fn row_to_answer(r: &sqlx::any::AnyRow) -> Result<AnswerRow> {
    let payload: String = r.try_get("signed_payload")?;
    let sig: String = r.try_get("signature")?;
    Ok(AnswerRow {
        inquiry_id: r.try_get("inquiry_id")?,
        inquiry_number: r.try_get("inquiry_number")?,
        verification_code: r.try_get("verification_code")?,
        request_type_code: r.try_get("request_type_code")?,
        renovation_code: r.try_get("renovation_code")?,
        applicant_account_id: r.try_get("applicant_account_id")?,
        organization_id: r.try_get("organization_id")?,
        signed_payload: payload.into_bytes(),
        signature: B64
            .decode(sig)
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        signing_key_id: r.try_get("signing_key_id")?,
        issued_at_us: r.try_get("issued_at_us")?,
        valid_until_us: r.try_get("valid_until_us")?,
        revoked_reason: r.try_get("revoked_reason")?,
        revoked_by: r.try_get("revoked_by")?,
        revoked_at_us: r.try_get("revoked_at_us")?,
    })
}

/// The answer of an inquiry.
pub async fn answer(conn: &mut AnyConnection, inquiry_id: &str) -> Result<Option<AnswerRow>> {
    let sql = format!("SELECT {ANSWER_COLUMNS} FROM answers WHERE inquiry_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(inquiry_id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(row_to_answer).transpose()
}

/// The answer with a verification code.
pub async fn answer_by_code(conn: &mut AnyConnection, code: &str) -> Result<Option<AnswerRow>> {
    let sql = format!("SELECT {ANSWER_COLUMNS} FROM answers WHERE verification_code = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(code)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(row_to_answer).transpose()
}

/// Whether an unrevoked answer of this type for this parcel is still valid at `now_us`.
pub async fn has_valid_answer(
    conn: &mut AnyConnection,
    renovation_code: &str,
    request_type_code: &str,
    now_us: i64,
) -> Result<bool> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM answers WHERE renovation_code = $1 AND request_type_code = $2 \
         AND valid_until_us > $3 AND revoked_at_us IS NULL",
    )
    .bind(renovation_code)
    .bind(request_type_code)
    .bind(now_us)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

/// Revokes an answer once; false when it was revoked already.
pub async fn revoke_answer(
    conn: &mut AnyConnection,
    inquiry_id: &str,
    reason: &str,
    by: &str,
    at_us: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE answers SET revoked_reason = $1, revoked_by = $2, revoked_at_us = $3 \
         WHERE inquiry_id = $4 AND revoked_at_us IS NULL",
    )
    .bind(reason)
    .bind(by)
    .bind(at_us)
    .bind(inquiry_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

// ---- signing keys --------------------------------------------------------------------

/// Every answer-signing key, current first, then by start time, newest first, opened with
/// `seal`. A key stored before encryption at rest is opened as it is (see
/// [`seal_plaintext_keys`], which start-up runs first).
pub async fn signing_keys(conn: &mut AnyConnection, seal: &KeySeal) -> Result<Vec<KeyPair>> {
    let rows = sqlx::query(
        "SELECT kid, secret, not_before_us, retired_at_us FROM signing_keys \
         ORDER BY CASE WHEN retired_at_us IS NULL THEN 0 ELSE 1 END, not_before_us DESC",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let kid: String = r.try_get("kid")?;
            let stored: String = r.try_get("secret")?;
            let secret = if key_seal::is_sealed(&stored) {
                seal.open(&kid, &stored)
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?
            } else {
                plaintext_secret(&stored)?
            };
            Ok(KeyPair::from_secret(
                secret,
                r.try_get("not_before_us")?,
                r.try_get("retired_at_us")?,
            ))
        })
        .collect()
}

fn plaintext_secret(stored: &str) -> Result<[u8; 32]> {
    let bytes = B64
        .decode(stored)
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    bytes
        .try_into()
        .map_err(|_| sqlx::Error::Decode("stored signing key is not 32 bytes".into()))
}

/// Seals every key stored in the clear (by a version before encryption at rest); returns
/// how many it sealed.
pub async fn seal_plaintext_keys(conn: &mut AnyConnection, seal: &KeySeal) -> Result<usize> {
    let rows = sqlx::query("SELECT kid, secret FROM signing_keys")
        .fetch_all(&mut *conn)
        .await?;
    let mut sealed = 0;
    for r in &rows {
        let kid: String = r.try_get("kid")?;
        let stored: String = r.try_get("secret")?;
        if key_seal::is_sealed(&stored) {
            continue;
        }
        let secret = plaintext_secret(&stored)?;
        sqlx::query("UPDATE signing_keys SET secret = $1 WHERE kid = $2 AND secret = $3")
            .bind(seal.seal(&kid, &secret))
            .bind(&kid)
            .bind(&stored)
            .execute(&mut *conn)
            .await?;
        sealed += 1;
    }
    Ok(sealed)
}

/// Makes `key` the current key, retiring the one before; its private half is stored
/// sealed with `seal`.
pub async fn install_signing_key(
    conn: &mut AnyConnection,
    key: &KeyPair,
    seal: &KeySeal,
) -> Result<()> {
    sqlx::query("UPDATE signing_keys SET retired_at_us = $1 WHERE retired_at_us IS NULL")
        .bind(key.not_before_us)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO signing_keys (kid, secret, public_key, not_before_us, retired_at_us) \
         VALUES ($1, $2, $3, $4, NULL)",
    )
    .bind(&key.kid)
    .bind(seal.seal(&key.kid, &key.signing.to_bytes()))
    .bind(B64.encode(key.public()))
    .bind(key.not_before_us)
    .execute(conn)
    .await?;
    Ok(())
}

// ---- verification audit --------------------------------------------------------------

/// Appends one verification check to the audit.
pub async fn audit_verification(
    conn: &mut AnyConnection,
    presented_code: &str,
    result: &str,
    inquiry_id: &str,
    caller: &str,
    at_us: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO verification_audit (id, presented_code, result, inquiry_id, caller_account_id, checked_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(presented_code)
    .bind(result)
    .bind(inquiry_id)
    .bind(caller)
    .bind(at_us)
    .execute(conn)
    .await?;
    Ok(())
}

/// How many checks were audited for a code (tests and clerks' reports).
pub async fn verification_count(conn: &mut AnyConnection, presented_code: &str) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM verification_audit WHERE presented_code = $1")
        .bind(presented_code)
        .fetch_one(conn)
        .await?;
    row.try_get("n")
}
