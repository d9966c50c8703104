//! Request types as data: what each kind of inquiry asks, checks, charges and answers.
//!
//! A request type is stored as one JSON document per version ([`RequestTypeDef`]); a new
//! e-service is a new row (admins send `PutRequestType`), not a release. The four types the
//! seed implies are written here once and stored on first start ([`seeds`]).

use estelam_domain::{TextField, clean_text};
use estelam_proto::common::v1::LocalizedText;
use estelam_proto::documents::v1::DocumentKind;
use estelam_proto::fees::v1::BillItemKind;
use estelam_proto::identity::v1::Role as PbRole;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::error::ServiceError;
use estelam_runtime::time::{micros_of_field, optional_timestamp};
use serde::{Deserialize, Serialize};

use crate::errors;
use crate::model::Stamp;

/// A text in Persian and English: everything a person reads is in both, Persian first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Text {
    /// The Persian text, the one of record.
    pub fa: String,
    /// The English text, for readers without Persian.
    pub en: String,
}

impl Text {
    /// A text from literals, as the refusals and seeded texts are written.
    pub fn new(fa: &str, en: &str) -> Self {
        Self {
            fa: fa.into(),
            en: en.into(),
        }
    }

    /// The text as the contracts carry it.
    pub fn to_proto(&self) -> LocalizedText {
        LocalizedText {
            fa: self.fa.clone(),
            en: self.en.clone(),
        }
    }

    /// A text from the contracts; a missing one reads as empty in both languages.
    pub fn from_proto(t: Option<&LocalizedText>) -> Self {
        t.map(|t| Self {
            fa: t.fa.clone(),
            en: t.en.clone(),
        })
        .unwrap_or_default()
    }
}

/// One version of an undertaking's text: versions are immutable, so an acceptance recorded
/// against `code@version` always names the words the applicant saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndertakingDef {
    /// The undertaking's code, the same across its text versions.
    pub code: String,
    /// The text version, from 1; a changed text needs a new one.
    pub version: i32,
    /// The short title shown beside the checkbox.
    pub title: Text,
    /// The full text the applicant accepts.
    pub text: Text,
}

impl UndertakingDef {
    /// `<code>@<version>`, what AcceptUndertakings names.
    pub fn version_id(&self) -> String {
        format!("{}@{}", self.code, self.version)
    }
}

/// Who may file a request type: a citizen for themself, or an authority for a consenting
/// citizen. Staff never file; they look after what others filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Filer {
    /// A citizen for themself.
    Citizen,
    /// An authority on a consenting citizen's behalf.
    Authority,
}

/// Who pays a request type's inquiry fee (when its fee items include it).
///
/// The applicant's bill holds what the parcel owes; an authority's inquiry fee is the
/// authority's business with the municipality, so by default of the seeded authority types
/// it goes to the authority's account and never holds back a debt-free answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FeeSettlement {
    /// On the applicant's bill: the answer waits for its payment.
    #[default]
    OnBill,
    /// Charged once per inquiry to the inquiring authority's account in the fees ledger.
    OnAccount,
}

impl FeeSettlement {
    /// The settlement as the contracts carry it.
    pub fn to_proto(self) -> pb::InquiryFeeSettlement {
        match self {
            Self::OnBill => pb::InquiryFeeSettlement::OnBill,
            Self::OnAccount => pb::InquiryFeeSettlement::OnAccount,
        }
    }
}

