//! Who owns a parcel: owners, their shares in dang and the ownership type, and the rules a
//! record must satisfy. Plain functions and types, no I/O.
//!
//! Shares are exact fractions of dang ([`Dang`], in [`crate::dang`]): a parcel is 6 dang, and
//! its owners' shares must add up to exactly 6. Identifiers' check digits live in
//! [`crate::identifiers`].
//! Rules:
//! * an ownership is either *unrecorded* (type unspecified, no owners: a parcel imported from a
//!   GIS layer before the registry is linked) or complete (a type and at least one owner);
//! * every share is positive and at most 6 dang; the shares add up to exactly 6;
//! * full ownership (شش‌دانگ) has exactly one owner; shared ownership (مشاع) at least two;
//! * a person appears at most once (one share per owner, possibly under their own deed);
//! * a natural person is identified by a valid 10-digit national code, a legal entity by a
//!   valid 11-digit national id (شناسه ملی).

use std::fmt;

use estelam_domain::text::{TextError, TextField, clean_text};
use estelam_domain::{NationalCode, fold_name, names_match, normalize_digits};

use crate::dang::Dang;
use crate::identifiers::legal_id_is_valid;

/// How a parcel is owned (mirrors `estelam.property.v1.OwnershipType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OwnershipType {
    /// Full six-dang ownership by one owner (شش‌دانگ).
    Full,
    /// Undivided shared ownership (مشاع).
    Shared,
    /// Endowment (موقوفه).
    Endowment,
    /// State or public body (دولتی).
    State,
    /// Long-term lease (اجاره‌ای).
    Leasehold,
}

impl OwnershipType {
    /// The wire number (`OwnershipType` enum value).
    pub fn to_i32(self) -> i32 {
        match self {
            Self::Full => 1,
            Self::Shared => 2,
            Self::Endowment => 3,
            Self::State => 4,
            Self::Leasehold => 5,
        }
    }

    /// From the wire number; `None` for unspecified or unknown values.
    pub fn from_i32(v: i32) -> Option<Self> {
        Some(match v {
            1 => Self::Full,
            2 => Self::Shared,
            3 => Self::Endowment,
            4 => Self::State,
            5 => Self::Leasehold,
            _ => return None,
        })
    }

    /// Lower-case English name, used in GeoJSON imports and logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Shared => "shared",
            Self::Endowment => "endowment",
            Self::State => "state",
            Self::Leasehold => "leasehold",
        }
    }

    /// Parses the English name or the Persian term.
    pub fn parse(s: &str) -> Option<Self> {
        let folded = fold_name(s);
        [
            Self::Full,
            Self::Shared,
            Self::Endowment,
            Self::State,
            Self::Leasehold,
        ]
        .into_iter()
        .find(|t| folded == t.name() || names_match(&folded, t.name_fa()))
    }

    /// The Persian term, for messages.
    pub fn name_fa(self) -> &'static str {
        match self {
            Self::Full => "شش‌دانگ",
            Self::Shared => "مشاع",
            Self::Endowment => "موقوفه",
            Self::State => "دولتی",
            Self::Leasehold => "اجاره‌ای",
        }
    }
}

/// Whether an owner is a person or an organisation (mirrors `OwnerKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OwnerKind {
    /// A natural person with a 10-digit national code.
    NaturalPerson,
    /// A legal entity with an 11-digit national id.
    LegalEntity,
}

impl OwnerKind {
    /// The wire number.
    pub fn to_i32(self) -> i32 {
        match self {
            Self::NaturalPerson => 1,
            Self::LegalEntity => 2,
        }
    }

    /// From the wire number; `None` for unspecified.
    pub fn from_i32(v: i32) -> Option<Self> {
        match v {
            1 => Some(Self::NaturalPerson),
            2 => Some(Self::LegalEntity),
            _ => None,
        }
    }
}

/// One owner as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// Person or organisation.
    pub kind: OwnerKind,
    /// 10-digit national code or 11-digit national id, ASCII digits.
    pub national_code: String,
    /// Name as recorded (trimmed, letter variants folded).
    pub full_name: String,
    /// Share in dang.
    pub share: Dang,
    /// The owner's own deed number, or empty.
    pub deed_number: String,
}

