//! CheckAnswerCode: the verdict on a printed answer's QR text for anyone, over the API.
//!
//! The check is the one `estelam verify` and the offline page make
//! ([`crate::certificate::check`]); only its inputs differ: the trust list and status list
//! are the store's own (every signing key with its period, every revocation as of now), so
//! a revocation is seen here at once rather than within the published list's `ttl`.

use estelam_proto::common::v1::LocalizedText;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::auth::Caller;
use estelam_runtime::db::now_micros;
use estelam_runtime::error::ServiceError;
use estelam_runtime::time::{micros_of_field, timestamp};

use super::Engine;
use crate::certificate::check::{self, Verdict};
use crate::certificate::cwt::QrClaims;
use crate::certificate::status_list::StatusList;
use crate::certificate::trust_list::{TrustList, TrustedKey};
use crate::errors;
use crate::store;

/// Far longer than any answer's QR text (under ~600 characters): anything longer is not
/// one, and is refused before it is decoded.
const MAX_QR_TEXT: usize = 4096;

impl Engine {
    /// Checks `req.qr_text` for anyone, logged in or not; every check is audited under the
    /// verification code the text names (or none when it cannot be read).
    pub async fn check_answer_code(
        &self,
        caller: Option<&Caller>,
        req: pb::CheckAnswerCodeRequest,
    ) -> Result<pb::CheckAnswerCodeResponse, ServiceError> {
        let now = now_micros();
        let who = caller.map(|c| c.subject.clone()).unwrap_or_default();
        let at = match &req.at {
            Some(t) => micros_of_field(t, "at")?,
            None => now,
        };
        let mut conn = self.conn().await?;
        let text = req.qr_text.trim();
        if text.len() > MAX_QR_TEXT {
            store::audit_verification(&mut conn, "", "QR_UNREADABLE", "", &who, now).await?;
            return Err(errors::answer_code_unreadable());
        }
        let keys = store::signing_keys(&mut conn, &self.seal).await?;
        let trust = TrustList {
            keys: keys.iter().map(TrustedKey::of).collect(),
            root_fingerprint: String::new(),
            issued_at: now.div_euclid(1_000_000),
        };
        let (len, revoked) = store::status_bits(&mut conn).await?;
        let mut status = StatusList::new(len);
        for idx in revoked {
            status.revoke(idx);
        }
        let report = check::check(text, &trust, Some(&status), at.div_euclid(1_000_000));
        let code = report
            .claims
            .as_ref()
            .map(|c| c.verification_code.clone())
            .unwrap_or_default();
        let row = if code.is_empty() {
            None
        } else {
            store::answer_by_code(&mut conn, &code).await?
        };
        let inquiry_id = row.as_ref().map(|r| r.inquiry_id.as_str()).unwrap_or("");
        let result = verdict_proto(report.verdict);
        let audited = match result {
            Some(v) => v.as_str_name(),
            None => "QR_UNREADABLE",
        };
        store::audit_verification(&mut conn, &code, audited, inquiry_id, &who, now).await?;
        let Some(result) = result else {
            return Err(errors::answer_code_unreadable());
        };
        let (mut fa, mut en) = {
            let (fa, en) = report.verdict.words();
            (fa.to_owned(), en.to_owned())
        };
        let mut response = pb::CheckAnswerCodeResponse {
            verdict: result as i32,
            signing_key_id: report.kid.clone().unwrap_or_default(),
            checked_at: Some(timestamp(now)),
            ..Default::default()
        };
        if report.verdict == Verdict::Revoked
            && let Some(row) = &row
        {
            if let Some(reason) = row.revoked_reason.as_deref().filter(|r| !r.is_empty()) {
                fa = format!("{fa} علت: {reason}");
                en = format!("{en} Reason: {reason}");
                response.revocation_reason = reason.to_owned();
            }
            response.revoked_at = row.revoked_at_us.map(timestamp);
        }
        response.message = Some(LocalizedText { fa, en });
        response.claims = report.claims.as_ref().map(claims_proto);
        Ok(response)
    }
}

/// The API's name for a verdict; `None` for unreadable text, which is a refusal.
fn verdict_proto(v: Verdict) -> Option<pb::CodeVerdict> {
    Some(match v {
        Verdict::Valid => pb::CodeVerdict::Valid,
        Verdict::Altered => pb::CodeVerdict::Altered,
        Verdict::Revoked => pb::CodeVerdict::Revoked,
        Verdict::Expired => pb::CodeVerdict::Expired,
        Verdict::UnknownKey => pb::CodeVerdict::UnknownKey,
        Verdict::Unreadable => return None,
    })
}

fn claims_proto(c: &QrClaims) -> pb::CodeClaims {
    pb::CodeClaims {
        inquiry_number: c.inquiry_number.clone(),
        verification_code: c.verification_code.clone(),
        request_type_code: c.request_type_code.clone(),
        renovation_code: c.renovation_code.clone(),
        plate: c.plate.to_vec(),
        debt_status: c.debt_status.clone(),
        tracking_code: c.tracking_code.clone(),
        amount_paid_rials: c.amount_paid_rials,
        authority_name: c.authority_name.clone(),
        owners: c
            .owners
            .iter()
            .map(|o| pb::CodeOwner {
                masked_national_code: o.masked_code.clone(),
                full_name: o.full_name.clone(),
                share_numerator: o.share.0,
                share_denominator: o.share.1,
            })
            .collect(),
        owner_count: c.owner_count,
        issued_at: Some(timestamp(c.issued_at.saturating_mul(1_000_000))),
        expires_at: Some(timestamp(c.expires_at.saturating_mul(1_000_000))),
        status_index: c.status_index,
        status_uri: c.status_uri.clone(),
    }
}
