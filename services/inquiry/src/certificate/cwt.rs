//! The QR code's content: the answer's essential facts as CWT claims in a COSE_Sign1,
//! zlib-compressed and Base45-encoded behind [`PREFIX`].
//!
//! ```text
//! EQ1:<Base45( zlib( COSE_Sign1(protected {alg: EdDSA, kid}, payload CWT claims) ) )>
//! ```
//!
//! The claims are a CBOR map with the registered CWT keys (`iss` 1, `exp` 4, `iat` 6,
//! `cti` 7), the Token Status List's `status` (65535) and Estelam's own keys, all negative
//! so they never collide with a registered one; `docs/certificate.md` is the registry.
//! Owners' national codes are masked (the full list stays behind the online check) so that
//! the text stays under ~600 characters and scannable at print size.

use std::io::{Read, Write};

use coset::cbor::value::Value;
use coset::{
    CborSerializable, CoseSign1, CoseSign1Builder, HeaderBuilder, TaggedCborSerializable, iana,
};

use estelam_proto::inquiry::v1 as pb;

use crate::answer::{self, Facts, KeyPair};
use crate::dates;

/// The versioned prefix of the QR text: a reader that sees another one knows it is not an
/// Estelam answer (or is one of a later scheme).
pub const PREFIX: &str = "EQ1:";

/// How many owners the QR code names (the rest are behind the online check): two keep a
/// typical answer under 600 characters.
pub const MAX_OWNERS: usize = 2;

/// The `iss` claim of every answer.
pub const ISSUER: &str = "estelam";

/// The largest inflated payload accepted: far above a real answer, low enough that a
/// crafted QR code cannot make a verifier inflate gigabytes.
const MAX_INFLATED: u64 = 16 * 1024;

/// The registered CWT claim keys used (RFC 8392), and the Token Status List's `status`
/// (draft-ietf-oauth-status-list).
mod claim {
    pub const ISS: i64 = 1;
    pub const EXP: i64 = 4;
    pub const IAT: i64 = 6;
    pub const CTI: i64 = 7;
    pub const STATUS: i64 = 65535;
}

/// Estelam's private claim keys (see `docs/certificate.md`).
mod key {
    pub const INQUIRY_NUMBER: i64 = -1;
    pub const REQUEST_TYPE: i64 = -2;
    pub const RENOVATION_CODE: i64 = -3;
    pub const PLATE: i64 = -4;
    pub const DEBT_STATUS: i64 = -5;
    pub const TRACKING_CODE: i64 = -6;
    pub const AMOUNT_PAID: i64 = -7;
    pub const AUTHORITY: i64 = -8;
    pub const OWNERS: i64 = -9;
    pub const OWNER_COUNT: i64 = -10;
    /// Optional: only in answers issued with a levy objection's deposit held.
    pub const DEPOSITS: i64 = -11;
}

/// An owner as the QR code names them: the national code masked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QrOwner {
    /// The national code or id, masked (`007****645`).
    pub masked_code: String,
    /// The name on record.
    pub full_name: String,
    /// The share in dang: numerator and denominator.
    pub share: (i64, i64),
}