/// One request type version, as stored: everything the workflow asks of an inquiry of
/// this type, so that a new e-service is data rather than a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestTypeDef {
    /// The code clients name it by; never changes.
    pub code: String,
    /// The name shown when choosing a type.
    pub name: Text,
    /// What it is for, shown under the name.
    pub description: Text,
    /// Who may file it.
    pub allowed: Vec<Filer>,
    /// The undertakings step 3 asks the applicant to accept.
    pub undertakings: Vec<UndertakingDef>,
    /// Document kinds that must be attached, by code (the documents service's data).
    /// Versions stored before kinds were data hold enum numbers; they read as codes.
    #[serde(deserialize_with = "kind_codes")]
    pub required_documents: Vec<String>,
    /// Whether the letter step is required.
    pub letter_required: bool,
    /// Whether the request number is checked with property.
    pub check_request_number: bool,
    /// Whether the applicant is checked against the owners.
    pub check_ownership: bool,
    /// Whether the parcel's debt must be cleared before the answer.
    pub check_debt: bool,
    /// Bill item kinds charged (proto enum numbers).
    pub fee_items: Vec<i32>,
    /// The answer template the printed answer uses (`standard`, `clearance`).
    pub answer_template: String,
    /// Days an issued answer stays valid.
    pub answer_validity_days: i32,
    /// Whether a repeat within an earlier answer's validity is free of the inquiry fee.
    pub repeat_free_within_validity: bool,
    /// Whether new inquiries may be filed; existing ones finish under their version either
    /// way.
    pub active: bool,
    /// Who pays the inquiry fee; stored types from before this field read as on the bill.
    #[serde(default)]
    pub inquiry_fee_settlement: FeeSettlement,
    /// The title printed on the answer; empty for the template's (the type's name).
    #[serde(default)]
    pub answer_title: Text,
    /// Plain-language sentences printed on the answer after its outcome, in order.
    #[serde(default)]
    pub answer_statements: Vec<Text>,
    /// From when new inquiries may be filed, µs; `None` for no start.
    #[serde(default)]
    pub active_from_us: Option<i64>,
    /// Until when (exclusive) new inquiries may be filed, µs; `None` for no end.
    #[serde(default)]
    pub active_until_us: Option<i64>,
}

impl RequestTypeDef {
    /// Whether a new inquiry of this version may be filed at `now_us`: active, and inside
    /// its window. Inquiries already started finish under their version either way.
    pub fn open_at(&self, now_us: i64) -> bool {
        self.active
            && self.active_from_us.is_none_or(|from| from <= now_us)
            && self.active_until_us.is_none_or(|until| now_us < until)
    }
}

impl Text {
    /// Whether neither language has any text.
    pub fn is_empty(&self) -> bool {
        self.fa.is_empty() && self.en.is_empty()
    }
}

/// The current version of a request type with who made it, as admins see it.
#[derive(Debug, Clone)]
pub struct StoredRequestType {
    /// The definition of this version.
    pub def: RequestTypeDef,
    /// The version, from 1; PutRequestType names it to change the type.
    pub version: i64,
    /// The admin who made this version; `seed` rows have none.
    pub changed_by: String,
    /// That admin's display name, when known.
    pub changed_by_name: String,
    /// When this version was made, µs.
    pub changed_at_us: i64,
}

impl StoredRequestType {
    /// The request type as the contracts carry it.
    pub fn to_proto(&self) -> pb::RequestType {
        let d = &self.def;
        pb::RequestType {
            code: d.code.clone(),
            name: Some(d.name.to_proto()),
            description: Some(d.description.to_proto()),
            allowed_roles: d
                .allowed
                .iter()
                .map(|f| match f {
                    Filer::Citizen => PbRole::Citizen as i32,
                    Filer::Authority => PbRole::Authority as i32,
                })
                .collect(),
            undertakings: d
                .undertakings
                .iter()
                .map(|u| pb::Undertaking {
                    undertaking_version_id: u.version_id(),
                    code: u.code.clone(),
                    version: u.version,
                    title: Some(u.title.to_proto()),
                    text: Some(u.text.to_proto()),
                })
                .collect(),
            required_documents: d
                .required_documents
                .iter()
                .filter_map(|c| DocumentKind::from_code(c).map(|k| k as i32))
                .collect(),
            required_document_codes: d.required_documents.clone(),
            letter_required: d.letter_required,
            check_request_number: d.check_request_number,
            check_ownership: d.check_ownership,
            check_debt: d.check_debt,
            fee_items: d.fee_items.clone(),
            answer_template: d.answer_template.clone(),
            answer_validity_days: d.answer_validity_days,
            repeat_free_within_validity: d.repeat_free_within_validity,
            active: d.active,
            inquiry_fee_settlement: d.inquiry_fee_settlement.to_proto() as i32,
            answer_title: Some(d.answer_title.to_proto()),
            answer_statements: d.answer_statements.iter().map(Text::to_proto).collect(),
            active_from: optional_timestamp(d.active_from_us),
            active_until: optional_timestamp(d.active_until_us),
            version: self.version,
            changed: Some(
                Stamp {
                    actor: self.changed_by.clone(),
                    name: self.changed_by_name.clone(),
                    at_us: self.changed_at_us,
                }
                .to_proto(),
            ),
        }
    }
}

