//! Request types as data: what each kind of inquiry asks, checks, charges and answers.
//!
//! A request type is stored as one JSON document per version ([`RequestTypeDef`]); a new
//! e-service is a new row (admins send `PutRequestType`), not a release. The four types the
//! seed implies are written here once and stored on first start ([`seeds`]).

use estelam_proto::common::v1::LocalizedText;
use estelam_proto::documents::v1::DocumentKind;
use estelam_proto::fees::v1::BillItemKind;
use estelam_proto::identity::v1::Role as PbRole;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::error::ServiceError;
use serde::{Deserialize, Serialize};

/// A text in Persian and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Text {
    /// Persian.
    pub fa: String,
    /// English.
    pub en: String,
}

impl Text {
    /// A text from both languages.
    pub fn new(fa: &str, en: &str) -> Self {
        Self {
            fa: fa.into(),
            en: en.into(),
        }
    }

    /// On the wire.
    pub fn to_proto(&self) -> LocalizedText {
        LocalizedText {
            fa: self.fa.clone(),
            en: self.en.clone(),
        }
    }

    /// From the wire.
    pub fn from_proto(t: Option<&LocalizedText>) -> Self {
        t.map(|t| Self {
            fa: t.fa.clone(),
            en: t.en.clone(),
        })
        .unwrap_or_default()
    }
}

/// One undertaking text version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndertakingDef {
    /// Stable code across versions.
    pub code: String,
    /// Text version, from 1.
    pub version: i32,
    /// Short title.
    pub title: Text,
    /// Full text.
    pub text: Text,
}

impl UndertakingDef {
    /// `<code>@<version>`, what AcceptUndertakings names.
    pub fn version_id(&self) -> String {
        format!("{}@{}", self.code, self.version)
    }
}

/// Who may file a type.
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
    /// On the wire.
    pub fn to_proto(self) -> pb::InquiryFeeSettlement {
        match self {
            Self::OnBill => pb::InquiryFeeSettlement::OnBill,
            Self::OnAccount => pb::InquiryFeeSettlement::OnAccount,
        }
    }
}

/// One request type version, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestTypeDef {
    /// Stable code.
    pub code: String,
    /// Name.
    pub name: Text,
    /// What it is for.
    pub description: Text,
    /// Who may file it.
    pub allowed: Vec<Filer>,
    /// Current undertakings.
    pub undertakings: Vec<UndertakingDef>,
    /// Document kinds that must be attached (proto enum numbers).
    pub required_documents: Vec<i32>,
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
    /// Answer template name.
    pub answer_template: String,
    /// Days an answer stays valid.
    pub answer_validity_days: i32,
    /// Whether a repeat within an earlier answer's validity is free of the inquiry fee.
    pub repeat_free_within_validity: bool,
    /// Whether new inquiries may be created.
    pub active: bool,
    /// Who pays the inquiry fee; stored types from before this field read as on the bill.
    #[serde(default)]
    pub inquiry_fee_settlement: FeeSettlement,
}

/// The stored row: a definition with its version and change stamp.
#[derive(Debug, Clone)]
pub struct StoredRequestType {
    /// The definition.
    pub def: RequestTypeDef,
    /// Version, from 1.
    pub version: i64,
    /// Who changed it last.
    pub changed_by: String,
    /// Their display name.
    pub changed_by_name: String,
    /// When, microseconds.
    pub changed_at_us: i64,
}

impl StoredRequestType {
    /// On the wire.
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
            required_documents: d.required_documents.clone(),
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
            version: self.version,
            changed: Some(crate::convert::stamp(
                &self.changed_by,
                &self.changed_by_name,
                self.changed_at_us,
            )),
        }
    }
}

