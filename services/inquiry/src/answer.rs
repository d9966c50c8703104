//! The answer (پاسخ استعلام): its facts, their canonical encoding, and the Ed25519 signature
//! over it.
//!
//! # Canonical encoding (what is signed)
//!
//! `Answer.signed_payload` is the answer's facts as **canonical JSON**, and the signature is
//! plain Ed25519 (RFC 8032, no pre-hash, no context) over exactly those bytes:
//!
//! * UTF-8, no byte-order mark, no insignificant whitespace anywhere (no spaces after `:`
//!   or `,`, no trailing newline);
//! * object members sorted by key, comparing keys as sequences of Unicode code points
//!   (the same as comparing their UTF-8 bytes); keys are unique;
//! * every field is present, also when empty (`""`, `0`, `[]`), so the shape is fixed;
//! * strings escaped as JSON requires and no more: `"` → `\"`, `\` → `\\`, the control
//!   characters U+0000–U+001F as `\b \f \n \r \t` or `\u00XX` (lower-case hex); every other
//!   character, Persian letters included, as its raw UTF-8 bytes (never `\uXXXX`); `/` is
//!   not escaped;
//! * integers in plain decimal (`-` for negatives, no leading zeros, no exponent, no
//!   fraction); there are no floating-point numbers (areas are integer dm², money integer
//!   rials);
//! * enums as their protobuf value names (`"DEBT_STATUS_NONE"`), instants as RFC 3339 UTC
//!   with whole seconds (`"2024-03-20T08:30:00Z"`), Jalali dates as `YYYY/MM/DD` (with
//!   ` HH:MM` Iran time for `issued_at_jalali`), texts as `{"en":…,"fa":…}`;
//! * the member `"format":"estelam.inquiry.answer.v3"` names this scheme, so a future
//!   encoding can never be confused with it. Version 2 added `fees_charged_to_authority`,
//!   `facts_checked_at` and `facts_checked_at_jalali`; version 3 added `inquired_by` (the
//!   organisation filed, or the applicant filed and addressed the answer to the office
//!   their letter names). Answers signed before lack the newer members and still verify,
//!   since the signature is over the stored bytes. Members that are left out when empty
//!   (`representative_…`, `answer_title`, `answer_statements`: the words an e-service's
//!   version prints; `disputes`, the objections to levies whose amount was deposited)
//!   need no new format: an answer without them signs as before.
//!
//! Anyone can check an answer with the public key from `ListAnswerSigningKeys` whose `kid`
//! is the answer's `signing_key_id`: `Ed25519.verify(public_key, signed_payload,
//! signature)`. The field names are those of `estelam.inquiry.v1.AnswerFacts`.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use estelam_proto::inquiry::v1 as pb;
use estelam_proto::property::v1 as ppb;
use estelam_proto::{common::v1 as cpb, fees::v1 as fpb};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Digest;

use crate::dates;
use crate::request_types::Text;

/// The value of the `format` member.
pub const FORMAT: &str = "estelam.inquiry.answer.v3";
/// The signature algorithm's name on the wire.
pub const ALGORITHM: &str = "Ed25519";

/// A share of a property in dang (دانگ; six make the whole), kept as a fraction so shares
/// like 2½ dang are exact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Share {
    /// Dang, times `denominator`.
    pub numerator: i64,
    /// What `numerator` is counted in (1 for whole dang).
    pub denominator: i64,
}

/// The parcel's registry plate (پلاک ثبتی), by which a notary finds the deed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Plate {
    /// The main plate number.
    pub main: String,
    /// The sub plate number.
    pub sub: String,
    /// The registry section (بخش ثبتی) the plate numbers belong to.
    pub section: String,
}

/// One owner as the answer states them, from property's record at Submit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct OwnerFact {
    /// `OWNER_KIND_…`: a person or an organisation.
    pub kind: String,
    /// National code (a person) or national id (an organisation); masked in public views.
    pub national_code: String,
    /// The owner's name on record.
    pub full_name: String,
    /// The owner's share.
    pub share: Share,
    /// The owner's own deed, when the shares are on separate deeds.
    pub deed_number: String,
}