/// Reads stored required documents: codes, or the enum numbers versions stored before
/// document kinds were data hold (each one a known kind, as publishing checked).
fn kind_codes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Code(String),
        Number(i32),
    }
    Vec::<Stored>::deserialize(d)?
        .into_iter()
        .map(|k| match k {
            Stored::Code(c) => Ok(c),
            Stored::Number(n) => DocumentKind::code_of(n)
                .map(str::to_owned)
                .ok_or_else(|| serde::de::Error::custom(format!("unknown document kind {n}"))),
        })
        .collect()
}

/// Whether a document kind code is well formed (2–64 lower-case letters, digits and
/// hyphens, starting with a letter); whether it exists is the documents service's to say.
pub fn document_kind_code_valid(code: &str) -> bool {
    (2..=64).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The required documents a request type names, as codes, by the contract's rule: when
/// `required_document_codes` is set it is the list, and every enum value must be in it;
/// otherwise the enum values are. A refusal names the place in the list of the first
/// kind that is unknown.
pub fn required_codes(rt: &pb::RequestType) -> Result<Vec<String>, ServiceError> {
    let mut codes: Vec<String> = Vec::new();
    if rt.required_document_codes.is_empty() {
        for (i, k) in rt.required_documents.iter().enumerate() {
            let code =
                DocumentKind::code_of(*k).ok_or_else(|| errors::document_kind_unknown(i + 1))?;
            if !codes.iter().any(|c| c == code) {
                codes.push(code.to_owned());
            }
        }
        return Ok(codes);
    }
    for (i, c) in rt.required_document_codes.iter().enumerate() {
        let code = c.trim();
        if !document_kind_code_valid(code) {
            return Err(errors::document_kind_unknown(i + 1));
        }
        if !codes.iter().any(|have| have == code) {
            codes.push(code.to_owned());
        }
    }
    for (i, k) in rt.required_documents.iter().enumerate() {
        match DocumentKind::code_of(*k) {
            Some(code) if codes.iter().any(|c| c == code) => {}
            _ => return Err(errors::document_kind_unknown(i + 1)),
        }
    }
    Ok(codes)
}

/// Validates a request type sent by an admin and turns it into a definition.
pub fn from_proto(rt: &pb::RequestType) -> Result<RequestTypeDef, ServiceError> {
    let code = rt.code.trim().to_owned();
    if code.is_empty()
        || code.len() > 64
        || !code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(errors::request_type_code_invalid());
    }
    let name = Text::from_proto(rt.name.as_ref());
    if name.fa.trim().is_empty() {
        return Err(errors::request_type_name_required());
    }
    let mut allowed = Vec::new();
    for r in &rt.allowed_roles {
        match PbRole::try_from(*r) {
            Ok(PbRole::Citizen) => allowed.push(Filer::Citizen),
            Ok(PbRole::Authority) => allowed.push(Filer::Authority),
            _ => {
                return Err(errors::request_type_role_invalid());
            }
        }
    }
    if allowed.is_empty() {
        return Err(errors::request_type_role_required());
    }
    let mut undertakings = Vec::new();
    for u in &rt.undertakings {
        let ucode = u.code.trim();
        if ucode.is_empty() || u.version < 1 || ucode.contains('@') {
            return Err(errors::undertaking_invalid());
        }
        let text = Text::from_proto(u.text.as_ref());
        if text.fa.trim().is_empty() {
            return Err(errors::undertaking_text_required());
        }
        undertakings.push(UndertakingDef {
            code: ucode.to_owned(),
            version: u.version,
            title: Text::from_proto(u.title.as_ref()),
            text,
        });
    }
    let required_documents = required_codes(rt)?;
    for k in &rt.fee_items {
        if !matches!(BillItemKind::try_from(*k), Ok(k) if k != BillItemKind::Unspecified) {
            return Err(errors::fee_item_invalid());
        }
    }
    if rt.answer_validity_days < 1 || rt.answer_validity_days > 3650 {
        return Err(errors::answer_validity_invalid());
    }
    let inquiry_fee_settlement = match pb::InquiryFeeSettlement::try_from(rt.inquiry_fee_settlement)
    {
        Ok(pb::InquiryFeeSettlement::Unspecified | pb::InquiryFeeSettlement::OnBill) => {
            FeeSettlement::OnBill
        }
        Ok(pb::InquiryFeeSettlement::OnAccount) => FeeSettlement::OnAccount,
        Err(_) => {
            return Err(errors::fee_settlement_invalid());
        }
    };
    if inquiry_fee_settlement == FeeSettlement::OnAccount && !rt.letter_required {
        return Err(errors::on_account_needs_letter());
    }
    let answer_title = clean_pair(errors::ANSWER_TITLE, rt.answer_title.as_ref())?;
    let answer_statements = rt
        .answer_statements
        .iter()
        .map(|t| clean_pair(errors::ANSWER_STATEMENT, Some(t)))
        .filter(|t| !matches!(t, Ok(t) if t.is_empty()))
        .collect::<Result<Vec<_>, _>>()?;
    if answer_statements.len() > MAX_ANSWER_STATEMENTS
        || answer_statements
            .iter()
            .any(|t| t.fa.is_empty() || t.fa.chars().count() > MAX_STATEMENT_CHARS)
    {
        return Err(errors::answer_statements_invalid());
    }
    if !answer_title.en.is_empty() && answer_title.fa.is_empty() {
        return Err(errors::answer_title_persian_required());
    }
    let active_from_us = rt
        .active_from
        .as_ref()
        .map(|t| micros_of_field(t, "request_type.active_from"))
        .transpose()?;
    let active_until_us = rt
        .active_until
        .as_ref()
        .map(|t| micros_of_field(t, "request_type.active_until"))
        .transpose()?;
    if let (Some(from), Some(until)) = (active_from_us, active_until_us)
        && from >= until
    {
        return Err(errors::active_window_invalid());
    }
    let template = if rt.answer_template.trim().is_empty() {
        "standard".to_owned()
    } else {
        rt.answer_template.trim().to_owned()
    };
    Ok(RequestTypeDef {
        code,
        name,
        description: Text::from_proto(rt.description.as_ref()),
        allowed,
        undertakings,
        required_documents,
        letter_required: rt.letter_required,
        check_request_number: rt.check_request_number,
        check_ownership: rt.check_ownership,
        check_debt: rt.check_debt,
        fee_items: rt.fee_items.clone(),
        answer_template: template,
        answer_validity_days: rt.answer_validity_days,
        repeat_free_within_validity: rt.repeat_free_within_validity,
        active: rt.active,
        inquiry_fee_settlement,
        answer_title,
        answer_statements,
        active_from_us,
        active_until_us,
    })
}