/// Who owns a parcel; `kind` is `None` for an unrecorded ownership (then `owners` is empty).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ownership {
    /// How the parcel is owned.
    pub kind: Option<OwnershipType>,
    /// The parcel's deed number.
    pub deed_number: String,
    /// The owners, in recorded order.
    pub owners: Vec<Owner>,
}

/// An owner as a caller sent it, before validation.
#[derive(Debug, Clone, Default)]
pub struct OwnerInput {
    /// Wire `OwnerKind`; 0 means "infer from the code's length".
    pub kind: i32,
    /// As typed, any digit set.
    pub national_code: String,
    /// As typed.
    pub full_name: String,
    /// `(numerator, denominator)` in dang.
    pub share: (i64, i64),
    /// As typed.
    pub deed_number: String,
}

/// Why one input field was refused: a field path and a message in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// Field path, e.g. `ownership.owners[1].share`.
    pub field: String,
    /// SCREAMING_SNAKE_CASE reason.
    pub reason: &'static str,
    /// Persian message.
    pub fa: String,
    /// English message.
    pub en: String,
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.en)
    }
}

fn err(
    field: String,
    reason: &'static str,
    fa: impl Into<String>,
    en: impl Into<String>,
) -> FieldProblem {
    FieldProblem {
        field,
        reason,
        fa: fa.into(),
        en: en.into(),
    }
}

/// An owner's name in an ownership record.
const OWNER_NAME: TextField = TextField::new("full_name", "نام مالک", "owner's name");

/// Free text with a character no text may hold, as a field problem.
pub(crate) fn text_problem(field: String, e: &TextError) -> FieldProblem {
    err(
        field,
        "TEXT_CHARACTERS_REFUSED",
        e.message_fa(),
        e.to_string(),
    )
}

fn clean_deed(s: &str) -> Result<String, ()> {
    let s = normalize_digits(s.trim());
    if s.chars().count() > 40 || s.chars().any(char::is_control) {
        return Err(());
    }
    Ok(s)
}

