//! Request numbers (شماره درخواست): what a number means for the parcel an applicant names.
//! Plain functions, no I/O.
//!
//! A number is checked in this order, so each refusal has its own reason: not issued at all
//! → issued for another parcel → already used by an inquiry → past its validity → valid.
//! "Used" comes before "expired" because it is the more useful thing to tell a person: a
//! used number will never become usable again, whatever its date.

use estelam_domain::RenovationCode;
use estelam_runtime::reasons::{self, Reason};

use crate::store::StoredRequestNumber;

/// The outcome of checking a number against a parcel (mirrors `RequestNumberStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Issued for this parcel, unused, within its validity.
    Valid,
    /// No such number was issued.
    Unknown,
    /// Issued for another parcel.
    OtherParcel,
    /// Used by an inquiry already.
    Used,
    /// Past its validity.
    Expired,
}

impl Verdict {
    /// Wire number of `RequestNumberStatus`.
    pub fn to_i32(self) -> i32 {
        match self {
            Self::Valid => 1,
            Self::Unknown => 2,
            Self::OtherParcel => 3,
            Self::Expired => 4,
            Self::Used => 5,
        }
    }

    /// Machine-readable reason, also used in `FAILED_PRECONDITION` errors; the inquiry
    /// passes the same reasons on, so they are in the common catalogue.
    pub fn reason(self) -> Reason {
        match self {
            Self::Valid => reasons::property::REQUEST_NUMBER_VALID,
            Self::Unknown => reasons::common::REQUEST_NUMBER_UNKNOWN,
            Self::OtherParcel => reasons::common::REQUEST_NUMBER_OTHER_PARCEL,
            Self::Used => reasons::common::REQUEST_NUMBER_USED,
            Self::Expired => reasons::common::REQUEST_NUMBER_EXPIRED,
        }
    }

    /// What it means for the applicant and what to do: (Persian, English).
    pub fn message(self) -> (&'static str, &'static str) {
        match self {
            Self::Valid => ("شمارهٔ درخواست معتبر است.", "The request number is valid."),
            Self::Unknown => (
                "چنین شمارهٔ درخواستی صادر نشده است؛ شماره را از برگهٔ شهرداری دوباره بخوانید.",
                "No such request number was issued; check the number on the municipality's slip.",
            ),
            Self::OtherParcel => (
                "این شمارهٔ درخواست برای ملک دیگری صادر شده است؛ کد نوسازی یا شماره را بررسی کنید.",
                "This request number was issued for another property; check the renovation code or the number.",
            ),
            Self::Used => (
                "این شمارهٔ درخواست پیش‌تر در استعلام دیگری به کار رفته است؛ شمارهٔ تازه از شهرداری بگیرید.",
                "This request number was already used by another inquiry; ask the municipality for a new one.",
            ),
            Self::Expired => (
                "مهلت این شمارهٔ درخواست گذشته است؛ شمارهٔ تازه از شهرداری بگیرید.",
                "This request number has expired; ask the municipality for a new one.",
            ),
        }
    }
}

/// Checks an issued number (or `None`, not issued) against the parcel named, at `now` (µs).
pub fn verify(issued: Option<&StoredRequestNumber>, parcel: &RenovationCode, now: i64) -> Verdict {
    let Some(n) = issued else {
        return Verdict::Unknown;
    };
    if n.renovation_code != parcel.to_string() {
        Verdict::OtherParcel
    } else if n.used_by_inquiry_id.is_some() {
        Verdict::Used
    } else if now >= n.expires_at {
        Verdict::Expired
    } else {
        Verdict::Valid
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Actor;

    fn issued(code: &str, expires_at: i64, used: Option<&str>) -> StoredRequestNumber {
        StoredRequestNumber {
            number: "0000000017".into(),
            seq: 1,
            renovation_code: code.into(),
            issued_at: 0,
            expires_at,
            issued_by: Actor::default(),
            note: String::new(),
            client_request_id: None,
            used_by_inquiry_id: used.map(str::to_owned),
            used_at: used.map(|_| 5),
        }
    }

    #[test]
    fn each_outcome_has_its_own_reason() {
        let p = RenovationCode::parse("1-2-3-4-0-0").unwrap();
        assert_eq!(verify(None, &p, 10), Verdict::Unknown);
        assert_eq!(
            verify(Some(&issued("1-2-3-5-0-0", 100, None)), &p, 10),
            Verdict::OtherParcel
        );
        assert_eq!(
            verify(Some(&issued("1-2-3-4-0-0", 100, Some("inq"))), &p, 10),
            Verdict::Used
        );
        assert_eq!(
            verify(Some(&issued("1-2-3-4-0-0", 100, Some("inq"))), &p, 200),
            Verdict::Used
        );
        assert_eq!(
            verify(Some(&issued("1-2-3-4-0-0", 100, None)), &p, 100),
            Verdict::Expired
        );
        assert_eq!(
            verify(Some(&issued("1-2-3-4-0-0", 100, None)), &p, 99),
            Verdict::Valid
        );
        let reasons: std::collections::HashSet<_> = [
            Verdict::Valid,
            Verdict::Unknown,
            Verdict::OtherParcel,
            Verdict::Used,
            Verdict::Expired,
        ]
        .iter()
        .map(|v| v.reason())
        .collect();
        assert_eq!(reasons.len(), 5);
    }
}