/// What the QR code states; every field is signed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QrClaims {
    /// `iss`: always [`ISSUER`].
    pub issuer: String,
    /// `cti`: the answer's verification code, by which the online check finds it.
    pub verification_code: String,
    /// `iat`: the issue instant, Unix seconds.
    pub issued_at: i64,
    /// `exp`: the end of validity, Unix seconds.
    pub expires_at: i64,
    /// `status.status_list.idx`: this answer's bit in the status list.
    pub status_index: u64,
    /// `status.status_list.uri`: where the status list is published.
    pub status_uri: String,
    /// The inquiry number.
    pub inquiry_number: String,
    /// The request type's code.
    pub request_type_code: String,
    /// The parcel's renovation code.
    pub renovation_code: String,
    /// The registry plate: main, sub, section.
    pub plate: [String; 3],
    /// `DEBT_STATUS_…` without the prefix: `NONE`, `CLEARED` or `NOT_CHECKED`.
    pub debt_status: String,
    /// The payment's tracking code, when a payment cleared the debt.
    pub tracking_code: String,
    /// What that payment paid, rials.
    pub amount_paid_rials: i64,
    /// The inquiring authority's name, in Persian (the name of record).
    pub authority_name: String,
    /// The first [`MAX_OWNERS`] owners, codes masked.
    pub owners: Vec<QrOwner>,
    /// How many owners the parcel has; those past [`MAX_OWNERS`] are behind the online
    /// check.
    pub owner_count: u32,
    /// The deposits held for objections to levies (note to article 74 of the
    /// Municipalities Law): receipt code and rials each. Empty, and left out of the code,
    /// when nothing was disputed, so codes of answers without one read as before.
    pub deposits: Vec<(String, i64)>,
}

impl QrClaims {
    /// The claims of an answer: `status_index` is its bit in the list at `status_uri`.
    pub fn from_facts(
        facts: &Facts,
        verification_code: &str,
        status_index: u64,
        status_uri: &str,
    ) -> Self {
        let t = |s: &str| dates::parse_rfc3339_seconds(s).unwrap_or_default();
        let p = &facts.parcel;
        Self {
            issuer: ISSUER.into(),
            verification_code: verification_code.into(),
            issued_at: t(&facts.issued_at),
            expires_at: t(&facts.valid_until),
            status_index,
            status_uri: status_uri.into(),
            inquiry_number: facts.inquiry_number.clone(),
            request_type_code: facts.request_type_code.clone(),
            renovation_code: p.renovation_code.clone(),
            plate: [
                p.registry_plate.main.clone(),
                p.registry_plate.sub.clone(),
                p.registry_plate.section.clone(),
            ],
            debt_status: facts
                .debt_status
                .strip_prefix("DEBT_STATUS_")
                .unwrap_or(&facts.debt_status)
                .to_owned(),
            tracking_code: facts.tracking_code.clone(),
            amount_paid_rials: facts.amount_paid_rials,
            authority_name: facts.authority_name.fa.clone(),
            owner_count: u32::try_from(p.owners.len()).unwrap_or(u32::MAX),
            owners: p
                .owners
                .iter()
                .take(MAX_OWNERS)
                .map(|o| QrOwner {
                    masked_code: answer::mask_code(&o.national_code),
                    full_name: o.full_name.clone(),
                    share: (o.share.numerator, o.share.denominator),
                })
                .collect(),
            deposits: facts
                .disputes
                .iter()
                .map(|d| (d.receipt_code.clone(), d.deposit_rials))
                .collect(),
        }
    }

    /// The claims as the CBOR map that is signed: registered keys first, then the status
    /// claim, then Estelam's. (coset's `ClaimsSet` accepts only keys below -65536 as
    /// private, which would cost four bytes a key; the map is built here with ciborium.)
    fn to_cbor(&self) -> Value {
        let text = |s: &str| Value::Text(s.to_owned());
        let int = |i: i64| Value::Integer(i.into());
        let status = Value::Map(vec![(
            text("status_list"),
            Value::Map(vec![
                (text("idx"), Value::Integer(self.status_index.into())),
                (text("uri"), text(&self.status_uri)),
            ]),
        )]);
        let owners = self
            .owners
            .iter()
            .map(|o| {
                Value::Array(vec![
                    text(&o.masked_code),
                    text(&o.full_name),
                    int(o.share.0),
                    int(o.share.1),
                ])
            })
            .collect();
        let mut entries = vec![
            (int(claim::ISS), text(&self.issuer)),
            (int(claim::EXP), int(self.expires_at)),
            (int(claim::IAT), int(self.issued_at)),
            (
                int(claim::CTI),
                Value::Bytes(self.verification_code.as_bytes().to_vec()),
            ),
            (int(claim::STATUS), status),
            (int(key::INQUIRY_NUMBER), text(&self.inquiry_number)),
            (int(key::REQUEST_TYPE), text(&self.request_type_code)),
            (int(key::RENOVATION_CODE), text(&self.renovation_code)),
            (
                int(key::PLATE),
                Value::Array(self.plate.iter().map(|s| text(s)).collect()),
            ),
            (
                int(key::DEBT_STATUS),
                int(debt_status_number(&self.debt_status)),
            ),
            (int(key::TRACKING_CODE), text(&self.tracking_code)),
            (int(key::AMOUNT_PAID), int(self.amount_paid_rials)),
            (int(key::AUTHORITY), text(&self.authority_name)),
            (int(key::OWNERS), Value::Array(owners)),
            (int(key::OWNER_COUNT), int(i64::from(self.owner_count))),
        ];
        if !self.deposits.is_empty() {
            let deposits = self
                .deposits
                .iter()
                .map(|(receipt, rials)| Value::Array(vec![text(receipt), int(*rials)]))
                .collect();
            entries.push((int(key::DEPOSITS), Value::Array(deposits)));
        }
        Value::Map(entries)
    }