/// Validates an ownership as sent by a caller and returns it normalised: codes in ASCII
/// digits, names folded, shares in lowest terms.
pub fn validate_ownership(
    ownership_type: i32,
    deed_number: &str,
    owners: &[OwnerInput],
) -> Result<Ownership, Vec<FieldProblem>> {
    let mut errors = Vec::new();
    let kind = match (ownership_type, owners.is_empty()) {
        (0, true) => None,
        (0, false) => {
            errors.push(err(
                "ownership.ownership_type".into(),
                "OWNERSHIP_TYPE_REQUIRED",
                "نوع مالکیت را مشخص کنید.",
                "Give the ownership type.",
            ));
            None
        }
        (v, _) => match OwnershipType::from_i32(v) {
            Some(t) => Some(t),
            None => {
                errors.push(err(
                    "ownership.ownership_type".into(),
                    "OWNERSHIP_TYPE_UNKNOWN",
                    "نوع مالکیت شناخته نشد.",
                    "The ownership type is not one of full, shared, endowment, state, leasehold.",
                ));
                None
            }
        },
    };
    let deed = clean_deed(deed_number).unwrap_or_else(|()| {
        errors.push(err(
            "ownership.deed_number".into(),
            "DEED_NUMBER_INVALID",
            "شمارهٔ سند حداکثر ۴۰ نویسه و بدون نویسهٔ کنترلی است.",
            "The deed number must be at most 40 characters, without control characters.",
        ));
        String::new()
    });
    let mut out = Vec::with_capacity(owners.len());
    for (i, o) in owners.iter().enumerate() {
        let path = |f: &str| format!("ownership.owners[{i}].{f}");
        let digits = normalize_digits(o.national_code.trim());
        let kind = match o.kind {
            0 if digits.len() == 11 => Some(OwnerKind::LegalEntity),
            0 => Some(OwnerKind::NaturalPerson),
            v => OwnerKind::from_i32(v),
        };
        let code = match kind {
            Some(OwnerKind::NaturalPerson) => match NationalCode::parse(&digits) {
                Ok(c) => Some(c.as_str().to_owned()),
                Err(e) => {
                    errors.push(err(
                        path("national_code"),
                        "NATIONAL_CODE_INVALID",
                        e.message_fa(),
                        e.to_string(),
                    ));
                    None
                }
            },
            Some(OwnerKind::LegalEntity) => {
                if legal_id_is_valid(&digits) {
                    Some(digits)
                } else {
                    errors.push(err(
                        path("national_code"),
                        "LEGAL_ID_INVALID",
                        "شناسهٔ ملی شخص حقوقی باید ۱۱ رقم با رقم کنترل درست باشد.",
                        "A legal entity's national id must be 11 digits with a correct check digit.",
                    ));
                    None
                }
            }
            None => {
                errors.push(err(
                    path("kind"),
                    "OWNER_KIND_UNKNOWN",
                    "نوع مالک شناخته نشد.",
                    "The owner kind is unknown.",
                ));
                None
            }
        };
        // Stored (and signed in answers) as cleaned Persian text; compared through
        // `names_match`, which folds both sides, so a name typed with Arabic ي/ك still matches.
        let name = match clean_text(OWNER_NAME, &o.full_name) {
            Ok(name) => name,
            Err(e) => {
                errors.push(text_problem(path("full_name"), &e));
                String::new()
            }
        };
        if name.is_empty() || name.chars().count() > 200 {
            errors.push(err(
                path("full_name"),
                "OWNER_NAME_REQUIRED",
                "نام مالک را (حداکثر ۲۰۰ نویسه) وارد کنید.",
                "Give the owner's name (at most 200 characters).",
            ));
        }
        let share =
            Dang::new(o.share.0, o.share.1).filter(|s| s.numerator() > 0 && *s <= Dang::WHOLE);
        if share.is_none() {
            errors.push(err(
                path("share"),
                "SHARE_INVALID",
                "سهم هر مالک باید کسری مثبت از دانگ و حداکثر ۶ دانگ باشد (مخرج دست‌کم ۱).",
                "Each owner's share must be a positive fraction of dang, at most 6, with a denominator of at least 1.",
            ));
        }
        let owner_deed = clean_deed(&o.deed_number).unwrap_or_else(|()| {
            errors.push(err(
                path("deed_number"),
                "DEED_NUMBER_INVALID",
                "شمارهٔ سند نادرست است.",
                "The deed number is not valid.",
            ));
            String::new()
        });
        if let (Some(kind), Some(code), Some(share)) = (kind, code, share) {
            if out.iter().any(|p: &Owner| p.national_code == code) {
                errors.push(err(
                    path("national_code"),
                    "OWNER_DUPLICATED",
                    "هر مالک فقط یک بار می‌آید؛ سهم‌های او را جمع کنید.",
                    "Each owner appears once; add up their shares.",
                ));
            }
            out.push(Owner {
                kind,
                national_code: code,
                full_name: name,
                share,
                deed_number: owner_deed,
            });
        }
    }
    if errors.is_empty() && !owners.is_empty() {
        match Dang::sum(out.iter().map(|o| o.share)) {
            Some(total) if total == Dang::WHOLE => {}
            total => errors.push(err(
                "ownership.owners".into(),
                "SHARES_NOT_SIX_DANG",
                format!(
                    "جمع سهم مالکان باید دقیقاً ۶ دانگ باشد؛ اکنون {} دانگ است.",
                    total.map_or_else(|| "نامعلوم".to_owned(), |t| t.to_string())
                ),
                format!(
                    "The owners' shares must add up to exactly 6 dang; they add up to {}.",
                    total.map_or_else(|| "an unrepresentable amount".to_owned(), |t| t.to_string())
                ),
            )),
        }
    }
    match kind {
        Some(OwnershipType::Full) if owners.len() != 1 => errors.push(err(
            "ownership.owners".into(),
            "FULL_OWNERSHIP_ONE_OWNER",
            "مالکیت شش‌دانگ یک مالک دارد؛ برای چند مالک نوع «مشاع» را برگزینید.",
            "Full ownership has exactly one owner; choose shared ownership for several.",
        )),
        Some(OwnershipType::Shared) if owners.len() < 2 => errors.push(err(
            "ownership.owners".into(),
            "SHARED_OWNERSHIP_TWO_OWNERS",
            "مالکیت مشاع دست‌کم دو مالک دارد.",
            "Shared ownership has at least two owners.",
        )),
        Some(_) if owners.is_empty() => errors.push(err(
            "ownership.owners".into(),
            "OWNERS_REQUIRED",
            "دست‌کم یک مالک وارد کنید.",
            "Give at least one owner.",
        )),
        _ => {}
    }
    if errors.is_empty() {
        Ok(Ownership {
            kind,
            deed_number: deed,
            owners: out,
        })
    } else {
        Err(errors)
    }
}