/// Most statements one answer prints: a page, not a pamphlet.
const MAX_ANSWER_STATEMENTS: usize = 12;
/// Longest statement, in characters.
const MAX_STATEMENT_CHARS: usize = 600;

/// A text pair as an admin sent it, each language cleaned (it is printed and signed).
fn clean_pair(field: TextField, t: Option<&LocalizedText>) -> Result<Text, ServiceError> {
    let t = Text::from_proto(t);
    Ok(Text {
        fa: clean_text(field, &t.fa).map_err(errors::text_refused)?,
        en: clean_text(field, &t.en).map_err(errors::text_refused)?,
    })
}

/// Refuses a new version that changes an undertaking's text without a new text version,
/// so an acceptance recorded against `code@version` always names the text that was shown.
pub fn check_undertaking_versions(
    old: &RequestTypeDef,
    new: &RequestTypeDef,
) -> Result<(), ServiceError> {
    for n in &new.undertakings {
        if let Some(o) = old
            .undertakings
            .iter()
            .find(|o| o.code == n.code && o.version == n.version)
            && (o.text != n.text || o.title != n.title)
        {
            return Err(errors::undertaking_changed_without_version(&n.code));
        }
    }
    Ok(())
}

fn undertaking(code: &str, title_fa: &str, title_en: &str, fa: &str, en: &str) -> UndertakingDef {
    UndertakingDef {
        code: code.into(),
        version: 1,
        title: Text::new(title_fa, title_en),
        text: Text::new(fa, en),
    }
}