    fn from_cbor(value: &Value) -> Result<Self, QrError> {
        let Value::Map(entries) = value else {
            return Err(QrError::Claims("the claims are not a map".into()));
        };
        let mut claims = QrClaims::default();
        let mut seen = std::collections::BTreeSet::new();
        for (name, value) in entries {
            let k = int(name)?;
            if !seen.insert(k) {
                return Err(QrError::Claims(format!("claim {k} appears twice")));
            }
            match k {
                claim::ISS => claims.issuer = string(value)?,
                claim::EXP => claims.expires_at = int(value)?,
                claim::IAT => claims.issued_at = int(value)?,
                claim::CTI => {
                    claims.verification_code = value
                        .as_bytes()
                        .and_then(|b| String::from_utf8(b.clone()).ok())
                        .ok_or_else(|| QrError::Claims("cti is not text bytes".into()))?;
                }
                claim::STATUS => {
                    let list = map_get(value, "status_list")?;
                    claims.status_index = u64::try_from(int(map_get(list, "idx")?)?)
                        .map_err(|_| QrError::Claims("status index is negative".into()))?;
                    claims.status_uri = string(map_get(list, "uri")?)?;
                }
                key::INQUIRY_NUMBER => claims.inquiry_number = string(value)?,
                key::REQUEST_TYPE => claims.request_type_code = string(value)?,
                key::RENOVATION_CODE => claims.renovation_code = string(value)?,
                key::PLATE => {
                    let [a, b, c] = array::<3>(value)?;
                    claims.plate = [string(a)?, string(b)?, string(c)?];
                }
                key::DEBT_STATUS => claims.debt_status = debt_status_name(int(value)?)?,
                key::TRACKING_CODE => claims.tracking_code = string(value)?,
                key::AMOUNT_PAID => claims.amount_paid_rials = int(value)?,
                key::AUTHORITY => claims.authority_name = string(value)?,
                key::OWNER_COUNT => {
                    claims.owner_count = u32::try_from(int(value)?)
                        .map_err(|_| QrError::Claims("owner count out of range".into()))?;
                }
                key::OWNERS => {
                    let Value::Array(items) = value else {
                        return Err(QrError::Claims("owners is not an array".into()));
                    };
                    claims.owners = items
                        .iter()
                        .map(|o| {
                            let [c, n, num, den] = array::<4>(o)?;
                            Ok(QrOwner {
                                masked_code: string(c)?,
                                full_name: string(n)?,
                                share: (int(num)?, int(den)?),
                            })
                        })
                        .collect::<Result<_, QrError>>()?;
                }
                key::DEPOSITS => {
                    let Value::Array(items) = value else {
                        return Err(QrError::Claims("deposits is not an array".into()));
                    };
                    claims.deposits = items
                        .iter()
                        .map(|d| {
                            let [receipt, rials] = array::<2>(d)?;
                            Ok((string(receipt)?, int(rials)?))
                        })
                        .collect::<Result<_, QrError>>()?;
                    // Optional: not counted among the required claims.
                    seen.remove(&k);
                }
                // A later minor version may add claims; they are signed, so ignoring them
                // is safe.
                _ => {
                    seen.remove(&k);
                }
            }
        }
        if seen.len() != 15 {
            return Err(QrError::Claims("a claim is missing".into()));
        }
        Ok(claims)
    }
}

