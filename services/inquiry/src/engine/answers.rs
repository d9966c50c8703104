//! Issued answers: reading and printing them, verifying a code without a login (every
//! check audited), and revoking one.

use estelam_domain::{CheckCode, CodeKind, clean_text};
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::auth::{Caller, Role};
use estelam_runtime::db::now_micros;
use estelam_runtime::error::ServiceError;
use estelam_runtime::time::timestamp;

use super::Engine;
use super::idempotency::Idempotency;
use super::save::Then;
use crate::answer::{self, Check, Facts};
use crate::errors;
use crate::model::{Inquiry, Stamp};
use crate::render::{self, AnswerView, Lang};
use crate::store::{self, AnswerRow};

impl Engine {
    /// The stored answer of an inquiry the caller may see.
    async fn answer_of(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(Inquiry, AnswerRow), ServiceError> {
        let inq = self.load_visible(caller, id).await?;
        let mut conn = self.conn().await?;
        let row = store::answer(&mut conn, &inq.id)
            .await?
            .ok_or_else(errors::answer_not_issued)?;
        Ok((inq, row))
    }

    /// The answer of an inquiry the caller may see, with the signed payload and signature
    /// to check it offline.
    pub async fn get_answer(&self, caller: &Caller, id: &str) -> Result<pb::Answer, ServiceError> {
        let (_, row) = self.answer_of(caller, id).await?;
        self.answer_proto(&row, false)
    }

    /// The answer as the contract shows it; `public` (a verification without a login)
    /// masks national codes and leaves out the payload, which holds them in the clear.
    fn answer_proto(&self, row: &AnswerRow, public: bool) -> Result<pb::Answer, ServiceError> {
        let facts = Facts::decode(&row.signed_payload).map_err(ServiceError::internal)?;
        Ok(pb::Answer {
            inquiry_id: row.inquiry_id.clone(),
            inquiry_number: row.inquiry_number.clone(),
            verification_code: row.verification_code.clone(),
            verification_url: self.verification_url(&row.verification_code),
            facts: Some(facts.to_proto(public)),
            signed_payload: if public {
                Vec::new()
            } else {
                row.signed_payload.clone()
            },
            signature: if public {
                Vec::new()
            } else {
                row.signature.clone()
            },
            signing_key_id: row.signing_key_id.clone(),
            signature_algorithm: answer::ALGORITHM.into(),
            status: status_of(row, now_micros()) as i32,
            revocation: revocation_of(row),
        })
    }

    /// `<public base url>/verify/<code>`: printed and put in the QR code, so it must come
    /// from the configured public address, never from a request.
    pub fn verification_url(&self, code: &str) -> String {
        format!(
            "{}/verify/{code}",
            self.settings.public_base_url.trim_end_matches('/')
        )
    }

    /// The answer printed for people: HTML or PDF, in Persian or English, with the QR code
    /// and the answer's status now (a revoked answer prints as revoked).
    pub async fn render_answer(
        &self,
        caller: &Caller,
        req: pb::RenderAnswerRequest,
    ) -> Result<pb::RenderAnswerResponse, ServiceError> {
        let (inq, row) = self.answer_of(caller, &req.inquiry_id).await?;
        let lang = Lang::parse(&req.language);
        let format =
            pb::AnswerFormat::try_from(req.format).unwrap_or(pb::AnswerFormat::Unspecified);
        // The template of the type's current version; a type removed since prints plain.
        let template = self
            .get_request_type(&inq.request_type_code)
            .await
            .map(|t| t.answer_template)
            .unwrap_or_else(|_| "standard".into());
        let url = self.verification_url(&row.verification_code);
        let facts = Facts::decode(&row.signed_payload).map_err(ServiceError::internal)?;
        let status = status_of(&row, now_micros());
        // The QR code carries the signed answer itself, for checks without a network.
        let qr_payload = self.qr_text(&row, &facts).await?;
        let letterhead = self.letterhead.clone();
        let name = format!("estelam-{}", row.inquiry_number);
        // Typesetting is CPU work: off the async workers.
        let (content, content_type, filename) = tokio::task::spawn_blocking(move || {
            let view = AnswerView {
                letterhead: &letterhead,
                facts: &facts,
                verification_code: &row.verification_code,
                verification_url: &url,
                qr_payload: &qr_payload,
                signing_key_id: &row.signing_key_id,
                signature: &row.signature,
                status,
                revoked_reason: row.revoked_reason.as_deref(),
                template: &template,
            };
            match format {
                pb::AnswerFormat::Pdf => {
                    render::pdf(&view, lang).map(|b| (b, "application/pdf", format!("{name}.pdf")))
                }
                _ => render::html(&view, lang).map(|h| {
                    (
                        h.into_bytes(),
                        "text/html; charset=utf-8",
                        format!("{name}.html"),
                    )
                }),
            }
        })
        .await
        .map_err(ServiceError::internal)?
        .map_err(ServiceError::internal)?;
        Ok(pb::RenderAnswerResponse {
            content,
            content_type: content_type.into(),
            filename,
        })
    }

    /// Checks a verification code for anyone, logged in or not; every check is audited. An
    /// unknown code is a result (the paper is not an answer), not an error.
    pub async fn verify(
        &self,
        caller: Option<&Caller>,
        req: pb::VerifyAnswerRequest,
    ) -> Result<pb::VerifyAnswerResponse, ServiceError> {
        let now = now_micros();
        let who = caller.map(|c| c.subject.clone()).unwrap_or_default();
        let presented = estelam_domain::normalize_digits(req.verification_code.trim());
        let mut conn = self.conn().await?;
        let code = match CheckCode::parse(CodeKind::Verification, &req.verification_code) {
            Ok(c) => c,
            Err(e) => {
                store::audit_verification(&mut conn, &presented, "MALFORMED", "", &who, now)
                    .await?;
                return Err(errors::verification_code_invalid(&e));
            }
        };
        let Some(row) = store::answer_by_code(&mut conn, code.as_str()).await? else {
            store::audit_verification(&mut conn, code.as_str(), "UNKNOWN", "", &who, now).await?;
            return Ok(pb::VerifyAnswerResponse {
                result: pb::VerificationResult::Unknown as i32,
                answer: None,
                signature_valid: false,
                message: Some(answer::unknown_code_message().to_proto()),
                checked_at: Some(timestamp(now)),
            });
        };
        let keys = store::signing_keys(&mut conn, &self.seal).await?;
        let signature_valid = keys
            .iter()
            .find(|k| k.kid == row.signing_key_id)
            .is_some_and(|k| answer::verify(&k.public(), &row.signed_payload, &row.signature));
        let copy_presented = !req.signed_payload.is_empty() || !req.signature.is_empty();
        let copy_matches =
            req.signed_payload == row.signed_payload && req.signature == row.signature;
        let revoked_reason = row
            .revoked_at_us
            .map(|_| row.revoked_reason.as_deref().unwrap_or(""));
        let (result, message) = answer::verdict(Check {
            revoked_reason,
            copy_differs: copy_presented && !copy_matches,
            expired: row.valid_until_us < now,
            signature_valid,
        });
        store::audit_verification(
            &mut conn,
            code.as_str(),
            result.as_str_name(),
            &row.inquiry_id,
            &who,
            now,
        )
        .await?;
        Ok(pb::VerifyAnswerResponse {
            result: result as i32,
            answer: Some(self.answer_proto(&row, true)?),
            signature_valid,
            message: Some(message.to_proto()),
            checked_at: Some(timestamp(now)),
        })
    }

    /// A clerk withdraws an answer, with a reason every later verifier is shown; the answer
    /// stays stored as issued. Revoking a revoked answer returns it unchanged.
    pub async fn revoke(
        &self,
        caller: &Caller,
        req: pb::RevokeAnswerRequest,
    ) -> Result<pb::Answer, ServiceError> {
        caller.require_any(&[Role::Clerk, Role::Admin])?;
        let idem = Idempotency::new(caller, "RevokeAnswer", &req.client_request_id);
        let done = self
            .once(&idem, |first| async move {
                let reason = clean_text(errors::REVOCATION_REASON, &req.reason)
                    .map_err(errors::text_refused)?;
                let reason = reason.as_str();
                if reason.is_empty() {
                    return Err(errors::revocation_reason_required());
                }
                let (mut inq, row) = self.answer_of(caller, &req.inquiry_id).await?;
                if row.revoked_at_us.is_some() {
                    return Ok((self.answer_proto(&row, false)?, ()));
                }
                if req.expected_version != inq.version {
                    return Err(ServiceError::conflict());
                }
                let at = now_micros();
                inq.updated_at_us = at;
                let revoked = AnswerRow {
                    revoked_reason: Some(reason.to_owned()),
                    revoked_by: Some(caller.subject.clone()),
                    revoked_at_us: Some(at),
                    ..row.clone()
                };
                let then = Then::Revoke {
                    answer: &row,
                    reason,
                    by: &caller.subject,
                    at_us: at,
                };
                let out = self
                    .save(&first, inq, then, |_| self.answer_proto(&revoked, false))
                    .await?;
                Ok((out, ()))
            })
            .await?;
        Ok(done.response)
    }
}

/// Why and when `row` was revoked, if it was.
pub(crate) fn revocation_of(row: &AnswerRow) -> Option<pb::Revocation> {
    row.revoked_at_us.map(|at| pb::Revocation {
        reason: row.revoked_reason.clone().unwrap_or_default(),
        revoked: Some(
            Stamp {
                actor: row.revoked_by.clone().unwrap_or_default(),
                name: String::new(),
                at_us: at,
            }
            .to_proto(),
        ),
    })
}

pub(crate) fn status_of(row: &AnswerRow, now_us: i64) -> pb::AnswerStatus {
    answer::status(row.revoked_at_us.is_some(), row.valid_until_us, now_us)
}
