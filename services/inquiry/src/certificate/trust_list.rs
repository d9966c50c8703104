//! The trust list: every answer-signing public key with its validity period, as a JWK Set
//! (RFC 7517; keys `OKP`/`Ed25519`, RFC 8037) in a compact JWS signed by the root key.
//!
//! A verifier pins the root key's fingerprint once ([`fingerprint`], printed by
//! `estelam trust-root` and on the verification page) and then follows rotations: the
//! JWS header carries the root public key (`jwk`), which must match the pinned fingerprint,
//! and the signature proves the key set. Each key has `nbf` (it started signing) and, once
//! a newer key replaced it, `exp` (it stopped signing); an answer is trusted only when it
//! was issued inside its key's period, and retired keys stay listed for the answers they
//! signed.

use serde_json::{Value, json};
use sha2::Digest;

use super::jws;
use crate::answer::KeyPair;

/// The JWS `typ` of the trust list.
pub const TYP: &str = "jwk-set+jwt";

/// One answer-signing key as the trust list states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKey {
    /// The key id (`ans-…`) a QR code names.
    pub kid: String,
    /// The Ed25519 public key.
    pub public: [u8; 32],
    /// When it started signing, Unix seconds.
    pub not_before: i64,
    /// When it stopped signing, Unix seconds; `None` for the current key.
    pub not_after: Option<i64>,
}

impl TrustedKey {
    /// The public half of a stored key pair.
    pub fn of(key: &KeyPair) -> Self {
        Self {
            kid: key.kid.clone(),
            public: key.public(),
            not_before: key.not_before_us.div_euclid(1_000_000),
            not_after: key.retired_at_us.map(|us| us.div_euclid(1_000_000)),
        }
    }

    /// Whether the key was signing at `at` (Unix seconds).
    pub fn covers(&self, at: i64) -> bool {
        at >= self.not_before && self.not_after.is_none_or(|end| at <= end)
    }
}

/// A trust list read back and checked against its root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustList {
    /// The answer-signing keys.
    pub keys: Vec<TrustedKey>,
    /// The root key's fingerprint (see [`fingerprint`]).
    pub root_fingerprint: String,
    /// When the list was signed, Unix seconds.
    pub issued_at: i64,
}

impl TrustList {
    /// The key with id `kid`.
    pub fn key(&self, kid: &str) -> Option<&TrustedKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }
}

/// Why a trust list is not to be relied on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustListError {
    /// Not a JWS trust list at all.
    #[error("not a signed trust list")]
    Malformed,
    /// Its signature does not verify with the root key it carries.
    #[error("the trust list's signature does not verify")]
    BadSignature,
    /// It is signed by a root other than the pinned one.
    #[error("the trust list is signed by root {found}, not the pinned {pinned}")]
    WrongRoot {
        /// The fingerprint of the root that signed.
        found: String,
        /// The fingerprint that was pinned.
        pinned: String,
    },
}

/// The fingerprint people compare: SHA-256 of the raw Ed25519 public key, lower-case hex
/// in groups of four (`3f2a 9c01 …`), 64 digits in all.
pub fn fingerprint(public: &[u8; 32]) -> String {
    let hex: Vec<String> = sha2::Sha256::digest(public)
        .chunks(2)
        .map(|c| c.iter().map(|b| format!("{b:02x}")).collect())
        .collect();
    hex.join(" ")
}

fn normalise_fingerprint(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn jwk(kid: &str, public: &[u8; 32]) -> Value {
    json!({"kty": "OKP", "crv": "Ed25519", "x": jws::b64url(public), "kid": kid, "alg": "EdDSA", "use": "sig"})
}

/// The trust list of `keys`, signed by `root` at `issued_at` (Unix seconds).
pub fn sign(keys: &[TrustedKey], root: &KeyPair, issued_at: i64) -> String {
    let keys: Vec<Value> = keys
        .iter()
        .map(|k| {
            let mut v = jwk(&k.kid, &k.public);
            v["nbf"] = json!(k.not_before);
            if let Some(end) = k.not_after {
                v["exp"] = json!(end);
            }
            v
        })
        .collect();
    let header =
        json!({"alg": "EdDSA", "typ": TYP, "kid": root.kid, "jwk": jwk(&root.kid, &root.public())});
    let payload = json!({"iss": super::cwt::ISSUER, "iat": issued_at, "keys": keys});
    jws::sign(&header, &payload, |input| root.sign(input))
}

/// Reads and checks a trust list; with `pinned`, its root must have that fingerprint
/// (spaces and case ignored).
pub fn read(token: &str, pinned: Option<&str>) -> Result<TrustList, TrustListError> {
    let jws = jws::open(token).ok_or(TrustListError::Malformed)?;
    if jws.header_str("typ") != Some(TYP) {
        return Err(TrustListError::Malformed);
    }
    let root = jws
        .header
        .get("jwk")
        .and_then(public_of_jwk)
        .ok_or(TrustListError::Malformed)?;
    if !jws.verify(&root) {
        return Err(TrustListError::BadSignature);
    }
    let root_fingerprint = fingerprint(&root);
    if let Some(pinned) = pinned
        && normalise_fingerprint(pinned) != normalise_fingerprint(&root_fingerprint)
    {
        return Err(TrustListError::WrongRoot {
            found: root_fingerprint,
            pinned: pinned.to_owned(),
        });
    }
    let keys = jws
        .payload
        .get("keys")
        .and_then(Value::as_array)
        .ok_or(TrustListError::Malformed)?
        .iter()
        .map(|k| {
            Some(TrustedKey {
                kid: k.get("kid")?.as_str()?.to_owned(),
                public: public_of_jwk(k)?,
                not_before: k.get("nbf")?.as_i64()?,
                not_after: k.get("exp").and_then(Value::as_i64),
            })
        })
        .collect::<Option<Vec<_>>>()
        .ok_or(TrustListError::Malformed)?;
    Ok(TrustList {
        keys,
        root_fingerprint,
        issued_at: jws.payload.get("iat").and_then(Value::as_i64).unwrap_or(0),
    })
}

fn public_of_jwk(jwk: &Value) -> Option<[u8; 32]> {
    if jwk.get("kty")?.as_str()? != "OKP" || jwk.get("crv")?.as_str()? != "Ed25519" {
        return None;
    }
    jws::from_b64url(jwk.get("x")?.as_str()?)?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_list_reads_back_under_its_pinned_root_only() {
        let root = KeyPair::generate(0);
        let old = KeyPair::from_secret([7; 32], 1_000_000, Some(5_000_000));
        let new = KeyPair::from_secret([8; 32], 5_000_000, None);
        let keys = [TrustedKey::of(&new), TrustedKey::of(&old)];
        let token = sign(&keys, &root, 9);
        let fp = fingerprint(&root.public());
        let list = read(&token, Some(&fp.to_uppercase())).unwrap();
        assert_eq!(list.keys, keys);
        assert!(list.key(&old.kid).unwrap().covers(3));
        assert!(!list.key(&old.kid).unwrap().covers(6));
        let other = fingerprint(&KeyPair::generate(0).public());
        assert!(matches!(
            read(&token, Some(&other)),
            Err(TrustListError::WrongRoot { .. })
        ));
        let mut forged = token.clone();
        forged.insert_str(token.find('.').unwrap() + 1, "e30");
        assert!(read(&forged, None).is_err());
    }
}