/// The parcel as the answer states it, from property's record at Submit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ParcelFact {
    /// The municipal parcel id, canonical.
    pub renovation_code: String,
    /// Its registry plate.
    pub registry_plate: Plate,
    /// Its address on record.
    pub address: String,
    /// `LAND_USE_…`, which the levies depend on.
    pub land_use: String,
    /// Land area in dm², an integer so the payload has no floating point.
    pub land_area_dm2: i64,
    /// Built area in dm², likewise.
    pub built_area_dm2: i64,
    /// Number of floors.
    pub floors: i32,
    /// `OWNERSHIP_TYPE_…`.
    pub ownership_type: String,
    /// The parcel's deed number.
    pub deed_number: String,
    /// Every owner on record.
    pub owners: Vec<OwnerFact>,
    /// The version of property's record these facts were read from.
    pub parcel_version: i64,
}

impl ParcelFact {
    /// The parcel as property reports it, in the answer's terms: enums by their protobuf
    /// names, so the signed payload stays readable and stable if enum numbers are reused.
    pub fn from_parcel(p: &ppb::Parcel) -> Self {
        let plate = p.registry_plate.clone().unwrap_or_default();
        let own = p.ownership.clone().unwrap_or_default();
        Self {
            renovation_code: p.renovation_code.clone(),
            registry_plate: Plate {
                main: plate.main,
                sub: plate.sub,
                section: plate.section,
            },
            address: p.address.clone(),
            land_use: ppb::LandUse::try_from(p.land_use)
                .unwrap_or_default()
                .as_str_name()
                .to_owned(),
            land_area_dm2: p.land_area_dm2,
            built_area_dm2: p.built_area_dm2,
            floors: p.floors,
            ownership_type: ppb::OwnershipType::try_from(own.ownership_type)
                .unwrap_or_default()
                .as_str_name()
                .to_owned(),
            deed_number: own.deed_number.clone(),
            owners: own
                .owners
                .iter()
                .map(|o| OwnerFact {
                    kind: ppb::OwnerKind::try_from(o.kind)
                        .unwrap_or_default()
                        .as_str_name()
                        .to_owned(),
                    national_code: o.national_code.clone(),
                    full_name: o.full_name.clone(),
                    share: o
                        .share
                        .map(|s| Share {
                            numerator: s.numerator,
                            denominator: s.denominator,
                        })
                        .unwrap_or_default(),
                    deed_number: o.deed_number.clone(),
                })
                .collect(),
            parcel_version: p.version,
        }
    }
}

/// One fee as the answer states it: a line of the bill paid, or the inquiry fee charged to
/// the authority's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FeeFact {
    /// `BILL_ITEM_KIND_…`.
    pub kind: String,
    /// The Jalali year a levy is for; 0 for fees of no year.
    pub jalali_year: i32,
    /// The line as fees worded it.
    pub description: Text,
    /// The amount in rials.
    pub amount_rials: i64,
}

/// Everything an answer states; the signed payload is this, canonically encoded. Field
/// names are those of `estelam.inquiry.v1.AnswerFacts`, so a verifier reads the payload
/// with the contract's documentation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Facts {
    /// Always [`FORMAT`]: names the encoding, so no other can be mistaken for it.
    pub format: String,
    /// The inquiry answered, as people quote it.
    pub inquiry_number: String,
    /// The request type answered (what was asked).
    pub request_type_code: String,
    /// Its name at issue, so the paper reads the same after a rename.
    pub request_type_name: Text,
    /// The parcel, owners included, as read at Submit.
    pub parcel: ParcelFact,
    /// The applicant named at step 6.
    pub applicant_full_name: String,
    /// The applicant's national code; masked in public views, in the clear when signed.
    pub applicant_national_code: String,
    /// `DEBT_STATUS_…`: none owed, cleared by a payment, or not checked for this type.
    pub debt_status: String,
    /// The payment's tracking code, when a payment cleared the debt.
    pub tracking_code: String,
    /// What that payment paid, in rials.
    pub amount_paid_rials: i64,
    /// The bill's lines that payment paid.
    pub fees_paid: Vec<FeeFact>,
    /// The filing organisation when it inquired itself; when the applicant filed, the
    /// office their letter addresses the answer to (see `inquired_by`).
    pub authority_organization_id: String,
    /// Its name when the letter was recorded.
    pub authority_name: Text,
    /// The letter this answers.
    pub letter_number: String,
    /// The letter's Jalali date.
    pub letter_date_jalali: String,
    /// When it was issued: RFC 3339 UTC, whole seconds.
    pub issued_at: String,
    /// The same instant as people in Iran read it: Jalali date and time.
    pub issued_at_jalali: String,
    /// When it stops being valid: RFC 3339 UTC, whole seconds.
    pub valid_until: String,
    /// The same, as a Jalali date.
    pub valid_until_jalali: String,
    /// Fees charged to the authority's account (`authority_organization_id`), not paid by
    /// the applicant.
    #[serde(default)]
    pub fees_charged_to_authority: Vec<FeeFact>,
    /// RFC 3339, whole seconds: when the parcel facts, owners and debt were read (Submit).
    #[serde(default)]
    pub facts_checked_at: String,
    /// The same, Jalali date and time in Iran.
    #[serde(default)]
    pub facts_checked_at_jalali: String,
    /// `INQUIRED_BY_…`: who really inquired — the organisation itself, or the applicant
    /// addressing the answer to the office their letter names. Empty in answers signed
    /// before format v3.
    #[serde(default)]
    pub inquired_by: String,
    /// When a representative filed for the applicant (به وکالت), approved by a clerk: their
    /// full name. Left out of the payload when empty, so answers without one sign as before.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub representative_full_name: String,
    /// Their national code; masked in public views like the applicant's.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub representative_national_code: String,
    /// The title the request type version gives its answers. Left out of the payload when
    /// empty, so answers of types without one sign as before.
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub answer_title: Text,
    /// The plain-language sentences the request type version prints on its answers, in
    /// order. Left out of the payload when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answer_statements: Vec<Text>,
    /// Objections to levies whose disputed amount was deposited: the debt is cleared with
    /// these pending (note to article 74 of the Municipalities Law). Left out of the
    /// payload when there are none, so answers without one sign as before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disputes: Vec<DisputeFact>,
}

