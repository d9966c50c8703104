//! The keys answers are signed with: Ed25519 pairs whose id is derived from the public key,
//! the check anyone can run with a published key, and the key as PEM.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::Digest;

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
