//! The JSON of acting for an owner: what a representative claims at the applicant step, and
//! the representation as an inquiry shows it.

use estelam_proto::inquiry::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{AuditStamp, enum_name, stamp};

/// What a representative (وکیل) says at the applicant step: the applicant named is then the
/// owner, and the inquiry waits for a clerk to approve the power of attorney.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepresentationClaimBody {
    /// The representative's own full name, as the answer will state it («به وکالت»).
    #[schema(value_type = crate::openapi::formats::FullName)]
    pub representative_full_name: String,
    /// A document of kind `power_of_attorney` the representative uploaded.
    #[schema(value_type = crate::openapi::formats::Id)]
    pub power_of_attorney_document_id: String,
}

impl From<RepresentationClaimBody> for pb::RepresentationClaim {
    fn from(b: RepresentationClaimBody) -> Self {
        Self {
            representative_full_name: b.representative_full_name,
            power_of_attorney_document_id: b.power_of_attorney_document_id,
        }
    }
}

/// A representative acting for the owner named as applicant.
#[derive(Debug, Serialize, ToSchema)]
pub struct Representation {
    /// The representative's national code (from their login).
    pub representative_national_code: String,
    /// Their full name as given.
    pub representative_full_name: String,
    /// The power of attorney document.
    pub power_of_attorney_document_id: String,
    /// `pending`, `approved` or `refused`.
    pub status: String,
    /// The clerk's reason, when refused.
    pub reason: String,
    /// The clerk who decided, and when.
    pub decided: Option<AuditStamp>,
}

impl From<pb::Representation> for Representation {
    fn from(r: pb::Representation) -> Self {
        Self {
            status: enum_name(r.status().as_str_name(), "REPRESENTATION_STATUS_"),
            representative_national_code: r.representative_national_code,
            representative_full_name: r.representative_full_name,
            power_of_attorney_document_id: r.power_of_attorney_document_id,
            reason: r.reason,
            decided: stamp(r.decided),
        }
    }
}
