//! Filing a new inquiry: a citizen for themself, or an authority for a citizen who
//! consented by giving their membership code.

use estelam_domain::{CheckCode, CodeKind, NationalCode};
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::auth::{Caller, Role};
use estelam_runtime::db::now_micros;
use estelam_runtime::error::ServiceError;

use super::Engine;
use super::idempotency::{FirstAttempt, Idempotency};
use crate::errors;
use crate::model::Inquiry;
use crate::request_types::Filer;
use crate::store;
use crate::workflow::State;

/// Who a new inquiry is for, as established before it is stored.
struct Applicant {
    filer: Filer,
    account_id: String,
    /// The national code the citizen consented with; empty for a citizen's own inquiry.
    consented_national_code: String,
}

impl Engine {
    /// A citizen files an inquiry for themself.
    pub async fn create(
        &self,
        caller: &Caller,
        request_type_code: &str,
        client_request_id: &str,
    ) -> Result<pb::Inquiry, ServiceError> {
        caller.require_any(&[Role::Citizen])?;
        let idem = Idempotency::new(caller, "CreateInquiry", client_request_id);
        let applicant = Applicant {
            filer: Filer::Citizen,
            account_id: caller.subject.clone(),
            consented_national_code: String::new(),
        };
        let done = self
            .once(&idem, |first| {
                self.insert_new(first, caller, request_type_code, applicant)
            })
            .await?;
        Ok(done.response)
    }

    /// An authority files for a citizen, who consents by giving the authority their
    /// membership code; identity confirms that code and national code belong together.
    pub async fn file_on_behalf(
        &self,
        caller: &Caller,
        req: pb::FileInquiryOnBehalfRequest,
    ) -> Result<pb::Inquiry, ServiceError> {
        caller.require_any(&[Role::Authority])?;
        if caller.organization.as_deref().unwrap_or("").is_empty() {
            return Err(ServiceError::permission_denied());
        }
        let idem = Idempotency::new(caller, "FileInquiryOnBehalf", &req.client_request_id);
        let done = self
            .once(&idem, |first| async move {
                let national = NationalCode::parse(&req.applicant_national_code)
                    .map_err(|e| errors::national_code_invalid("applicant_national_code", &e))?;
                let membership =
                    CheckCode::parse(CodeKind::Membership, &req.applicant_membership_code)
                        .map_err(|e| errors::membership_code_invalid(&e))?;
                // After the replay: identity throttles these checks like logins, and a
                // retry must not spend an attempt. It counts them per (organisation,
                // citizen), so the office is named: this service asks for every office.
                let organization = caller.organization.as_deref().unwrap_or("");
                let consent = self
                    .ports
                    .identity
                    .verify_membership_code(organization, national.as_str(), membership.as_str())
                    .await?;
                if !consent.matches || consent.account_id.is_empty() {
                    return Err(errors::consent_not_verified());
                }
                let applicant = Applicant {
                    filer: Filer::Authority,
                    account_id: consent.account_id,
                    consented_national_code: national.as_str().to_owned(),
                };
                self.insert_new(first, caller, &req.request_type_code, applicant)
                    .await
            })
            .await?;
        Ok(done.response)
    }

    /// Stores a new draft inquiry of an active request type the filer's role may file, with
    /// the next inquiry number, and records the response for retries.
    async fn insert_new(
        &self,
        first: FirstAttempt<'_>,
        caller: &Caller,
        request_type_code: &str,
        applicant: Applicant,
    ) -> Result<(pb::Inquiry, ()), ServiceError> {
        let mut tx = self.db.begin().await?;
        let rt = store::request_type(&mut tx, request_type_code.trim())
            .await?
            .filter(|t| t.def.active)
            .ok_or_else(errors::request_type_not_found)?;
        if !rt.def.open_at(now_micros()) {
            return Err(errors::request_type_outside_window());
        }
        if !rt.def.allowed.contains(&applicant.filer) {
            return Err(errors::request_type_not_allowed());
        }
        let number = new_inquiry_number(&mut tx).await?;
        let now = now_micros();
        let inq = Inquiry {
            id: uuid::Uuid::now_v7().to_string(),
            number: number.as_str().to_owned(),
            request_type_code: rt.def.code.clone(),
            request_type_version: rt.version,
            state: State::Draft,
            version: 1,
            applicant_account_id: applicant.account_id,
            filed_by_account_id: caller.subject.clone(),
            filed_by_organization_id: if applicant.filer == Filer::Authority {
                caller.organization.clone().unwrap_or_default()
            } else {
                String::new()
            },
            consented_national_code: applicant.consented_national_code,
            undertakings: None,
            property: None,
            letter: None,
            documents: None,
            applicant: None,
            bill_id: String::new(),
            amount_due_rials: 0,
            bill_lines: Vec::new(),
            authority_fee: None,
            parcel_snapshot: None,
            payment_id: String::new(),
            tracking_code: String::new(),
            amount_paid_rials: 0,
            verification_code: String::new(),
            state_reason: None,
            review: None,
            history: Vec::new(),
            history_stored: 0,
            created_at_us: now,
            updated_at_us: now,
            submitted_at_us: None,
            issued_at_us: None,
            expires_at_us: Some(now + self.unfinished_validity_us()),
        };
        store::insert_inquiry(&mut tx, &inq).await?;
        let out = inq.to_proto();
        if !first.record(&mut tx, &out).await? {
            tx.rollback().await?;
            return Err(ServiceError::conflict());
        }
        tx.commit().await?;
        Ok((out, ()))
    }
}

/// A new public inquiry number: the Jalali year less 1300 (`105` in 1405), six random digits
/// and a check digit. Someone who sees two numbers learns when they were filed, not how many
/// inquiries came between (a counter would tell every citizen the municipality's volume).
/// Numbers given before (zero-padded counters) stay valid: they are looked up as stored.
async fn new_inquiry_number(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
) -> Result<CheckCode, ServiceError> {
    let year = estelam_domain::JalaliDate::today_in_iran(std::time::SystemTime::now())
        .map(|d| d.year())
        .map_err(ServiceError::internal)?;
    let prefix = format!("{:03}", (year - 1300).clamp(0, 999));
    for _ in 0..16 {
        let number = CheckCode::generate_with_prefix(CodeKind::Inquiry, &prefix, &mut rand::rng())
            .ok_or_else(|| {
                ServiceError::internal(anyhow::anyhow!("inquiry number prefix {prefix}"))
            })?;
        if store::inquiry_by_number(tx, number.as_str())
            .await?
            .is_none()
        {
            return Ok(number);
        }
    }
    Err(ServiceError::internal(anyhow::anyhow!(
        "no free inquiry number for {prefix} after 16 tries"
    )))
}
