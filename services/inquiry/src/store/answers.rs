//! Issued answers: the signed bytes as issued, never rewritten; a revocation only adds
//! who, when and why.

use sqlx::{AnyConnection, Row};

use super::{Result, b64_decode, b64_encode};

/// An issued answer as stored. The facts live only in `signed_payload`; the other columns
/// are what lookups and the repeat-free rule search by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerRow {
    /// The inquiry answered (one answer per inquiry).
    pub inquiry_id: String,
    /// Its inquiry number, printed on the answer.
    pub inquiry_number: String,
    /// The code anyone may verify the answer by.
    pub verification_code: String,
    /// The request type answered, for "free again within validity".
    pub request_type_code: String,
    /// The parcel answered about, likewise.
    pub renovation_code: String,
    /// The citizen it was issued for.
    pub applicant_account_id: String,
    /// The filing organisation, empty for a citizen's own inquiry.
    pub organization_id: String,
    /// The signed bytes, canonical JSON (UTF-8), exactly as signed.
    pub signed_payload: Vec<u8>,
    /// The 64-byte Ed25519 signature over `signed_payload`.
    pub signature: Vec<u8>,
    /// The `kid` of the key that signed it, to find the public key among current and old.
    pub signing_key_id: String,
    /// When it was issued, µs (whole seconds, as the payload states it).
    pub issued_at_us: i64,
    /// When it stops being valid, µs.
    pub valid_until_us: i64,
    /// Why a clerk revoked it; verifiers are shown this.
    pub revoked_reason: Option<String>,
    /// The clerk who revoked it.
    pub revoked_by: Option<String>,
    /// When it was revoked, µs; `None` while it stands.
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
    .bind(b64_encode(&a.signature))
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
        signature: b64_decode(&sig)?,
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
