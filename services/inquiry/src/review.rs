//! The clerks' review of an applicant step that does not match the parcel's record, as
//! plain data and rules with no I/O.
//!
//! Step 6 checks the applicant against the parcel's owners. A national code that is no
//! owner's is refused outright; but a name written otherwise than on the deed, or an
//! ownership type declared otherwise than recorded, is often a clerk's five-minute check
//! with the deed in hand. Such an inquiry keeps the applicant's data and waits in
//! [`crate::workflow::State::AwaitingReview`] with a [`Review`]: what differs, what the
//! applicant gave (the step's data), what the records say ([`Recorded`], for clerks only:
//! the applicant never sees the registry's data) and when it entered the queue. A clerk
//! approves (the inquiry goes on exactly as if step 6 had passed) or refuses with a reason
//! the applicant reads on their inquiry (it is rejected).
//!
//! The queue the clerks work (`ListReviews`) holds these and the representatives' filings
//! waiting for a power of attorney to be approved ([`crate::representation`]).

use estelam_proto::common::v1 as cpb;
use estelam_proto::inquiry::v1 as pb;
use estelam_proto::property::v1 as ppb;
use serde::{Deserialize, Serialize};

use crate::answer::Share;
use crate::model::Stamp;
use crate::request_types::Text;

/// What differs between the applicant step and the parcel's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The national code is an owner's, under another name.
    NameMismatch,
    /// An owner, but the declared ownership type differs from the record.
    OwnershipTypeMismatch,
}

impl Kind {
    /// The kind a verdict of property's `CheckApplicant` calls for; `None` when the verdict
    /// is no mismatch a clerk may resolve (an owner as declared, or not an owner at all).
    pub fn of_verdict(result: ppb::ApplicantCheckResult) -> Option<Kind> {
        match result {
            ppb::ApplicantCheckResult::NameMismatch => Some(Kind::NameMismatch),
            ppb::ApplicantCheckResult::TypeMismatch => Some(Kind::OwnershipTypeMismatch),
            _ => None,
        }
    }

    /// The kind on the wire.
    pub fn to_proto(self) -> pb::ReviewKind {
        match self {
            Kind::NameMismatch => pb::ReviewKind::ApplicantNameMismatch,
            Kind::OwnershipTypeMismatch => pb::ReviewKind::OwnershipTypeMismatch,
        }
    }
}

/// Where a review stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for a clerk.
    Pending,
    /// A clerk approved it.
    Approved,
    /// A clerk refused it.
    Refused,
}

impl Status {
    /// The status on the wire.
    pub fn to_proto(self) -> pb::ReviewStatus {
        match self {
            Status::Pending => pb::ReviewStatus::Pending,
            Status::Approved => pb::ReviewStatus::Approved,
            Status::Refused => pb::ReviewStatus::Refused,
        }
    }
}

/// What the parcel's record says of the applicant's ownership when the review was opened.
/// Shown to clerks only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// The recorded ownership type, as the `property.v1.OwnershipType` number.
    pub ownership_type: i32,
    /// The owner's own deed number, else the parcel's.
    pub deed_number: String,
    /// The name recorded for the applicant's national code (empty when none has it).
    pub owner_full_name: String,
    /// That owner's share.
    pub share: Share,
}

impl Recorded {
    /// What `parcel` records for the owner with `national_code`.
    pub fn of_parcel(parcel: &ppb::Parcel, national_code: &str) -> Recorded {
        let ownership = parcel.ownership.as_ref();
        let owner =
            ownership.and_then(|o| o.owners.iter().find(|w| w.national_code == national_code));
        let parcel_deed = ownership.map(|o| o.deed_number.clone()).unwrap_or_default();
        Recorded {
            ownership_type: ownership.map_or(0, |o| o.ownership_type),
            deed_number: owner
                .map(|w| w.deed_number.clone())
                .filter(|d| !d.is_empty())
                .unwrap_or(parcel_deed),
            owner_full_name: owner.map(|w| w.full_name.clone()).unwrap_or_default(),
            share: owner.and_then(|w| w.share).map_or(
                Share {
                    numerator: 0,
                    denominator: 1,
                },
                |s| Share {
                    numerator: s.numerator,
                    denominator: s.denominator.max(1),
                },
            ),
        }
    }

    /// The record on the wire (clerks' queue only).
    pub fn to_proto(&self) -> pb::RecordedOwnership {
        pb::RecordedOwnership {
            ownership_type: self.ownership_type,
            deed_number: self.deed_number.clone(),
            owner_full_name: self.owner_full_name.clone(),
            share: Some(cpb::DangShare {
                numerator: self.share.numerator,
                denominator: self.share.denominator,
            }),
        }
    }
}

/// A mismatch waiting for (or decided by) a clerk. What the applicant gave is the
/// inquiry's applicant step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// What differs.
    pub kind: Kind,
    /// What the records say (clerks only).
    pub recorded: Recorded,
    /// When the inquiry entered the queue, µs.
    pub entered_at_us: i64,
    /// Where the clerk's decision stands.
    pub status: Status,
    /// The clerk's reason, when refused (cleaned).
    pub reason: Option<Text>,
    /// The clerk who decided, and when.
    pub decided: Option<Stamp>,
}

