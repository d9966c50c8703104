use super::*;
use ed25519_dalek::VerifyingKey;
use serde_json::Value;

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
            '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}', '\u{202E}', '\u{2067}', '\0', '\u{1B}',
            '\u{85}', '\t', '\n', '\u{0654}',
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