fn truthful() -> UndertakingDef {
    undertaking(
        "truthful-information",
        "صحت اطلاعات",
        "Truthful information",
        "اینجانب متعهد می‌شوم کلیهٔ اطلاعات و مدارک ارائه‌شده صحیح و مطابق با اصل است و مسئولیت هرگونه مغایرت بر عهدهٔ اینجانب است.",
        "I undertake that all information and documents I provide are true and match the originals, and I am responsible for any discrepancy.",
    )
}

fn levies_undertaking() -> UndertakingDef {
    undertaking(
        "levies-settlement",
        "تسویهٔ عوارض",
        "Settling levies",
        "اینجانب متعهد می‌شوم هرگونه بدهی عوارض ملک را پیش از صدور پاسخ استعلام پرداخت کنم.",
        "I undertake to pay any levies owed on the property before the inquiry answer is issued.",
    )
}

/// What a parcel owes: the items of the applicant's bill.
const PARCEL_DEBT_ITEMS: [BillItemKind; 5] = [
    BillItemKind::RenewalLevy,
    BillItemKind::WasteFee,
    BillItemKind::Penalty,
    BillItemKind::Adjustment,
    BillItemKind::Discount,
];

/// The parcel's debt plus the inquiry fee (settled as the type says).
const DEBT_AND_FEE_ITEMS: [BillItemKind; 6] = [
    BillItemKind::RenewalLevy,
    BillItemKind::WasteFee,
    BillItemKind::Penalty,
    BillItemKind::Adjustment,
    BillItemKind::Discount,
    BillItemKind::InquiryFee,
];

fn kinds(k: &[BillItemKind]) -> Vec<i32> {
    k.iter().map(|k| *k as i32).collect()
}

