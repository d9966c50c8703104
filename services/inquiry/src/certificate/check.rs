//! The verdict on an answer's QR text, given a trust list and (when there is one) a
//! status list: what `estelam verify`, the API and the offline page all say.

use super::cwt::{self, QrClaims};
use super::status_list::StatusList;
use super::trust_list::TrustList;

/// What a check concluded. The order of the checks is: readable, key known, signature,
/// key's period, revoked, expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Genuine, unaltered, not revoked, within its validity.
    Valid,
    /// The signature does not verify: the code was changed or forged.
    Altered,
    /// Genuine, but the municipality withdrew it.
    Revoked,
    /// Genuine, but its validity ended.
    Expired,
    /// Signed by a key the trust list does not hold, or outside that key's period.
    UnknownKey,
    /// Not an answer's code at all (or damaged beyond reading).
    Unreadable,
}

impl Verdict {
    /// The verdict's name, as the CLI prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Altered => "altered",
            Verdict::Revoked => "revoked",
            Verdict::Expired => "expired",
            Verdict::UnknownKey => "unknown key",
            Verdict::Unreadable => "unreadable",
        }
    }

    /// The process exit code `estelam verify` returns (documented in
    /// `docs/certificate.md`): 0 valid, 10 altered, 11 revoked, 12 expired, 13 unknown
    /// key, 14 unreadable. 1 and 2 stay for errors and usage.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Valid => 0,
            Verdict::Altered => 10,
            Verdict::Revoked => 11,
            Verdict::Expired => 12,
            Verdict::UnknownKey => 13,
            Verdict::Unreadable => 14,
        }
    }

    /// What the verdict means to the person holding the paper, Persian then English: the
    /// same words on the API as the offline page shows.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Verdict::Valid => (
                "این پاسخ استعلام را شهرداری صادر کرده، دست نخورده و معتبر است.",
                "This answer was issued by the municipality, is unaltered and valid.",
            ),
            Verdict::Altered => (
                "محتوای این کد با امضای آن نمی‌خواند: دست خورده یا جعلی است؛ به آن اعتماد نکنید.",
                "This code's content does not match its signature: it was altered or forged; do not rely on it.",
            ),
            Verdict::Revoked => (
                "این پاسخ استعلام را شهرداری باطل کرده است.",
                "The municipality revoked this answer.",
            ),
            Verdict::Expired => (
                "مدت اعتبار این پاسخ استعلام به پایان رسیده است.",
                "This answer is past its validity.",
            ),
            Verdict::UnknownKey => (
                "این کد با کلیدی امضا شده که شهرداری آن را نمی‌شناسد؛ به آن اعتماد نکنید.",
                "This code was signed with a key the municipality does not recognise; do not rely on it.",
            ),
            Verdict::Unreadable => (
                "این متن کد پاسخ استعلام نیست یا خوانا نیست؛ متن کامل را که با EQ1: آغاز می‌شود وارد کنید.",
                "This text is not an answer's code or cannot be read; paste the whole text, starting EQ1:.",
            ),
        }
    }
}

/// A check's outcome: the verdict, the claims when the signature held, and whether the
/// revocation status was known.
#[derive(Debug, Clone)]
pub struct Report {
    /// The verdict.
    pub verdict: Verdict,
    /// The signing key named by the code, when it could be read.
    pub kid: Option<String>,
    /// The claims, present only when the signature verified.
    pub claims: Option<QrClaims>,
    /// False when no status list covered the answer, so revocation was not checked.
    pub status_checked: bool,
    /// Why, in a sentence, for the verdicts other than valid.
    pub detail: String,
}