fn invalid(field: &str, reason: &str, fa: &str, en: &str) -> ServiceError {
    ServiceError::invalid_field(field, reason, fa, en)
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
        return Err(invalid(
            "request_type.code",
            "BAD_REQUEST_TYPE_CODE",
            "کد نوع درخواست باید با حروف کوچک لاتین، رقم و خط تیره باشد.",
            "The request type code must be lower-case letters, digits and dashes.",
        ));
    }
    let name = Text::from_proto(rt.name.as_ref());
    if name.fa.trim().is_empty() {
        return Err(invalid(
            "request_type.name.fa",
            "NAME_REQUIRED",
            "نام فارسی نوع درخواست را وارد کنید.",
            "Give the request type a Persian name.",
        ));
    }
    let mut allowed = Vec::new();
    for r in &rt.allowed_roles {
        match PbRole::try_from(*r) {
            Ok(PbRole::Citizen) => allowed.push(Filer::Citizen),
            Ok(PbRole::Authority) => allowed.push(Filer::Authority),
            _ => {
                return Err(invalid(
                    "request_type.allowed_roles",
                    "BAD_ROLE",
                    "فقط شهروند و مرجع استعلام می‌توانند درخواست ثبت کنند.",
                    "Only citizens and authorities may file inquiries.",
                ));
            }
        }
    }
    if allowed.is_empty() {
        return Err(invalid(
            "request_type.allowed_roles",
            "ROLE_REQUIRED",
            "دست‌کم یک نقش مجاز را تعیین کنید.",
            "Name at least one role that may file it.",
        ));
    }
    let mut undertakings = Vec::new();
    for u in &rt.undertakings {
        let ucode = u.code.trim();
        if ucode.is_empty() || u.version < 1 || ucode.contains('@') {
            return Err(invalid(
                "request_type.undertakings",
                "BAD_UNDERTAKING",
                "هر تعهد باید کد و نسخه (از ۱) داشته باشد.",
                "Every undertaking needs a code and a version from 1.",
            ));
        }
        let text = Text::from_proto(u.text.as_ref());
        if text.fa.trim().is_empty() {
            return Err(invalid(
                "request_type.undertakings",
                "UNDERTAKING_TEXT_REQUIRED",
                "متن فارسی تعهد را وارد کنید.",
                "Every undertaking needs its Persian text.",
            ));
        }
        undertakings.push(UndertakingDef {
            code: ucode.to_owned(),
            version: u.version,
            title: Text::from_proto(u.title.as_ref()),
            text,
        });
    }
    for k in &rt.required_documents {
        if !matches!(DocumentKind::try_from(*k), Ok(k) if k != DocumentKind::Unspecified) {
            return Err(invalid(
                "request_type.required_documents",
                "BAD_DOCUMENT_KIND",
                "نوع مدرک نامعتبر است.",
                "Unknown document kind.",
            ));
        }
    }
    for k in &rt.fee_items {
        if !matches!(BillItemKind::try_from(*k), Ok(k) if k != BillItemKind::Unspecified) {
            return Err(invalid(
                "request_type.fee_items",
                "BAD_FEE_ITEM",
                "نوع ردیف عوارض نامعتبر است.",
                "Unknown fee item kind.",
            ));
        }
    }
    if rt.answer_validity_days < 1 || rt.answer_validity_days > 3650 {
        return Err(invalid(
            "request_type.answer_validity_days",
            "BAD_VALIDITY",
            "مدت اعتبار پاسخ باید بین ۱ تا ۳۶۵۰ روز باشد.",
            "The answer's validity must be 1 to 3650 days.",
        ));
    }
    let inquiry_fee_settlement = match pb::InquiryFeeSettlement::try_from(rt.inquiry_fee_settlement)
    {
        Ok(pb::InquiryFeeSettlement::Unspecified | pb::InquiryFeeSettlement::OnBill) => {
            FeeSettlement::OnBill
        }
        Ok(pb::InquiryFeeSettlement::OnAccount) => FeeSettlement::OnAccount,
        Err(_) => {
            return Err(invalid(
                "request_type.inquiry_fee_settlement",
                "BAD_FEE_SETTLEMENT",
                "شیوهٔ پرداخت هزینهٔ استعلام نامعتبر است.",
                "Unknown inquiry fee settlement.",
            ));
        }
    };
    if inquiry_fee_settlement == FeeSettlement::OnAccount && !rt.letter_required {
        return Err(invalid(
            "request_type.inquiry_fee_settlement",
            "ON_ACCOUNT_NEEDS_LETTER",
            "هزینهٔ استعلام فقط وقتی به حساب مرجع استعلام منظور می‌شود که نامهٔ مرجع الزامی باشد.",
            "The inquiry fee can go to the inquiring authority's account only when the authority's letter is required.",
        ));
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
        required_documents: rt.required_documents.clone(),
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
            return Err(invalid(
                "request_type.undertakings",
                "UNDERTAKING_CHANGED_WITHOUT_VERSION",
                &format!(
                    "متن تعهد «{}» تغییر کرده است؛ نسخهٔ آن را افزایش دهید.",
                    n.code
                ),
                &format!(
                    "The text of undertaking {:?} changed; give it a new version.",
                    n.code
                ),
            ));
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
    let id_and_deed = vec![
        DocumentKind::NationalIdCard as i32,
        DocumentKind::OwnershipDeed as i32,
    ];
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
            required_documents: vec![DocumentKind::NationalIdCard as i32],
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
    fn a_changed_text_needs_a_new_version() {
        let old = seeds().remove(0);
        let mut new = old.clone();
        new.undertakings[0].text.fa.push_str(" (ویرایش)");
        assert!(check_undertaking_versions(&old, &new).is_err());
        new.undertakings[0].version = 2;
        assert!(check_undertaking_versions(&old, &new).is_ok());
    }
}
