//! What checking a printed answer's QR code offline costs, and how large the status list is.
//!
//! * `certificate/verify_offline`: the whole offline check of one QR text
//!   (`certificate::check::check`): Base45 decode, inflate, COSE_Sign1 and claims parse,
//!   trust list lookup, Ed25519 verification, status list bit, expiry.
//! * `certificate/seal`: making one QR text (what printing an answer adds).
//! * `status_list/encode_1m`: compressing the status list of 1,000,000 answers with 0.1 %
//!   revoked; the encoded size is printed once.
//!
//! Run with `cargo bench -p estelam-inquiry --bench certificate`; figures are in BENCHMARKS.md.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use estelam_inquiry::answer::KeyPair;
use estelam_inquiry::certificate::check::{self, Verdict};
use estelam_inquiry::certificate::cwt::{self, QrClaims, QrOwner};
use estelam_inquiry::certificate::status_list::StatusList;
use estelam_inquiry::certificate::trust_list::{self, TrustedKey};

fn claims() -> QrClaims {
    QrClaims {
        issuer: cwt::ISSUER.into(),
        verification_code: "4829173650128".into(),
        issued_at: 1_790_000_000,
        expires_at: 1_797_776_000,
        status_index: 777_777,
        status_uri: "https://estelam.shahinshahr.ir/api/v1/answer-status-list".into(),
        inquiry_number: "13".into(),
        request_type_code: "transfer".into(),
        renovation_code: "1-2-3-45-0-0".into(),
        plate: ["1234".into(), "56".into(), "11".into()],
        debt_status: "CLEARED".into(),
        tracking_code: "118273645502".into(),
        amount_paid_rials: 48_250_000,
        authority_name: "دفترخانه اسناد رسمی شماره ۱۲ شاهین‌شهر".into(),
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
        owner_count: 2,
        deposits: Vec::new(),
    }
}

fn million_with_revocations() -> StatusList {
    let mut list = StatusList::new(1_000_000);
    // 0.1 % revoked, spread out: the worst case for compression at that rate.
    for i in (0..1_000_000u64).step_by(1000) {
        list.revoke(i + (i * 7919) % 997);
    }
    list
}

fn benches(c: &mut Criterion) {
    let key = KeyPair::generate(0);
    let root = KeyPair::generate(0);
    let trust = trust_list::read(&trust_list::sign(&[TrustedKey::of(&key)], &root, 0), None)
        .expect("trust list");
    let text = cwt::seal(&claims(), &key).expect("seal");
    let list = million_with_revocations();
    println!(
        "QR text: {} characters; status list of 1,000,000 answers (1,000 revoked): {} bytes raw, {} characters encoded",
        text.len(),
        1_000_000 / 8,
        list.encoded().len()
    );
    let now = 1_790_000_100;
    assert_eq!(
        check::check(&text, &trust, Some(&list), now).verdict,
        Verdict::Valid
    );
    c.bench_function("certificate/verify_offline", |b| {
        b.iter(|| check::check(&text, &trust, Some(&list), now))
    });
    c.bench_function("certificate/seal", |b| {
        b.iter(|| cwt::seal(&claims(), &key))
    });
    c.bench_function("status_list/encode_1m", |b| b.iter(|| list.encoded()));
}

criterion_group!(certificate, benches);
criterion_main!(certificate);