/// Checks `text` at `now` (Unix seconds).
pub fn check(text: &str, trust: &TrustList, status: Option<&StatusList>, now: i64) -> Report {
    let mut report = Report {
        verdict: Verdict::Unreadable,
        kid: None,
        claims: None,
        status_checked: false,
        detail: String::new(),
    };
    let sealed = match cwt::open(text) {
        Ok(s) => s,
        Err(e) => {
            report.detail = e.to_string();
            return report;
        }
    };
    report.kid = Some(sealed.kid.clone());
    let Some(key) = trust.key(&sealed.kid) else {
        report.verdict = Verdict::UnknownKey;
        report.detail = format!("key {} is not in the trust list", sealed.kid);
        return report;
    };
    if !sealed.verify(&key.public) {
        report.verdict = Verdict::Altered;
        report.detail = "the signature does not match the content".into();
        return report;
    }
    let claims = sealed.claims;
    if !key.covers(claims.issued_at) {
        report.verdict = Verdict::UnknownKey;
        report.detail = format!(
            "key {} was not signing answers when this one says it was issued",
            key.kid
        );
        return report;
    }
    let revoked = status.and_then(|s| s.is_revoked(claims.status_index));
    report.status_checked = revoked.is_some();
    report.verdict = if revoked == Some(true) {
        report.detail = "the municipality revoked this answer".into();
        Verdict::Revoked
    } else if claims.expires_at < now {
        report.detail = "the answer's validity has ended".into();
        Verdict::Expired
    } else {
        Verdict::Valid
    };
    report.claims = Some(claims);
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::KeyPair;
    use crate::certificate::cwt::tests::sample;
    use crate::certificate::trust_list::{self, TrustedKey};

    fn trust(keys: &[&KeyPair]) -> TrustList {
        let keys: Vec<TrustedKey> = keys.iter().map(|k| TrustedKey::of(k)).collect();
        trust_list::read(&trust_list::sign(&keys, &KeyPair::generate(0), 0), None).unwrap()
    }

    #[test]
    fn every_verdict_from_one_answer() {
        let key = KeyPair::from_secret([1; 32], 0, None);
        let claims = sample();
        let text = cwt::seal(&claims, &key).unwrap();
        let now = claims.issued_at + 10;
        let t = trust(&[&key]);
        let mut list = StatusList::new(100);
        assert_eq!(check(&text, &t, Some(&list), now).verdict, Verdict::Valid);
        list.revoke(claims.status_index);
        assert_eq!(check(&text, &t, Some(&list), now).verdict, Verdict::Revoked);
        assert_eq!(
            check(&text, &t, None, claims.expires_at + 1).verdict,
            Verdict::Expired
        );
        let stranger = trust(&[&KeyPair::generate(0)]);
        assert_eq!(
            check(&text, &stranger, None, now).verdict,
            Verdict::UnknownKey
        );
        let retired_before = KeyPair::from_secret([1; 32], 0, Some(1_000_000));
        assert_eq!(
            check(&text, &trust(&[&retired_before]), None, now).verdict,
            Verdict::UnknownKey
        );
        assert_eq!(check("hello", &t, None, now).verdict, Verdict::Unreadable);
    }

    #[test]
    fn changing_any_byte_of_the_signed_structure_is_never_valid() {
        use std::io::{Read, Write};
        let key = KeyPair::from_secret([2; 32], 0, None);
        let claims = sample();
        let text = cwt::seal(&claims, &key).unwrap();
        let t = trust(&[&key]);
        let compressed = base45::decode(&text[cwt::PREFIX.len()..]).unwrap();
        let mut cose = Vec::new();
        flate2::read::ZlibDecoder::new(compressed.as_slice())
            .read_to_end(&mut cose)
            .unwrap();
        for i in 0..cose.len() {
            let mut flipped = cose.clone();
            flipped[i] ^= 0x01;
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
            z.write_all(&flipped).unwrap();
            let forged = format!("{}{}", cwt::PREFIX, base45::encode(z.finish().unwrap()));
            let verdict = check(&forged, &t, None, claims.issued_at).verdict;
            assert_ne!(verdict, Verdict::Valid, "byte {i} flipped still verified");
        }
    }
}