/// Why a text could not be read as an answer's QR code. (Whether it is *genuine* is a
/// separate question, [`Sealed::verify`].)
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    /// The text does not start with [`PREFIX`].
    #[error("not an Estelam answer code (no {PREFIX} prefix)")]
    Prefix,
    /// Not Base45, not zlib, or too large once inflated.
    #[error("the code is damaged: {0}")]
    Encoding(&'static str),
    /// Not a COSE_Sign1 with an EdDSA key id.
    #[error("the code is not a signed answer: {0}")]
    Cose(String),
    /// The claims are not those of an answer.
    #[error("the code's claims are not an answer's: {0}")]
    Claims(String),
}

/// A QR code read back: the key that claims to have signed it, the claims, and the COSE
/// structure whose signature [`Sealed::verify`] checks.
#[derive(Debug, Clone)]
pub struct Sealed {
    /// The signing key's id (`ans-…`), from the protected header.
    pub kid: String,
    /// What the code states; to be trusted only once [`Sealed::verify`] holds.
    pub claims: QrClaims,
    cose: CoseSign1,
}

impl Sealed {
    /// True when `public` (Ed25519) signed exactly these protected header and claims.
    pub fn verify(&self, public: &[u8; 32]) -> bool {
        self.cose
            .verify_signature(b"", |sig, data| {
                if answer::verify(public, data, sig) {
                    Ok(())
                } else {
                    Err(())
                }
            })
            .is_ok()
    }
}

/// Signs `claims` with `key` and returns the QR text.
pub fn seal(claims: &QrClaims, key: &KeyPair) -> Result<String, QrError> {
    let mut payload = Vec::new();
    ciborium::into_writer(&claims.to_cbor(), &mut payload)
        .map_err(|e| QrError::Claims(e.to_string()))?;
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::EdDSA)
        .key_id(kid_to_bytes(&key.kid))
        .build();
    let sign1 = CoseSign1Builder::new()
        .protected(protected)
        .payload(payload)
        .create_signature(b"", |data| key.sign(data).to_vec())
        .build();
    let cose = sign1
        .to_tagged_vec()
        .map_err(|e| QrError::Cose(e.to_string()))?;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&cose)
        .and_then(|()| z.finish())
        .map(|compressed| format!("{PREFIX}{}", base45::encode(&compressed)))
        .map_err(|_| QrError::Encoding("compression failed"))
}

/// Reads a QR text back (without checking the signature: see [`Sealed::verify`]).
/// Whitespace around the text, as a scanner or a paste may add, is ignored.
pub fn open(text: &str) -> Result<Sealed, QrError> {
    let body = text.trim().strip_prefix(PREFIX).ok_or(QrError::Prefix)?;
    let compressed = base45::decode(body).map_err(|_| QrError::Encoding("not Base45"))?;
    let mut cose = Vec::new();
    flate2::read::ZlibDecoder::new(compressed.as_slice())
        .take(MAX_INFLATED + 1)
        .read_to_end(&mut cose)
        .map_err(|_| QrError::Encoding("not zlib"))?;
    if cose.len() as u64 > MAX_INFLATED {
        return Err(QrError::Encoding("too large"));
    }
    let sign1 = CoseSign1::from_tagged_slice(&cose)
        .or_else(|_| CoseSign1::from_slice(&cose))
        .map_err(|e| QrError::Cose(e.to_string()))?;
    let alg = sign1.protected.header.alg.clone();
    if alg != Some(coset::Algorithm::Assigned(iana::Algorithm::EdDSA)) {
        return Err(QrError::Cose("the algorithm is not EdDSA".into()));
    }
    let kid = kid_from_bytes(&sign1.protected.header.key_id)?;
    let payload = sign1
        .payload
        .clone()
        .ok_or_else(|| QrError::Cose("no payload".into()))?;
    let value: Value =
        ciborium::from_reader(payload.as_slice()).map_err(|e| QrError::Claims(e.to_string()))?;
    Ok(Sealed {
        kid,
        claims: QrClaims::from_cbor(&value)?,
        cose: sign1,
    })
}