/// The outcome of checking an applicant against a parcel's owners (step 6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplicantCheck {
    /// An owner with this share, declared type matches.
    Owner {
        /// Their share.
        share: Dang,
        /// The recorded type.
        recorded: OwnershipType,
    },
    /// The national code is not among the owners.
    NotOwner,
    /// An owner, but the declared type differs from the record.
    TypeMismatch {
        /// Their share.
        share: Dang,
        /// The recorded type.
        recorded: OwnershipType,
    },
    /// An owner's national code, with a different name.
    NameMismatch {
        /// Their share.
        share: Dang,
    },
}

/// Checks an applicant (already-parsed national code, name as typed, declared type) against
/// an ownership. The name is compared first, then the type: a matching code with another
/// name is reported as a name mismatch even when the type also differs.
pub fn check_applicant(
    ownership: &Ownership,
    national_code: &str,
    full_name: &str,
    declared: OwnershipType,
) -> ApplicantCheck {
    let Some(owner) = ownership
        .owners
        .iter()
        .find(|o| o.national_code == national_code)
    else {
        return ApplicantCheck::NotOwner;
    };
    let Some(recorded) = ownership.kind else {
        return ApplicantCheck::NotOwner;
    };
    if !names_match(&owner.full_name, full_name) {
        return ApplicantCheck::NameMismatch { share: owner.share };
    }
    if recorded != declared {
        return ApplicantCheck::TypeMismatch {
            share: owner.share,
            recorded,
        };
    }
    ApplicantCheck::Owner {
        share: owner.share,
        recorded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dang::gcd;
    use crate::identifiers::complete_national_code;
    use proptest::prelude::*;

    fn person(code: &str, name: &str, n: i64, d: i64) -> OwnerInput {
        OwnerInput {
            kind: 1,
            national_code: code.into(),
            full_name: name.into(),
            share: (n, d),
            deed_number: String::new(),
        }
    }

    #[test]
    fn thirds_of_a_dang_add_up_exactly() {
        let owners = [
            person("0076229645", "علی رضایی", 1, 3),
            person("1583250689", "مریم احمدی", 17, 3),
        ];
        let o = validate_ownership(2, "123", &owners).expect("1/3 + 17/3 = 6");
        assert_eq!(o.owners[1].share, Dang::new(17, 3).unwrap());
    }

    #[test]
    fn shares_off_by_a_sliver_are_refused_with_the_total() {
        let owners = [
            person("0076229645", "علی", 3, 1),
            person("1583250689", "مریم", 2999, 1000),
        ];
        let errs = validate_ownership(2, "", &owners).unwrap_err();
        assert_eq!(errs[0].reason, "SHARES_NOT_SIX_DANG");
        assert!(errs[0].en.contains("5999/1000"), "{}", errs[0].en);
    }

    #[test]
    fn full_ownership_has_one_owner_and_shared_two() {
        let one = [person("0076229645", "علی", 6, 1)];
        assert!(validate_ownership(1, "", &one).is_ok());
        assert_eq!(
            validate_ownership(2, "", &one).unwrap_err()[0].reason,
            "SHARED_OWNERSHIP_TWO_OWNERS"
        );
        let two = [
            person("0076229645", "علی", 3, 1),
            person("1583250689", "مریم", 3, 1),
        ];
        assert_eq!(
            validate_ownership(1, "", &two).unwrap_err()[0].reason,
            "FULL_OWNERSHIP_ONE_OWNER"
        );
    }

    #[test]
    fn bad_codes_zero_shares_and_duplicates_are_each_named() {
        let owners = [
            person("0076229646", "علی", 3, 1),
            person("1583250689", "مریم", 0, 1),
            person("1583250689", "مریم", 3, 0),
        ];
        let errs = validate_ownership(2, "", &owners).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert!(
            fields.contains(&"ownership.owners[0].national_code"),
            "{fields:?}"
        );
        assert!(fields.contains(&"ownership.owners[1].share"), "{fields:?}");
        assert!(fields.contains(&"ownership.owners[2].share"), "{fields:?}");
    }

    #[test]
    fn unrecorded_ownership_is_allowed_only_without_owners() {
        assert_eq!(validate_ownership(0, "", &[]).unwrap().kind, None);
        assert!(validate_ownership(0, "", &[person("0076229645", "علی", 6, 1)]).is_err());
        assert!(validate_ownership(1, "", &[]).is_err());
    }

    #[test]
    fn applicant_checks_name_before_type() {
        let o = validate_ownership(
            2,
            "",
            &[
                person("0076229645", "علي رضايي", 5, 2),
                person("1583250689", "مریم احمدی", 7, 2),
            ],
        )
        .unwrap();
        let half = Dang::new(5, 2).unwrap();
        assert_eq!(
            check_applicant(&o, "0076229645", "علی  رضایی", OwnershipType::Shared),
            ApplicantCheck::Owner {
                share: half,
                recorded: OwnershipType::Shared
            }
        );
        assert_eq!(
            check_applicant(&o, "0076229645", "علی رضایی", OwnershipType::Full),
            ApplicantCheck::TypeMismatch {
                share: half,
                recorded: OwnershipType::Shared
            }
        );
        assert_eq!(
            check_applicant(&o, "0076229645", "حسن رضایی", OwnershipType::Full),
            ApplicantCheck::NameMismatch { share: half }
        );
        assert_eq!(
            check_applicant(&o, "0499370899", "علی", OwnershipType::Shared),
            ApplicantCheck::NotOwner
        );
    }

    proptest! {
        /// Any split of 6 dang into positive exact parts is accepted, and lowest terms come back.
        #[test]
        fn any_exact_split_of_six_dang_is_accepted(cuts in proptest::collection::vec(1i64..=59, 1..6), den in 1i64..=12) {
            // Cut 6·den·10 units into parts at the given points.
            let total = 6 * den * 10;
            let mut points: Vec<i64> = cuts.iter().map(|c| c * total / 60).filter(|p| *p > 0 && *p < total).collect();
            points.sort_unstable();
            points.dedup();
            let mut bounds = vec![0];
            bounds.extend(points);
            bounds.push(total);
            let codes: Vec<String> = (0..6).map(|i| complete_national_code(123_456_780 + i)).collect();
            let parts: Vec<OwnerInput> = bounds
                .windows(2)
                .enumerate()
                .map(|(i, w)| person(&codes[i % codes.len()], "x", w[1] - w[0], den * 10))
                .collect();
            prop_assume!(parts.len() <= 4);
            let kind = if parts.len() == 1 { 1 } else { 2 };
            let o = validate_ownership(kind, "", &parts).expect("an exact split");
            let sum = Dang::sum(o.owners.iter().map(|x| x.share)).unwrap();
            prop_assert_eq!(sum, Dang::WHOLE);
            for x in &o.owners {
                prop_assert_eq!(gcd(i128::from(x.share.numerator()), i128::from(x.share.denominator())), 1);
            }
        }

        /// Removing any positive amount from one share breaks the sum.
        #[test]
        fn a_short_split_is_refused(n in 1i64..=59, eps in 1i64..=1000) {
            let a = Dang::new(n * 1000, 10_000).unwrap();
            let rest = Dang::new(60_000 - n * 1000 - eps, 10_000).unwrap();
            let sum = Dang::sum([a, rest]).unwrap();
            prop_assert!(sum < Dang::WHOLE);
        }
    }
}