/// An objection to levies as the answer records it: which items are under objection and
/// the deposit held for them, with its receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DisputeFact {
    /// The dispute id at the fees service.
    pub dispute_id: String,
    /// The disputed items as the bill described them.
    pub items: Vec<Text>,
    /// The deposit held, rials.
    pub deposit_rials: i64,
    /// The deposit's receipt code.
    pub receipt_code: String,
}

/// Writes `value` as canonical JSON (see the module docs).
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // Sorted here, whatever order the map keeps.
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Facts {
    /// The canonical bytes that are signed.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let value = serde_json::to_value(self)
            .unwrap_or_else(|_| unreachable!("facts are plain strings and integers"));
        canonical_json(&value).into_bytes()
    }

    /// Decodes signed bytes back into facts.
    pub fn decode(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The facts on the wire; with `mask`, national codes are masked (public view).
    pub fn to_proto(&self, mask: bool) -> pb::AnswerFacts {
        let nc = |s: &str| if mask { mask_code(s) } else { s.to_owned() };
        let t = |s: &str| {
            dates::parse_rfc3339_seconds(s)
                .map(|seconds| prost_types::Timestamp { seconds, nanos: 0 })
        };
        let p = &self.parcel;
        pb::AnswerFacts {
            inquiry_number: self.inquiry_number.clone(),
            request_type_code: self.request_type_code.clone(),
            request_type_name: Some(self.request_type_name.to_proto()),
            parcel: Some(pb::AnswerParcel {
                renovation_code: p.renovation_code.clone(),
                registry_plate: Some(ppb::RegistryPlate {
                    main: p.registry_plate.main.clone(),
                    sub: p.registry_plate.sub.clone(),
                    section: p.registry_plate.section.clone(),
                }),
                address: p.address.clone(),
                land_use: ppb::LandUse::from_str_name(&p.land_use).unwrap_or_default() as i32,
                land_area_dm2: p.land_area_dm2,
                built_area_dm2: p.built_area_dm2,
                floors: p.floors,
                ownership_type: ppb::OwnershipType::from_str_name(&p.ownership_type)
                    .unwrap_or_default() as i32,
                deed_number: p.deed_number.clone(),
                owners: p
                    .owners
                    .iter()
                    .map(|o| ppb::Owner {
                        kind: ppb::OwnerKind::from_str_name(&o.kind).unwrap_or_default() as i32,
                        national_code: nc(&o.national_code),
                        full_name: o.full_name.clone(),
                        share: Some(cpb::DangShare {
                            numerator: o.share.numerator,
                            denominator: o.share.denominator,
                        }),
                        deed_number: o.deed_number.clone(),
                    })
                    .collect(),
                parcel_version: p.parcel_version,
            }),
            applicant_full_name: self.applicant_full_name.clone(),
            applicant_national_code: nc(&self.applicant_national_code),
            debt_status: pb::DebtStatus::from_str_name(&self.debt_status).unwrap_or_default()
                as i32,
            tracking_code: self.tracking_code.clone(),
            amount_paid_rials: self.amount_paid_rials,
            fees_paid: self.fees_paid.iter().map(fee_to_proto).collect(),
            authority_organization_id: self.authority_organization_id.clone(),
            authority_name: Some(self.authority_name.to_proto()),
            letter_number: self.letter_number.clone(),
            letter_date_jalali: self.letter_date_jalali.clone(),
            issued_at: t(&self.issued_at),
            issued_at_jalali: self.issued_at_jalali.clone(),
            valid_until: t(&self.valid_until),
            valid_until_jalali: self.valid_until_jalali.clone(),
            fees_charged_to_authority: self
                .fees_charged_to_authority
                .iter()
                .map(fee_to_proto)
                .collect(),
            facts_checked_at: t(&self.facts_checked_at),
            facts_checked_at_jalali: self.facts_checked_at_jalali.clone(),
            inquired_by: pb::InquiredBy::from_str_name(&self.inquired_by).unwrap_or_default()
                as i32,
            representative_full_name: self.representative_full_name.clone(),
            representative_national_code: if self.representative_national_code.is_empty() {
                String::new()
            } else {
                nc(&self.representative_national_code)
            },
            answer_title: (!self.answer_title.is_empty()).then(|| self.answer_title.to_proto()),
            answer_statements: self.answer_statements.iter().map(Text::to_proto).collect(),
            disputes: self
                .disputes
                .iter()
                .map(|d| pb::AnswerDispute {
                    dispute_id: d.dispute_id.clone(),
                    items: d.items.iter().map(Text::to_proto).collect(),
                    deposit_rials: d.deposit_rials,
                    receipt_code: d.receipt_code.clone(),
                })
                .collect(),
        }
    }
}