/// The debt status travels as its `estelam.inquiry.v1.DebtStatus` number (1 none,
/// 2 cleared, 3 not checked): a byte rather than a word.
fn debt_status_number(name: &str) -> i64 {
    let full = format!("DEBT_STATUS_{name}");
    i64::from(pb::DebtStatus::from_str_name(&full).unwrap_or_default() as i32)
}

fn debt_status_name(number: i64) -> Result<String, QrError> {
    i32::try_from(number)
        .ok()
        .and_then(|n| pb::DebtStatus::try_from(n).ok())
        .filter(|s| *s != pb::DebtStatus::Unspecified)
        .map(|s| {
            s.as_str_name()
                .trim_start_matches("DEBT_STATUS_")
                .to_owned()
        })
        .ok_or_else(|| QrError::Claims(format!("unknown debt status {number}")))
}

/// An answer key id (`ans-` and 16 hex digits) travels as its 8 bytes, 12 fewer than the
/// text; any other id as its UTF-8.
fn kid_to_bytes(kid: &str) -> Vec<u8> {
    let raw = kid.strip_prefix("ans-").and_then(|hex| {
        (hex.len() == 16)
            .then(|| {
                (0..8)
                    .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
                    .collect::<Option<Vec<u8>>>()
            })
            .flatten()
    });
    raw.unwrap_or_else(|| kid.as_bytes().to_vec())
}

fn kid_from_bytes(bytes: &[u8]) -> Result<String, QrError> {
    if bytes.len() == 8 {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        return Ok(format!("ans-{hex}"));
    }
    String::from_utf8(bytes.to_vec()).map_err(|_| QrError::Cose("the key id is not text".into()))
}

fn string(v: &Value) -> Result<String, QrError> {
    v.as_text()
        .map(str::to_owned)
        .ok_or_else(|| QrError::Claims("a text claim is not text".into()))
}

fn int(v: &Value) -> Result<i64, QrError> {
    v.as_integer()
        .and_then(|i| i64::try_from(i).ok())
        .ok_or_else(|| QrError::Claims("a number claim is not an integer".into()))
}

fn array<const N: usize>(v: &Value) -> Result<&[Value; N], QrError> {
    v.as_array()
        .and_then(|a| <&[Value; N]>::try_from(a.as_slice()).ok())
        .ok_or_else(|| QrError::Claims(format!("a claim is not an array of {N}")))
}