impl Review {
    /// A review opened now for `kind`, against `recorded`.
    pub fn open(kind: Kind, recorded: Recorded, at_us: i64) -> Review {
        Review {
            kind,
            recorded,
            entered_at_us: at_us,
            status: Status::Pending,
            reason: None,
            decided: None,
        }
    }

    /// The review as its applicant sees it: never the registry's data.
    pub fn to_proto(&self) -> pb::Review {
        pb::Review {
            kind: self.kind.to_proto() as i32,
            status: self.status.to_proto() as i32,
            entered_at: Some(estelam_runtime::time::timestamp(self.entered_at_us)),
            reason: self.reason.as_ref().map(Text::to_proto),
            decided: self.decided.as_ref().map(Stamp::to_proto),
        }
    }

    /// Records the clerk's decision: approved, or refused with `reason`. Returns how long
    /// the review waited, µs.
    pub fn decide(&mut self, approve: bool, reason: &Text, by: &Stamp) -> i64 {
        self.status = if approve {
            Status::Approved
        } else {
            Status::Refused
        };
        self.reason = (!approve).then(|| reason.clone());
        self.decided = Some(by.clone());
        (by.at_us - self.entered_at_us).max(0)
    }
}

/// The clerk's reason as given in Persian and/or English (already cleaned): one language
/// alone stands for both; `None` when neither was given.
pub fn reason_of(fa: &str, en: &str) -> Option<Text> {
    let (fa, en) = (fa.trim(), en.trim());
    match (fa.is_empty(), en.is_empty()) {
        (true, true) => None,
        (false, true) => Some(Text::new(fa, fa)),
        (true, false) => Some(Text::new(en, en)),
        (false, false) => Some(Text::new(fa, en)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parcel() -> ppb::Parcel {
        ppb::Parcel {
            ownership: Some(ppb::Ownership {
                ownership_type: ppb::OwnershipType::Shared as i32,
                deed_number: "123".into(),
                owners: vec![
                    ppb::Owner {
                        national_code: "0012345679".into(),
                        full_name: "علی رضایی".into(),
                        share: Some(cpb::DangShare {
                            numerator: 3,
                            denominator: 1,
                        }),
                        ..Default::default()
                    },
                    ppb::Owner {
                        national_code: "0000000019".into(),
                        full_name: "زهرا".into(),
                        deed_number: "456".into(),
                        ..Default::default()
                    },
                ],
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_record_is_the_applicants_owner_row() {
        let r = Recorded::of_parcel(&parcel(), "0012345679");
        assert_eq!(r.owner_full_name, "علی رضایی");
        assert_eq!(r.deed_number, "123");
        assert_eq!(r.ownership_type, ppb::OwnershipType::Shared as i32);
        assert_eq!(r.share.numerator, 3);
        let own_deed = Recorded::of_parcel(&parcel(), "0000000019");
        assert_eq!(own_deed.deed_number, "456");
        let nobody = Recorded::of_parcel(&parcel(), "1111111111");
        assert!(nobody.owner_full_name.is_empty());
    }

    #[test]
    fn only_mismatches_are_reviewed() {
        use ppb::ApplicantCheckResult as V;
        assert_eq!(Kind::of_verdict(V::NameMismatch), Some(Kind::NameMismatch));
        assert_eq!(
            Kind::of_verdict(V::TypeMismatch),
            Some(Kind::OwnershipTypeMismatch)
        );
        assert_eq!(Kind::of_verdict(V::NotOwner), None);
        assert_eq!(Kind::of_verdict(V::Owner), None);
    }

    #[test]
    fn a_decision_keeps_its_clerk_and_the_wait() {
        let mut r = Review::open(Kind::NameMismatch, Recorded::of_parcel(&parcel(), ""), 10);
        let clerk = Stamp {
            actor: "clerk".into(),
            name: "کارشناس".into(),
            at_us: 70,
        };
        let why = reason_of("نام در سند دیگر است", "").expect("a reason");
        assert_eq!(r.decide(false, &why, &clerk), 60);
        assert_eq!(r.status, Status::Refused);
        assert_eq!(
            r.reason.as_ref().map(|t| t.en.as_str()),
            Some("نام در سند دیگر است")
        );
        let wire = r.to_proto();
        assert_eq!(wire.status, pb::ReviewStatus::Refused as i32);
        assert_eq!(
            wire.decided.map(|d| d.actor_display_name),
            Some("کارشناس".to_owned())
        );
        r.decide(true, &why, &clerk);
        assert!(r.reason.is_none());
        assert!(reason_of(" ", "").is_none());
        assert_eq!(
            reason_of("الف", "a").map(|t| (t.fa, t.en)),
            Some(("الف".into(), "a".into()))
        );
    }
}