fn fee_to_proto(f: &FeeFact) -> pb::AnswerFee {
    pb::AnswerFee {
        kind: fpb::BillItemKind::from_str_name(&f.kind).unwrap_or_default() as i32,
        jalali_year: f.jalali_year,
        description: Some(f.description.to_proto()),
        amount_rials: f.amount_rials,
    }
}

/// Masks a national code for the public: the first three and last three digits stay
/// (`0076229645` → `007****645`); short values are masked whole.
pub fn mask_code(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let n = chars.len();
    let mut out: String = chars[..3].iter().collect();
    out.push_str(&"*".repeat(n - 6));
    out.extend(&chars[n - 3..]);
    out
}

/// Whether an answer stands at `now_us`: a revocation outlives the validity, since a
/// verifier must learn that the answer was withdrawn, not merely that it ran out.
pub fn status(revoked: bool, valid_until_us: i64, now_us: i64) -> pb::AnswerStatus {
    if revoked {
        pb::AnswerStatus::Revoked
    } else if valid_until_us < now_us {
        pb::AnswerStatus::Expired
    } else {
        pb::AnswerStatus::Valid
    }
}

/// What a check of a stored answer found, as VerifyAnswer reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check<'a> {
    /// The revocation reason, when the answer was revoked.
    pub revoked_reason: Option<&'a str>,
    /// A copy was presented for comparison and it differs from the stored answer.
    pub copy_differs: bool,
    /// The answer's validity ended before the check.
    pub expired: bool,
    /// The stored signature verifies with the key that made it.
    pub signature_valid: bool,
}

/// The verdict of a check and what to tell the person holding the paper. The order is the
/// order of what matters most to them: a revoked answer is void whatever else holds, a
/// copy that differs is not the answer at all, and only then do validity and signature
/// speak about the answer itself.
pub fn verdict(check: Check<'_>) -> (pb::VerificationResult, Text) {
    use pb::VerificationResult as V;
    if let Some(reason) = check.revoked_reason {
        return (
            V::Revoked,
            Text {
                fa: format!("این پاسخ استعلام باطل شده است. علت: {reason}"),
                en: format!("This answer was revoked. Reason: {reason}"),
            },
        );
    }
    let (result, fa, en) = if check.copy_differs {
        (
            V::CopyMismatch,
            "نسخهٔ ارائه‌شده با پاسخ صادرشده یکی نیست؛ به آن اعتماد نکنید.",
            "The copy presented differs from the answer issued; do not rely on it.",
        )
    } else if check.expired {
        (
            V::Expired,
            "مدت اعتبار این پاسخ استعلام به پایان رسیده است.",
            "This answer is past its validity.",
        )
    } else if !check.signature_valid {
        (
            V::CopyMismatch,
            "امضای پاسخ نامعتبر است؛ با شهرداری تماس بگیرید.",
            "The answer's signature does not verify; contact the municipality.",
        )
    } else {
        (
            V::Valid,
            "این پاسخ استعلام را شهرداری صادر کرده و معتبر است.",
            "This answer was issued by the municipality and is valid.",
        )
    };
    (result, Text::new(fa, en))
}