fn map_get<'a>(v: &'a Value, name: &str) -> Result<&'a Value, QrError> {
    v.as_map()
        .and_then(|m| m.iter().find(|(k, _)| k.as_text() == Some(name)))
        .map(|(_, v)| v)
        .ok_or_else(|| QrError::Claims(format!("{name} is missing")))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn sample() -> QrClaims {
        QrClaims {
            issuer: ISSUER.into(),
            verification_code: "4829173650128".into(),
            issued_at: 1_790_000_000,
            expires_at: 1_797_776_000,
            status_index: 12,
            status_uri: "https://estelam.shahinshahr.ir/api/v1/answer-status-list".into(),
            inquiry_number: "13".into(),
            request_type_code: "transfer".into(),
            renovation_code: "1-2-3-45-0-0".into(),
            plate: ["1234".into(), "56".into(), "11".into()],
            debt_status: "CLEARED".into(),
            tracking_code: "118273645502".into(),
            amount_paid_rials: 48_250_000,
            authority_name: "دفترخانه اسناد رسمی شماره ۱۲ شاهین‌شهر".into(),
            owner_count: 3,
            owners: vec![
                QrOwner {
                    masked_code: "007****645".into(),
                    full_name: "مریم احمدی".into(),
                    share: (3, 1),
                },
                QrOwner {
                    masked_code: "128****903".into(),
                    full_name: "علی رضایی".into(),
                    share: (3, 1),
                },
            ],
            deposits: Vec::new(),
        }
    }

    #[test]
    fn a_deposit_held_for_an_objection_is_in_the_code_and_only_then() {
        let key = KeyPair::generate(0);
        let with = QrClaims {
            deposits: vec![("913572468024".into(), 1_250_000)],
            ..sample()
        };
        let opened = open(&seal(&with, &key).unwrap()).unwrap();
        assert!(opened.verify(&key.public()));
        assert_eq!(opened.claims, with);
        let Value::Map(plain) = sample().to_cbor() else {
            panic!("claims are a map");
        };
        assert!(
            !plain
                .iter()
                .any(|(k, _)| *k == Value::Integer(key::DEPOSITS.into())),
            "no deposits claim without an objection"
        );
    }

    #[test]
    fn a_sealed_answer_opens_and_verifies_with_its_key_only() {
        let key = KeyPair::generate(0);
        let text = seal(&sample(), &key).unwrap();
        assert!(text.starts_with(PREFIX));
        let opened = open(&text).unwrap();
        assert_eq!(opened.kid, key.kid);
        assert_eq!(opened.claims, sample());
        assert!(opened.verify(&key.public()));
        assert!(!opened.verify(&KeyPair::generate(0).public()));
    }

    /// About 600 characters is what stays scannable at print size. The key id and the
    /// signature are random bytes that zlib cannot shrink, so the length moves by a few
    /// characters from key to key: it is checked over many keys, with that spread allowed.
    #[test]
    fn a_typical_answer_stays_small_enough_to_scan_at_print_size() {
        let lengths: Vec<usize> = (0..32)
            .map(|_| seal(&sample(), &KeyPair::generate(0)).unwrap().len())
            .collect();
        let longest = lengths.iter().copied().max().unwrap_or(0);
        assert!(longest <= 610, "{longest} characters ({lengths:?})");
    }

    #[test]
    fn texts_that_are_not_answers_are_refused_with_a_reason() {
        assert_eq!(open("HC1:6BF").unwrap_err(), QrError::Prefix);
        assert!(matches!(open("EQ1:!!"), Err(QrError::Encoding(_))));
        assert!(matches!(
            open(&format!("{PREFIX}{}", base45::encode(b"plain"))),
            Err(QrError::Encoding(_))
        ));
    }

    proptest! {
        #[test]
        fn claims_round_trip(
            code in "[0-9]{1,16}",
            iat in 0i64..4_000_000_000,
            days in 0i64..3650,
            idx in 0u64..u64::from(u32::MAX),
            name in "\\PC{0,30}",
            amount in 0i64..i64::MAX,
            owners in prop::collection::vec(("[0-9*]{0,10}", "\\PC{0,20}", 0i64..100, 1i64..100), 0..=MAX_OWNERS),
            owner_count in 0u32..1000,
        ) {
            let claims = QrClaims {
                verification_code: code,
                issued_at: iat,
                expires_at: iat + days * 86_400,
                status_index: idx,
                amount_paid_rials: amount,
                owner_count,
                authority_name: name,
                owners: owners
                    .into_iter()
                    .map(|(c, n, a, b)| QrOwner { masked_code: c, full_name: n, share: (a, b) })
                    .collect(),
                ..sample()
            };
            let key = KeyPair::generate(0);
            let opened = open(&seal(&claims, &key).unwrap()).unwrap();
            prop_assert!(opened.verify(&key.public()));
            prop_assert_eq!(opened.claims, claims);
        }
    }
}
