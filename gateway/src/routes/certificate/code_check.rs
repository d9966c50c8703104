//! `POST /api/v1/answer-codes/check`: the verdict on a printed answer's QR text for anyone,
//! without logging in — what `estelam verify` and the offline page say, from the inquiry
//! service's one check (CheckAnswerCode). Rate-limited per address like every `/api/` route.

use axum::extract::State;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::grpc::outgoing;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::dto::{LocalizedText, enum_name, instant, text};
use crate::errors;
use crate::extract::Json;
use crate::problem::ApiError;
use crate::state::AppState;

/// The body of `POST /api/v1/answer-codes/check`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckAnswerCodeBody {
    /// The QR code's text, starting `EQ1:` (scanned, or pasted from `estelam verify`).
    pub qr_text: String,
    /// Optional RFC 3339 instant to judge the answer's validity at (e.g. the day a deed
    /// was signed) instead of now; revocation is always as of now.
    #[schema(format = DateTime)]
    pub at: Option<String>,
}

/// An owner as the QR code names them.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeOwner {
    /// National code or id, masked.
    pub masked_national_code: String,
    /// The name on record.
    pub full_name: String,
    /// Share in dang: numerator.
    pub share_numerator: i64,
    /// Share in dang: denominator.
    pub share_denominator: i64,
}

/// The signed facts a QR code carries (the claim registry is in `docs/certificate.md`).
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeClaims {
    /// Inquiry number.
    pub inquiry_number: String,
    /// Verification code.
    pub verification_code: String,
    /// Request type code.
    pub request_type_code: String,
    /// The parcel's renovation code.
    pub renovation_code: String,
    /// Registered plate: main, sub, section.
    pub plate: Vec<String>,
    /// `NONE`, `CLEARED` or `NOT_CHECKED`.
    pub debt_status: String,
    /// The payment's tracking code, when a payment cleared the debt.
    pub tracking_code: String,
    /// What that payment paid, rials.
    pub amount_paid_rials: i64,
    /// The inquiring authority's name.
    pub authority_name: String,
    /// Up to two owners, codes masked.
    pub owners: Vec<CodeOwner>,
    /// How many owners the parcel has in all.
    pub owner_count: u32,
    /// When the answer was issued (RFC 3339).
    pub issued_at: Option<String>,
    /// When its validity ends (RFC 3339).
    pub expires_at: Option<String>,
    /// Its index in the status list.
    pub status_index: u64,
    /// The status list's address.
    pub status_uri: String,
}

impl From<pb::CodeClaims> for CodeClaims {
    fn from(c: pb::CodeClaims) -> Self {
        Self {
            inquiry_number: c.inquiry_number,
            verification_code: c.verification_code,
            request_type_code: c.request_type_code,
            renovation_code: c.renovation_code,
            plate: c.plate,
            debt_status: c.debt_status,
            tracking_code: c.tracking_code,
            amount_paid_rials: c.amount_paid_rials,
            authority_name: c.authority_name,
            owners: c
                .owners
                .into_iter()
                .map(|o| CodeOwner {
                    masked_national_code: o.masked_national_code,
                    full_name: o.full_name,
                    share_numerator: o.share_numerator,
                    share_denominator: o.share_denominator,
                })
                .collect(),
            owner_count: c.owner_count,
            issued_at: instant(c.issued_at),
            expires_at: instant(c.expires_at),
            status_index: c.status_index,
            status_uri: c.status_uri,
        }
    }
}

/// The verdict on a QR text.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeCheck {
    /// `valid`, `altered`, `revoked`, `expired` or `unknown_key`.
    pub verdict: String,
    /// What the verdict means, Persian and English (with the reason when revoked).
    pub message: LocalizedText,
    /// The signing key the code names.
    pub signing_key_id: String,
    /// The signed facts; absent when `altered` or `unknown_key` (nothing in it is to be
    /// believed then).
    pub claims: Option<CodeClaims>,
    /// The clerk's reason, when revoked.
    pub revocation_reason: Option<String>,
    /// When it was revoked (RFC 3339), when revoked.
    pub revoked_at: Option<String>,
    /// When this check was made (RFC 3339).
    pub checked_at: Option<String>,
}

/// Checks a printed answer's QR text (public: anyone holding the paper may ask). Text that
/// is not an answer's code is a 400 problem; every other outcome is a verdict.
#[utoipa::path(
    post,
    path = "/api/v1/answer-codes/check",
    tag = "inquiries",
    request_body = CheckAnswerCodeBody,
    responses((status = 200, description = "The verdict and the signed facts.", body = CodeCheck)),
    security(())
)]
pub async fn check_answer_code(
    State(state): State<AppState>,
    Json(body): Json<CheckAnswerCodeBody>,
) -> Result<axum::Json<CodeCheck>, ApiError> {
    let at = body
        .at
        .as_deref()
        .map(|s| {
            s.trim()
                .parse::<prost_types::Timestamp>()
                .map_err(|e| errors::field_invalid("at", &e.to_string()))
        })
        .transpose()?;
    let r = state
        .backends
        .inquiry()
        .check_answer_code(outgoing(
            pb::CheckAnswerCodeRequest {
                qr_text: body.qr_text,
                at,
            },
            None,
        ))
        .await?
        .into_inner();
    let verdict = enum_name(r.verdict().as_str_name(), "CODE_VERDICT_");
    Ok(axum::Json(CodeCheck {
        verdict,
        message: text(r.message),
        signing_key_id: r.signing_key_id,
        claims: r.claims.map(Into::into),
        revocation_reason: Some(r.revocation_reason).filter(|s| !s.is_empty()),
        revoked_at: instant(r.revoked_at),
        checked_at: instant(r.checked_at),
    }))
}