/// What VerifyAnswer tells someone whose code names no answer: the paper is not one.
pub fn unknown_code_message() -> Text {
    Text::new(
        "پاسخی با این کد تصدیق صادر نشده است. این برگه را معتبر ندانید.",
        "No answer was issued with this verification code. Do not rely on this paper.",
    )
}

/// An answer-signing key pair; its `Debug` shows only the key id, so a log line never
/// carries the private key.
#[derive(Clone)]
pub struct KeyPair {
    /// Key id: `ans-` and the first 16 hex digits of the SHA-256 of the public key.
    pub kid: String,
    /// The private key, sealed whenever it is stored.
    pub signing: SigningKey,
    /// When it started signing, µs.
    pub not_before_us: i64,
    /// When it stopped being current, µs; `None` for the current key.
    pub retired_at_us: Option<i64>,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair").field("kid", &self.kid).finish()
    }
}

impl KeyPair {
    /// A new random key pair, current from `now_us`.
    pub fn generate(now_us: i64) -> Self {
        let signing = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
        Self::from_secret(signing.to_bytes(), now_us, None)
    }

    /// A key pair from its stored (opened) secret; the key id follows from the key.
    pub fn from_secret(secret: [u8; 32], not_before_us: i64, retired_at_us: Option<i64>) -> Self {
        let signing = SigningKey::from_bytes(&secret);
        Self {
            kid: kid_of(&signing.verifying_key()),
            signing,
            not_before_us,
            retired_at_us,
        }
    }

    /// Signs `payload` with plain Ed25519 (no pre-hash, no context), as verifiers expect.
    pub fn sign(&self, payload: &[u8]) -> [u8; 64] {
        self.signing.sign(payload).to_bytes()
    }

    /// The 32-byte public key, as published in the signing-key list.
    pub fn public(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }
}

/// The key id of a public key: derived from the key, so anyone can recompute it and no
/// registry of ids is needed.
pub fn kid_of(key: &VerifyingKey) -> String {
    let digest = sha2::Sha256::digest(key.to_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("ans-{hex}")
}

/// True when `signature` is `public`'s Ed25519 signature over `payload`.
pub fn verify(public: &[u8; 32], payload: &[u8], signature: &[u8]) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(public) else {
        return false;
    };
    let Ok(sig) = Signature::from_slice(signature) else {
        return false;
    };
    key.verify(payload, &sig).is_ok()
}

