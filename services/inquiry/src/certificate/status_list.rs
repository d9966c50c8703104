//! The revocation list as an IETF Token Status List (draft-ietf-oauth-status-list), in its
//! JWT form: a bit string with one bit per issued answer (`bits: 1`; 0 valid, 1 invalid
//! = revoked), zlib-compressed and base64url-encoded in `status_list.lst`, with `sub` (the
//! list's URL), `iat`, `exp` and `ttl`. Bit `idx` is bit `idx % 8` (least significant
//! first) of byte `idx / 8`, as the draft says. It is signed with the current
//! answer-signing key (`kid` in the header), so the trust list vouches for it too.

use std::io::{Read, Write};

use serde_json::{Value, json};

use super::jws;
use super::trust_list::TrustList;
use crate::answer::KeyPair;

/// The JWS `typ` the draft gives the status list.
pub const TYP: &str = "statuslist+jwt";

/// How long a verifier may cache the list, seconds; it is rebuilt on every request, so a
/// revocation shows within this long.
pub const TTL_SECONDS: i64 = 60;

/// The largest list accepted when reading one: a bit for each of 512 million answers.
const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// A bit string of answer statuses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusList {
    bytes: Vec<u8>,
}

impl StatusList {
    /// A list of `len` answers, none revoked.
    pub fn new(len: u64) -> Self {
        Self {
            bytes: vec![0; usize::try_from(len.div_ceil(8)).unwrap_or(0)],
        }
    }

    /// Marks answer `idx` revoked, growing the list as needed.
    pub fn revoke(&mut self, idx: u64) {
        let byte = usize::try_from(idx / 8).unwrap_or(usize::MAX);
        if byte >= self.bytes.len() {
            self.bytes.resize(byte + 1, 0);
        }
        self.bytes[byte] |= 1 << (idx % 8);
    }

    /// Whether answer `idx` is revoked; `None` when the list is too short to say, i.e.
    /// it is older than the answer.
    pub fn is_revoked(&self, idx: u64) -> Option<bool> {
        let byte = self.bytes.get(usize::try_from(idx / 8).ok()?)?;
        Some(byte & (1 << (idx % 8)) != 0)
    }

    /// The compressed `lst` value.
    pub fn encoded(&self) -> String {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        // Writing to a Vec cannot fail.
        let compressed = z
            .write_all(&self.bytes)
            .and_then(|()| z.finish())
            .unwrap_or_default();
        jws::b64url(&compressed)
    }

    fn decode(lst: &str) -> Option<Self> {
        let compressed = jws::from_b64url(lst)?;
        let mut bytes = Vec::new();
        flate2::read::ZlibDecoder::new(compressed.as_slice())
            .take(MAX_BYTES)
            .read_to_end(&mut bytes)
            .ok()?;
        Some(Self { bytes })
    }
}

/// The signed status list published at `uri`, issued at `now` (Unix seconds).
pub fn sign(list: &StatusList, uri: &str, now: i64, key: &KeyPair) -> String {
    let header = json!({"alg": "EdDSA", "typ": TYP, "kid": key.kid});
    let payload = json!({
        "sub": uri,
        "iat": now,
        "exp": now + 24 * 3600,
        "ttl": TTL_SECONDS,
        "status_list": {"bits": 1, "lst": list.encoded()},
    });
    jws::sign(&header, &payload, |input| key.sign(input))
}

/// Why a status list is not to be relied on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusListError {
    /// Not a JWS status list with one bit per answer.
    #[error("not a signed status list")]
    Malformed,
    /// Signed by a key the trust list does not hold, or the signature does not verify.
    #[error("the status list's signature does not verify against the trust list")]
    BadSignature,
}

/// Reads a status list and checks its signature against `trust`.
pub fn read(token: &str, trust: &TrustList) -> Result<StatusList, StatusListError> {
    let jws = jws::open(token).ok_or(StatusListError::Malformed)?;
    if jws.header_str("typ") != Some(TYP) {
        return Err(StatusListError::Malformed);
    }
    let key = jws
        .header_str("kid")
        .and_then(|kid| trust.key(kid))
        .ok_or(StatusListError::BadSignature)?;
    if !jws.verify(&key.public) {
        return Err(StatusListError::BadSignature);
    }
    let list = jws
        .payload
        .get("status_list")
        .ok_or(StatusListError::Malformed)?;
    if list.get("bits").and_then(Value::as_i64) != Some(1) {
        return Err(StatusListError::Malformed);
    }
    list.get("lst")
        .and_then(Value::as_str)
        .and_then(StatusList::decode)
        .ok_or(StatusListError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificate::trust_list::{self, TrustedKey};

    #[test]
    fn revoked_bits_survive_signing_and_reading() {
        let key = KeyPair::generate(0);
        let root = KeyPair::generate(0);
        let trust =
            trust_list::read(&trust_list::sign(&[TrustedKey::of(&key)], &root, 0), None).unwrap();
        let mut list = StatusList::new(20);
        list.revoke(3);
        list.revoke(17);
        let back = read(&sign(&list, "https://x/s", 0, &key), &trust).unwrap();
        assert_eq!(back.is_revoked(3), Some(true));
        assert_eq!(back.is_revoked(17), Some(true));
        assert_eq!(back.is_revoked(4), Some(false));
        assert_eq!(back.is_revoked(24), None);
        let stranger = KeyPair::generate(0);
        assert_eq!(
            read(&sign(&list, "https://x/s", 0, &stranger), &trust),
            Err(StatusListError::BadSignature)
        );
    }
}
