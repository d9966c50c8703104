//! Compact JWS (RFC 7515) with EdDSA (RFC 8037): the envelope of the trust list and the
//! status list, chosen over COSE for these two because browsers and the usual JOSE
//! libraries read it directly.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde_json::Value;

use crate::answer;

/// A compact JWS read back, signature not yet checked.
#[derive(Debug, Clone)]
pub struct Jws {
    /// The protected header.
    pub header: Value,
    /// The payload, a JSON object.
    pub payload: Value,
    signing_input: String,
    signature: Vec<u8>,
}

impl Jws {
    /// True when `public` (Ed25519) signed this header and payload.
    pub fn verify(&self, public: &[u8; 32]) -> bool {
        answer::verify(public, self.signing_input.as_bytes(), &self.signature)
    }

    /// A member of the header as text.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }
}

/// Signs `payload` under `header` (which must name `"alg":"EdDSA"`) with `sign`.
pub fn sign(header: &Value, payload: &Value, sign: impl FnOnce(&[u8]) -> [u8; 64]) -> String {
    let input = format!(
        "{}.{}",
        B64URL.encode(header.to_string()),
        B64URL.encode(payload.to_string())
    );
    let signature = sign(input.as_bytes());
    format!("{input}.{}", B64URL.encode(signature))
}

/// Reads a compact JWS whose header names EdDSA; `None` when it is not one.
pub fn open(token: &str) -> Option<Jws> {
    let token = token.trim();
    let mut parts = token.split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Value = serde_json::from_slice(&B64URL.decode(h).ok()?).ok()?;
    if header.get("alg").and_then(Value::as_str) != Some("EdDSA") {
        return None;
    }
    let payload: Value = serde_json::from_slice(&B64URL.decode(p).ok()?).ok()?;
    Some(Jws {
        header,
        payload,
        signing_input: format!("{h}.{p}"),
        signature: B64URL.decode(s).ok()?,
    })
}

/// Base64url without padding, as JOSE writes binary values.
pub fn b64url(bytes: &[u8]) -> String {
    B64URL.encode(bytes)
}

/// The inverse of [`b64url`].
pub fn from_b64url(text: &str) -> Option<Vec<u8>> {
    B64URL.decode(text).ok()
}