/// The public key as a PEM `PUBLIC KEY` block (SubjectPublicKeyInfo).
pub fn public_pem(public: &[u8; 32]) -> String {
    use base64::Engine as _;
    // SPKI for Ed25519 is a fixed 12-byte prefix followed by the raw key (RFC 8410).
    let mut der = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    der.extend_from_slice(public);
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        base64::engine::general_purpose::STANDARD.encode(der)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Facts {
        Facts {
            format: FORMAT.into(),
            inquiry_number: "0000000017".into(),
            request_type_code: "property-transfer".into(),
            request_type_name: Text::new("استعلام نقل و انتقال", "Property transfer inquiry"),
            applicant_full_name: "علی \"رضایی\"\n".into(),
            applicant_national_code: "0076229645".into(),
            debt_status: "DEBT_STATUS_NONE".into(),
            issued_at: "2024-03-20T08:30:00Z".into(),
            ..Facts::default()
        }
    }

    #[test]
    fn a_v2_answer_signed_before_inquired_by_still_decodes() {
        let mut value = serde_json::to_value(sample()).unwrap();
        let map = value.as_object_mut().unwrap();
        assert!(
            map.remove("inquired_by").is_some(),
            "inquired_by is part of v3"
        );
        map.insert("format".into(), "estelam.inquiry.answer.v2".into());
        let v2 = canonical_json(&value).into_bytes();
        let facts = Facts::decode(&v2).unwrap();
        assert!(facts.inquired_by.is_empty());
        assert_eq!(
            facts.to_proto(false).inquired_by,
            pb::InquiredBy::Unspecified as i32
        );
    }

    #[test]
    fn a_v1_answer_signed_before_the_new_fields_still_decodes() {
        let mut value = serde_json::to_value(sample()).unwrap();
        let map = value.as_object_mut().unwrap();
        for key in [
            "fees_charged_to_authority",
            "facts_checked_at",
            "facts_checked_at_jalali",
            "inquired_by",
        ] {
            assert!(map.remove(key).is_some(), "{key} is part of v2");
        }
        map.insert("format".into(), "estelam.inquiry.answer.v1".into());
        let v1 = canonical_json(&value).into_bytes();
        let facts = Facts::decode(&v1).unwrap();
        assert_eq!(facts.inquiry_number, "0000000017");
        assert!(facts.fees_charged_to_authority.is_empty());
        assert!(facts.facts_checked_at.is_empty());
    }

    #[test]
    fn canonical_json_is_sorted_compact_and_raw_utf8() {
        let v: Value = serde_json::from_str(r#"{"b":1,"a":{"z":"ی/","y":[2,"\u0001"]}}"#).unwrap();
        assert_eq!(
            canonical_json(&v),
            "{\"a\":{\"y\":[2,\"\\u0001\"],\"z\":\"ی/\"},\"b\":1}"
        );
    }

    #[test]
    fn facts_round_trip_through_their_bytes() {
        let f = sample();
        let bytes = f.canonical_bytes();
        assert_eq!(Facts::decode(&bytes).unwrap(), f);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("{\"amount_paid_rials\":0,\"applicant_full_name\":"));
        assert!(!text.contains(": ") && !text.contains('\n'));
        // Re-encoding the decoded value gives the same bytes.
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(canonical_json(&v).into_bytes(), bytes);
    }

    #[test]
    fn a_signature_verifies_and_a_tampered_copy_does_not() {
        let key = KeyPair::generate(0);
        let bytes = sample().canonical_bytes();
        let sig = key.sign(&bytes);
        assert!(verify(&key.public(), &bytes, &sig));
        let mut tampered = sample();
        tampered.debt_status = "DEBT_STATUS_CLEARED".into();
        assert!(!verify(&key.public(), &tampered.canonical_bytes(), &sig));
        let mut flipped = bytes.clone();
        flipped[10] ^= 1;
        assert!(!verify(&key.public(), &flipped, &sig));
        let other = KeyPair::generate(0);
        assert!(!verify(&other.public(), &bytes, &sig));
        assert!(key.kid.starts_with("ans-") && key.kid.len() == 20);
    }

    mod clean_payload {
        use super::*;
        use crate::errors::{APPLICANT_NAME, LETTER_NUMBER};
        use estelam_domain::text::{clean_text, is_refused};
        use proptest::prelude::*;

        /// Names and letter numbers as people and API clients send them: Persian and Arabic
        /// letters, digits of every script, joiners, odd spaces, marks and the refused
        /// characters, mixed with anything else.
        fn typed() -> impl Strategy<Value = String> {
            let tricky = prop::sample::select(vec![
                'ي', 'ى', 'ك', 'ة', 'ی', 'ک', 'ع', 'ل', 'ر', '۱', '٣', '7', '/', ' ', '\u{00A0}',
                '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}', '\u{202E}', '\u{2067}', '\0',
                '\u{1B}', '\u{85}', '\t', '\n', '\u{0654}',
            ]);
            prop::collection::vec(prop_oneof![6 => tricky, 1 => any::<char>()], 0..30)
                .prop_map(|cs| cs.into_iter().collect())
        }

        proptest! {
            /// What steps 4 and 6 keep is what gets signed: whatever was typed, the signed
            /// payload holds no control, NUL or bidi character, and Arabic ي/ك are signed as
            /// Persian ی/ک.
            #[test]
            fn the_signed_payload_never_holds_refused_characters(name in typed(), letter in typed()) {
                let (Ok(name), Ok(letter)) = (
                    clean_text(APPLICANT_NAME, &name),
                    clean_text(LETTER_NUMBER, &letter),
                ) else {
                    return Ok(());
                };
                let facts = Facts {
                    applicant_full_name: name.clone(),
                    letter_number: estelam_domain::normalize_digits(&letter),
                    parcel: ParcelFact {
                        owners: vec![OwnerFact { full_name: name, ..OwnerFact::default() }],
                        ..ParcelFact::default()
                    },
                    ..sample()
                };
                let payload = facts.canonical_bytes();
                let decoded = Facts::decode(&payload).unwrap();
                let text = String::from_utf8(payload).unwrap();
                for signed in [&text, &decoded.applicant_full_name, &decoded.letter_number] {
                    prop_assert!(!signed.chars().any(is_refused), "{signed:?}");
                    prop_assert!(!signed.chars().any(|c| matches!(c, 'ي' | 'ى' | 'ك' | 'ة')));
                }
                let zwnj = '\u{200C}';
                prop_assert!(!decoded.applicant_full_name.starts_with(zwnj), "leading ZWNJ");
                prop_assert!(!decoded.applicant_full_name.ends_with(zwnj), "trailing ZWNJ");
            }
        }

        #[test]
        fn a_name_typed_with_arabic_letters_is_signed_in_persian_ones() {
            let name = clean_text(APPLICANT_NAME, "علي كريمي\u{200C}").unwrap();
            let facts = Facts {
                applicant_full_name: name,
                ..sample()
            };
            let text = String::from_utf8(facts.canonical_bytes()).unwrap();
            assert!(
                text.contains("\"applicant_full_name\":\"علی کریمی\""),
                "{text}"
            );
            assert!(clean_text(APPLICANT_NAME, "علی\u{202E}کریمی").is_err());
            assert!(clean_text(LETTER_NUMBER, "۱۲۳\0").is_err());
        }
    }

    #[test]
    fn an_answer_without_an_objection_signs_as_before_and_one_with_it_says_so() {
        let plain = String::from_utf8(sample().canonical_bytes()).unwrap();
        assert!(!plain.contains("disputes"), "{plain}");
        let with = Facts {
            disputes: vec![DisputeFact {
                dispute_id: "d-1".into(),
                items: vec![Text::new("عوارض نوسازی سال 1402", "Renewal levy 1402")],
                deposit_rials: 1_250_000,
                receipt_code: "913572468024".into(),
            }],
            ..sample()
        };
        let bytes = with.canonical_bytes();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("\"receipt_code\":\"913572468024\""), "{text}");
        assert_eq!(Facts::decode(&bytes).unwrap(), with);
        assert_eq!(
            Facts::decode(plain.as_bytes()).unwrap().disputes,
            Vec::new()
        );
        assert_eq!(with.to_proto(true).disputes[0].deposit_rials, 1_250_000);
    }

    #[test]
    fn masks_keep_three_digits_each_side() {
        assert_eq!(mask_code("0076229645"), "007****645");
        assert_eq!(mask_code("12345678901"), "123*****901");
        assert_eq!(mask_code("12"), "**");
    }

    #[test]
    fn pem_is_the_spki_of_the_key() {
        use ed25519_dalek::pkcs8::DecodePublicKey;
        let key = KeyPair::generate(0);
        let pem = public_pem(&key.public());
        use base64::Engine as _;
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        let parsed = VerifyingKey::from_public_key_der(&der).unwrap();
        assert_eq!(parsed.to_bytes(), key.public());
    }

    #[test]
    fn a_revocation_outranks_every_other_finding() {
        let all_wrong = Check {
            revoked_reason: Some("forged deed"),
            copy_differs: true,
            expired: true,
            signature_valid: false,
        };
        let (result, message) = verdict(all_wrong);
        assert_eq!(result, pb::VerificationResult::Revoked);
        assert!(message.en.contains("forged deed") && message.fa.contains("forged deed"));
        let copy = Check {
            revoked_reason: None,
            ..all_wrong
        };
        assert_eq!(verdict(copy).0, pb::VerificationResult::CopyMismatch);
        let expired = Check {
            copy_differs: false,
            ..copy
        };
        assert_eq!(verdict(expired).0, pb::VerificationResult::Expired);
        let sound = Check {
            expired: false,
            signature_valid: true,
            ..expired
        };
        assert_eq!(verdict(sound).0, pb::VerificationResult::Valid);
        assert_eq!(status(true, 0, 1), pb::AnswerStatus::Revoked);
        assert_eq!(status(false, 0, 1), pb::AnswerStatus::Expired);
        assert_eq!(status(false, 1, 1), pb::AnswerStatus::Valid);
    }
}
