//! Is the applicant an owner of the parcel, with the ownership type they declared (step 6 of
//! the inquiry)? The comparison is the rule `check_applicant` in `estelam-parcel-geo`; this
//! module reads the parcel and words the outcome for the applicant.

use estelam_domain::RenovationCode;
use estelam_parcel_geo::ownership::{ApplicantCheck, OwnershipType, check_applicant};
use estelam_runtime::error::ServiceError;

use super::{Property, owner_code};
use crate::errors;

/// What the check found, with the parcel version it was made against and what to tell the
/// applicant.
#[derive(Debug, Clone)]
pub struct ApplicantVerdict {
    /// The outcome.
    pub outcome: ApplicantCheck,
    /// The parcel version the owners were read from, so the inquiry can record it.
    pub parcel_version: i64,
    /// The outcome in Persian, saying what to do.
    pub message_fa: String,
    /// The outcome in English, saying what to do.
    pub message_en: String,
}

impl Property {
    /// Checks an applicant (national code or legal id, name as typed, declared ownership
    /// type as its wire number) against the current owners of a parcel.
    pub async fn check_applicant(
        &self,
        code: &RenovationCode,
        national_code: &str,
        full_name: &str,
        ownership_type: i32,
    ) -> Result<ApplicantVerdict, ServiceError> {
        let national = owner_code(national_code)?;
        let declared =
            OwnershipType::from_i32(ownership_type).ok_or_else(errors::ownership_type_required)?;
        // Compared (through `names_match`, which folds ي/ك and spacing) only once cleaned: a
        // bidi override in a name must not match an owner, however it folds.
        let full_name = estelam_domain::clean_text(errors::APPLICANT_NAME, full_name)
            .map_err(errors::text_refused)?;
        if full_name.is_empty() {
            return Err(errors::full_name_required());
        }
        let parcel = self.parcel(code).await?;
        let outcome = check_applicant(&parcel.record.ownership, &national, &full_name, declared);
        let (message_fa, message_en) = explain(&outcome, declared);
        Ok(ApplicantVerdict {
            outcome,
            parcel_version: parcel.version,
            message_fa,
            message_en,
        })
    }
}

/// What an outcome means for the applicant, in Persian and English.
fn explain(outcome: &ApplicantCheck, declared: OwnershipType) -> (String, String) {
    match outcome {
        ApplicantCheck::Owner { share, .. } => (
            format!("متقاضی مالک {share} دانگ از این ملک است."),
            format!("The applicant owns {share} dang of this parcel."),
        ),
        ApplicantCheck::NotOwner => (
            "کد ملی متقاضی در میان مالکان این ملک نیست؛ استعلام را باید مالک یا وکیل او ثبت کند.".into(),
            "The applicant's national code is not among this parcel's owners; an owner (or their attorney) must apply.".into(),
        ),
        ApplicantCheck::TypeMismatch { recorded, .. } => (
            format!(
                "نوع مالکیت ثبت‌شده «{}» است، نه «{}»؛ نوع مالکیت را اصلاح کنید.",
                recorded.name_fa(),
                declared.name_fa()
            ),
            format!(
                "The recorded ownership type is {}, not {}; correct the ownership type.",
                recorded.name(),
                declared.name()
            ),
        ),
        ApplicantCheck::NameMismatch { .. } => (
            "نام واردشده با نام مالک این کد ملی در سند یکی نیست؛ نام را مطابق سند بنویسید.".into(),
            "The name given does not match the recorded owner with this national code; write the name as on the deed.".into(),
        ),
    }
}