/// The request types every installation starts with.
pub fn seeds() -> Vec<RequestTypeDef> {
    let id_and_deed = vec!["national-id-card".to_owned(), "ownership-deed".to_owned()];
    vec![
        RequestTypeDef {
            code: "property-transfer".into(),
            name: Text::new("استعلام نقل و انتقال", "Property transfer inquiry"),
            description: Text::new(
                "استعلام دفتر اسناد رسمی از شهرداری پیش از انتقال سند ملک.",
                "A notary office's inquiry to the municipality before a property's deed is transferred.",
            ),
            allowed: vec![Filer::Citizen, Filer::Authority],
            undertakings: vec![truthful(), levies_undertaking()],
            required_documents: id_and_deed.clone(),
            letter_required: true,
            check_request_number: true,
            check_ownership: true,
            check_debt: true,
            fee_items: kinds(&DEBT_AND_FEE_ITEMS),
            answer_template: "standard".into(),
            answer_validity_days: 90,
            repeat_free_within_validity: true,
            active: true,
            // The letter names the authority; its fee is the authority's, not the parcel's.
            inquiry_fee_settlement: FeeSettlement::OnAccount,
            answer_title: Text::default(),
            answer_statements: Vec::new(),
            active_from_us: None,
            active_until_us: None,
        },
        RequestTypeDef {
            code: "mortgage".into(),
            name: Text::new("استعلام رهن بانکی", "Mortgage inquiry"),
            description: Text::new(
                "استعلام بانک از شهرداری پیش از پذیرش ملک در رهن.",
                "A bank's inquiry to the municipality before it takes a property as security.",
            ),
            allowed: vec![Filer::Citizen, Filer::Authority],
            undertakings: vec![truthful(), levies_undertaking()],
            required_documents: id_and_deed.clone(),
            letter_required: true,
            check_request_number: true,
            check_ownership: true,
            check_debt: true,
            fee_items: kinds(&DEBT_AND_FEE_ITEMS),
            answer_template: "standard".into(),
            answer_validity_days: 60,
            repeat_free_within_validity: true,
            active: true,
            // The letter names the authority; its fee is the authority's, not the parcel's.
            inquiry_fee_settlement: FeeSettlement::OnAccount,
            answer_title: Text::default(),
            answer_statements: Vec::new(),
            active_from_us: None,
            active_until_us: None,
        },
        RequestTypeDef {
            code: "court".into(),
            name: Text::new("استعلام مرجع قضایی", "Court inquiry"),
            description: Text::new(
                "استعلام دادگاه یا مرجع قضایی از وضعیت ملک و بدهی آن؛ بدهی مانع پاسخ نیست.",
                "A court's inquiry about a property and its debt; debt does not hold the answer back.",
            ),
            allowed: vec![Filer::Citizen, Filer::Authority],
            undertakings: vec![truthful()],
            required_documents: vec!["national-id-card".to_owned()],
            letter_required: true,
            check_request_number: true,
            check_ownership: false,
            check_debt: false,
            fee_items: kinds(&[BillItemKind::InquiryFee]),
            answer_template: "standard".into(),
            answer_validity_days: 30,
            repeat_free_within_validity: false,
            active: true,
            // The letter names the authority; its fee is the authority's, not the parcel's.
            inquiry_fee_settlement: FeeSettlement::OnAccount,
            answer_title: Text::default(),
            answer_statements: Vec::new(),
            active_from_us: None,
            active_until_us: None,
        },
        RequestTypeDef {
            code: "clearance".into(),
            name: Text::new("مفاصاحساب", "Clearance certificate"),
            description: Text::new(
                "گواهی تسویهٔ عوارض ملک برای مالک.",
                "A certificate that the property owes no levies, for its owner.",
            ),
            allowed: vec![Filer::Citizen],
            undertakings: vec![truthful(), levies_undertaking()],
            required_documents: id_and_deed,
            letter_required: false,
            check_request_number: true,
            check_ownership: true,
            check_debt: true,
            // The owner asks for themself, with no letter: no inquiry fee, only the debt.
            fee_items: kinds(&PARCEL_DEBT_ITEMS),
            answer_template: "clearance".into(),
            answer_validity_days: 30,
            repeat_free_within_validity: false,
            active: true,
            inquiry_fee_settlement: FeeSettlement::OnBill,
            answer_title: Text::default(),
            answer_statements: Vec::new(),
            active_from_us: None,
            active_until_us: None,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_survive_the_admin_validation() {
        for def in seeds() {
            let stored = StoredRequestType {
                def: def.clone(),
                version: 1,
                changed_by: String::new(),
                changed_by_name: String::new(),
                changed_at_us: 0,
            };
            assert_eq!(from_proto(&stored.to_proto()).unwrap(), def);
        }
    }

    #[test]
    fn a_version_stored_with_enum_numbers_reads_as_codes() {
        let mut stored = serde_json::to_value(seeds().remove(0)).unwrap();
        stored["required_documents"] = serde_json::json!([1, 2]);
        let def: RequestTypeDef = serde_json::from_value(stored).unwrap();
        assert_eq!(
            def.required_documents,
            ["national-id-card", "ownership-deed"]
        );
        let again: RequestTypeDef =
            serde_json::from_value(serde_json::to_value(&def).unwrap()).unwrap();
        assert_eq!(again, def);
    }

    #[test]
    fn enum_values_and_codes_follow_the_rule() {
        let mut rt = pb::RequestType {
            required_documents: vec![DocumentKind::OwnershipDeed as i32],
            ..Default::default()
        };
        assert_eq!(required_codes(&rt).unwrap(), ["ownership-deed"]);
        rt.required_document_codes = vec!["ownership-deed".into(), "site-plan".into()];
        assert_eq!(
            required_codes(&rt).unwrap(),
            ["ownership-deed", "site-plan"]
        );
        rt.required_documents = vec![DocumentKind::NationalIdCard as i32];
        assert_eq!(
            required_codes(&rt).unwrap_err().reason,
            "REQUEST_TYPE_DOCUMENT_KIND_UNKNOWN"
        );
        rt.required_documents.clear();
        rt.required_document_codes = vec!["Site Plan".into()];
        assert!(required_codes(&rt).is_err());
    }

    #[test]
    fn a_changed_text_needs_a_new_version() {
        let old = seeds().remove(0);
        let mut new = old.clone();
        new.undertakings[0].text.fa.push_str(" (ویرایش)");
        assert!(check_undertaking_versions(&old, &new).is_err());
        new.undertakings[0].version = 2;
        assert!(check_undertaking_versions(&old, &new).is_ok());
    }
}
