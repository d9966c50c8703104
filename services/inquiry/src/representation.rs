//! Acting for an owner (وکالت): the representation a representative records at the
//! applicant step and the clerk's decision on it, as plain data and rules with no I/O.
//!
//! A citizen files only as themselves, except as an owner's representative: they name the
//! owner as applicant and attach a power of attorney (a `POWER_OF_ATTORNEY` document they
//! uploaded). The inquiry then waits in [`crate::workflow::State::AwaitingRepresentation`]
//! until a clerk approves (it goes on as the owner's: the ownership check was made against
//! the owner's national code, and the answer names the owner as applicant and the
//! representative as who filed, «به وکالت») or refuses (it is rejected with the clerk's
//! reason). The owner is told at each of these moments through the outbox
//! ([`crate::events::representation_changed`]), which identity turns into an SMS.

use estelam_proto::events::v1::RepresentationStage;
use estelam_proto::inquiry::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::model::Stamp;

/// Where a representation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for a clerk.
    Pending,
    /// A clerk approved the power of attorney.
    Approved,
    /// A clerk refused it.
    Refused,
}

impl Status {
    /// The status on the wire.
    pub fn to_proto(self) -> pb::RepresentationStatus {
        match self {
            Status::Pending => pb::RepresentationStatus::Pending,
            Status::Approved => pb::RepresentationStatus::Approved,
            Status::Refused => pb::RepresentationStatus::Refused,
        }
    }

    /// What the owner is told this moment is.
    pub fn stage(self) -> RepresentationStage {
        match self {
            Status::Pending => RepresentationStage::Filed,
            Status::Approved => RepresentationStage::Approved,
            Status::Refused => RepresentationStage::Refused,
        }
    }
}

/// A representative acting for the owner named as applicant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Representation {
    /// The representative's account (the inquiry's applicant account: it is theirs to fill).
    pub representative_account_id: String,
    /// Their national code, from their login (never from the form).
    pub representative_national_code: String,
    /// Their full name as they gave it, cleaned; the answer states it.
    pub representative_full_name: String,
    /// The power of attorney document (theirs, of kind POWER_OF_ATTORNEY).
    pub power_of_attorney_document_id: String,
    /// Where the clerk's decision stands.
    pub status: Status,
    /// The clerk's reason, when refused (cleaned).
    pub reason: String,
    /// The clerk who decided, and when.
    pub decided: Option<Stamp>,
}

impl Representation {
    /// The representation on the wire.
    pub fn to_proto(&self) -> pb::Representation {
        pb::Representation {
            representative_national_code: self.representative_national_code.clone(),
            representative_full_name: self.representative_full_name.clone(),
            power_of_attorney_document_id: self.power_of_attorney_document_id.clone(),
            status: self.status.to_proto() as i32,
            reason: self.reason.clone(),
            decided: self.decided.as_ref().map(Stamp::to_proto),
        }
    }

    /// Records the clerk's decision: approved, or refused with `reason`.
    pub fn decide(&mut self, approve: bool, reason: &str, by: &Stamp) {
        self.status = if approve {
            Status::Approved
        } else {
            Status::Refused
        };
        self.reason = if approve {
            String::new()
        } else {
            reason.to_owned()
        };
        self.decided = Some(by.clone());
    }

    /// Whether an issued answer should say «به وکالت»: only once a clerk approved.
    pub fn is_approved(&self) -> bool {
        self.status == Status::Approved
    }
}

/// What a clerk's refusal must carry: a reason, which the representative and the owner read.
pub fn refusal_needs_reason(approve: bool, reason: &str) -> bool {
    !approve && reason.trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending() -> Representation {
        Representation {
            representative_account_id: "acc-rep".into(),
            representative_national_code: "0012345679".into(),
            representative_full_name: "وکیل".into(),
            power_of_attorney_document_id: "doc-poa".into(),
            status: Status::Pending,
            reason: String::new(),
            decided: None,
        }
    }

    #[test]
    fn a_decision_is_recorded_with_its_clerk() {
        let clerk = Stamp {
            actor: "clerk".into(),
            name: String::new(),
            at_us: 7,
        };
        let mut r = pending();
        assert!(!r.is_approved());
        r.decide(false, "امضا ندارد", &clerk);
        assert_eq!(r.status, Status::Refused);
        assert_eq!(r.reason, "امضا ندارد");
        assert_eq!(r.decided.as_ref().map(|d| d.actor.as_str()), Some("clerk"));
        let mut r = pending();
        r.decide(true, "ignored", &clerk);
        assert!(r.is_approved());
        assert!(r.reason.is_empty());
        assert_eq!(r.status.stage(), RepresentationStage::Approved);
    }

    #[test]
    fn a_refusal_says_why() {
        assert!(refusal_needs_reason(false, "  "));
        assert!(!refusal_needs_reason(false, "no signature"));
        assert!(!refusal_needs_reason(true, ""));
    }
}
